// What a bidder may bid next, when to ask before sending, and refusals in plain words.

import { t } from "./i18n.js";
import { formatCents, toCents } from "./money.js";

/** Free increments: propose about 1% more, as a round step (1, 2 or 5 times a power of ten, at least 1.00). */
function roundStep(cents) {
  let step = 100n;
  for (;;) {
    for (const multiple of [1n, 2n, 5n]) {
      if (step * multiple >= cents) return step * multiple;
    }
    step *= 10n;
  }
}

/**
 * The amount the bid form proposes, and the least the server accepts, from the auction's
 * terms (GET /auctions/{id}) and the best bid. As docs/rules.md has it: a bid must exceed
 * the best bid; the first must reach the starting price (SI with an increment: starting
 * price + increment); where an increment is set every bid adds at least one step (BG: exactly one).
 */
export function nextBid(auction, priceText = auction.price) {
  const start = toCents(auction.starting_price) ?? 0n;
  const increment = auction.increment ? toCents(auction.increment) : null;
  const price = priceText ? toCents(priceText) : null;
  const country = String(auction.country || "").toUpperCase();
  let least;
  let proposed;
  let explanation;
  if (price === null) {
    least = country === "SI" && increment ? start + increment : start;
    if (least <= 0n) least = 1n; // a starting price of 0 means any positive first bid
    proposed = least < 100n ? 100n : least;
    explanation = country === "SI" && increment ? t("the starting price plus one increment") : t("the starting price");
  } else if (increment) {
    least = price + increment;
    proposed = least;
    explanation = country === "BG" ? t("exactly one increment above the best bid") : t("the best bid plus the increment");
  } else {
    least = price + 1n;
    proposed = price + roundStep(price / 100n);
    explanation = t("any amount above the best bid");
  }
  return { least, proposed, explanation, exact: country === "BG" && increment !== null };
}

/** Ask before sending a bid more than 50% above the proposed amount: a typed extra zero is expensive. */
export function isLargeJump(amount, proposed) {
  return amount * 2n > proposed * 3n;
}

export function jumpQuestion(amount, proposed, currency) {
  const percent = Number(((amount - proposed) * 100n) / (proposed || 1n));
  return t("You are about to bid {amount}, {percent}% more than the next valid amount {proposed}. A bid cannot be withdrawn. Place this bid?", {
    amount: formatCents(amount, currency),
    percent,
    proposed: formatCents(proposed, currency),
  });
}

export function outsizeQuestion(amount, currency) {
  return t("You are about to bid {amount}, far more than the property's value. A bid cannot be withdrawn. Place this bid?", {
    amount: formatCents(amount, currency),
  });
}

const REASONS = () => ({
  bid_too_low: t("Your bid is too low: it must be higher than the best bid, and the first bid must reach the starting price."),
  bad_increment: t("Your bid does not follow the auction's bidding step: bid the proposed amount (the best bid plus the increment)."),
  auction_closed: t("Bidding has ended: your bid arrived after the deadline."),
  auction_not_open: t("Bidding has not opened yet: wait for the opening time."),
  confirmation_required: t("Your bid is far above the property's value and was not placed: confirm it to place it."),
  not_admitted: t("You are not admitted to bid yet: register for this auction and pay the required deposit, which the bailiff must record."),
  proxy_not_allowed: t("Automatic bidding is not allowed in this country."),
  registration_closed: t("Registration for this auction has closed."),
  unknown_bidder: t("You are not registered for this auction."),
  invalid_amount: t("That is not a valid amount."),
  auction_not_found: t("There is no such auction."),
  busy: t("The server is busy with other bids on this auction: try again in a moment."),
  unauthenticated: t("You need to sign in with a bidder token first."),
  forbidden: t("Only a bidder can bid: sign in with a bidder token."),
});

/** A refusal code -> a sentence a bidder understands (falls back to the server's own message). */
export function refusalSentence(code, serverMessage = "") {
  return REASONS()[code] || serverMessage || t("The bid was refused ({code}).", { code });
}
