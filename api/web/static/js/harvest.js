// The cross-border catalogue (auction serve --harvest): lots harvested from several engines, searched
// here and bid for on their own engine (each card links to the lot's page there). In the reader's
// language as the engine's pages are (js/i18n.js; the server writes the catalogue into the page):
// each price in its lot's currency and each date in its country's zone, as that language writes
// them; each lot's title and description marked with its country's language.

import { describeError, getJson } from "./api.js";
import { formatNumber, languageSwitcher, t, tn, translateStatic } from "./i18n.js";
import { byId, h, say } from "./layout.js";
import { inLanguage, lotLanguage } from "./lot.js";
import { formatMoney, fromCents, parseAmount } from "./money.js";
import { COUNTRY_NAMES, formatLocal, zoneOf } from "./time.js";

const STATUS_TEXT = { scheduled: t("Scheduled"), open: t("Open for bids"), suspended: t("Suspended"), closed: t("Bidding ended"), failed: t("No valid bid"), cancelled: t("Cancelled") };
const ASSET_TEXT = { immovable: t("Real estate"), movable: t("Movable property"), registered_movable: t("Registered movable"), rights: t("Rights and shares") };
const FIELDS = { country: "filter-country", asset: "filter-asset", status: "filter-status", location: "filter-location", q: "filter-q", currency: "filter-currency", min_price: "filter-min-price", max_price: "filter-max-price" };
const DATES = { closes_from: ["filter-closes-from", "start"], closes_until: ["filter-closes-until", "end"] };
let loading = 0; // only the newest request may fill the list

/** A local calendar day ("2027-03-10") -> the instant it starts or ends, in UTC (what the API compares). */
function dayBound(day, which) {
  if (!day) return "";
  const local = new Date(`${day}T${which === "start" ? "00:00:00" : "23:59:59.999"}`);
  return Number.isNaN(local.getTime()) ? "" : local.toISOString();
}

/** An instant -> the local calendar day a date field shows. */
function dayOf(instant) {
  const ms = Date.parse(instant || "");
  if (Number.isNaN(ms)) return "";
  const date = new Date(ms);
  const two = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

function query() {
  const params = new URLSearchParams();
  for (const [name, id] of Object.entries(FIELDS)) {
    const value = byId(id).value.trim();
    if (!value) continue;
    const cents = name.endsWith("_price") ? parseAmount(value) : null;
    params.set(name, cents === null ? value : fromCents(cents));
  }
  for (const [name, [id, which]] of Object.entries(DATES)) {
    const bound = dayBound(byId(id).value, which);
    if (bound) params.set(name, bound);
  }
  return params;
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The first words of a description, cut at a word under 160 characters. */
function excerpt(text) {
  if (text.length <= 160) return text;
  const cut = text.slice(0, 160);
  return `${cut.slice(0, cut.lastIndexOf(" ") > 80 ? cut.lastIndexOf(" ") : 160)}…`;
}

function place(location) {
  if (!location) return "";
  return [location.address, location.municipality, location.region].filter(Boolean).join(", ");
}

function card(lot) {
  const key = `${hostOf(lot.source)}-${lot.auction}`.replace(/[^A-Za-z0-9_-]/g, "-");
  const country = `${COUNTRY_NAMES[lot.country] || lot.country} (${lot.country})`;
  const price = lot.price
    ? formatMoney(lot.price, lot.currency)
    : t("starting at {amount}", { amount: formatMoney(lot.starting_price, lot.currency) });
  const deadline = lot.status === "scheduled" ? lot.opens_at : lot.closes_at;
  const where = place(lot.location);
  return h(
    "li",
    { class: "card", dataset: { source: lot.source, auction: lot.auction, country: lot.country, status: lot.status } },
    h(
      "article",
      { "aria-labelledby": `title-${key}` },
      h("h2", { id: `title-${key}`, lang: lotLanguage(lot) }, h("a", { href: lot.url, rel: "external noopener", text: lot.title })),
      lot.description ? inLanguage("p", lot, excerpt(lot.description), { class: "lot-description" }) : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", { text: t("Country") }),
        h("dd", { class: "country", text: country }),
        h("dt", { text: t("Kind") }),
        h("dd", { class: "asset", text: ASSET_TEXT[lot.asset] || lot.asset }),
        where ? [h("dt", { text: t("Location") }), h("dd", { class: "place", lang: lotLanguage(lot), text: where })] : null,
        h("dt", { text: t("Status") }),
        h("dd", {}, h("span", { class: `badge status-${lot.status}`, text: lot.ended ? t("Result declared") : STATUS_TEXT[lot.status] || lot.status })),
        h("dt", { text: t("Price") }),
        h("dd", { class: "price", dataset: { currency: lot.currency }, text: price }),
        deadline
          ? [
              h("dt", { text: lot.status === "scheduled" ? t("Opens") : lot.status === "open" ? t("Closes") : t("Ended") }),
              h("dd", {}, h("time", { datetime: deadline, text: formatLocal(deadline, lot.country) }), h("span", { class: "zone", text: ` ${zoneOf(lot.country)}` })),
            ]
          : null,
        h("dt", { text: t("Engine") }),
        h("dd", { class: "source", text: hostOf(lot.source) }),
      ),
      h("p", { class: "actions" }, h("a", { href: lot.url, rel: "external noopener", class: "button-link", text: lot.status === "open" ? t("Bid on {engine}", { engine: hostOf(lot.source) }) : t("View on {engine}", { engine: hostOf(lot.source) }) })),
    ),
  );
}

async function load(next = null) {
  const list = byId("auctions");
  const more = byId("more");
  const mine = ++loading;
  list.setAttribute("aria-busy", "true");
  let body;
  try {
    body = await getJson(next || `/auctions?${query()}`, { auth: false });
    if (mine !== loading) return;
    byId("load-error").hidden = true;
  } catch (error) {
    if (mine === loading) say(byId("load-error"), describeError(error), "error");
    return;
  } finally {
    if (mine === loading) list.removeAttribute("aria-busy");
  }
  const cards = body.auctions.map(card);
  if (next) list.append(...cards);
  else list.replaceChildren(...cards);
  const shown = list.children.length;
  const found = tn("{count} lot found", "{count} lots found", body.total);
  byId("summary").textContent = shown < body.total ? t("{found}, {shown} shown.", { found, shown: formatNumber(shown) }) : `${found}.`;
  more.hidden = !body.next;
  more.dataset.next = body.next || "";
}

function search(event) {
  if (event) event.preventDefault();
  const params = query();
  const text = params.toString();
  history.replaceState(null, "", `${location.pathname}${text ? `?${text}` : ""}`);
  load();
}

/** The header: the brand and the language switcher (this server has no sign-in, so no menus of roles). */
function renderHeader() {
  byId("site-header").replaceChildren(
    h("a", { class: "skip-link", href: "#main", text: t("Skip to content") }),
    h("div", { class: "bar" }, h("a", { class: "brand", href: "/", text: t("Judicial e-auctions across borders") }), languageSwitcher()),
  );
  translateStatic();
  for (const option of byId("filter-country").options) {
    if (option.value) option.textContent = `${COUNTRY_NAMES[option.value] || option.value} (${option.value})`;
  }
}

function main() {
  renderHeader();
  const params = new URLSearchParams(location.search);
  for (const [name, id] of Object.entries(FIELDS)) byId(id).value = params.get(name) || "";
  byId("filter-country").value = (params.get("country") || "").toUpperCase();
  for (const [name, [id]] of Object.entries(DATES)) byId(id).value = dayOf(params.get(name));
  byId("filters").addEventListener("submit", search);
  for (const id of ["filter-country", "filter-asset", "filter-status", "filter-currency"]) byId(id).addEventListener("change", () => search());
  byId("more").addEventListener("click", () => load(byId("more").dataset.next));
  load();
}

main();
