// What is for sale: the lot's details (description, case, court, location, facts, viewings,
// conditions, contact) as the lot page and the catalogue show them. The title and description are
// in the notice's language and marked with it (lang), so that a screen reader reads them in the
// right voice; the labels stay in the page's language.

import { formatNumber, t } from "./i18n.js";
import { h } from "./layout.js";
import { formatLocal } from "./time.js";

// As the server names them (GET /auctions/{id} "language"), for a view that does not carry it.
const LANGUAGES = { BG: "bg", CZ: "cs", EE: "et", GR: "el", HR: "hr", LT: "lt", LV: "lv", PT: "pt", SE: "sv", SI: "sl" };

/** The BCP 47 language of the auction's notice, or null. */
export function lotLanguage(auction) {
  return auction.language || LANGUAGES[auction.country] || null;
}

/** An element holding text of the notice, marked with its language. */
export function inLanguage(tag, auction, text, attributes = {}) {
  return h(tag, { ...attributes, lang: lotLanguage(auction), text });
}

const KINDS = { real_estate: t("Real estate"), vehicle: t("Vehicle"), movable: t("Movable property"), other: t("Other") };
const FACTS = [
  ["cadastral_number", t("Cadastral number")],
  ["register_number", t("Register number")],
  ["area_m2", t("Area"), (v) => `${v} m²`],
  ["rooms", t("Rooms")],
  ["floor", t("Floor")],
  ["year_built", t("Year built")],
  ["vin", t("VIN")],
  ["mileage_km", t("Mileage"), (v) => `${formatNumber(Number(v))} km`],
  ["registration", t("Registration")],
];

/** "Storgatan 1, Kungälv, Västra Götaland" (the parts given). */
export function placeText(location) {
  if (!location) return "";
  return [location.address, location.municipality, location.region].filter(Boolean).join(", ");
}

function viewingNodes(auction) {
  const viewing = auction.viewing;
  if (typeof viewing === "string") return [inLanguage("p", auction, viewing)];
  if (!Array.isArray(viewing) || viewing.length === 0) return [];
  const items = viewing.map((slot) =>
    h(
      "li",
      {},
      h("time", { datetime: slot.starts_at, text: formatLocal(slot.starts_at, auction.country) }),
      " – ",
      h("time", { datetime: slot.ends_at, text: formatLocal(slot.ends_at, auction.country) }),
      slot.how_to_book ? [" · ", h("span", { lang: lotLanguage(auction), text: slot.how_to_book })] : null,
    ),
  );
  return [h("ul", { class: "viewings" }, items)];
}

function contactNodes(contact) {
  if (!contact) return [];
  const parts = [];
  if (contact.name) parts.push(h("span", { text: contact.name }));
  if (contact.phone) parts.push(h("a", { href: `tel:${contact.phone.replace(/[^+0-9]/g, "")}`, text: contact.phone }));
  if (contact.email) parts.push(h("a", { href: `mailto:${contact.email}`, text: contact.email }));
  if (contact.hours) parts.push(h("span", { text: contact.hours }));
  return parts.flatMap((part, index) => (index ? [" · ", part] : [part]));
}

/** The lot's details as a description paragraph and a definition list (rows only for what is given). */
export function lotDetails(auction) {
  const rows = [];
  const add = (term, ...value) => {
    if (value.length && value.some((part) => part !== null && part !== "")) rows.push(h("dt", { text: term }), h("dd", {}, value));
  };
  if (auction.case_reference) add(t("Case"), auction.case_reference);
  if (auction.court) add(t("Court or office"), inLanguage("span", auction, auction.court));
  const location = auction.location;
  if (location) {
    const place = placeText(location);
    const point = location.coordinates;
    const map = point
      ? h("a", { href: `https://www.openstreetmap.org/?mlat=${point.lat}&mlon=${point.lon}#map=17/${point.lat}/${point.lon}`, text: t("map"), "aria-label": place ? t("Map of {place}", { place }) : t("Map of the location") })
      : null;
    add(t("Location"), place ? h("span", { lang: lotLanguage(auction), text: place }) : null, map && place ? " · " : null, map);
  }
  const facts = auction.asset_details;
  if (facts) {
    add(t("Kind"), KINDS[facts.kind] || facts.kind);
    for (const [key, label, format] of FACTS) {
      if (facts[key] !== undefined && facts[key] !== null) add(label, format ? format(facts[key]) : String(facts[key]));
    }
  }
  const viewing = viewingNodes(auction);
  if (viewing.length) add(t("Viewing"), ...viewing);
  if (auction.conditions) add(t("Conditions the buyer takes over"), inLanguage("span", auction, auction.conditions));
  const contact = contactNodes(auction.contact);
  if (contact.length) add(t("Contact"), ...contact);
  const nodes = [];
  if (auction.description) nodes.push(inLanguage("p", auction, auction.description, { class: "lot-description", id: "lot-description" }));
  if (rows.length) nodes.push(h("dl", { class: "terms lot-facts", id: "lot-facts" }, rows));
  if (!nodes.length) nodes.push(h("p", { class: "hint", text: t("The notice gives no further details.") }));
  return nodes;
}
