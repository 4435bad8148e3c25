// The bidder's page for one auction: live price and leader, a countdown on the server's
// clock, deadline extensions and technical incidents as they happen, registration and the bid form.

import { ApiError, NetworkError, allBids, auctionPath, describeError, getJson, lastResponse, newIdempotencyKey, postJson } from "./api.js";
import { isLargeJump, jumpQuestion, nextBid, refusalSentence } from "./bidding.js";
import { byId, h, idFromPath, renderHeader, say, setTitle } from "./layout.js";
import { LiveFeed } from "./live.js";
import { formatCents, formatMoney, fromCents, parseAmount } from "./money.js";
import { bidderCode, currentSession, rememberBidderCode } from "./session.js";
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

function renderTerms() {
  const a = state.auction;
  setTitle(a.title);
  byId("title").textContent = a.title;
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

const STATUS_TEXT = { scheduled: "Scheduled", open: "Open for bids", closed: "Bidding ended", failed: "Ended without a valid bid" };

function renderLive() {
  const a = state.auction;
  const status = byId("status");
  status.textContent = a.ended ? "Ended: result declared" : STATUS_TEXT[a.status] || a.status;
  status.className = `badge status-${a.status}`;
  byId("price").textContent = a.price ? formatMoney(a.price, a.currency) : "No bids yet";
  const leader = byId("leader");
  if (a.leader) {
    leader.textContent = `Leading: ${a.leader}${a.leader === state.myCode ? " (you)" : ""}`;
  } else {
    leader.textContent = `Starting price ${formatMoney(a.starting_price, a.currency)}`;
  }
  const deadline = byId("deadline");
  deadline.textContent = local(a.closes_at, { withZoneName: true });
  renderStanding();
  renderBidHint();
  const ended = a.status === "closed" || a.status === "failed";
  byId("bid-submit").disabled = ended;
  if (ended) byId("bid-hint").textContent = "Bidding has ended.";
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
  const ended = a.status === "closed" || a.status === "failed";
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
  for (const field of ["status", "price", "leader", "closes_at", "bid_count", "ended"]) {
    if (field in message) a[field] = message[field];
  }
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
  if (message.type === "declared") a.purchaser = message.purchaser ?? null;
  if (message.type === "snapshot" && typeof message.bid_count === "number" && message.bid_count > state.bids.size) {
    refreshBids(); // bids accepted between the page load and this snapshot
  }
  renderLive();
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
    panel.replaceChildren(
      h("p", { class: "hint", text: "Register for this auction to get your bidder code. Others only ever see the code, never your name." }),
      h("button", { type: "button", id: "register", class: "primary", text: "Register for this auction", onclick: register }),
      h("p", { id: "register-result", class: "message", role: "status", "aria-live": "polite", hidden: true }),
    );
    return;
  }
  form.hidden = false;
  const reg = state.registration;
  const a = state.auction;
  const parts = [h("span", {}, "Your bidder code: ", h("strong", { id: "my-code", text: state.myCode }), ". ")];
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
  // The bidder's copy of the report (anonymised) says whether this code is admitted yet.
  try {
    const report = await getJson(`${auctionPath(auctionId)}/report`);
    const line = (report.bidders || []).find((bidder) => bidder.bidder_code === state.myCode);
    if (line) state.registration = line;
  } catch (error) {
    console.warn("could not load the registration", error);
  }
  renderRegistration();
}

async function register() {
  const button = byId("register");
  const result = byId("register-result");
  button.disabled = true;
  try {
    const { body } = await postJson(`${auctionPath(auctionId)}/registrations`);
    state.myCode = body.bidder_code;
    state.registration = body;
    rememberBidderCode(auctionId, session.subject, body.bidder_code);
    renderRegistration();
    renderLive();
    renderBids();
    byId("bid-amount").focus();
  } catch (error) {
    say(result, describeError(error), "error");
    button.disabled = false;
  }
}

async function sendBid(amount, key) {
  // A lost connection leaves the outcome unknown: retrying with the same key cannot bid twice.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await postJson(`${auctionPath(auctionId)}/bids`, { amount: fromCents(amount) }, { headers: { "Idempotency-Key": key } });
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
  if (isLargeJump(amount, next.proposed) && !window.confirm(jumpQuestion(amount, next.proposed, a.currency))) {
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
    const { body } = await sendBid(amount, newIdempotencyKey());
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
    button.disabled = state.auction.status === "closed" || state.auction.status === "failed";
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
  if (session && session.role === "bidder") state.myCode = bidderCode(auctionId, session.subject);
  renderTerms();
  renderRegistration();
  renderLive();
  await refreshBids();
  if (state.myCode) loadMyRegistration();

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
