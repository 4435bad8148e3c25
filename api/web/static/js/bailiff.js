// The bailiff console: schedule auctions (with the country's rules shown as you type);
// for one auction see the registrations, record deposits, open bidding, end the auction.

import { ApiError, auctionPath, describeError, getJson, postJson } from "./api.js";
import { byId, h, idFromPath, renderHeader, say, setTitle, table } from "./layout.js";
import { LiveFeed } from "./live.js";
import { formatMoney, fromCents, parseAmount } from "./money.js";
import { DEFAULT_CURRENCY, scheduleHints } from "./rules.js";
import { currentSession } from "./session.js";
import { COUNTRY_NAMES, formatLocal, fromLocalInput, toLocalInput, zoneOf } from "./time.js";

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

function draft() {
  const round = Number.parseInt(byId("round").value, 10);
  return {
    country: byId("country").value,
    asset: byId("asset").value,
    currency: byId("currency").value.trim().toUpperCase(),
    value: amountField("value").cents ?? null,
    starting: amountField("starting_price").cents ?? null,
    increment: amountField("increment").cents ?? null,
    round: Number.isFinite(round) ? round : 1,
    opensAt: byId("opens_at").value,
    closesAt: byId("closes_at").value,
  };
}

function renderHints() {
  const country = byId("country").value;
  for (const label of document.querySelectorAll(".zone-label")) label.textContent = `(${zoneOf(country)} time)`;
  byId("hints-country").textContent = `${COUNTRY_NAMES[country] || country} (${country})`;
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
  for (const name of ["value", "starting_price", "increment"]) {
    const field = amountField(name);
    if (field.error) problems.push([name, field.error]);
    else if (field.cents !== null) body[name] = fromCents(field.cents);
    else if (name === "value") problems.push([name, "Enter the value."]);
  }
  const opens = fromLocalInput(byId("opens_at").value, body.country);
  if (opens.error) problems.push(["opens_at", `Opens at: ${opens.error}`]);
  else body.opens_at = opens.iso;
  if (byId("closes_at").value) {
    const closes = fromLocalInput(byId("closes_at").value, body.country);
    if (closes.error) problems.push(["closes_at", `Closes at: ${closes.error}`]);
    else body.closes_at = closes.iso;
  }
  return { body, problems };
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
    say(
      result,
      [
        h("strong", { text: "Scheduled. " }),
        `“${auction.title}” has id `,
        h("code", { id: "new-auction-id", text: auction.id }),
        `: starting price ${formatMoney(auction.starting_price, auction.currency)}, deposit ${formatMoney(auction.deposit_required, auction.currency)}, ` +
          `opens ${formatLocal(auction.opens_at, auction.country)}, closes ${formatLocal(auction.closes_at, auction.country)} (${zoneOf(auction.country)}).`,
        links,
      ],
      "ok",
    );
    result.dataset.outcome = "scheduled";
    result.dataset.id = auction.id;
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
      h("td", {}, h("a", { href: `/app/bailiff/${encodeURIComponent(a.id)}`, text: a.title })),
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
    [a.status === "open" || a.status === "scheduled" ? "Deadline" : "Bidding ended", formatLocal(a.closes_at, a.country, { withZoneName: true })],
    ["Deposit required", formatMoney(a.deposit_required, a.currency)],
  ];
  if (a.ended) rows.push(["Purchaser", report && report.purchaser ? `${report.purchaser.bidder_code} (${report.purchaser.subject ?? "–"}) at ${formatMoney(report.purchaser.price, a.currency)}` : a.purchaser || "none (no valid bid)"]);
  return rows.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { dataset: { field: term }, text: value })]);
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
  byId("open-now").disabled = auction.status !== "scheduled";
  byId("end-auction").disabled = !(auction.status === "closed" || auction.status === "failed") || auction.ended;
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

function initManage() {
  byId("manage-view").hidden = false;
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
