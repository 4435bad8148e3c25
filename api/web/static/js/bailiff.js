// The bailiff console: schedule auctions (with the country's rules shown as you type, and
// the warnings the rules give about a schedule they accepted); for one auction see those
// warnings and the registrations, record deposits, open bidding, end the auction, and
// record technical incidents.

import { ApiError, NetworkError, auctionPath, describeError, getJson, newIdempotencyKey, postJson } from "./api.js";
import { byId, h, idFromPath, renderHeader, say, setTitle, table } from "./layout.js";
import { LiveFeed } from "./live.js";
import { formatMoney, fromCents, parseAmount } from "./money.js";
import { DEFAULT_CURRENCY, scheduleHints } from "./rules.js";
import { currentSession } from "./session.js";
import { COUNTRY_NAMES, formatLocal, fromLocalInput, toLocalInput, zoneOf } from "./time.js";
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
    [a.status === "open" || a.status === "scheduled" ? "Deadline" : "Bidding ended", formatLocal(a.closes_at, a.country, { withZoneName: true })],
    ["Deposit required", formatMoney(a.deposit_required, a.currency)],
  ];
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
