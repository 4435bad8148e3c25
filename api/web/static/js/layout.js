// What every page shares: the header with navigation and the signed-in user, and small DOM helpers.

import { serverNow, serverOffsetMs } from "./api.js";
import { LANGUAGE, languageSwitcher, t, translateStatic } from "./i18n.js";
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

function textOf(parts) {
  return parts.map((part) => (part instanceof Node ? part.textContent : String(part ?? ""))).join("");
}

/**
 * Put a message in a status element (role=status/alert regions announce it). kind: info, ok, error, warn.
 * The same words already shown are left alone: a live region re-filled with unchanged text is announced again.
 */
export function say(element, text, kind = "info") {
  const parts = (Array.isArray(text) ? text : [text]).filter((part) => part !== null && part !== undefined && part !== false);
  element.dataset.kind = kind;
  if (!element.hidden && element.textContent === textOf(parts)) return;
  element.replaceChildren(...parts);
  element.hidden = false;
}

/** Set an element's text only when it changes (inside a live region, every change is announced). */
export function setText(element, text) {
  if (element && element.textContent !== text) element.textContent = text;
}

/** The <header> links and the sign-in state, filled into #site-header. */
export function renderHeader(current) {
  const header = byId("site-header");
  if (!header) return;
  const session = currentSession();
  // Only what the signed-in role can use: the console for bailiffs, the auditor's view for auditors and bailiffs.
  const links = [
    ["catalogue", "/", t("Auctions"), null],
    ["bailiff", "/app/bailiff", t("Bailiff console"), ["bailiff"]],
    ["auditor", "/app/auditor", t("Auditor"), ["auditor", "bailiff"]],
  ].filter(([key, , , roles]) => !roles || key === current || (session && roles.includes(session.role)));
  const nav = h(
    "nav",
    { "aria-label": t("Main") },
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
    const expiredBadge = h("span", { class: "badge warn", id: "token-expired", text: t("token expired"), hidden: true });
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
      h("span", { class: "who-name" }, t("Signed in as"), " ", h("strong", { id: "who-subject", text: session.subject }), " ", h("span", { class: `badge role-${session.role}`, id: "who-role", text: roleName(session.role) })),
      expiredBadge,
      h("button", {
        type: "button",
        class: "link-button",
        id: "sign-out",
        text: t("Sign out"),
        onclick: () => {
          signOut();
          location.reload();
        },
      }),
      ].filter(Boolean),
    );
  } else {
    const next = encodeURIComponent(location.pathname + location.search);
    who.append(h("a", { href: `/app/sign-in?next=${next}`, id: "sign-in-link", "aria-current": current === "sign-in" ? "page" : null, text: t("Sign in") }));
  }
  header.replaceChildren(
    h("a", { class: "skip-link", href: "#main", text: t("Skip to content") }),
    h("div", { class: "bar" }, h("a", { class: "brand", href: "/", text: t("Judicial e-auctions") }), nav, who, languageSwitcher()),
  );
  translateStatic();
  renderFooter(current);
  // A page whose own text is not translated yet keeps it marked as English for screen readers.
  const main = byId("main");
  if (main && document.body.dataset.translated === "partial" && LANGUAGE !== "en") main.setAttribute("lang", "en");
}

const ROLE_NAMES = () => ({ bidder: t("bidder"), bailiff: t("bailiff"), auditor: t("auditor") });

/** A role's name in the page's language. */
export function roleName(role) {
  return ROLE_NAMES()[role] || role;
}

/** The footer every page has: accessibility statement, privacy notice, terms, help and contact. */
export function renderFooter(current) {
  let footer = byId("site-footer");
  if (!footer) {
    footer = h("footer", { id: "site-footer", class: "site-footer" });
    document.body.append(footer);
  }
  const links = [
    ["accessibility", "/app/accessibility", t("Accessibility statement")],
    ["privacy", "/app/accessibility#privacy", t("Privacy notice")],
    ["terms", "/app/accessibility#terms", t("Terms of use")],
    ["help", "/app/accessibility#help", t("Help")],
    ["contact", "/app/accessibility#contact", t("Contact")],
  ];
  footer.replaceChildren(
    h(
      "nav",
      { "aria-label": t("Site information") },
      h("ul", {}, links.map(([key, href, label]) => h("li", {}, h("a", { href, "aria-current": key === current ? "page" : null, text: label })))),
    ),
  );
}

/** The last path segment after a prefix: "/app/auction/abc" -> "abc". */
export function idFromPath(prefix) {
  const rest = location.pathname.startsWith(prefix) ? location.pathname.slice(prefix.length) : "";
  const id = decodeURIComponent(rest.replace(/^\/+|\/+$/g, ""));
  return id || null;
}

export function setTitle(text) {
  document.title = `${text} · ` + t("Judicial e-auctions");
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
      h("tbody", {}, rows.length ? rows : h("tr", { class: "empty" }, h("td", { colspan: headings.length, text: t("None.") }))),
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
