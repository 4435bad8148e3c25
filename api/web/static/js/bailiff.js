// The bailiff console: schedule auctions (with the country's rules shown as you type, and
// the warnings the rules give about a schedule they accepted); for one auction see those
// warnings and the registrations, record deposits, open bidding, end the auction, and
// record technical incidents.

import { ApiError, NetworkError, auctionPath, describeError, getJson, newIdempotencyKey, postJson } from "./api.js";
import { byId, h, idFromPath, renderHeader, say, setTitle, table } from "./layout.js";
import { LiveFeed } from "./live.js";
import { formatCents, formatMoney, fromCents, parseAmount, toCents } from "./money.js";
import { DEFAULT_CURRENCY, GRACE, NEXT_BEST, nextRoundTerms, scheduleHints } from "./rules.js";
import { currentSession } from "./session.js";
import { COUNTRY_NAMES, durationInWords, formatLocal, fromLocalInput, toLocalInput, zoneOf } from "./time.js";
import { warningCount, warningList } from "./warnings.js";

const session = currentSession();
const auctionId = idFromPath("/app/bailiff");

function roleNotice() {
  if (session && session.role === "bailiff") return;
  const notice = byId("role-notice");
  const next = encodeURIComponent(location.pathname);
  say(
    notice,
    [
      session ? `You are signed in as ${session.role}. ` : "",
      "Scheduling and managing auctions needs a bailiff token: ",
      h("a", { href: `/app/sign-in?next=${next}`, text: "sign in as a bailiff" }),
      ".",
    ],
    "warn",
  );
}

// ------------------------------------------------------------------ schedule

const form = () => byId("schedule-form");
let currencyEdited = false;

function amountField(id) {
  const text = byId(id).value.trim();
  if (!text) return { cents: null };
  const cents = parseAmount(text);
  return cents === null ? { error: `${byId(id).labels[0].textContent.replace("(optional)", "").trim()}: not an amount` } : { cents };
}

function minutesField() {
  const text = byId("extension_minutes").value.trim();
  return text === "" ? null : Number(text);
}

function paymentDaysField() {
  const text = byId("payment_days").value.trim();
  return text === "" ? null : Number(text);
}

const PAYMENT_DAYS_HINT = {
  SE: "Not used in Sweden: the law fixes 48 hours after bidding ends. Leave it empty.",
  other: "Required: the purchaser pays the price by the end of the declaration's day + this many days.",
};

/** The clock the form's times are read on: the auction's own zone where one is chosen, else the country's. */
function clockOf(country) {
  return byId("zone").value || country;
}

function draft() {
  const round = Number.parseInt(byId("round").value, 10);
  return {
    country: byId("country").value,
    asset: byId("asset").value,
    currency: byId("currency").value.trim().toUpperCase(),
    value: amountField("value").cents ?? null,
    starting: amountField("starting_price").cents ?? null,
    increment: amountField("increment").cents ?? null,
    deposit: amountField("deposit").cents ?? null,
    extensionMinutes: minutesField(),
    paymentDays: paymentDaysField(),
    zone: byId("zone").value || null,
    round: Number.isFinite(round) ? round : 1,
    opensAt: byId("opens_at").value,
    closesAt: byId("closes_at").value,
  };
}

function renderHints() {
  const country = byId("country").value;
  for (const label of document.querySelectorAll(".zone-label")) label.textContent = `(${zoneOf(clockOf(country))} time)`;
  byId("hints-country").textContent = `${COUNTRY_NAMES[country] || country} (${country})`;
  byId("payment_days-hint").textContent = PAYMENT_DAYS_HINT[country === "SE" ? "SE" : "other"];
  byId("hints").replaceChildren(
    ...scheduleHints(draft()).map((hint) =>
      h(
        "li",
        { class: `hint-${hint.level}`, dataset: { rule: hint.rule || "" } },
        hint.level === "warn" ? h("strong", { text: "Check: " }) : "",
        hint.text,
        hint.rule ? h("span", { class: "rule", text: ` (${hint.rule})` }) : "",
      ),
    ),
  );
}

function onCountryChange() {
  if (!currencyEdited) byId("currency").value = DEFAULT_CURRENCY[byId("country").value] || "EUR";
  renderHints();
}

function requestBody() {
  const problems = [];
  const body = {
    country: byId("country").value,
    title: byId("title").value.trim(),
    asset: byId("asset").value,
    currency: byId("currency").value.trim().toUpperCase(),
    round: Number.parseInt(byId("round").value, 10),
  };
  if (!body.title) problems.push(["title", "Enter a title."]);
  if (!/^[A-Z]{3}$/.test(body.currency)) problems.push(["currency", "The currency is a three-letter code such as EUR."]);
  if (!Number.isInteger(body.round) || body.round < 1) problems.push(["round", "The round is a whole number from 1."]);
  for (const name of ["value", "starting_price", "increment", "deposit"]) {
    const field = amountField(name);
    if (field.error) problems.push([name, field.error]);
    else if (field.cents !== null) body[name] = fromCents(field.cents);
    else if (name === "value") problems.push([name, "Enter the value."]);
  }
  const minutes = minutesField();
  if (minutes !== null) {
    if (!Number.isInteger(minutes)) problems.push(["extension_minutes", "The extension interval is a whole number of minutes."]);
    else body.extension_minutes = minutes;
  }
  const paymentDays = paymentDaysField();
  if (paymentDays !== null) {
    if (!Number.isInteger(paymentDays) || paymentDays < 1 || paymentDays > 183) problems.push(["payment_days", "The payment period is a whole number of days from 1 to 183."]);
    else body.payment_days = paymentDays;
  }
  if (byId("zone").value) body.zone = byId("zone").value;
  const clock = clockOf(body.country);
  const opens = fromLocalInput(byId("opens_at").value, clock);
  if (opens.error) problems.push(["opens_at", `Opens at: ${opens.error}`]);
  else body.opens_at = opens.iso;
  if (byId("closes_at").value) {
    const closes = fromLocalInput(byId("closes_at").value, clock);
    if (closes.error) problems.push(["closes_at", `Closes at: ${closes.error}`]);
    else body.closes_at = closes.iso;
  }
  return { body, problems };
}

/** The warnings of a schedule the server accepted, under the "Scheduled." line; null when there are none. */
function scheduledWarnings(warnings) {
  if (!warnings || warnings.length === 0) return null;
  return h(
    "div",
    { class: "schedule-warnings", id: "schedule-warnings", dataset: { count: warnings.length } },
    h(
      "p",
      {},
      h("strong", { text: `Scheduled with ${warningCount(warnings.length)} about the schedule. ` }),
      warnings.length === 1 ? "It did not block scheduling" : "They did not block scheduling",
      ": the auction stands as given. Check the dates against the order.",
    ),
    warningList(warnings, { id: "schedule-warning-list" }),
  );
}

async function schedule(event) {
  event.preventDefault();
  const result = byId("schedule-result");
  for (const element of form().querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  const { body, problems } = requestBody();
  if (problems.length) {
    for (const [name] of problems) byId(name).setAttribute("aria-invalid", "true");
    say(result, [h("strong", { text: "Please correct: " }), problems.map(([, text]) => text).join(" ")], "error");
    result.dataset.outcome = "invalid";
    byId(problems[0][0]).focus();
    return;
  }
  delete result.dataset.warnings;
  const button = byId("schedule-submit");
  button.disabled = true;
  try {
    const { body: auction } = await postJson("/auctions", body);
    const links = h(
      "span",
      {},
      " ",
      h("a", { href: `/app/bailiff/${encodeURIComponent(auction.id)}`, id: "manage-link", text: "Manage it" }),
      " · ",
      h("a", { href: `/app/auction/${encodeURIComponent(auction.id)}`, text: "bidders' page" }),
    );
    const warnings = auction.warnings || [];
    say(
      result,
      [
        h("strong", { text: "Scheduled. " }),
        `“${auction.title}” has id `,
        h("code", { id: "new-auction-id", text: auction.id }),
        `: starting price ${formatMoney(auction.starting_price, auction.currency)}, deposit ${formatMoney(auction.deposit_required, auction.currency)}, ` +
          `opens ${formatLocal(auction.opens_at, auction.country)}, closes ${formatLocal(auction.closes_at, auction.country)} (${zoneOf(auction.country)}).`,
        links,
        scheduledWarnings(warnings) || "",
      ],
      warnings.length ? "warn" : "ok",
    );
    result.dataset.outcome = "scheduled";
    result.dataset.id = auction.id;
    result.dataset.warnings = String(warnings.length);
    loadList();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      const rule = error.details.rule;
      say(
        result,
        [h("strong", { text: "The rules refuse this schedule. " }), rule ? h("span", {}, "Rule ", h("code", { id: "refused-rule", text: rule }), ": ") : "", error.message],
        "error",
      );
    } else {
      say(result, describeError(error), "error");
    }
    result.dataset.outcome = "refused";
    result.dataset.code = error instanceof ApiError ? error.code : "network";
  } finally {
    button.disabled = false;
    result.focus();
  }
}

async function loadList() {
  const list = byId("auction-list");
  let auctions;
  try {
    auctions = (await getJson("/auctions")).auctions;
  } catch (error) {
    list.replaceChildren(h("p", { class: "message", dataset: { kind: "error" }, text: describeError(error) }));
    return;
  }
  if (auctions.length === 0) {
    list.replaceChildren(h("p", { class: "hint", text: "No auctions yet." }));
    return;
  }
  const rows = [...auctions].reverse().map((a) =>
    h(
      "tr",
      { dataset: { id: a.id } },
      h(
        "td",
        {},
        h("a", { href: `/app/bailiff/${encodeURIComponent(a.id)}`, text: a.title }),
        a.warnings && a.warnings.length
          ? [" ", h("span", { class: "badge warn warnings-badge", title: a.warnings.map((w) => w.message).join("\n"), text: warningCount(a.warnings.length) })]
          : "",
      ),
      h("td", { text: a.country }),
      h("td", {}, h("span", { class: `badge status-${a.status}`, text: a.ended ? "ended" : a.status })),
      h("td", { text: `${a.bidders} / ${a.admitted}` }),
      h("td", { class: "money", text: a.price ? formatMoney(a.price, a.currency) : "–" }),
      h("td", { text: formatLocal(a.closes_at, a.country) }),
    ),
  );
  list.replaceChildren(table("Auctions, newest first", ["Title", "Country", "Status", "Registered / admitted", "Price", "Closes (local)"], rows, { id: "auctions-table" }));
}

function initConsole() {
  byId("console-view").hidden = false;
  setTitle("Bailiff console");
  // A sensible first value: tomorrow at 10:00 on the chosen country's clock.
  const country = byId("country").value;
  byId("opens_at").value = toLocalInput(Date.now() + 86400000, country).slice(0, 11) + "10:00";
  byId("country").addEventListener("change", onCountryChange);
  byId("currency").addEventListener("input", () => {
    currencyEdited = true;
  });
  form().addEventListener("input", renderHints);
  form().addEventListener("change", renderHints);
  form().addEventListener("submit", schedule);
  onCountryChange();
  loadList();
}

// ------------------------------------------------------------------ manage one auction

let auction = null;
let reloadTimer = null;

function stateRows(a, report) {
  const rows = [
    ["Status", a.ended ? `${a.status}, ended` : a.status],
    ["Current price", a.price ? formatMoney(a.price, a.currency) : "no bids"],
    ["Leader", a.leader || "–"],
    ["Registered / admitted", `${a.bidders} / ${a.admitted}`],
    ["Opens", formatLocal(a.opens_at, a.country, { withZoneName: true })],
    [["open", "scheduled", "suspended"].includes(a.status) ? "Deadline" : a.status === "cancelled" ? "Deadline when cancelled" : "Bidding ended", formatLocal(a.closes_at, a.country, { withZoneName: true })],
    ["Deposit required", formatMoney(a.deposit_required, a.currency)],
  ];
  if (a.status === "suspended") {
    rows.push(["Suspended", `since ${formatLocal(a.suspended_at, a.zone || a.country, { withZoneName: true })}: ${a.suspension_reason || "no reason given"}`]);
    rows.push(["Time left when suspended", durationInWords((a.time_left_seconds || 0) * 1000)]);
  }
  if (a.status === "cancelled") rows.push(["Cancelled", formatLocal(a.cancelled_at, a.zone || a.country, { withZoneName: true })]);
  if (a.previous) rows.push(["Previous round", a.previous]);
  if (a.ended) rows.push(["Purchaser", report && report.purchaser ? `${report.purchaser.bidder_code} (${report.purchaser.subject ?? "–"}) at ${formatMoney(report.purchaser.price, a.currency)}` : a.purchaser || "none (no valid bid)"]);
  return rows.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { dataset: { field: term }, text: value })]);
}

/** The warnings the rules give about this auction's schedule; hidden when there are none. */
function renderManageWarnings(a) {
  const box = byId("manage-warnings");
  const warnings = a.warnings || [];
  box.dataset.count = String(warnings.length);
  if (warnings.length === 0) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  box.replaceChildren(
    h(
      "p",
      {},
      h("strong", { text: `${warningCount(warnings.length)} about the schedule. ` }),
      "The rules accepted this schedule as given; ",
      warnings.length === 1 ? "this warning blocks" : "these warnings block",
      " nothing.",
    ),
    warningList(warnings, { id: "manage-warning-list" }),
  );
  box.hidden = false;
}

function registrationRows(report) {
  return report.bidders.map((bidder) => {
    const input = h("input", {
      id: `deposit-${bidder.bidder_code}`,
      type: "text",
      inputmode: "decimal",
      autocomplete: "off",
      class: "amount",
      "aria-label": `Deposit amount for ${bidder.bidder_code}`,
    });
    const depositForm = h(
      "form",
      { class: "inline-form", dataset: { code: bidder.bidder_code }, onsubmit: (event) => recordDeposit(event, bidder.bidder_code, input) },
      input,
      h("button", { type: "submit", class: "secondary", text: "Record deposit" }),
    );
    const refusals = bidder.refusals.map((r) => `${r.reason}${r.rule ? ` (${r.rule})` : ""}`).join("; ");
    return h(
      "tr",
      { dataset: { code: bidder.bidder_code } },
      h("th", { scope: "row", text: bidder.bidder_code }),
      h("td", { text: bidder.subject ?? "–" }),
      h("td", { text: formatLocal(bidder.registered_at, report.country, { withDate: false }) }),
      h("td", { class: "deposit-total", text: formatMoney(bidder.deposit_total, auction.currency) }),
      h("td", {}, h("span", { class: `badge ${bidder.admitted ? "ok" : "warn"}`, dataset: { admitted: bidder.admitted }, text: bidder.admitted ? "admitted" : "not admitted" }), refusals ? h("span", { class: "detail", text: ` ${refusals}` }) : ""),
      h("td", {}, depositForm),
    );
  });
}

async function reload() {
  try {
    auction = await getJson(auctionPath(auctionId));
  } catch (error) {
    say(byId("manage-error"), describeError(error), "error");
    return;
  }
  let report = null;
  try {
    report = await getJson(`${auctionPath(auctionId)}/report`);
  } catch (error) {
    say(byId("manage-error"), `The registrations cannot be shown: ${describeError(error)}`, "error");
  }
  setTitle(`Manage: ${auction.title}`);
  byId("manage-title").textContent = auction.title;
  byId("manage-meta").replaceChildren(
    `${COUNTRY_NAMES[auction.country] || auction.country} (${auction.country}) · id `,
    h("code", { text: auction.id }),
    " · ",
    h("a", { href: `/app/auction/${encodeURIComponent(auction.id)}`, text: "bidders' page" }),
    " · ",
    h("a", { href: `/app/auditor/${encodeURIComponent(auction.id)}`, text: "auditor view" }),
  );
  byId("manage-state").replaceChildren(...stateRows(auction, report));
  renderManageWarnings(auction);
  byId("open-now").disabled = auction.status !== "scheduled";
  byId("end-auction").disabled = !(auction.status === "closed" || auction.status === "failed") || auction.ended;
  renderIncidentForm();
  renderAfterBidding(report);
  if (report) renderIncidents(report);
  if (report) {
    const container = byId("registrations");
    // Keep what a bailiff is typing in a deposit field across an automatic refresh.
    const typing = document.activeElement && container.contains(document.activeElement) ? document.activeElement.id : null;
    const values = Object.fromEntries([...container.querySelectorAll("input")].map((input) => [input.id, input.value]));
    if (report.bidders.length === 0) {
      container.replaceChildren(h("p", { class: "hint", id: "no-registrations", text: "Nobody has registered yet." }));
    } else {
      container.replaceChildren(
        table("Registered bidders", ["Code", "Subject", "Registered", "Deposit recorded", "Admission", "Record a deposit"], registrationRows(report), { id: "registrations-table" }),
      );
    }
    for (const [id, value] of Object.entries(values)) if (byId(id)) byId(id).value = value;
    if (typing && byId(typing)) byId(typing).focus();
  }
}

function scheduleReload(delay = 300) {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(reload, delay);
}

async function recordDeposit(event, code, input) {
  event.preventDefault();
  const result = byId("deposit-result");
  const cents = parseAmount(input.value);
  if (cents === null || cents <= 0n) {
    input.setAttribute("aria-invalid", "true");
    say(result, `Enter the deposit ${code} paid, such as 10000.00.`, "error");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  try {
    const { body } = await postJson(`${auctionPath(auctionId)}/registrations/${encodeURIComponent(code)}/deposit`, { amount: fromCents(cents) });
    const admission = body.admitted ? `${code} is admitted.` : `${code} is not admitted yet${body.refusal ? ` (${body.refusal})` : ""}.`;
    say(result, `Recorded ${formatMoney(body.amount, auction.currency)} for ${code}; total ${formatMoney(body.deposit, auction.currency)}. ${admission}`, body.admitted ? "ok" : "warn");
    input.value = "";
  } catch (error) {
    say(result, describeError(error), "error");
  }
  await reload();
}

async function act(path, done) {
  const result = byId("action-result");
  try {
    const { body } = await postJson(`${auctionPath(auctionId)}/${path}`);
    say(result, done(body), "ok");
  } catch (error) {
    say(result, describeError(error), "error");
  }
  await reload();
}

// ------------------------------------------------------------------ after bidding: the sale

const SALE_TEXT = { awaiting_payment: "awaiting payment", paid: "paid", completed: "completed", defaulted: "defaulted" };
const LEDGER_TEXT = { held: "held", credited: "credited to the price", refund_due: "refund due", refunded: "refunded", forfeited: "forfeited" };

function cents(text) {
  return text === null || text === undefined ? null : toCents(text);
}

/** The price the purchaser owes: what is paid plus what is still due. */
function purchasePrice(a) {
  const paid = cents(a.paid);
  const due = cents(a.price_due);
  return paid === null || due === null ? null : paid + due;
}

function saleLocal(iso) {
  return formatLocal(iso, saleClock(), { withZoneName: true });
}

function saleClock() {
  return auction.zone || auction.country;
}

/** The last line of the report's sale course with this act, if any. */
function saleLine(report, act) {
  const lines = (report && report.sale_course) || [];
  for (let index = lines.length - 1; index >= 0; index -= 1) if (lines[index].act === act) return lines[index];
  return null;
}

function saleRows(a, report) {
  const money = (text) => formatMoney(text, a.currency);
  const rows = [["Sale", SALE_TEXT[a.sale] || a.sale || "–"]];
  const purchaser = report && report.purchaser && report.purchaser.bidder_code === a.purchaser ? ` (${report.purchaser.subject ?? "–"})` : "";
  rows.push(["Purchaser", a.purchaser ? `${a.purchaser}${purchaser}` : "none"]);
  if (a.preemptor) rows.push(["Pre-emption declared by", a.preemptor]);
  const price = purchasePrice(a);
  if (price !== null) rows.push(["Purchase price", formatCents(price, a.currency)]);
  if (a.paid !== null && a.paid !== undefined) rows.push(["Paid (deposit credited and payments)", money(a.paid)]);
  if (a.price_due !== null && a.price_due !== undefined) rows.push(["Still due", money(a.price_due)]);
  if (a.payment_due) rows.push([a.sale === "defaulted" ? "Payment deadline (passed)" : "Payment due by", saleLocal(a.payment_due)]);
  const transfer = saleLine(report, "transfer");
  if (transfer) rows.push(["Transfer decision", `${transfer.reference}, decided on ${transfer.decided_on}`]);
  if (a.next_round) rows.push(["Next round", a.next_round]);
  if (a.outcome) rows.push(["Outcome", a.outcome.replaceAll("_", " ")]);
  return rows.flatMap(([term, value]) => {
    const dd = h("dd", { dataset: { field: term }, text: value });
    if (term === "Sale") dd.dataset.sale = a.sale || "";
    if (term === "Next round") dd.replaceChildren(h("a", { href: `/app/bailiff/${encodeURIComponent(value)}`, id: "next-round-link", text: value }));
    return [h("dt", { text: term }), dd];
  });
}

/** Disable a control, and put the focus somewhere sensible if it had it (a disabled control cannot keep it). */
function setEnabled(control, enabled, fallback) {
  const hadFocus = document.activeElement === control;
  control.disabled = !enabled;
  if (!enabled && hadFocus && fallback) fallback.focus();
}

function renderSale(a, report) {
  const panel = byId("sale-panel");
  const show = a.ended && a.purchaser !== null && a.purchaser !== undefined;
  panel.hidden = !show;
  for (const label of document.querySelectorAll(".sale-currency")) label.textContent = `(${a.currency})`;
  for (const label of document.querySelectorAll(".sale-zone")) label.textContent = `(${zoneOf(saleClock())} time)`;
  if (!show) return;
  byId("sale-state").replaceChildren(...saleRows(a, report));
  const awaiting = a.sale === "awaiting_payment";
  setEnabled(byId("payment-submit"), awaiting, byId("payment-result"));
  byId("payment-amount").disabled = !awaiting;
  byId("payment-hint").textContent = awaiting
    ? `Still due: ${formatMoney(a.price_due, a.currency)}, by ${saleLocal(a.payment_due)}. A payment larger than that is refused.`
    : a.sale === "defaulted"
      ? "The payment deadline passed: no payment can be recorded."
      : "The price is paid in full.";
  const paid = a.sale === "paid";
  for (const id of ["transfer-reference", "transfer-date"]) byId(id).disabled = !paid;
  setEnabled(byId("transfer-submit"), paid, byId("transfer-result"));
  if (paid && !byId("transfer-date").value) byId("transfer-date").value = toLocalInput(Date.now(), saleClock()).slice(0, 10);
  const grace = GRACE.has(a.country);
  byId("grace-form").hidden = !grace;
  byId("grace-until").disabled = !(grace && awaiting);
  setEnabled(byId("grace-submit"), grace && awaiting, byId("grace-result"));
  const offer = byId("offer-next-block");
  offer.hidden = !(NEXT_BEST.has(a.country) && a.sale === "defaulted");
  setEnabled(byId("offer-next"), NEXT_BEST.has(a.country) && a.sale === "defaulted" && !a.next_round, byId("offer-next-result"));
}

function depositRows(a) {
  return a.deposits.map((deposit) => {
    const due = deposit.status === "refund_due";
    const button = due
      ? h("button", {
          type: "button",
          class: "secondary",
          id: `refund-${deposit.bidder_code}`,
          text: "Record refund",
          "aria-label": `Record the refund of ${deposit.bidder_code}'s deposit`,
          onclick: (event) => recordRefund(event.currentTarget, deposit.bidder_code),
        })
      : "";
    return h(
      "tr",
      { dataset: { code: deposit.bidder_code, status: deposit.status } },
      h("th", { scope: "row", text: deposit.bidder_code }),
      h("td", { class: "money", text: formatMoney(deposit.amount, a.currency) }),
      h("td", { class: "ledger-status", text: LEDGER_TEXT[deposit.status] || deposit.status }),
      h("td", { text: deposit.due ? saleLocal(deposit.due) : deposit.status === "refund_due" ? "no date set by law" : "–" }),
      h("td", {}, button),
    );
  });
}

function renderDeposits(a) {
  const panel = byId("deposits-panel");
  const deposits = Array.isArray(a.deposits) ? a.deposits : [];
  panel.hidden = deposits.length === 0;
  if (deposits.length === 0) return;
  const container = byId("deposits");
  const focused = document.activeElement && container.contains(document.activeElement) ? document.activeElement.id : null;
  container.replaceChildren(table("Deposits and where they stand", ["Code", "Amount", "Status", "Refund due by", "Refund"], depositRows(a), { id: "deposits-table" }));
  if (focused) (byId(focused) || byId("refund-result")).focus();
}

function renderControl(a) {
  const fallback = byId("control-result");
  setEnabled(byId("suspend"), a.status === "open", fallback);
  setEnabled(byId("resume"), a.status === "suspended", fallback);
  setEnabled(byId("cancel"), ["scheduled", "open", "suspended"].includes(a.status) && !a.ended, fallback);
  byId("control-reason").disabled = !["scheduled", "open", "suspended"].includes(a.status) || a.ended;
}

function renderNextRound(a) {
  const panel = byId("next-round-panel");
  const over = a.status === "failed" || a.sale === "defaulted";
  panel.hidden = !over && !a.next_round;
  if (panel.hidden) return;
  const terms = nextRoundTerms(a);
  const hints = [...terms.hints];
  if (a.next_round) hints.unshift({ text: `The next round is scheduled as auction ${a.next_round}.`, level: "info", rule: null });
  byId("next-round-hints").replaceChildren(
    ...hints.map((hint) =>
      h(
        "li",
        { class: `hint-${hint.level}`, dataset: { rule: hint.rule || "" } },
        hint.level === "warn" ? h("strong", { text: "Check: " }) : "",
        hint.text,
        hint.rule ? h("span", { class: "rule", text: ` (${hint.rule})` }) : "",
      ),
    ),
  );
  const allowed = terms.allowed && !a.next_round;
  for (const element of byId("next-round-form").elements) {
    if (element.id === "next-round-submit") setEnabled(element, allowed, byId("next-round-result"));
    else element.disabled = !allowed;
  }
  if (allowed && terms.earliestMs !== null && !byId("next-opens").value) {
    const at = Math.max(terms.earliestMs, Date.now() + 3600000);
    byId("next-opens").value = toLocalInput(at, saleClock());
  }
  if (allowed && terms.floorCents !== null) byId("next-starting").placeholder = fromCents(terms.floorCents);
}

function renderAfterBidding(report) {
  renderSale(auction, report);
  renderDeposits(auction);
  renderControl(auction);
  renderNextRound(auction);
}

/** A refusal in words: the server's message, with its code as data for tools. */
function refusal(result, error) {
  const text = error instanceof ApiError && ![401, 403].includes(error.status) ? sentence(error.message) : describeError(error);
  say(result, [h("strong", { text: "Refused. " }), text, error instanceof ApiError ? h("span", { class: "detail", text: ` (${error.code})` }) : ""], "error");
  result.dataset.outcome = "refused";
  result.dataset.code = error instanceof ApiError ? error.code : "network";
}

/**
 * POST an act of the sale and say how it went in `result` (a polite live region). The focus stays
 * on `control`; only where the act disabled it does it move to the result.
 */
async function saleAct(control, result, path, body, done) {
  delete result.dataset.code;
  result.dataset.outcome = "pending";
  control.setAttribute("aria-busy", "true");
  let answer = null;
  let failed = null;
  try {
    answer = (await postJson(`${auctionPath(auctionId)}/${path}`, body)).body;
  } catch (error) {
    failed = error;
  } finally {
    control.removeAttribute("aria-busy");
  }
  await reload();
  if (failed) refusal(result, failed);
  else {
    say(result, done(answer), "ok");
    result.dataset.outcome = "done";
  }
  if (control.isConnected && !control.disabled) control.focus();
  else result.focus();
  return failed === null;
}

function invalid(input, result, text) {
  input.setAttribute("aria-invalid", "true");
  say(result, text, "error");
  result.dataset.outcome = "invalid";
  input.focus();
}

async function recordPayment(event) {
  event.preventDefault();
  const input = byId("payment-amount");
  const result = byId("payment-result");
  const amount = parseAmount(input.value);
  if (amount === null || amount <= 0n) {
    invalid(input, result, "Enter the amount received, such as 10000.00.");
    return;
  }
  input.removeAttribute("aria-invalid");
  const ok = await saleAct(byId("payment-submit"), result, "payments", { amount: fromCents(amount) }, () => {
    const state = auction.sale === "paid" ? " The price is paid in full: the transfer decision can be recorded." : ` Still due: ${formatMoney(auction.price_due, auction.currency)}.`;
    return `Payment of ${formatCents(amount, auction.currency)} recorded; paid so far ${formatMoney(auction.paid, auction.currency)}.${state}`;
  });
  if (ok) input.value = "";
}

async function recordTransfer(event) {
  event.preventDefault();
  const reference = byId("transfer-reference");
  const decided = byId("transfer-date");
  const result = byId("transfer-result");
  for (const input of [reference, decided]) input.removeAttribute("aria-invalid");
  if (!reference.value.trim()) {
    invalid(reference, result, "Enter the decision's reference.");
    return;
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(decided.value)) {
    invalid(decided, result, "Enter the date of the decision.");
    return;
  }
  await saleAct(byId("transfer-submit"), result, "transfer", { reference: reference.value.trim(), decided_on: decided.value }, () =>
    `Transfer decision ${reference.value.trim()} of ${decided.value} recorded: the sale is ${SALE_TEXT[auction.sale] || auction.sale}.`,
  );
}

async function grantGrace(event) {
  event.preventDefault();
  const input = byId("grace-until");
  const result = byId("grace-result");
  input.removeAttribute("aria-invalid");
  const until = fromLocalInput(input.value, saleClock());
  if (until.error) {
    invalid(input, result, `Grace period until: ${until.error}`);
    return;
  }
  await saleAct(byId("grace-submit"), result, "grace", { until: until.iso }, () => `Grace granted: the price is now due by ${saleLocal(auction.payment_due)}.`);
}

async function offerNext(event) {
  const button = event.currentTarget;
  if (!window.confirm("Offer the sale to the next-best bidder at their own highest bid?")) return;
  await saleAct(button, byId("offer-next-result"), "offer-next", undefined, () =>
    `Offered to ${auction.purchaser} at ${formatCents(purchasePrice(auction) ?? 0n, auction.currency)}; payment due by ${saleLocal(auction.payment_due)}.`,
  );
}

async function recordRefund(button, code) {
  await saleAct(button, byId("refund-result"), `registrations/${encodeURIComponent(code)}/refund`, undefined, (answer) => {
    const amount = answer && answer.amount ? ` of ${formatMoney(answer.amount, auction.currency)}` : "";
    return `Refund${amount} to ${code} recorded.`;
  });
}

function reasonOf(result) {
  const input = byId("control-reason");
  input.removeAttribute("aria-invalid");
  const reason = input.value.trim();
  if (!reason) {
    invalid(input, result, "Give the reason: everyone watching the auction sees it.");
    return null;
  }
  return reason;
}

async function control(event, path) {
  const button = event.currentTarget;
  const result = byId("control-result");
  let body;
  if (path === "suspend" || path === "cancel") {
    const reason = reasonOf(result);
    if (reason === null) return;
    if (path === "cancel" && !window.confirm("Cancel this auction? No sale takes place, and this cannot be undone.")) return;
    body = { reason };
  }
  const ok = await saleAct(button, result, path, body, () => {
    if (path === "suspend") return `Bidding is suspended with ${durationInWords((auction.time_left_seconds || 0) * 1000)} left.`;
    if (path === "resume") return `Bidding resumed: the deadline is ${saleLocal(auction.closes_at)}.`;
    return "The auction is cancelled: no sale takes place, and every deposit is due back.";
  });
  if (ok && path !== "resume") byId("control-reason").value = "";
}

async function scheduleNextRound(event) {
  event.preventDefault();
  const result = byId("next-round-result");
  const clock = saleClock();
  for (const id of ["next-opens", "next-closes", "next-starting"]) byId(id).removeAttribute("aria-invalid");
  const opens = fromLocalInput(byId("next-opens").value, clock);
  if (opens.error) {
    invalid(byId("next-opens"), result, `Opens at: ${opens.error}`);
    return;
  }
  const body = { opens_at: opens.iso, closes_at: null, starting_price: null };
  if (byId("next-closes").value) {
    const closes = fromLocalInput(byId("next-closes").value, clock);
    if (closes.error) {
      invalid(byId("next-closes"), result, `Closes at: ${closes.error}`);
      return;
    }
    body.closes_at = closes.iso;
  }
  if (byId("next-starting").value.trim()) {
    const price = parseAmount(byId("next-starting").value);
    if (price === null) {
      invalid(byId("next-starting"), result, "Starting price: not an amount.");
      return;
    }
    body.starting_price = fromCents(price);
  }
  await saleAct(byId("next-round-submit"), result, "next-round", body, (created) => {
    const id = created && created.id ? created.id : auction.next_round;
    return [
      `Round ${created && created.round ? created.round : ""} scheduled as auction `.replace("  ", " "),
      h("a", { href: `/app/bailiff/${encodeURIComponent(id)}`, id: "new-round-link", text: id }),
      created && created.opens_at ? `: opens ${saleLocal(created.opens_at)}, starting price ${formatMoney(created.starting_price, auction.currency)}.` : ".",
    ];
  });
}

function bindAfterBidding() {
  byId("payment-form").addEventListener("submit", recordPayment);
  byId("transfer-form").addEventListener("submit", recordTransfer);
  byId("grace-form").addEventListener("submit", grantGrace);
  byId("offer-next").addEventListener("click", offerNext);
  byId("suspend").addEventListener("click", (event) => control(event, "suspend"));
  byId("resume").addEventListener("click", (event) => control(event, "resume"));
  byId("cancel").addEventListener("click", (event) => control(event, "cancel"));
  byId("next-round-form").addEventListener("submit", scheduleNextRound);
}

// ------------------------------------------------------------------ technical incidents

// The key of an attempt whose outcome is unknown (the server could not be reached): sending the
// same incident again reuses it, so the server records it once whichever attempt got through.
let incidentAttempt = null; // {text: the body as JSON, key}
let incidentSending = false;

/** The form on the auction's clock; closed until the auction is loaded and for good once it has ended. */
function renderIncidentForm() {
  const form = byId("incident-form");
  const ended = Boolean(auction && auction.ended);
  for (const label of document.querySelectorAll(".incident-zone")) label.textContent = auction ? `(${zoneOf(auction.country)} time)` : "";
  for (const element of form.elements) element.disabled = !auction || ended || (incidentSending && element.id === "incident-submit");
  form.dataset.state = ended ? "ended" : auction ? "ready" : "loading";
  if (ended) byId("incident-hint").textContent = "The auction has ended: its report is final, and no incident can be recorded any more.";
}

function renderIncidents(report) {
  const country = report.country;
  const incidents = report.incidents || [];
  const container = byId("incidents");
  if (incidents.length === 0) {
    container.replaceChildren(h("p", { class: "hint", id: "no-incidents", text: "No incident recorded." }));
    return;
  }
  const rows = incidents.map((incident) =>
    h(
      "tr",
      { dataset: { position: incident.position } },
      h("td", { text: String(incident.position) }),
      h("td", { text: formatLocal(incident.started_at, country) }),
      h("td", { text: incident.ended_at ? formatLocal(incident.ended_at, country) : "not given" }),
      h("td", { class: "incident-description", text: incident.description }),
      h("td", { text: formatLocal(incident.at, country) }),
    ),
  );
  container.replaceChildren(table("Incidents recorded", ["Position", "Started", "Ended", "What happened", "Recorded"], rows, { id: "incidents-table" }));
}

function incidentBody() {
  const problems = [];
  const country = auction.country;
  const description = byId("incident-description").value.trim();
  if (!description) problems.push(["incident-description", "Describe what happened."]);
  const body = { description, started_at: null, ended_at: null };
  const started = fromLocalInput(byId("incident-started").value, country);
  if (started.error) problems.push(["incident-started", `Started at: ${started.error}`]);
  else body.started_at = started.iso;
  if (byId("incident-ended").value) {
    const ended = fromLocalInput(byId("incident-ended").value, country);
    if (ended.error) problems.push(["incident-ended", `Ended at: ${ended.error}`]);
    else if (!started.error && ended.ms < started.ms) problems.push(["incident-ended", "Ended at: the end cannot come before the start."]);
    else body.ended_at = ended.iso;
  }
  return { body, problems };
}

async function sendIncident(body, key) {
  // A lost connection leaves the outcome unknown: retrying with the same key cannot record twice.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await postJson(`${auctionPath(auctionId)}/incidents`, body, { headers: { "Idempotency-Key": key } });
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}

function sentence(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function incidentPeriod(answer, country) {
  const start = formatLocal(answer.started_at, country);
  return answer.ended_at ? `From ${start} to ${formatLocal(answer.ended_at, country)}` : `From ${start}, end not given`;
}

async function recordIncident(event) {
  event.preventDefault();
  if (!auction || auction.ended || incidentSending) return;
  const form = byId("incident-form");
  const result = byId("incident-result");
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  delete result.dataset.code;
  delete result.dataset.position;
  delete result.dataset.replayed;
  const { body, problems } = incidentBody();
  if (problems.length) {
    for (const [id] of problems) byId(id).setAttribute("aria-invalid", "true");
    say(result, [h("strong", { text: "Please correct: " }), problems.map(([, text]) => text).join(" ")], "error");
    result.dataset.outcome = "invalid";
    byId(problems[0][0]).focus();
    return;
  }
  const text = JSON.stringify(body);
  if (!incidentAttempt || incidentAttempt.text !== text) incidentAttempt = { text, key: newIdempotencyKey() };
  const country = auction.country;
  incidentSending = true;
  renderIncidentForm();
  say(result, "Recording the incident…", "info");
  result.dataset.outcome = "pending";
  try {
    const { body: answer, headers } = await sendIncident(body, incidentAttempt.key);
    incidentAttempt = null;
    const replayed = headers.get("Idempotent-Replayed") === "true";
    say(
      result,
      [
        h("strong", { text: `Incident recorded as event ${answer.position}. ` }),
        `${incidentPeriod(answer, country)} (${zoneOf(country)}): “${answer.description}” `,
        `Recorded at ${formatLocal(answer.at, country)}. `,
        replayed ? "An earlier attempt had already reached the server: it is recorded once. " : "",
        "It is in the report and was announced to everyone watching the auction.",
      ],
      "ok",
    );
    result.dataset.outcome = "recorded";
    result.dataset.position = String(answer.position);
    if (replayed) result.dataset.replayed = "true";
    form.reset();
  } catch (error) {
    if (error instanceof NetworkError) {
      say(result, [h("strong", { text: "Not known whether it was recorded. " }), error.message, " Sending the same incident again will not record it twice."], "error");
      result.dataset.outcome = "unknown";
      result.dataset.code = "network";
    } else {
      incidentAttempt = null;
      let text = describeError(error);
      if (error instanceof ApiError && error.code === "already_ended") text = "The auction has already ended: no incident can be recorded any more.";
      else if (error instanceof ApiError && error.code === "invalid_incident") text = sentence(error.message);
      say(result, [h("strong", { text: "Not recorded. " }), text], "error");
      result.dataset.outcome = "refused";
      result.dataset.code = error instanceof ApiError ? error.code : "error";
    }
  } finally {
    incidentSending = false;
    renderIncidentForm();
    result.focus();
  }
  await reload();
}

function initManage() {
  byId("manage-view").hidden = false;
  byId("incident-form").addEventListener("submit", recordIncident);
  bindAfterBidding();
  renderIncidentForm();
  byId("open-now").addEventListener("click", () => act("open", () => "Bidding is open."));
  byId("end-auction").addEventListener("click", () => {
    if (!window.confirm("End this auction and declare the purchaser? This cannot be undone.")) return;
    act("close", (a) => (a.purchaser ? `Ended: the purchaser is ${a.purchaser} at ${formatMoney(a.price, a.currency)}.` : "Ended: no purchaser (no valid bid)."));
  });
  byId("refresh").addEventListener("click", () => reload());
  reload();
  // Public changes (bids, opening, closing) come live; registrations and deposits are checked every 10 s.
  // A snapshot that differs from what the page shows means a change slipped in between loading and connecting.
  const changed = (message) => message.type !== "snapshot" || !auction || message.status !== auction.status || message.ended !== auction.ended;
  new LiveFeed(auctionId, { onMessage: (message) => changed(message) && scheduleReload() }).start();
  setInterval(() => {
    if (document.visibilityState === "visible") reload();
  }, 10000);
}

function main() {
  renderHeader("bailiff");
  roleNotice();
  if (auctionId) initManage();
  else initConsole();
}

main();
