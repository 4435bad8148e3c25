// Hints for the bailiff while scheduling: each country's defaults and requirements from
// the rule book (docs/rules.md). They only guide; the server's rules decide and
// name the rule when they refuse.

import { formatCents, percentOf } from "./money.js";
import { formatLocal, fromLocalInput, localParts, zoneOf } from "./time.js";

const DAY_MS = 86400000;

/** The least starting price the country allows, or null where there is none, with the rule's code. */
export function minimumStartingPrice(country, asset, valueCents, round) {
  if (valueCents === null) return null;
  const immovableLike = asset === "immovable" || asset === "registered_movable";
  switch (country) {
    case "BG": {
      const first = percentOf(valueCents, immovableLike ? 80 : 85);
      if (round >= 2) return { cents: percentOf(first, 90), rule: "BG-second-sale-price", text: `90% of round 1's ${formatCents(first)}` };
      return { cents: first, rule: "BG-starting-price", text: `${immovableLike ? 80 : 85}% of the value` };
    }
    case "HR": {
      const movable = asset === "movable" || asset === "registered_movable";
      const percent = movable ? 50 : round >= 2 ? 60 : 80;
      return { cents: percentOf(valueCents, percent), rule: "HR-starting-price", text: `${percent}% of the value` };
    }
    case "LT":
      return { cents: percentOf(valueCents, 80), rule: "LT-starting-price", text: "80% of the value" };
    case "SI": {
      const percent = round >= 2 ? 50 : 70;
      return { cents: percentOf(valueCents, percent), rule: "SI-starting-price", text: `${percent}% of the value` };
    }
    case "CZ": {
      const cents = percentOf(valueCents, immovableLike ? 2 : 1, 3);
      return { cents, rule: "CZ-starting-price", text: immovableLike ? "two thirds of the value" : "one third of the value" };
    }
    case "PT":
      return { cents: percentOf(valueCents, 85), rule: "PT-starting-price", text: "85% of the value" };
    default:
      return null;
  }
}

function depositHint(country, valueCents, startCents, currency) {
  switch (country) {
    case "BG":
    case "LT":
      return startCents === null
        ? { text: "Deposit to be admitted: 10% of the starting price.", rule: `${country}-deposit` }
        : { text: `Deposit to be admitted: 10% of the starting price = ${formatCents(percentOf(startCents, 10), currency)}.`, rule: `${country}-deposit` };
    case "HR":
      return valueCents === null
        ? { text: "Deposit to be admitted: 10% of the value.", rule: "HR-deposit" }
        : { text: `Deposit to be admitted: 10% of the value = ${formatCents(percentOf(valueCents, 10), currency)}.`, rule: "HR-deposit" };
    case "SI":
      return {
        text:
          (valueCents === null ? "Deposit to be admitted: 10% of the value" : `Deposit to be admitted: 10% of the value = ${formatCents(percentOf(valueCents, 10), currency)}`) +
          ", credited by the end of the 3rd working day before the opening day.",
        rule: "SI-deposit",
      };
    case "SE":
      return { text: "No deposit is required to bid.", rule: "SE-deposit" };
    case "EE":
      return { text: "Deposit: optional; the bailiff may set one of at most 10% of the starting price. It counts only before bidding opens, and registration closes then.", rule: "EE-deposit" };
    case "LV":
      return startCents === null
        ? { text: "Deposit to be admitted: 10% of the starting price, before bidding opens.", rule: "LV-deposit" }
        : { text: `Deposit to be admitted: 10% of the starting price = ${formatCents(percentOf(startCents, 10), currency)}, before bidding opens.`, rule: "LV-deposit" };
    case "CZ":
      return { text: "Deposit: required, set by you (above zero); it counts only before bidding opens, and registration closes then.", rule: "CZ-deposit" };
    case "PT":
      return { text: "No deposit is required to bid.", rule: "PT-deposit" };
    case "GR":
      return { text: "Bid security: required, set by you (above zero); registration closes when bidding opens.", rule: "GR-deposit" };
    default:
      return null;
  }
}

const INCREMENT = {
  BG: { text: "Increment: required. Every bid is exactly one step: the first equals the starting price, then best bid + increment.", rule: "BG-increment" },
  HR: { text: "Increment: free. Any amount above the best bid; the first at least the starting price.", rule: "HR-increment" },
  LT: { text: "Increment: free for manual bids; automatic (proxy) bids step by their own step.", rule: "LT-increment" },
  SI: { text: "Increment: optional. With one, the first bid is at least starting price + increment and each bid at least best + increment.", rule: "SI-increment" },
  SE: { text: "Increment: free. Any amount above the best bid.", rule: "SE-increment" },
  EE: { text: "Increment: required. The first bid reaches the starting price, then each bid at least best bid + increment.", rule: "EE-increment" },
  LV: { text: "Increment: required, 1% to 10% of the starting price. The first bid reaches the starting price, then each bid at least best bid + increment.", rule: "LV-increment" },
  CZ: { text: "Increment: required. The first bid reaches the starting price, then each bid at least best bid + increment.", rule: "CZ-increment" },
  PT: { text: "Increment: optional. With one, each bid after the first is at least best bid + increment.", rule: "PT-increment" },
  GR: { text: "Increment: optional. With one, each bid after the first is at least best bid + increment.", rule: "GR-increment" },
};

// Which notice terms each country's rules use; any other one is refused (term_not_used).
const NOTICE_TERMS = {
  BG: ["increment"],
  HR: [],
  LT: [],
  SI: ["increment"],
  SE: [],
  EE: ["increment", "deposit", "extension_minutes"],
  LV: ["increment", "extension_minutes"],
  CZ: ["increment", "deposit"],
  PT: ["increment", "extension_minutes", "zone"],
  GR: ["increment", "deposit", "extension_minutes"],
};
const TERM_NAMES = { increment: "increment", deposit: "deposit", extension_minutes: "extension interval", zone: "time zone" };

// Countries whose rules do not use an increment: one given is refused, not ignored.
const FREE_STEPS = new Set(["HR", "LT", "SE"]);

const EXTENSION = {
  BG: { text: "Soft close: a bid in the last 10 minutes moves the deadline to 10 minutes after the bid, at most 48 hours past the scheduled close.", rule: "BG-extension" },
  HR: { text: "Soft close: a bid in the last 10 minutes moves the deadline to 10 minutes after the bid.", rule: "HR-extension" },
  LT: { text: "Overtime: with at least one bid, the deadline becomes the scheduled close + 5 min; then every bid moves it to 5 minutes after the bid. Automatic bidding is allowed.", rule: "LT-extension" },
  SI: { text: "Soft close: a bid with 2 minutes or less left adds 2 minutes to the deadline.", rule: "SI-extension" },
  SE: { text: "Soft close: a bid with less than 2 minutes left adds 2 minutes to the deadline.", rule: "SE-extension" },
  EE: { text: "Soft close: you set the interval (1 to 60 minutes, required); a bid with the interval or less left adds it to the deadline.", rule: "EE-extension" },
  LV: { text: "Soft close: only if you set an interval (1 to 60 minutes); a bid with the interval or less left adds it to the deadline.", rule: "LV-extension" },
  CZ: { text: "Soft close: a bid with less than 5 minutes left moves the deadline to 5 minutes after the bid.", rule: "CZ-extension" },
  PT: { text: "Soft close: only if you set an interval (1 to 60 minutes); a bid with the interval or less left adds it to the deadline.", rule: "PT-extension" },
  GR: { text: "Soft close: only if you set an interval (1 to 60 minutes); a bid with the interval or less left adds it to the deadline.", rule: "GR-extension" },
};

function closeHints(country, asset, valueCents, opens, closes) {
  const hints = [];
  const at = (ms) => formatLocal(new Date(ms).toISOString(), country, { withZoneName: true });
  if (closes && closes.error) hints.push({ text: `Closes at: ${closes.error}`, level: "warn" });
  if (opens && opens.error && opens.error !== "Enter a date and time.") hints.push({ text: `Opens at: ${opens.error}`, level: "warn" });
  const given = closes && !closes.error ? closes : null;
  const start = opens && !opens.error ? opens : null;
  switch (country) {
    case "BG": {
      if (given) {
        const p = localParts(given.ms, country);
        if (p.hour !== 17 || p.minute !== 0 || p.second !== 0) hints.push({ text: "The close must be at 17:00 on the Sofia clock.", level: "warn", rule: "BG-close-time" });
      } else if (start) {
        const p = localParts(start.ms, country);
        const day = new Date(Date.UTC(p.year, p.month - 1, p.day) + 6 * DAY_MS);
        const wall = `${day.toISOString().slice(0, 10)}T17:00`;
        const derived = fromLocalInput(wall, country);
        if (!derived.error) hints.push({ text: `Left empty, the close is the opening day + 6 days at 17:00: ${at(derived.ms)}.`, rule: "BG-duration" });
      } else {
        hints.push({ text: "Left empty, the close is the opening day + 6 days at 17:00 local time.", rule: "BG-duration" });
      }
      break;
    }
    case "HR": {
      if (given) {
        const p = localParts(given.ms, country);
        const minutes = p.hour * 60 + p.minute + p.second / 60;
        const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
        if (minutes < 9 * 60 || minutes > 15 * 60) hints.push({ text: "The close must be between 09:00 and 15:00 on the Zagreb clock.", level: "warn", rule: "HR-close-window" });
        if (weekday === 0 || weekday === 6) hints.push({ text: "The close must fall on a working day (not a weekend or public holiday).", level: "warn", rule: "HR-close-window" });
      } else {
        hints.push({ text: "Left empty, the close is the 10th working day (the opening day counts when it is a working day) at the opening time of day.", rule: "HR-duration" });
      }
      break;
    }
    case "LT": {
      const long = asset === "immovable" || asset === "registered_movable" || (valueCents !== null && valueCents > 3000000n);
      const days = long ? 30 : 20;
      if (!given && start) {
        const p = localParts(start.ms, country);
        const day = new Date(Date.UTC(p.year, p.month - 1, p.day) + days * DAY_MS);
        const two = (n) => String(n).padStart(2, "0");
        const derived = fromLocalInput(`${day.toISOString().slice(0, 10)}T${two(p.hour)}:${two(p.minute)}`, country);
        if (!derived.error) hints.push({ text: `Left empty, the close is ${days} days after opening at the same local time: ${at(derived.ms)}.`, rule: "LT-duration" });
      } else if (!given) {
        hints.push({ text: `Left empty, the close is ${days} days after opening at the same local time.`, rule: "LT-duration" });
      }
      break;
    }
    case "GR": {
      if (start) {
        const p = localParts(start.ms, country);
        const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
        if (weekday < 3 || weekday > 5) hints.push({ text: "Greek auctions open on a Wednesday, Thursday or Friday that is a working day.", level: "warn", rule: "GR-auction-day" });
      } else {
        hints.push({ text: "The opening must be on a Wednesday, Thursday or Friday that is a working day.", rule: "GR-auction-day" });
      }
      if (!given) hints.push({ text: "The close must be given.", level: "warn", rule: "GR-duration" });
      break;
    }
    case "SI":
    case "SE":
    case "EE":
    case "LV":
    case "CZ":
    case "PT":
      if (!given) hints.push({ text: "The close must be given.", level: "warn", rule: `${country}-duration` });
      break;
    default:
      break;
  }
  if (given && start && given.ms <= start.ms) hints.push({ text: "The close must be after the opening.", level: "warn" });
  return hints;
}

function termHints(country, draft) {
  const used = NOTICE_TERMS[country] || [];
  const given = { increment: draft.increment, deposit: draft.deposit, extension_minutes: draft.extensionMinutes, zone: draft.zone };
  const hints = [];
  for (const [term, value] of Object.entries(given)) {
    if (term === "increment" && FREE_STEPS.has(country)) continue; // said above
    if (value !== null && value !== undefined && value !== "" && !used.includes(term)) {
      hints.push({ text: `Leave the ${TERM_NAMES[term]} empty: the ${country} rules do not use one, so the server refuses it (term_not_used).`, level: "warn" });
    }
  }
  const minutes = draft.extensionMinutes;
  if (used.includes("extension_minutes") && minutes !== null && minutes !== undefined && (minutes < 1 || minutes > 60)) {
    hints.push({ text: "The extension interval is 1 to 60 minutes.", level: "warn", rule: `${country}-extension` });
  }
  if (country === "EE" && (minutes === null || minutes === undefined)) hints.push({ text: "Estonia needs the extension interval.", level: "warn", rule: "EE-extension" });
  if ((country === "CZ" || country === "GR") && (draft.deposit === null || draft.deposit === undefined)) {
    hints.push({ text: "Set the deposit the bidders must lodge.", level: "warn", rule: `${country}-deposit` });
  }
  if (country === "PT") hints.push({ text: "Time zone: Europe/Lisbon unless the auction names Atlantic/Azores or Atlantic/Madeira.", rule: "PT-zone" });
  return hints;
}

/**
 * Hints for a draft: {country, asset, value, starting, increment, deposit (cents or null), extensionMinutes, zone, round,
 * opensAt, closesAt (datetime-local text)} -> [{text, level: "info"|"warn", rule}].
 */
export function scheduleHints(draft) {
  const { country, asset, round = 1 } = draft;
  const currency = draft.currency || "";
  const hints = [];
  if (!zoneOf(country) || zoneOf(country) === "UTC") return [{ text: "Choose a country to see its rules.", level: "info" }];
  hints.push({ text: `Times are read on the ${zoneOf(draft.zone || country)} clock.` });
  const minimum = minimumStartingPrice(country, asset, draft.value, round);
  if (minimum) {
    hints.push({ text: `Starting price: at least ${minimum.text} = ${formatCents(minimum.cents, currency)}; left empty, it is exactly that.`, rule: minimum.rule });
    if (draft.starting !== null && draft.starting < minimum.cents) {
      hints.push({ text: `The starting price ${formatCents(draft.starting, currency)} is below the legal minimum ${formatCents(minimum.cents, currency)}.`, level: "warn", rule: minimum.rule });
    }
  } else if (country === "SE") {
    hints.push({ text: "Starting price: none required; without one any positive first bid is accepted.", rule: "SE-starting-price" });
  } else if (country === "EE" || (country === "GR" && asset !== "immovable")) {
    hints.push({ text: "Starting price: required; the law derives none.", level: draft.starting === null ? "warn" : "info", rule: `${country}-starting-price` });
  } else if (country === "LV" || country === "GR") {
    hints.push({ text: "Starting price: the value itself; leave it empty or give exactly the value.", rule: `${country}-starting-price` });
  } else if (draft.value === null) {
    hints.push({ text: "Enter the value to see the least starting price." });
  }
  const start = draft.starting ?? (minimum ? minimum.cents : country === "LV" ? draft.value : null);
  const deposit = depositHint(country, draft.value, start, currency);
  if (deposit) hints.push(deposit);
  hints.push(INCREMENT[country]);
  if (country === "BG" && draft.increment === null) hints.push({ text: "Bulgaria needs an increment.", level: "warn", rule: "BG-increment" });
  if (FREE_STEPS.has(country) && draft.increment !== null && draft.increment !== undefined) {
    hints.push({ text: "Leave the increment empty: steps are free here, so the server refuses one (term_not_used).", level: "warn", rule: `${country}-increment` });
  }
  const clock = draft.zone || country;
  const opens = draft.opensAt ? fromLocalInput(draft.opensAt, clock) : null;
  const closes = draft.closesAt ? fromLocalInput(draft.closesAt, clock) : null;
  hints.push(...closeHints(country, asset, draft.value, opens, closes));
  hints.push(EXTENSION[country]);
  hints.push(...termHints(country, draft));
  return hints.map((hint) => ({ level: "info", rule: null, ...hint }));
}

export const DEFAULT_CURRENCY = { BG: "EUR", HR: "EUR", LT: "EUR", SI: "EUR", SE: "SEK", EE: "EUR", LV: "EUR", CZ: "CZK", PT: "EUR", GR: "EUR" };
