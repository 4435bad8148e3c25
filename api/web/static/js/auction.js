// The bidder's page for one auction: live price and leader, a countdown on the server's
// clock, deadline extensions and technical incidents as they happen, registration and the bid form.

import { ApiError, NetworkError, allBids, auctionPath, describeError, getJson, lastResponse, newIdempotencyKey, postJson } from "./api.js";
import { isLargeJump, jumpQuestion, nextBid, outsizeQuestion, refusalSentence } from "./bidding.js";
import { byId, h, idFromPath, renderHeader, say, setTitle } from "./layout.js";
import { LiveFeed } from "./live.js";
import { lotDetails, lotLanguage } from "./lot.js";
import { formatCents, formatMoney, fromCents, parseAmount } from "./money.js";
import { bidderCode, bidderRole, currentSession, rememberBidderCode, rememberBidderRole } from "./session.js";
import { COUNTRY_NAMES, ServerClock, durationInWords, formatDuration, formatLocal, timeElement, zoneOf } from "./time.js";

const auctionId = idFromPath("/app/auction/");
const session = currentSession();
const state = {
  auction: null, // terms and state from GET /auctions/{id}, kept current by the feed
  bids: new Map(), // position -> accepted bid
  myCode: null,
  registration: null,
  extension: null,
  incidents: new Map(), // position -> technical incident announced on the feed
  amountEdited: false,
  role: null, // "preemption_holder" where the bidder registered as one
  ledger: [], // the report's deposit ledger lines (the bidder's copy)
  resumed: null, // the deadline bidding resumed with, while it is news
  cancelReason: null,
};
let feed = null;
const clock = new ServerClock({ onJump: () => feed && feed.resync() });

const ASSETS = { immovable: "Immovable property", movable: "Movable property", registered_movable: "Registered movable", rights: "Rights" };

function currency() {
  return state.auction ? state.auction.currency : "";
}

function local(iso, options) {
  return formatLocal(iso, state.auction.country, options);
}

/** What is for sale: the description and the details, in the notice's language. */
function renderLot() {
  byId("lot").replaceChildren(...lotDetails(state.auction));
}

/** An amendment of the details announced on the feed: what changed and why; the page reads the lot again. */
function showAmendment(message) {
  const fields = (message.fields || []).map((field) => field.replace("_", " ")).join(", ");
  const why = message.reason ? ` (${message.reason})` : "";
  say(byId("lot-amended"), `The lot's details were amended: ${fields}${why}.`, "info");
}

function renderTerms() {
  const a = state.auction;
  setTitle(a.title);
  byId("title").textContent = a.title;
  const language = lotLanguage(a);
  if (language) byId("title").setAttribute("lang", language);
  byId("meta").textContent = `${COUNTRY_NAMES[a.country] || a.country} (${a.country}) · ${ASSETS[a.asset] || a.asset} · round ${a.round} · times in ${zoneOf(a.country)}`;
  byId("currency").textContent = a.currency;
  const rows = [
    ["Value", formatMoney(a.value, a.currency)],
    ["Starting price", formatMoney(a.starting_price, a.currency)],
    ["Increment", a.increment ? formatMoney(a.increment, a.currency) : "Free: any amount above the best bid"],
    ["Deposit to be admitted", a.deposit_required === "0.00" ? "None" : formatMoney(a.deposit_required, a.currency)],
    ["Deposit due", a.deposit_due ? local(a.deposit_due, { withZoneName: true }) : "–"],
    ["Opens", local(a.opens_at, { withZoneName: true })],
    ["Scheduled close", local(a.scheduled_closes_at, { withZoneName: true })],
    ["Rules version", `${a.country} ${a.rules_version}`],
    ["Auction id", a.id],
  ];
  byId("terms").replaceChildren(...rows.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })]));
}

const STATUS_TEXT = {
  scheduled: "Scheduled",
  open: "Open for bids",
  closed: "Bidding ended",
  failed: "Ended without a valid bid",
  suspended: "Suspended",
  cancelled: "Cancelled",
};
const SALE_BADGE = { awaiting_payment: "awaiting payment", paid: "price paid", completed: "sale completed", defaulted: "payment defaulted" };

/** No bid can be placed: bidding ended, is suspended, or the auction was cancelled. */
function biddingStopped(a) {
  return ["closed", "failed", "suspended", "cancelled"].includes(a.status);
}

function renderLive() {
  const a = state.auction;
  const status = byId("status");
  status.textContent = a.ended ? (a.sale ? `Ended: ${SALE_BADGE[a.sale] || a.sale}` : "Ended: result declared") : STATUS_TEXT[a.status] || a.status;
  status.className = `badge status-${a.status}`;
  byId("price").textContent = a.price ? formatMoney(a.price, a.currency) : "No bids yet";
  const leader = byId("leader");
  if (a.leader) {
    leader.textContent = `Leading: ${a.leader}${a.leader === state.myCode ? " (you)" : ""}`;
  } else {
    leader.textContent = `Starting price ${formatMoney(a.starting_price, a.currency)}`;
  }
  const deadline = byId("deadline");
  deadline.textContent = a.status === "suspended" ? "suspended" : local(a.closes_at, { withZoneName: true });
  renderStanding();
  renderBidHint();
  byId("bid-submit").disabled = biddingStopped(a);
  if (a.status === "closed" || a.status === "failed") byId("bid-hint").textContent = "Bidding has ended.";
  else if (a.status === "suspended") byId("bid-hint").textContent = "Bidding is suspended: no bid can be placed until it resumes.";
  else if (a.status === "cancelled") byId("bid-hint").textContent = "The auction was cancelled.";
  renderAfterBidding();
  tick();
}

function myBids() {
  return [...state.bids.values()].filter((bid) => bid.bidder_code === state.myCode);
}

function renderStanding() {
  const standing = byId("standing");
  const a = state.auction;
  if (!state.myCode) {
    standing.hidden = true;
    return;
  }
  const ended = a.status === "closed" || a.status === "failed" || a.status === "cancelled";
  if (a.leader && a.leader === state.myCode) {
    say(standing, ended ? "You won: yours is the best bid." : "You are leading.", "ok");
    standing.dataset.standing = "leading";
  } else if (myBids().length > 0) {
    const text = ended
      ? `Another bidder won with ${formatMoney(a.price, a.currency)}.`
      : `You were outbid: the best bid is now ${formatMoney(a.price, a.currency)} by ${a.leader}.`;
    say(standing, text, "warn");
    standing.dataset.standing = "outbid";
  } else {
    say(standing, `You are registered as ${state.myCode} and have not bid yet.`, "info");
    standing.dataset.standing = "none";
  }
}

function renderBids() {
  const bids = [...state.bids.values()].sort((x, y) => y.position - x.position);
  byId("no-bids").hidden = bids.length > 0;
  byId("bids").replaceChildren(
    ...bids.map((bid) =>
      h(
        "li",
        { dataset: { position: bid.position, bidder: bid.bidder_code } },
        h("span", { class: "bid-amount", text: formatMoney(bid.amount, currency()) }),
        " by ",
        h("strong", { text: bid.bidder_code }),
        bid.bidder_code === state.myCode ? " (you)" : "",
        bid.automatic ? h("span", { class: "badge", text: "automatic" }) : "",
        " at ",
        h("time", { datetime: bid.received_at, text: local(bid.received_at, { withDate: false }) }),
      ),
    ),
  );
}

function renderBidHint() {
  const a = state.auction;
  if (!a) return;
  const next = nextBid(a, a.price);
  const hint = byId("bid-hint");
  hint.textContent =
    `Next valid amount: ${formatCents(next.proposed, a.currency)} (${next.explanation}` +
    (next.exact ? ")." : `; the least accepted is ${formatCents(next.least, a.currency)}).`);
  const input = byId("bid-amount");
  if (!state.amountEdited) input.value = fromCents(next.proposed);
}

function tick() {
  const a = state.auction;
  if (!a) return;
  renderPreemption();
  const element = byId("time-left");
  const label = byId("time-left-label");
  if (!clock.synced) return;
  const now = clock.now();
  let remaining;
  if (a.status === "scheduled") {
    label.textContent = "Opens in";
    remaining = Date.parse(a.opens_at) - now;
  } else if (a.status === "open") {
    label.textContent = "Time left";
    remaining = Date.parse(a.closes_at) - now;
  } else if (a.status === "suspended") {
    // The clock is stopped: the time left stays what it was when bidding was suspended.
    const left = (a.time_left_seconds || 0) * 1000;
    label.textContent = "Time left (suspended)";
    const text = formatDuration(left);
    if (element.textContent !== text) {
      element.textContent = text;
      element.setAttribute("aria-label", `${durationInWords(left)}, suspended`);
    }
    element.dataset.remainingMs = String(Math.round(left));
    element.classList.remove("urgent");
    return;
  } else if (a.status === "cancelled") {
    label.textContent = "Time left";
    element.textContent = "Cancelled";
    element.dataset.remainingMs = "0";
    element.setAttribute("aria-label", "The auction was cancelled");
    return;
  } else {
    label.textContent = "Time left";
    element.textContent = "Bidding has ended";
    element.dataset.remainingMs = "0";
    element.setAttribute("aria-label", "Bidding has ended");
    return;
  }
  element.dataset.remainingMs = String(Math.max(0, Math.round(remaining)));
  const text = remaining > 0 ? formatDuration(remaining) : a.status === "open" ? "Closing…" : "Opening…";
  if (element.textContent !== text) {
    element.textContent = text;
    element.setAttribute("aria-label", remaining > 0 ? durationInWords(remaining) : text);
  }
  element.classList.toggle("urgent", a.status === "open" && remaining > 0 && remaining < 120000);
}

function showExtension(previous, deadline, rule) {
  const extension = byId("extension");
  const minutes = Math.round((Date.parse(deadline) - Date.parse(previous)) / 60000);
  const added = minutes > 0 ? `by ${minutes} min ` : "";
  say(
    extension,
    `Deadline extended ${added}to ${local(deadline, { withDate: false })} (was ${local(previous, { withDate: false })})` +
      (rule ? `: a late bid adds time under rule ${rule}.` : "."),
    "warn",
  );
  extension.dataset.deadline = deadline;
  extension.classList.remove("flash");
  void extension.offsetWidth; // restart the animation
  extension.classList.add("flash");
}

/** "From <time> to <time>" (or "Started <time>; end not given") on the auction's clock. */
function incidentPeriod(incident) {
  const country = state.auction.country;
  const start = timeElement(incident.started_at, country);
  if (!incident.ended_at) return [" Started ", start, "; not over yet, or its end is not known."];
  return [" From ", start, " to ", timeElement(incident.ended_at, country), "."];
}

function showIncident(message) {
  const incident = {
    position: message.position,
    at: message.at,
    description: message.description,
    started_at: message.started_at,
    ended_at: message.ended_at ?? null,
  };
  state.incidents.set(incident.position, incident);
  const notice = byId("incident");
  say(
    notice,
    [
      h("strong", { text: "Technical incident recorded by the bailiff: " }),
      h("span", { class: "incident-description", text: incident.description }),
      ...incidentPeriod(incident),
      ` Times in ${zoneOf(state.auction.country)}. It does not change the deadline.`,
    ],
    "warn",
  );
  notice.dataset.position = String(incident.position);
  notice.classList.remove("flash");
  void notice.offsetWidth;
  notice.classList.add("flash");
  // The ones before it stay readable below (not announced again).
  const earlier = [...state.incidents.values()].filter((item) => item.position !== incident.position).sort((x, y) => y.position - x.position);
  byId("earlier-incidents").hidden = earlier.length === 0;
  byId("earlier-incidents-list").replaceChildren(
    ...earlier.map((item) => h("li", { dataset: { position: item.position } }, h("span", { class: "incident-description", text: item.description }), ...incidentPeriod(item))),
  );
}

function flashPrice() {
  const box = byId("price-box");
  box.classList.remove("flash");
  void box.offsetWidth;
  box.classList.add("flash");
}

function onMessage(message) {
  if (message.server_time) {
    if (message.type === "snapshot") clock.reset(message.server_time);
    else clock.sample(message.server_time);
  }
  const a = state.auction;
  const previousDeadline = a.closes_at;
  for (const field of ["status", "price", "leader", "closes_at", "bid_count", "ended", ...SALE_FIELDS]) {
    if (field in message) a[field] = message[field];
  }
  // What is still due is not in every message: until the auction is read again it is not known.
  if ("paid" in message && !("price_due" in message)) a.price_due = undefined;
  if (message.type === "suspended") {
    a.time_left_seconds = message.left_seconds ?? a.time_left_seconds;
    a.suspension_reason = message.reason ?? a.suspension_reason;
    a.suspended_at = message.at ?? a.suspended_at;
    state.resumed = null;
  }
  if (message.type === "resumed") state.resumed = message.deadline ?? a.closes_at;
  if (message.type === "cancelled") state.cancelReason = message.reason ?? null;
  if (message.type === "snapshot" && state.auction.status !== "open") state.resumed = null;
  if (message.type === "bid") {
    state.bids.set(message.position, {
      bidder_code: message.bidder_code,
      amount: message.amount,
      position: message.position,
      received_at: message.received_at,
      automatic: message.automatic,
    });
    renderBids();
    flashPrice();
  }
  if (message.type === "extended") {
    showExtension(message.previous, message.deadline, message.rule);
  } else if (a.status === "open" && previousDeadline && a.closes_at && Date.parse(a.closes_at) > Date.parse(previousDeadline)) {
    showExtension(previousDeadline, a.closes_at, null);
  }
  if (message.type === "incident") showIncident(message);
  if (message.type === "amended") showAmendment(message);
  if (message.type === "declared") a.purchaser = message.purchaser ?? null;
  if (message.type === "snapshot" && typeof message.bid_count === "number" && message.bid_count > state.bids.size) {
    refreshBids(); // bids accepted between the page load and this snapshot
  }
  renderLive();
  // A change after bidding (or one a snapshot shows we missed): read the whole auction again.
  if (SALE_MESSAGES.has(message.type) || message.type === "amended" || (message.type === "snapshot" && message.ended !== undefined && (message.ended || message.sale))) scheduleRefetch();
}

async function refreshBids() {
  try {
    for (const bid of await allBids(auctionId)) state.bids.set(bid.position, bid);
    renderBids();
    renderStanding();
  } catch (error) {
    console.warn("could not load the bids", error);
  }
}

function onFeedState(value, detail) {
  const element = byId("connection");
  const text = {
    connecting: "Connecting to the live feed…",
    live: "Live: updates appear as they happen.",
    reconnecting: `Connection lost: reconnecting in ${Math.ceil((detail || 0) / 1000)} s…`,
    gone: "This auction is not available on the live feed.",
  }[value];
  element.textContent = text || "";
  element.dataset.state = value;
}

// ------------------------------------------------------------- after bidding

// Live messages after which the page reads the auction again (its sale fields, the deposits).
const SALE_MESSAGES = new Set([
  "ended",
  "declared",
  "preemption",
  "payment",
  "paid",
  "completed",
  "defaulted",
  "offered",
  "grace",
  "refunded",
  "suspended",
  "resumed",
  "cancelled",
  "next_round",
  "outcome",
]);
const SALE_FIELDS = ["sale", "purchaser", "payment_due", "paid", "price_due"];
const PREEMPTION_WINDOW_MS = { SI: 10 * 60 * 1000 };
let refetchTimer = null;

/** Put text in a live region only when it says something new (a region re-filled with the same words is announced again). */
function announce(element, key, content, kind) {
  if (element.dataset.key === key && !element.hidden) return;
  element.dataset.key = key;
  say(element, content, kind);
}

function silence(element) {
  element.hidden = true;
  element.replaceChildren();
  delete element.dataset.key;
}

function clockZone() {
  return state.auction.zone || state.auction.country;
}

function when(iso) {
  return formatLocal(iso, clockZone(), { withZoneName: true });
}

function renderSuspension() {
  const a = state.auction;
  const element = byId("suspension");
  if (a.status === "suspended") {
    const left = durationInWords((a.time_left_seconds || 0) * 1000);
    const reason = a.suspension_reason ? `: ${a.suspension_reason}` : "";
    announce(element, `suspended|${a.suspended_at}`, [h("strong", { text: "Bidding is suspended" }), `${reason}. `, `Time left when it stopped: ${left}. Bidding resumes with that time left.`], "warn");
    element.dataset.state = "suspended";
  } else if (a.status === "cancelled") {
    const reason = state.cancelReason ? `: ${state.cancelReason}` : "";
    announce(element, `cancelled|${a.cancelled_at}`, [h("strong", { text: "The auction was cancelled" }), `${reason}. No sale takes place; deposits are paid back.`], "error");
    element.dataset.state = "cancelled";
  } else if (state.resumed && a.status === "open") {
    announce(element, `resumed|${state.resumed}`, [h("strong", { text: "Bidding resumed. " }), `The deadline is now ${when(state.resumed)}.`], "info");
    element.dataset.state = "resumed";
  } else {
    silence(element);
    delete element.dataset.state;
  }
}

function saleFigures(rows) {
  return h("dl", { class: "sale-figures" }, rows.flatMap(([term, value, id]) => [h("dt", { text: term }), h("dd", { id, text: value })]));
}

function renderSale() {
  const a = state.auction;
  const element = byId("sale");
  if (!a.ended || !a.sale) {
    if (a.ended && a.status === "failed") announce(element, "failed", "The auction ended without a sale: no valid bid was made.", "info");
    else silence(element);
    if (a.next_round) renderNextRoundLink(element);
    if (!element.hidden) renderOutcome(element);
    return;
  }
  const money = (text) => formatMoney(text, a.currency);
  const mine = state.myCode && state.myCode === a.purchaser;
  element.dataset.sale = a.sale;
  element.dataset.purchaser = mine ? "me" : "other";
  const key = `${a.sale}|${a.purchaser}|${a.paid}|${a.price_due}|${a.payment_due}|${mine}`;
  if (mine) {
    if (a.sale === "awaiting_payment") {
      if (a.price_due === undefined || a.price_due === null) return; // known once the auction is read again
      announce(
        element,
        key,
        [
          h("strong", { text: "You are the purchaser. " }),
          `Pay the amount still due by the deadline, or the sale is lost${a.paid && a.paid !== "0.00" ? " and so is your deposit" : ""}.`,
          saleFigures([
            ["Still due", money(a.price_due), "amount-due"],
            ["Deadline", when(a.payment_due), "payment-due"],
            ["Paid so far", money(a.paid), "paid-so-far"],
          ]),
        ],
        "warn",
      );
    } else if (a.sale === "paid") {
      announce(element, key, [h("strong", { text: "Paid in full. " }), `You have paid ${money(a.paid)}; the bailiff's decision transferring ownership follows.`, saleFigures([["Paid", money(a.paid), "paid-so-far"]])], "ok");
    } else if (a.sale === "completed") {
      announce(element, key, [h("strong", { text: "The sale is complete. " }), "The decision transferring ownership to you is recorded."], "ok");
    } else if (a.sale === "defaulted") {
      announce(element, key, [h("strong", { text: "The payment deadline has passed. " }), `The price was not covered by ${when(a.payment_due)}: the sale is lost.`], "error");
    }
  } else {
    const who = a.purchaser ? `The purchaser is ${a.purchaser}` : "No purchaser";
    const text = {
      awaiting_payment: `${who}; the price is due by ${when(a.payment_due)}.`,
      paid: `${who}, who has paid the price.`,
      completed: `${who}: the sale is complete.`,
      defaulted: `${who}, who did not pay by the deadline: the sale defaulted.`,
    }[a.sale];
    announce(element, key, text || `${who}.`, "info");
  }
  renderOutcome(element);
  if (a.next_round) renderNextRoundLink(element);
}

/** What became of the property once the last round the law allows failed. */
function renderOutcome(element) {
  const a = state.auction;
  if (!a.outcome || element.querySelector(".outcome")) return;
  element.append(" ", h("span", { class: "outcome", text: `After the last round the law allows: ${a.outcome.replaceAll("_", " ")}.` }));
}

function renderNextRoundLink(element) {
  const a = state.auction;
  if (element.querySelector("#next-round-link")) return;
  element.append(" ", h("a", { href: `/app/auction/${encodeURIComponent(a.next_round)}`, id: "next-round-link", text: "The next round" }), " is scheduled.");
  element.hidden = false;
}

/** Where the signed-in bidder's deposit stands, from the report's deposit ledger (their own lines only matter here). */
function renderMyDeposit() {
  const element = byId("my-deposit");
  const lines = (state.ledger || []).filter((line) => line.bidder_code === state.myCode);
  const last = lines[lines.length - 1];
  if (!state.myCode || !last) {
    silence(element);
    return;
  }
  const a = state.auction;
  const amount = formatMoney(last.amount, a.currency);
  element.dataset.status = last.status;
  const text = {
    refund_due: `Your deposit of ${amount} is due back to you${last.due ? `, by ${when(last.due)}` : "; the law sets no date for it"}.`,
    refunded: `Your deposit of ${amount} has been paid back to you.`,
    credited: `Your deposit of ${amount} counts towards the price.`,
    forfeited: `Your deposit of ${amount} is forfeited: the price was not paid in time.`,
  }[last.status];
  if (text) announce(element, `${last.status}|${last.due}`, text, last.status === "forfeited" ? "error" : "info");
  else silence(element);
}

function preemptionOpen(now) {
  const a = state.auction;
  const window = PREEMPTION_WINDOW_MS[a.country];
  const closed = a.closed_at || a.closes_at; // a live message carries the moment bidding ended as closes_at
  if (!window || a.status !== "closed" || a.ended || !a.price || !closed || a.preemptor) return false;
  return now < Date.parse(closed) + window;
}

/** The declaration button for a holder of a pre-emption right, inside the window after bidding ended with a bid (SI). */
function renderPreemption() {
  const a = state.auction;
  const block = byId("preemption");
  const holder = state.role === "preemption_holder";
  const now = clock.synced ? clock.now() : Date.now();
  const show = Boolean(state.myCode && holder && a.leader !== state.myCode && preemptionOpen(now));
  const result = byId("preemption-result");
  if (!show) {
    // Keep the outcome of a declaration readable once the window closed.
    block.hidden = result.hidden;
    byId("preempt").hidden = true;
    byId("preemption-hint").hidden = true;
    return;
  }
  block.hidden = false;
  byId("preempt").hidden = false;
  byId("preemption-hint").hidden = false;
  const until = Date.parse(a.closed_at || a.closes_at) + PREEMPTION_WINDOW_MS[a.country];
  const hint = `As the holder of a pre-emption right you may buy at the best price, ${formatMoney(a.price, a.currency)}, until ${when(new Date(until).toISOString())}.`;
  if (byId("preemption-hint").textContent !== hint) byId("preemption-hint").textContent = hint;
  byId("preempt").textContent = `Declare pre-emption at ${formatMoney(a.price, a.currency)}`;
}

async function declarePreemption() {
  const button = byId("preempt");
  const result = byId("preemption-result");
  button.disabled = true;
  try {
    const { body } = await postJson(`${auctionPath(auctionId)}/preemption`);
    say(result, `Declared: you buy at ${formatMoney(body.price ?? state.auction.price, state.auction.currency)} once the bailiff declares the purchaser.`, "ok");
    result.dataset.outcome = "declared";
  } catch (error) {
    say(result, [h("strong", { text: "Refused. " }), error instanceof ApiError ? error.message : describeError(error), error instanceof ApiError ? h("span", { class: "detail", text: ` (${error.code})` }) : ""], "error");
    result.dataset.outcome = "refused";
    result.dataset.code = error instanceof ApiError ? error.code : "network";
  } finally {
    button.disabled = false;
    if (!button.hidden) button.focus();
  }
  await refetchAuction();
}

function renderAfterBidding() {
  renderSuspension();
  renderSale();
  renderMyDeposit();
  renderPreemption();
}

async function loadLedger() {
  if (!state.myCode) return;
  try {
    const report = await getJson(`${auctionPath(auctionId)}/report`);
    state.ledger = report.ledger || [];
    if (report.cancelled && report.cancelled.reason) state.cancelReason = report.cancelled.reason;
    const line = (report.bidders || []).find((bidder) => bidder.bidder_code === state.myCode);
    if (line) {
      state.registration = line;
      if (line.role !== undefined) state.role = line.role;
    }
  } catch (error) {
    console.warn("could not load the deposit ledger", error);
  }
}

/** The auction read again after a change the live message does not fully describe. */
async function refetchAuction() {
  try {
    const fresh = await getJson(auctionPath(auctionId));
    state.auction = { ...state.auction, ...fresh };
    renderLot();
  } catch (error) {
    console.warn("could not read the auction again", error);
  }
  await loadLedger();
  renderRegistration();
  renderLive();
}

function scheduleRefetch() {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(refetchAuction, 150);
}

// ------------------------------------------------------------- registration and bids

function renderRegistration() {
  const panel = byId("registration");
  const form = byId("bid-form");
  if (!session || session.role !== "bidder") {
    form.hidden = true;
    const next = encodeURIComponent(location.pathname);
    panel.replaceChildren(
      h(
        "p",
        { class: "hint" },
        session ? `You are signed in as ${session.role}; only a bidder can bid. ` : "To bid, ",
        h("a", { href: `/app/sign-in?next=${next}`, text: "sign in with a bidder token" }),
        ".",
      ),
    );
    return;
  }
  if (!state.myCode) {
    form.hidden = true;
    // Where the law knows a pre-emption right (SI), its holder registers as such to be able to declare it.
    const holder = state.auction && PREEMPTION_WINDOW_MS[state.auction.country]
      ? h(
          "p",
          { class: "checkbox" },
          h("input", { type: "checkbox", id: "register-preemption", "aria-describedby": "register-preemption-hint" }),
          " ",
          h("label", { for: "register-preemption", text: "I hold a pre-emption right and register to be able to declare it" }),
          h("span", { class: "hint", id: "register-preemption-hint", text: " After bidding ends with a bid, a holder may declare within 10 minutes to buy at the best price." }),
        )
      : "";
    panel.replaceChildren(
      h("p", { class: "hint", text: "Register for this auction to get your bidder code. Others only ever see the code, never your name." }),
      holder,
      h("button", { type: "button", id: "register", class: "primary", text: "Register for this auction", onclick: register }),
      h("p", { id: "register-result", class: "message", role: "status", "aria-live": "polite", hidden: true }),
    );
    return;
  }
  form.hidden = false;
  const reg = state.registration;
  const a = state.auction;
  const parts = [h("span", {}, "Your bidder code: ", h("strong", { id: "my-code", text: state.myCode }), ". ")];
  if (state.role === "preemption_holder") parts.push(h("span", { class: "badge", id: "my-role", text: "pre-emption holder" }), " ");
  if (reg) {
    if (reg.admitted) parts.push(h("span", { class: "badge ok", id: "admitted", text: "admitted to bid" }));
    else
      parts.push(
        h("span", {
          id: "admitted",
          class: "badge warn",
          text: `not admitted yet: deposit ${formatMoney(reg.deposit_total ?? reg.deposit ?? "0.00", a.currency)} of ${formatMoney(a.deposit_required, a.currency)} recorded`,
        }),
      );
  }
  panel.replaceChildren(h("p", {}, parts));
}

async function loadMyRegistration() {
  // The bidder's copy of the report (anonymised) says whether this code is admitted yet, and where its deposit stands.
  await loadLedger();
  renderRegistration();
  if (state.auction) renderAfterBidding();
}

async function register() {
  const button = byId("register");
  const result = byId("register-result");
  button.disabled = true;
  const holder = byId("register-preemption");
  const role = holder && holder.checked ? "preemption_holder" : null;
  try {
    const { body } = await postJson(`${auctionPath(auctionId)}/registrations`, role ? { role } : undefined);
    state.myCode = body.bidder_code;
    state.registration = body;
    state.role = body.role ?? role;
    rememberBidderCode(auctionId, session.subject, body.bidder_code);
    rememberBidderRole(auctionId, session.subject, state.role);
    renderRegistration();
    renderLive();
    renderBids();
    byId("bid-amount").focus();
  } catch (error) {
    say(result, describeError(error), "error");
    button.disabled = false;
  }
}

async function sendBid(amount, key, confirmed) {
  // A lost connection leaves the outcome unknown: retrying with the same key cannot bid twice.
  // "confirm": the bidder confirmed a large jump; the server wants it above a multiple of the value.
  const body = confirmed ? { amount: fromCents(amount), confirm: true } : { amount: fromCents(amount) };
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await postJson(`${auctionPath(auctionId)}/bids`, body, { headers: { "Idempotency-Key": key } });
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}

async function submitBid(event) {
  event.preventDefault();
  const a = state.auction;
  const input = byId("bid-amount");
  const result = byId("bid-result");
  const amount = parseAmount(input.value);
  if (amount === null || amount <= 0n) {
    say(result, "Enter an amount such as 81500.00.", "error");
    result.dataset.outcome = "invalid";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  const next = nextBid(a, a.price);
  const jump = isLargeJump(amount, next.proposed);
  if (jump && !window.confirm(jumpQuestion(amount, next.proposed, a.currency))) {
    say(result, `Bid of ${formatCents(amount, a.currency)} not sent.`, "info");
    result.dataset.outcome = "cancelled";
    input.focus();
    return;
  }
  const button = byId("bid-submit");
  button.disabled = true;
  say(result, `Sending your bid of ${formatCents(amount, a.currency)}…`, "info");
  result.dataset.outcome = "pending";
  try {
    const key = newIdempotencyKey();
    let answer;
    try {
      answer = await sendBid(amount, key, jump);
    } catch (error) {
      // The server asks too, above a multiple of the auction's value (nothing was recorded):
      // sent again with the same key once the bidder confirms, else not sent.
      if (jump || !(error instanceof ApiError && error.code === "confirmation_required")) throw error;
      if (!window.confirm(outsizeQuestion(amount, a.currency))) {
        say(result, `Bid of ${formatCents(amount, a.currency)} not sent.`, "info");
        result.dataset.outcome = "cancelled";
        input.focus();
        return;
      }
      answer = await sendBid(amount, key, true);
    }
    const { body } = answer;
    state.bids.set(body.position, {
      bidder_code: body.bidder_code,
      amount: body.amount,
      position: body.position,
      received_at: body.received_at,
      automatic: false,
    });
    say(
      result,
      `Accepted: your bid of ${formatMoney(body.amount, a.currency)} was received at ` +
        `${local(body.received_at, { withDate: false })} and recorded at position ${body.position}. ` +
        `Bidding closes at ${local(body.closes_at, { withDate: false })}.`,
      "ok",
    );
    result.dataset.outcome = "accepted";
    state.amountEdited = false;
    renderBids();
    renderLive();
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      say(result, [h("strong", { text: "Refused. " }), refusalSentence(error.code, error.message), h("span", { class: "detail", text: ` (${error.code})` })], "error");
      result.dataset.outcome = "refused";
      result.dataset.code = error.code;
    } else {
      say(result, describeError(error), "error");
      result.dataset.outcome = "error";
      result.dataset.code = error instanceof ApiError ? error.code : "network";
    }
  } finally {
    button.disabled = biddingStopped(state.auction);
  }
}

// ------------------------------------------------------------- start

async function main() {
  renderHeader("auction");
  if (!auctionId) {
    say(byId("load-error"), "No auction given.", "error");
    return;
  }
  try {
    state.auction = await getJson(auctionPath(auctionId));
  } catch (error) {
    say(byId("load-error"), describeError(error), "error");
    return;
  }
  clock.sampleDateHeader(lastResponse.dateHeaderMs, lastResponse.receivedMs);
  if (session && session.role === "bidder") {
    state.myCode = bidderCode(auctionId, session.subject);
    state.role = bidderRole(auctionId, session.subject);
  }
  renderTerms();
  renderLot();
  renderRegistration();
  renderLive();
  await refreshBids();
  if (state.myCode) loadMyRegistration();
  byId("preempt").addEventListener("click", declarePreemption);

  const input = byId("bid-amount");
  input.addEventListener("input", () => {
    state.amountEdited = input.value.trim() !== "";
  });
  byId("bid-form").addEventListener("submit", submitBid);
  byId("use-proposed").addEventListener("click", () => {
    input.value = fromCents(nextBid(state.auction, state.auction.price).proposed);
    state.amountEdited = false;
    input.focus();
  });

  feed = new LiveFeed(auctionId, { onMessage, onState: onFeedState });
  feed.start();
  // A page coming back from the background (or a laptop from sleep) gets a fresh snapshot and clock sample.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") feed.resync();
  });
  setInterval(tick, 250);
  // For diagnosis in the browser console (and the browser tests).
  window.auctionPage = { feed, clock, state };
}

main();
