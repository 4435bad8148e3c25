// The bidder's page for one auction: live price and leader, a countdown on the server's
// clock, deadline extensions and technical incidents as they happen, registration and the bid form.

import { ApiError, NetworkError, allBids, auctionPath, describeError, getJson, lastResponse, newIdempotencyKey, postJson } from "./api.js";
import { isLargeJump, jumpQuestion, nextBid, outsizeQuestion, refusalSentence } from "./bidding.js";
import { LANGUAGE, countryLanguage, t } from "./i18n.js";
import { byId, download, h, idFromPath, renderHeader, roleName, say, setText, setTitle } from "./layout.js";
import { LiveFeed } from "./live.js";
import { lotDetails, lotLanguage } from "./lot.js";
import { formatCents, formatMoney, fromCents, parseAmount } from "./money.js";
import { currentSession, rememberBidderCode, rememberBidderRole } from "./session.js";
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

const ASSETS = { immovable: t("Immovable property"), movable: t("Movable property"), registered_movable: t("Registered movable"), rights: t("Rights") };

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
  say(byId("lot-amended"), t("The lot's details were amended: {fields}{why}.", { fields, why }), "info");
}

function renderTerms() {
  const a = state.auction;
  setTitle(a.title);
  byId("title").textContent = a.title;
  const language = lotLanguage(a) || countryLanguage(a.country);
  if (language) byId("title").setAttribute("lang", language);
  byId("meta").textContent = t("{country} ({code}) · {asset} · round {round} · times in {zone}", {
    country: COUNTRY_NAMES[a.country] || a.country,
    code: a.country,
    asset: ASSETS[a.asset] || a.asset,
    round: a.round,
    zone: zoneOf(a.country),
  });
  byId("currency").textContent = a.currency;
  const rows = [
    [t("Value"), formatMoney(a.value, a.currency)],
    [t("Starting price"), formatMoney(a.starting_price, a.currency)],
    [t("Increment"), a.increment ? formatMoney(a.increment, a.currency) : t("Free: any amount above the best bid")],
    [t("Deposit to be admitted"), a.deposit_required === "0.00" ? t("None") : formatMoney(a.deposit_required, a.currency)],
    [t("Deposit due"), a.deposit_due ? local(a.deposit_due, { withZoneName: true }) : "–"],
    [t("Opens"), local(a.opens_at, { withZoneName: true })],
    [t("Scheduled close"), local(a.scheduled_closes_at, { withZoneName: true })],
    [t("Rules version"), `${a.country} ${a.rules_version}`],
    [t("Auction id"), a.id],
  ];
  byId("terms").replaceChildren(...rows.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })]));
}

const STATUS_TEXT = {
  scheduled: t("Scheduled"),
  open: t("Open for bids"),
  closed: t("Bidding ended"),
  failed: t("Ended without a valid bid"),
  suspended: t("Suspended"),
  cancelled: t("Cancelled"),
};
const SALE_BADGE = {
  awaiting_payment: t("awaiting payment"),
  paid: t("price paid"),
  completed: t("sale completed"),
  defaulted: t("payment defaulted"),
};

/** No bid can be placed: bidding ended, is suspended, or the auction was cancelled. */
function biddingStopped(a) {
  return ["closed", "failed", "suspended", "cancelled"].includes(a.status);
}

function renderLive() {
  const a = state.auction;
  const status = byId("status");
  setText(status, a.ended ? (a.sale ? t("Ended: {sale}", { sale: SALE_BADGE[a.sale] || a.sale }) : t("Ended: result declared")) : STATUS_TEXT[a.status] || a.status);
  status.className = `badge status-${a.status}`;
  // Set only when the text changes: the price box is a live region, and new text is announced.
  setText(byId("price"), a.price ? formatMoney(a.price, a.currency) : t("No bids yet"));
  const leader = byId("leader");
  if (a.leader) {
    setText(leader, a.leader === state.myCode ? t("Leading: {code} (you)", { code: a.leader }) : t("Leading: {code}", { code: a.leader }));
  } else {
    setText(leader, t("Starting price {amount}", { amount: formatMoney(a.starting_price, a.currency) }));
  }
  const deadline = byId("deadline");
  setText(deadline, a.status === "suspended" ? t("suspended") : local(a.closes_at, { withZoneName: true }));
  renderStanding();
  renderBidHint();
  byId("bid-submit").disabled = biddingStopped(a);
  if (a.status === "closed" || a.status === "failed") setText(byId("bid-hint"), t("Bidding has ended."));
  else if (a.status === "suspended") setText(byId("bid-hint"), t("Bidding is suspended: no bid can be placed until it resumes."));
  else if (a.status === "cancelled") setText(byId("bid-hint"), t("The auction was cancelled."));
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
    say(standing, ended ? t("You won: yours is the best bid.") : t("You are leading."), "ok");
    standing.dataset.standing = "leading";
  } else if (myBids().length > 0) {
    const text = ended
      ? t("Another bidder won with {amount}.", { amount: formatMoney(a.price, a.currency) })
      : t("You were outbid: the best bid is now {amount} by {code}.", { amount: formatMoney(a.price, a.currency), code: a.leader });
    say(standing, text, "warn");
    standing.dataset.standing = "outbid";
  } else {
    say(standing, t("You are registered as {code} and have not bid yet.", { code: state.myCode }), "info");
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
        " " + t("by") + " ",
        h("strong", { text: bid.bidder_code }),
        bid.bidder_code === state.myCode ? " " + t("(you)") : "",
        bid.automatic ? h("span", { class: "badge", text: t("automatic") }) : "",
        " " + t("at") + " ",
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
  setText(
    hint,
    next.exact
      ? t("Next valid amount: {amount} ({explanation}).", { amount: formatCents(next.proposed, a.currency), explanation: next.explanation })
      : t("Next valid amount: {amount} ({explanation}; the least accepted is {least}).", {
          amount: formatCents(next.proposed, a.currency),
          explanation: next.explanation,
          least: formatCents(next.least, a.currency),
        }),
  );
  const input = byId("bid-amount");
  if (!state.amountEdited && input.value !== fromCents(next.proposed)) {
    input.value = fromCents(next.proposed);
    renderWords();
  }
}

// ------------------------------------------------------------- the amount in words

const wordsCache = new Map();
let wordsTimer = null;

/** The amount (cents) in words in the page's language (GET /i18n/{lang}/words), or null if unknown. */
async function wordsFor(cents) {
  const key = `${cents}|${currency()}`;
  if (!wordsCache.has(key)) {
    const query = new URLSearchParams({ amount: fromCents(cents), currency: currency() });
    wordsCache.set(
      key,
      fetch(`/i18n/${LANGUAGE}/words?${query}`)
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => (body ? body.words : null))
        .catch(() => null),
    );
  }
  return wordsCache.get(key);
}

/** Below the amount, the same amount in words, for the bidder to check before a binding bid. */
function renderWords() {
  clearTimeout(wordsTimer);
  wordsTimer = setTimeout(async () => {
    const cents = parseAmount(byId("bid-amount").value);
    const element = byId("bid-words");
    if (cents === null || cents <= 0n) {
      setText(element, "");
      return;
    }
    const text = await wordsFor(cents);
    if (parseAmount(byId("bid-amount").value) === cents) setText(element, text || "");
  }, 200);
}

/**
 * Every binding bid is confirmed in the page before it is sent: a modal dialog (#bid-confirm) with the
 * amount written out in words, and ``question`` first where there is more to ask (a large jump, an
 * amount far above the value). The focus starts on "No" (a bid cannot be withdrawn), Escape is "No",
 * and the focus goes back to the control the bidder acted with. Resolves true to send the bid.
 */
async function confirmBid(question, cents) {
  const dialog = byId("bid-confirm");
  const opener = document.activeElement;
  const amount = formatCents(cents, currency());
  const words = (await wordsFor(cents)) || amount;
  const asked = byId("bid-confirm-question");
  setText(asked, question || "");
  asked.hidden = !question;
  setText(byId("bid-confirm-words"), t("Place this binding bid of {amount}? In words: {words}. A bid cannot be withdrawn.", { amount, words }));
  return new Promise((resolve) => {
    dialog.returnValue = "";
    byId("bid-confirm-yes").onclick = () => dialog.close("yes");
    byId("bid-confirm-no").onclick = () => dialog.close("no");
    dialog.addEventListener(
      "close",
      () => {
        if (opener && typeof opener.focus === "function") opener.focus();
        resolve(dialog.returnValue === "yes");
      },
      { once: true },
    );
    dialog.showModal();
    byId("bid-confirm-no").focus();
  });
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
    setText(label, t("Opens in"));
    remaining = Date.parse(a.opens_at) - now;
  } else if (a.status === "open") {
    setText(label, t("Time left"));
    remaining = Date.parse(a.closes_at) - now;
  } else if (a.status === "suspended") {
    // The clock is stopped: the time left stays what it was when bidding was suspended.
    const left = (a.time_left_seconds || 0) * 1000;
    setText(label, t("Time left (suspended)"));
    const text = formatDuration(left);
    if (element.textContent !== text) {
      element.textContent = text;
      element.setAttribute("aria-label", t("{duration}, suspended", { duration: durationInWords(left) }));
    }
    element.dataset.remainingMs = String(Math.round(left));
    element.classList.remove("urgent");
    return;
  } else if (a.status === "cancelled") {
    setText(label, t("Time left"));
    setText(element, t("Cancelled"));
    element.dataset.remainingMs = "0";
    element.setAttribute("aria-label", t("The auction was cancelled"));
    return;
  } else {
    setText(label, t("Time left"));
    setText(element, t("Bidding has ended"));
    element.dataset.remainingMs = "0";
    element.setAttribute("aria-label", t("Bidding has ended"));
    return;
  }
  element.dataset.remainingMs = String(Math.max(0, Math.round(remaining)));
  const text = remaining > 0 ? formatDuration(remaining) : a.status === "open" ? t("Closing…") : t("Opening…");
  if (element.textContent !== text) {
    element.textContent = text;
    element.setAttribute("aria-label", remaining > 0 ? durationInWords(remaining) : text);
  }
  element.classList.toggle("urgent", a.status === "open" && remaining > 0 && remaining < 120000);
  announceTimeLeft(a, remaining);
}

// The time left is announced when it crosses these marks (seconds), once each per deadline.
const TIME_MARKS = [300, 60, 30, 10];

/** Announce the time left at 5 min, 1 min, 30 s and 10 s (marks passed before the page loaded are not announced). */
function announceTimeLeft(a, remaining) {
  const region = byId("time-announcement");
  if (!region || a.status !== "open" || !(remaining > 0)) return;
  const seconds = remaining / 1000;
  if (!state.timeMarks) {
    state.timeMarks = new Set(TIME_MARKS.filter((mark) => seconds <= mark));
    return;
  }
  for (const mark of TIME_MARKS) if (seconds > mark) state.timeMarks.delete(mark); // an extension gives a mark back
  const due = TIME_MARKS.filter((mark) => seconds <= mark && !state.timeMarks.has(mark));
  if (due.length === 0) return;
  for (const mark of due) state.timeMarks.add(mark);
  setText(region, t("{duration} left", { duration: durationInWords(Math.min(...due) * 1000) }));
}

function showExtension(previous, deadline, rule) {
  const extension = byId("extension");
  const minutes = Math.round((Date.parse(deadline) - Date.parse(previous)) / 60000);
  const times = { minutes, deadline: local(deadline, { withDate: false }), previous: local(previous, { withDate: false }), rule };
  const text =
    minutes > 0
      ? rule
        ? t("Deadline extended by {minutes} min to {deadline} (was {previous}): a late bid adds time under rule {rule}.", times)
        : t("Deadline extended by {minutes} min to {deadline} (was {previous}).", times)
      : rule
        ? t("Deadline extended to {deadline} (was {previous}): a late bid adds time under rule {rule}.", times)
        : t("Deadline extended to {deadline} (was {previous}).", times);
  say(extension, text, "warn");
  extension.dataset.deadline = deadline;
  extension.classList.remove("flash");
  void extension.offsetWidth; // restart the animation
  extension.classList.add("flash");
}

/** "From <time> to <time>" (or "Started <time>; end not given") on the auction's clock. */
function incidentPeriod(incident) {
  const country = state.auction.country;
  const start = timeElement(incident.started_at, country);
  if (!incident.ended_at) return [" " + t("Started") + " ", start, "; " + t("not over yet, or its end is not known.")];
  return [" " + t("From") + " ", start, " " + t("to") + " ", timeElement(incident.ended_at, country), "."];
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
      h("strong", { text: t("Technical incident recorded by the bailiff:") + " " }),
      h("span", { class: "incident-description", text: incident.description }),
      ...incidentPeriod(incident),
      " " + t("Times in {zone}. It does not change the deadline.", { zone: zoneOf(state.auction.country) }),
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
    connecting: t("Connecting to the live feed…"),
    live: t("Live: updates appear as they happen."),
    reconnecting: t("Connection lost: reconnecting in {seconds} s…", { seconds: Math.ceil((detail || 0) / 1000) }),
    gone: t("This auction is not available on the live feed."),
  }[value];
  setText(element, text || "");
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
    announce(element, `suspended|${a.suspended_at}`, [h("strong", { text: t("Bidding is suspended") }), `${reason}. `, t("Time left when it stopped: {left}. Bidding resumes with that time left.", { left })], "warn");
    element.dataset.state = "suspended";
  } else if (a.status === "cancelled") {
    const reason = state.cancelReason ? `: ${state.cancelReason}` : "";
    announce(element, `cancelled|${a.cancelled_at}`, [h("strong", { text: t("The auction was cancelled") }), `${reason}. ` + t("No sale takes place; deposits are paid back.")], "error");
    element.dataset.state = "cancelled";
  } else if (state.resumed && a.status === "open") {
    announce(element, `resumed|${state.resumed}`, [h("strong", { text: t("Bidding resumed.") + " " }), t("The deadline is now {deadline}.", { deadline: when(state.resumed) })], "info");
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
    if (a.ended && a.status === "failed") announce(element, "failed", t("The auction ended without a sale: no valid bid was made."), "info");
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
          h("strong", { text: t("You are the purchaser.") + " " }),
          a.paid && a.paid !== "0.00"
            ? t("Pay the amount still due by the deadline, or the sale is lost and so is your deposit.")
            : t("Pay the amount still due by the deadline, or the sale is lost."),
          saleFigures([
            [t("Still due"), money(a.price_due), "amount-due"],
            [t("Deadline"), when(a.payment_due), "payment-due"],
            [t("Paid so far"), money(a.paid), "paid-so-far"],
          ]),
        ],
        "warn",
      );
    } else if (a.sale === "paid") {
      announce(element, key, [h("strong", { text: t("Paid in full.") + " " }), t("You have paid {amount}; the bailiff's decision transferring ownership follows.", { amount: money(a.paid) }), saleFigures([[t("Paid"), money(a.paid), "paid-so-far"]])], "ok");
    } else if (a.sale === "completed") {
      announce(element, key, [h("strong", { text: t("The sale is complete.") + " " }), t("The decision transferring ownership to you is recorded.")], "ok");
    } else if (a.sale === "defaulted") {
      announce(element, key, [h("strong", { text: t("The payment deadline has passed.") + " " }), t("The price was not covered by {deadline}: the sale is lost.", { deadline: when(a.payment_due) })], "error");
    }
  } else {
    const who = a.purchaser ? t("The purchaser is {code}", { code: a.purchaser }) : t("No purchaser");
    const text = {
      awaiting_payment: t("{who}; the price is due by {deadline}.", { who, deadline: when(a.payment_due) }),
      paid: t("{who}, who has paid the price.", { who }),
      completed: t("{who}: the sale is complete.", { who }),
      defaulted: t("{who}, who did not pay by the deadline: the sale defaulted.", { who }),
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
  element.append(" ", h("span", { class: "outcome", text: t("After the last round the law allows: {outcome}.", { outcome: a.outcome.replaceAll("_", " ") }) }));
}

function renderNextRoundLink(element) {
  const a = state.auction;
  if (element.querySelector("#next-round-link")) return;
  element.append(" ", h("a", { href: `/app/auction/${encodeURIComponent(a.next_round)}`, id: "next-round-link", text: t("The next round") }), " " + t("is scheduled."));
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
    refund_due: last.due
      ? t("Your deposit of {amount} is due back to you, by {due}.", { amount, due: when(last.due) })
      : t("Your deposit of {amount} is due back to you; the law sets no date for it.", { amount }),
    refunded: t("Your deposit of {amount} has been paid back to you.", { amount }),
    credited: t("Your deposit of {amount} counts towards the price.", { amount }),
    forfeited: t("Your deposit of {amount} is forfeited: the price was not paid in time.", { amount }),
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
  const hint = t("As the holder of a pre-emption right you may buy at the best price, {amount}, until {deadline}.", {
    amount: formatMoney(a.price, a.currency),
    deadline: when(new Date(until).toISOString()),
  });
  setText(byId("preemption-hint"), hint);
  setText(byId("preempt"), t("Declare pre-emption at {amount}", { amount: formatMoney(a.price, a.currency) }));
}

async function declarePreemption() {
  const button = byId("preempt");
  const result = byId("preemption-result");
  button.disabled = true;
  try {
    const { body } = await postJson(`${auctionPath(auctionId)}/preemption`);
    say(result, t("Declared: you buy at {amount} once the bailiff declares the purchaser.", { amount: formatMoney(body.price ?? state.auction.price, state.auction.currency) }), "ok");
    result.dataset.outcome = "declared";
  } catch (error) {
    say(result, [h("strong", { text: t("Refused.") + " " }), error instanceof ApiError ? error.message : describeError(error), error instanceof ApiError ? h("span", { class: "detail", text: ` (${error.code})` }) : ""], "error");
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
  await loadMe();
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
        session ? t("You are signed in as {role}; only a bidder can bid.", { role: roleName(session.role) }) + " " : t("To bid,") + " ",
        h("a", { href: `/app/sign-in?next=${next}`, text: t("sign in with a bidder token") }),
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
          h("label", { for: "register-preemption", text: t("I hold a pre-emption right and register to be able to declare it") }),
          h("span", { class: "hint", id: "register-preemption-hint", text: " " + t("After bidding ends with a bid, a holder may declare within 10 minutes to buy at the best price.") }),
        )
      : "";
    panel.replaceChildren(
      h("p", { class: "hint", text: t("Register for this auction to get your bidder code. Others only ever see the code, never your name.") }),
      holder,
      h("button", { type: "button", id: "register", class: "primary", text: t("Register for this auction"), onclick: register }),
      h("p", { id: "register-result", class: "message", role: "status", "aria-live": "polite", hidden: true }),
    );
    return;
  }
  form.hidden = false;
  const reg = state.registration;
  const a = state.auction;
  const parts = [h("span", {}, t("Your bidder code:") + " ", h("strong", { id: "my-code", text: state.myCode }), ". ")];
  if (state.role === "preemption_holder") parts.push(h("span", { class: "badge", id: "my-role", text: t("pre-emption holder") }), " ");
  if (reg) {
    if (reg.admitted) parts.push(h("span", { class: "badge ok", id: "admitted", text: t("admitted to bid") }));
    else
      parts.push(
        h("span", {
          id: "admitted",
          class: "badge warn",
          text: t("not admitted yet: deposit {paid} of {required} recorded", {
            paid: formatMoney(reg.deposit_total ?? reg.deposit ?? "0.00", a.currency),
            required: formatMoney(a.deposit_required, a.currency),
          }),
        }),
      );
  }
  panel.replaceChildren(h("p", {}, parts));
}

/**
 * The signed-in bidder's own registration, admission, deposit and bids, from the server
 * (GET /auctions/{id}/me): the same on any device, whatever this browser remembers.
 * 404 not_registered: the bidder has no registration here. Other failures keep what the page knows.
 */
async function loadMe() {
  if (!session || session.role !== "bidder") return;
  try {
    const me = await getJson(`${auctionPath(auctionId)}/me`);
    state.myCode = me.bidder_code;
    state.role = me.role;
    state.registration = me;
    for (const bid of me.bids || []) {
      const { leading, ...row } = bid;
      state.bids.set(row.position, row);
    }
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_registered") {
      state.myCode = null;
      state.registration = null;
      state.role = null;
    } else {
      console.warn("could not read your registration", error);
    }
  }
}

async function loadMyRegistration() {
  // The registration from the server; the bidder's copy of the report (anonymised) says where the deposit stands.
  await loadMe();
  if (state.myCode) await loadLedger();
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
    loadMyRegistration().then(() => {
      renderBids();
      renderStanding();
    });
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
    say(result, t("Enter an amount such as {example}.", { example: "81500.00" }), "error");
    result.dataset.outcome = "invalid";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  const next = nextBid(a, a.price);
  const jump = isLargeJump(amount, next.proposed);
  if (!(await confirmBid(jump ? jumpQuestion(amount, next.proposed, a.currency) : null, amount))) {
    say(result, t("Bid of {amount} not sent.", { amount: formatCents(amount, a.currency) }), "info");
    result.dataset.outcome = "cancelled";
    input.focus();
    return;
  }
  const button = byId("bid-submit");
  const focused = document.activeElement; // the control the bidder acted with keeps the focus afterwards
  button.disabled = true;
  say(result, t("Sending your bid of {amount}…", { amount: formatCents(amount, a.currency) }), "info");
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
      if (!(await confirmBid(outsizeQuestion(amount, a.currency), amount))) {
        say(result, t("Bid of {amount} not sent.", { amount: formatCents(amount, a.currency) }), "info");
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
    // The signed receipt (docs/transparency.md) kept by the bidder: it proves the bid against the published log.
    const receipt = body.receipt || null;
    const save = receipt
      ? h("button", {
          type: "button",
          id: "save-receipt",
          class: "secondary small",
          text: t("Save receipt"),
          onclick: () => download(`receipt-${auctionId}-${body.position}.json`, `${JSON.stringify(receipt, null, 2)}\n`, "application/json"),
        })
      : null;
    say(
      result,
      [
        t("Accepted: your bid of {amount} was received at {received} and recorded at position {position}. Bidding closes at {closes}.", {
          amount: formatMoney(body.amount, a.currency),
          received: local(body.received_at, { withDate: false }),
          position: body.position,
          closes: local(body.closes_at, { withDate: false }),
        }),
        save ? " " : null,
        save,
      ],
      "ok",
    );
    result.dataset.outcome = "accepted";
    state.amountEdited = false;
    renderBids();
    renderLive();
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      // What the rules would accept now, as the server's answer says it (the best bid may have moved on).
      const minimum = error.details && error.details.minimum;
      const lowest = minimum ? " " + t("The lowest amount that would be accepted is {amount}.", { amount: formatMoney(minimum, a.currency) }) : "";
      say(result, [h("strong", { text: t("Refused.") + " " }), refusalSentence(error.code, error.message), h("span", { class: "detail", text: ` (${error.code})` }), lowest], "error");
      result.dataset.outcome = "refused";
      result.dataset.code = error.code;
    } else {
      say(result, describeError(error), "error");
      result.dataset.outcome = "error";
      result.dataset.code = error instanceof ApiError ? error.code : "network";
    }
  } finally {
    button.disabled = biddingStopped(state.auction);
    loadMe().then(() => {
      renderRegistration();
      renderBids();
      renderStanding();
    });
    if (document.activeElement !== focused && (!document.activeElement || document.activeElement === document.body)) {
      (focused && !focused.disabled ? focused : input).focus();
    }
  }
}

// ------------------------------------------------------------- start

async function main() {
  renderHeader("auction");
  if (!auctionId) {
    say(byId("load-error"), t("No auction given."), "error");
    return;
  }
  try {
    state.auction = await getJson(auctionPath(auctionId));
  } catch (error) {
    say(byId("load-error"), describeError(error), "error");
    return;
  }
  clock.sampleDateHeader(lastResponse.dateHeaderMs, lastResponse.receivedMs);
  renderTerms();
  renderLot();
  await loadMe(); // who the bidder is here comes from the server, not from this browser's storage
  renderRegistration();
  renderLive();
  await refreshBids();
  if (state.myCode) {
    await loadLedger();
    renderRegistration();
    renderAfterBidding();
  }
  byId("preempt").addEventListener("click", declarePreemption);

  const input = byId("bid-amount");
  input.addEventListener("input", () => {
    state.amountEdited = input.value.trim() !== "";
    renderWords();
  });
  byId("bid-form").addEventListener("submit", submitBid);
  byId("use-proposed").addEventListener("click", () => {
    input.value = fromCents(nextBid(state.auction, state.auction.price).proposed);
    state.amountEdited = false;
    renderWords();
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
