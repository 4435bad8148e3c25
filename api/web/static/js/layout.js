// What every page shares: the header with navigation and the signed-in user, and small DOM helpers.

import { serverNow, serverOffsetMs } from "./api.js";
import { currentSession, isExpired, signOut } from "./session.js";

/** Create an element: h("p", {class: "hint", text: "..."}, child, ...). Text is always text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name === "class") element.className = value;
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function byId(id) {
  return document.getElementById(id);
}

/** Put a message in a status element (role=status/alert regions announce it). kind: info, ok, error, warn. */
export function say(element, text, kind = "info") {
  element.dataset.kind = kind;
  element.replaceChildren(...(Array.isArray(text) ? text : [text]));
  element.hidden = false;
}

/** The <header> links and the sign-in state, filled into #site-header. */
export function renderHeader(current) {
  const header = byId("site-header");
  if (!header) return;
  const session = currentSession();
  const links = [
    ["catalogue", "/", "Auctions"],
    ["bailiff", "/app/bailiff", "Bailiff console"],
    ["auditor", "/app/auditor", "Auditor"],
  ];
  const nav = h(
    "nav",
    { "aria-label": "Main" },
    h(
      "ul",
      {},
      links.map(([key, href, label]) =>
        h("li", {}, h("a", { href, "aria-current": key === current ? "page" : null, text: label })),
      ),
    ),
  );
  const who = h("div", { class: "who" });
  if (session) {
    // Judged by the server's clock: a browser whose clock is wrong must not call a good token expired.
    const expiredBadge = h("span", { class: "badge warn", id: "token-expired", text: "token expired", hidden: true });
    const showExpiry = (now) => {
      expiredBadge.hidden = !isExpired(session.claims, now);
    };
    if (serverOffsetMs() !== null) showExpiry(Date.now() + serverOffsetMs());
    serverNow().then((now) => {
      showExpiry(now);
      expiredBadge.dataset.checkedAgainst = "server";
    });
    who.append(
      ...[
      h("span", { class: "who-name" }, "Signed in as ", h("strong", { id: "who-subject", text: session.subject }), " ", h("span", { class: `badge role-${session.role}`, id: "who-role", text: session.role })),
      expiredBadge,
      h("button", {
        type: "button",
        class: "link-button",
        id: "sign-out",
        text: "Sign out",
        onclick: () => {
          signOut();
          location.reload();
        },
      }),
      ].filter(Boolean),
    );
  } else {
    const next = encodeURIComponent(location.pathname + location.search);
    who.append(h("a", { href: `/app/sign-in?next=${next}`, id: "sign-in-link", "aria-current": current === "sign-in" ? "page" : null, text: "Sign in" }));
  }
  header.replaceChildren(
    h("a", { class: "skip-link", href: "#main", text: "Skip to content" }),
    h("div", { class: "bar" }, h("a", { class: "brand", href: "/", text: "Judicial e-auctions" }), nav, who),
  );
}

/** The last path segment after a prefix: "/app/auction/abc" -> "abc". */
export function idFromPath(prefix) {
  const rest = location.pathname.startsWith(prefix) ? location.pathname.slice(prefix.length) : "";
  const id = decodeURIComponent(rest.replace(/^\/+|\/+$/g, ""));
  return id || null;
}

export function setTitle(text) {
  document.title = `${text} · Judicial e-auctions`;
}

/** A table inside a scrollable, keyboard-reachable region (wide tables on a phone). */
export function table(caption, headings, rows, { id = null } = {}) {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      { id },
      h("caption", { text: caption }),
      h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col", text })))),
      h("tbody", {}, rows.length ? rows : h("tr", { class: "empty" }, h("td", { colspan: headings.length, text: "None." }))),
    ),
  );
}

/** Offer a string as a file download. */
export function download(fileName, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
