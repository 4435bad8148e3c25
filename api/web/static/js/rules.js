// Hints for the bailiff while scheduling: each country's defaults and requirements from
// the rule book (docs/rules.md). They only guide; the server's rules decide and
// name the rule when they refuse.

import { formatCents, percentOf, toCents } from "./money.js";
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
  hints.push(...paymentHints(country, draft.paymentDays));
  return hints.map((hint) => ({ level: "info", rule: null, ...hint }));
}

/** The purchaser's payment period: a term of the notice (1 to 183 days) everywhere but Sweden, whose law fixes 48 hours. */
function paymentHints(country, days) {
  const given = days !== null && days !== undefined && days !== "";
  if (country === "SE") {
    const hints = [{ text: "Payment: the purchaser pays within 48 hours of the end of bidding, as the law fixes; no payment period is set.", rule: "SE-payment" }];
    if (given) hints.push({ text: "Leave the payment period empty: the SE rules do not use one, so the server refuses it (term_not_used).", level: "warn", rule: "SE-payment" });
    return hints;
  }
  if (!given) return [{ text: "Payment period: required, 1 to 183 days; the price is due by the end of the declaration's day + that many days.", level: "warn", rule: `${country}-payment` }];
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 183) return [{ text: "The payment period is a whole number of days from 1 to 183.", level: "warn", rule: `${country}-payment` }];
  const cap = country === "SI" ? ", and at the latest 6 months after bidding ends" : "";
  return [{ text: `Payment: the price is due by the end of the declaration's day + ${n} day${n === 1 ? "" : "s"} (local time)${cap}.`, rule: `${country}-payment` }];
}

// ------------------------------------------------------------------ after bidding

// Where a defaulted sale may be offered to the next-best bidder (docs/rules.md, After bidding).
export const NEXT_BEST = new Set(["LT", "SI"]);
// Where the bailiff may grant a payment grace period.
export const GRACE = new Set(["SE"]);

// The countries whose rules know a next round, with how soon it may open after this one ended.
// months: that many calendar months after the end instant; days: 00:00 local of the end's date
// (fromNextDay: the day after it) + that many days. defaultedEnd: what ends a defaulted round.
const NEXT_ROUND = {
  BG: { rule: "BG-next-round", months: 1, defaultedEnd: "declaration", requestDays: 7, previousPercent: 90, lastRound: 2, outcome: "the property leaves the estate" },
  HR: { rule: "HR-next-round", days: 60, fromNextDay: true, defaultedEnd: "default", lastRound: 2, outcome: "the enforcement is suspended" },
  SI: { rule: "SI-next-round", days: 30, defaultedEnd: "bidding", lastRound: 2, outcome: "the enforcement is terminated" },
};

export function knowsNextRound(country) {
  return Object.hasOwn(NEXT_ROUND, country);
}

function two(n) {
  return String(n).padStart(2, "0");
}

function localDate(year, month, day) {
  const d = new Date(Date.UTC(year, month - 1, day));
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
}

/** 00:00 on a local date ("YYYY-MM-DD") on the clock, as ms. */
function localMidnight(day, clock) {
  const reading = fromLocalInput(`${day}T00:00`, clock);
  return reading.error ? null : reading.ms;
}

/** ``months`` calendar months after an instant: the same wall time on the same day, or the month's last day. */
function monthsAfter(ms, clock, months) {
  const p = localParts(ms, clock);
  const index = p.month - 1 + months;
  const year = p.year + Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const day = Math.min(p.day, last);
  const reading = fromLocalInput(`${year}-${two(month)}-${two(day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}`, clock);
  return reading.error ? ms + months * 30 * DAY_MS : reading.ms;
}

/** When this round ended, for counting the next one's earliest opening; null while it has not. */
function roundEnded(auction, book) {
  if (auction.status === "failed") return auction.closed_at;
  if (auction.sale === "defaulted") {
    if (book.defaultedEnd === "declaration") return auction.ended_at;
    if (book.defaultedEnd === "default") return auction.payment_due; // the default happens at the payment deadline
    return auction.closed_at;
  }
  return null;
}

/**
 * What the rules say about the next round of a failed or defaulted auction (GET /auctions/{id}):
 * {known, allowed, earliestMs, floorCents, hints: [{text, level, rule}]}. The server decides.
 */
export function nextRoundTerms(auction) {
  const country = auction.country;
  const book = NEXT_ROUND[country];
  const clock = auction.zone || country;
  const currency = auction.currency || "";
  if (!book) {
    return { known: false, allowed: false, earliestMs: null, floorCents: null, hints: [{ text: `The ${country} rules know no next round: a new sale is a new auction, scheduled as round 1.`, level: "info", rule: `${country}-next-round` }] };
  }
  const hints = [];
  const round = Number(auction.round) || 1;
  if (round >= book.lastRound) {
    hints.push({ text: `Round ${round} is the last the ${country} rules allow; if it fails, ${book.outcome}.`, level: "warn", rule: book.rule });
    return { known: true, allowed: false, earliestMs: null, floorCents: null, hints };
  }
  const ended = roundEnded(auction, book);
  if (!ended) {
    hints.push({ text: "A next round follows only a failed auction or a sale whose purchaser defaulted.", level: "info", rule: book.rule });
    return { known: true, allowed: false, earliestMs: null, floorCents: null, hints };
  }
  const endMs = Date.parse(ended);
  const at = (ms) => formatLocal(new Date(ms).toISOString(), clock, { withZoneName: true });
  let earliestMs;
  if (book.months) {
    earliestMs = monthsAfter(endMs, clock, book.months);
    hints.push({ text: `Opens no earlier than ${book.months} month after this round ended: ${at(earliestMs)}.`, rule: book.rule });
  } else {
    const p = localParts(endMs, clock);
    const day = localDate(p.year, p.month, p.day + (book.fromNextDay ? 1 : 0) + book.days);
    earliestMs = localMidnight(day, clock);
    const from = book.fromNextDay ? "the day after this round ended" : "the day this round ended";
    hints.push({ text: `Opens no earlier than ${book.days} days after ${from}: ${earliestMs === null ? day : at(earliestMs)}.`, rule: book.rule });
  }
  if (book.requestDays) {
    const from = auction.sale === "defaulted" ? auction.payment_due : auction.closed_at;
    const p = localParts(Date.parse(from), clock);
    const by = localMidnight(localDate(p.year, p.month, p.day + book.requestDays + 1), clock);
    if (by !== null) hints.push({ text: `Ask for it within ${book.requestDays} days: before ${at(by)}.`, rule: book.rule });
  }
  let floorCents = null;
  const value = auction.value ? toCents(auction.value) : null;
  const minimum = minimumStartingPrice(country, auction.asset, value, round + 1);
  if (book.previousPercent && auction.starting_price) {
    floorCents = percentOf(toCents(auction.starting_price), book.previousPercent);
    hints.push({ text: `Starting price: at least ${book.previousPercent}% of this round's ${formatCents(toCents(auction.starting_price), currency)} = ${formatCents(floorCents, currency)}; left empty, it is exactly that.`, rule: book.rule });
    if (minimum && minimum.cents > floorCents) {
      floorCents = minimum.cents;
      hints.push({ text: `It must also reach ${minimum.text} = ${formatCents(minimum.cents, currency)}.`, rule: minimum.rule });
    }
  } else if (minimum) {
    floorCents = minimum.cents;
    hints.push({ text: `Starting price: at least ${minimum.text} = ${formatCents(minimum.cents, currency)} in round ${round + 1}; left empty, it is exactly that.`, rule: minimum.rule });
  }
  if (country === "SI") hints.push({ text: "The close must be given.", level: "info", rule: "SI-duration" });
  else if (country === "BG") hints.push({ text: "The close may be left empty: the opening day + 6 days at 17:00 on the Sofia clock.", rule: "BG-duration" });
  else if (country === "HR") hints.push({ text: "The close may be left empty: the 10th working day at the opening time of day.", rule: "HR-duration" });
  return { known: true, allowed: true, earliestMs, floorCents, hints: hints.map((hint) => ({ level: "info", rule: null, ...hint })) };
}

export const DEFAULT_CURRENCY = { BG: "EUR", HR: "EUR", LT: "EUR", SI: "EUR", SE: "SEK", EE: "EUR", LV: "EUR", CZ: "CZK", PT: "EUR", GR: "EUR" };
