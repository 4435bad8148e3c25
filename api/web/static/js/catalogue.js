// The public catalogue: every auction with its country, status, price and time left; searched by words,
// kind, municipality and sort (GET /auctions as a search, docs/catalogue.md), a page at a time.

import { describeError, getJson, lastResponse } from "./api.js";
import { t, tn } from "./i18n.js";
import { byId, h, renderHeader, say, setText } from "./layout.js";
import { inLanguage, lotLanguage, placeText } from "./lot.js";
import { formatMoney } from "./money.js";
import { currentSession } from "./session.js";
import { COUNTRY_NAMES, ServerClock, durationInWords, formatDuration, formatLocal, zoneOf } from "./time.js";

const REFRESH_MS = 15000;
const STATUS_TEXT = { scheduled: t("Scheduled"), open: t("Open for bids"), closed: t("Bidding ended"), failed: t("No valid bid") };
const clock = new ServerClock({ onJump: () => load() });
let auctions = [];
let refreshTimer = null;
let loading = 0; // only the newest request may fill the list
let following = null; // the search's next page, if any
const SEARCHED = ["q", "kind", "municipality", "sort"]; // any of these makes the listing a search
const PAGE = 20;

function filters() {
  return {
    country: byId("filter-country").value,
    status: byId("filter-status").value,
    q: byId("filter-q").value.trim(),
    kind: byId("filter-kind").value,
    municipality: byId("filter-municipality").value.trim(),
    sort: byId("filter-sort").value,
  };
}

function isSearch(chosen) {
  return SEARCHED.some((name) => chosen[name]);
}

/** The page's own address: what was chosen, nothing else. */
function query(chosen) {
  const params = new URLSearchParams();
  for (const name of ["q", "country", "status", "kind", "municipality", "sort"]) {
    if (chosen[name]) params.set(name, chosen[name]);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** What GET /auctions is asked: the listing as it was, or a search of one page ("any status" showing ended lots too). */
function request(chosen) {
  if (!isSearch(chosen)) return `/auctions${query(chosen)}`;
  const params = new URLSearchParams(query(chosen));
  params.set("limit", String(PAGE));
  if (!chosen.status) params.set("include_ended", "true");
  return `/auctions?${params}`;
}

/** The first words of a description, cut at a word under 160 characters. */
function excerpt(text) {
  if (text.length <= 160) return text;
  const cut = text.slice(0, 160);
  return `${cut.slice(0, cut.lastIndexOf(" ") > 80 ? cut.lastIndexOf(" ") : 160)}…`;
}

function card(auction) {
  const session = currentSession();
  const country = `${COUNTRY_NAMES[auction.country] || auction.country} (${auction.country})`;
  const price = auction.price
    ? formatMoney(auction.price, auction.currency)
    : t("starting at {amount}", { amount: formatMoney(auction.starting_price, auction.currency) });
  const closes = auction.status === "scheduled" ? auction.opens_at : auction.closes_at;
  const links = [h("a", { href: `/app/auction/${encodeURIComponent(auction.id)}`, class: "button-link", text: auction.status === "open" ? t("Bid") : t("View") })];
  if (session && (session.role === "auditor" || session.role === "bailiff")) {
    links.push(h("a", { href: `/app/auditor/${encodeURIComponent(auction.id)}`, class: "button-link secondary", text: t("Audit") }));
  }
  if (session && session.role === "bailiff") {
    links.push(h("a", { href: `/app/bailiff/${encodeURIComponent(auction.id)}`, class: "button-link secondary", text: t("Manage") }));
  }
  return h(
    "li",
    { class: "card", dataset: { id: auction.id, country: auction.country, status: auction.status } },
    h(
      "article",
      { "aria-labelledby": `title-${auction.id}` },
      h("h2", { id: `title-${auction.id}`, lang: lotLanguage(auction) }, h("a", { href: `/app/auction/${encodeURIComponent(auction.id)}`, text: auction.title })),
      auction.description ? inLanguage("p", auction, excerpt(auction.description), { class: "lot-description" }) : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", { text: t("Country") }),
        h("dd", { class: "country", text: country }),
        placeText(auction.location) ? [h("dt", { text: t("Location") }), h("dd", { class: "location", lang: lotLanguage(auction), text: placeText(auction.location) })] : null,
        auction.case_reference ? [h("dt", { text: t("Case") }), h("dd", { class: "case", text: auction.case_reference })] : null,
        h("dt", { text: t("Status") }),
        h("dd", {}, h("span", { class: `badge status-${auction.status}`, text: auction.ended ? t("Result declared") : STATUS_TEXT[auction.status] || auction.status })),
        h("dt", { text: t("Current price") }),
        h("dd", { class: "price", text: price }),
        h("dt", { text: auction.status === "scheduled" ? t("Opens in") : t("Time left") }),
        // A timer (never announced by itself) may carry its text in words for a screen reader.
        h("dd", {}, h("span", { class: "time-left", role: "timer", dataset: { until: closes, status: auction.status } }, "…")),
        h("dt", { text: auction.status === "scheduled" ? t("Opens") : auction.status === "open" ? t("Closes") : t("Ended") }),
        h("dd", {}, h("time", { datetime: closes, text: formatLocal(closes, auction.country) }), h("span", { class: "zone", text: ` ${zoneOf(auction.country)}` })),
      ),
      h("p", { class: "actions" }, links),
    ),
  );
}

function tick() {
  const now = clock.now();
  for (const element of document.querySelectorAll(".time-left")) {
    const status = element.dataset.status;
    if (status !== "open" && status !== "scheduled") {
      setText(element, t("Ended"));
      continue;
    }
    const remaining = Date.parse(element.dataset.until) - now;
    const text = remaining > 0 ? formatDuration(remaining) : status === "open" ? t("Closing…") : t("Opening…");
    if (element.textContent !== text) {
      element.textContent = text;
      element.setAttribute("aria-label", remaining > 0 ? durationInWords(remaining) : text);
    }
  }
}

async function load() {
  const chosen = filters();
  const list = byId("auctions");
  const mine = ++loading;
  list.setAttribute("aria-busy", "true");
  try {
    const body = await getJson(request(chosen));
    if (mine !== loading) return;
    clock.offset = null;
    clock.sampleDateHeader(lastResponse.dateHeaderMs, lastResponse.receivedMs);
    auctions = body.auctions;
    following = body.next || null;
    total = body.total ?? auctions.length;
    byId("load-error").hidden = true;
  } catch (error) {
    if (mine === loading) say(byId("load-error"), describeError(error), "error");
    return;
  } finally {
    if (mine === loading) list.removeAttribute("aria-busy");
  }
  list.replaceChildren(...auctions.map(card));
  summarise(chosen);
  tick();
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(load, REFRESH_MS);
}

let total = 0;

function summarise(chosen) {
  const what = [chosen.q && `“${chosen.q}”`, chosen.country && COUNTRY_NAMES[chosen.country], chosen.status && STATUS_TEXT[chosen.status], chosen.municipality]
    .filter(Boolean)
    .join(", ");
  const count = tn("{count} auction", "{count} auctions", total);
  setText(byId("summary"), what ? t("{count} ({filters}).", { count, filters: what }) : `${count}.`);
  byId("more").hidden = !following;
}

/** The search's next page, added under the lots shown; the list is then left as read (no refresh). */
async function more() {
  if (!following) return;
  const mine = ++loading;
  clearTimeout(refreshTimer);
  try {
    const body = await getJson(following);
    if (mine !== loading) return;
    following = body.next || null;
    auctions = auctions.concat(body.auctions);
    byId("auctions").append(...body.auctions.map(card));
    byId("more").hidden = !following;
    tick();
  } catch (error) {
    if (mine === loading) say(byId("load-error"), describeError(error), "error");
  }
}

function applyFilters(event) {
  if (event) event.preventDefault();
  history.replaceState(null, "", `${location.pathname}${query(filters())}`);
  load();
}

function main() {
  renderHeader("catalogue");
  const params = new URLSearchParams(location.search);
  byId("filter-country").value = (params.get("country") || "").toUpperCase();
  byId("filter-status").value = params.get("status") || "";
  byId("filter-q").value = params.get("q") || "";
  byId("filter-kind").value = params.get("kind") || "";
  byId("filter-municipality").value = params.get("municipality") || "";
  byId("filter-sort").value = params.get("sort") || "";
  byId("filters").addEventListener("submit", applyFilters);
  for (const name of ["country", "status", "kind", "sort"]) byId(`filter-${name}`).addEventListener("change", () => applyFilters());
  byId("more").addEventListener("click", more);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") load();
  });
  setInterval(tick, 500);
  load();
}

main();
