// The auditor's view of one auction: the report (with the warnings the rules give about
// its schedule), the price chart, the hash-chain check done in this browser, and downloads
// of the event log and of the report.

import { auctionPath, describeError, getJson, getText } from "./api.js";
import { verifyLog } from "./chain.js";
import { priceChart } from "./chart.js";
import { byId, download, h, idFromPath, renderHeader, say, setTitle, table } from "./layout.js";
import { formatMoney } from "./money.js";
import { reportCsv, reportHtml } from "./reports.js";
import { currentSession } from "./session.js";
import { COUNTRY_NAMES, durationInWords, formatLocal, timeElement } from "./time.js";

const session = currentSession();
const auctionId = idFromPath("/app/auditor");
const loaded = { report: null, events: null, verification: null, chart: null };

function roleNotice() {
  if (session && (session.role === "auditor" || session.role === "bailiff")) return;
  const next = encodeURIComponent(location.pathname);
  say(
    byId("role-notice"),
    [session ? `You are signed in as ${session.role}. ` : "", "The full report and the event log need an auditor (or bailiff) token: ", h("a", { href: `/app/sign-in?next=${next}`, text: "sign in" }), "."],
    "warn",
  );
}

async function showIndex() {
  byId("index-view").hidden = false;
  setTitle("Auditor");
  const container = byId("auction-index");
  try {
    const { auctions } = await getJson("/auctions");
    if (auctions.length === 0) {
      container.replaceChildren(h("p", { class: "hint", text: "No auctions yet." }));
      return;
    }
    const rows = [...auctions].reverse().map((a) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: `/app/auditor/${encodeURIComponent(a.id)}`, text: a.title })),
        h("td", { text: a.country }),
        h("td", {}, h("span", { class: `badge status-${a.status}`, text: a.status })),
        h("td", { text: String(a.bid_count) }),
        h("td", { text: formatLocal(a.closes_at, a.country) }),
      ),
    );
    container.replaceChildren(table("Auctions, newest first", ["Title", "Country", "Status", "Bids", "Closes (local)"], rows));
  } catch (error) {
    container.replaceChildren(h("p", { class: "message", dataset: { kind: "error" }, text: describeError(error) }));
  }
}

/** The sale's state from the last act of its course. */
function saleState(report) {
  const lines = report.sale_course || [];
  if (report.sale) return String(report.sale).replaceAll("_", " ");
  if (lines.length === 0) return "–";
  const last = lines[lines.length - 1];
  const state = { declared: "awaiting payment", payment: "awaiting payment", grace: "awaiting payment", offered: "awaiting payment", paid: "paid", transfer: "completed", defaulted: "defaulted", declared_failed: "no sale", preemption: "pre-emption declared" }[last.act];
  return state || last.act;
}

function local(iso) {
  return formatLocal(iso, loaded.report.country);
}

function showSummary(report) {
  const t = report.terms;
  const money = (text) => formatMoney(text, t.currency);
  const rows = [
    ["Status", report.ended ? `${report.status}, ended` : report.status],
    ["Value", money(t.value)],
    ["Starting price", money(t.starting_price)],
    ["Increment", t.increment ? money(t.increment) : "free"],
    ["Deposit required", money(t.deposit_required)],
    ["Opens", local(t.opens_at)],
    ["Scheduled close", local(t.closes_at)],
    [report.status === "open" || report.status === "scheduled" ? "Deadline in force" : "Bidding ended", local(report.closes_at)],
    ["Winner", report.winner ? `${report.winner.bidder_code} (${report.winner.subject ?? "–"}) at ${money(report.winner.price)}` : "–"],
    ["Purchaser", report.purchaser ? `${report.purchaser.bidder_code} (${report.purchaser.subject ?? "–"}) at ${money(report.purchaser.price)}` : "–"],
    ["Sale", saleState(report)],
    ["Rules version", `${report.country} ${report.rules_version}`],
    ["Technical incidents", String((report.incidents || []).length)],
    ["Warnings about the schedule", String((report.warnings || []).length)],
    ["Events", String(report.position)],
  ];
  byId("summary").replaceChildren(...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
}

const SALE_ACTS = {
  declared: "purchaser declared",
  declared_failed: "ended without a purchaser",
  preemption: "pre-emption declared",
  payment: "payment recorded",
  paid: "price paid",
  transfer: "transfer decision",
  defaulted: "payment defaulted",
  grace: "grace granted",
  offered: "offered to the next-best bidder",
  cancelled: "auction cancelled",
  next_round: "next round scheduled",
  outcome: "outcome after the last round",
};
const LEDGER_STATUS = { held: "held", credited: "credited to the price", refund_due: "refund due", refunded: "refunded", forfeited: "forfeited" };

function official(line) {
  if (!line.official && !line.office) return "";
  return [line.official, line.office].filter(Boolean).join(", ");
}

function saleDetail(line, money) {
  const parts = [];
  if (line.bidder_code) parts.push(`${line.bidder_code}${line.subject ? ` (${line.subject})` : ""}`);
  if (line.price) parts.push(`price ${money(line.price)}`);
  if (line.amount) parts.push(`amount ${money(line.amount)}`);
  if (line.paid) parts.push(`paid ${money(line.paid)}`);
  if (line.payment_due) parts.push(`due by ${local(line.payment_due)}`);
  if (line.until) parts.push(`until ${local(line.until)}${line.previous ? `, was ${local(line.previous)}` : ""}`);
  if (line.reference) parts.push(`decision ${line.reference} of ${line.decided_on}`);
  if (line.reason) parts.push(line.reason);
  if (line.auction) parts.push(`round ${line.round ?? "?"}: auction ${line.auction}${line.opens_at ? `, opens ${local(line.opens_at)}` : ""}`);
  if (line.outcome) parts.push(String(line.outcome).replaceAll("_", " "));
  return parts.join("; ");
}

/** The deposit ledger: each deposit and where it stands (held, credited, refund due, refunded, forfeited), and the refunds overdue. */
function showLedger(report) {
  const t = report.terms;
  const money = (text) => (text ? formatMoney(text, t.currency) : "–");
  const zone = report.time_zone || report.country;
  const entries = Array.isArray(report.ledger) ? report.ledger : [];
  const course = (entry) =>
    (entry.lines || [])
      .map((line) => `${LEDGER_STATUS[line.status] || line.status} ${local(line.at)}${line.position ? ` (event ${line.position})` : ""}`)
      .join("; ");
  const rows = entries.map((entry) =>
    h(
      "tr",
      { dataset: { code: entry.bidder_code, status: entry.status, overdue: String(Boolean(entry.overdue)) } },
      h("th", { scope: "row", text: entry.bidder_code }),
      h("td", { text: entry.subject ?? "–" }),
      h("td", { class: "money", text: money(entry.amount) }),
      h("td", { class: "ledger-status" }, LEDGER_STATUS[entry.status] || entry.status, entry.overdue ? h("strong", { class: "overdue", text: " (overdue)" }) : ""),
      h("td", {}, entry.due ? timeElement(entry.due, zone) : "–"),
      h("td", {}, entry.refunded_at ? timeElement(entry.refunded_at, zone) : "–"),
      h("td", { text: entry.rule ?? "" }),
      h("td", { class: "ledger-course", text: course(entry) }),
    ),
  );
  const parts = [table("Deposit ledger", ["Code", "Subject", "Amount", "Status", "Refund due by", "Refunded", "Rule", "Course"], rows, { id: "ledger-table" })];
  const overdue = byId("refunds-overdue");
  if (Array.isArray(report.refunds_overdue)) {
    const late = report.refunds_overdue;
    overdue.dataset.count = String(late.length);
    const asOf = report.as_of ? ` as of ${local(report.as_of)}` : "";
    if (late.length === 0) {
      say(overdue, `No refund is overdue${asOf}.`, "ok");
    } else {
      say(overdue, [h("strong", { text: `${late.length === 1 ? "1 refund is" : `${late.length} refunds are`} overdue${asOf}: ` }), "the date the law sets for it has passed without the refund being recorded."], "error");
      const overdueRows = late.map((entry) =>
        h(
          "tr",
          { dataset: { code: entry.bidder_code } },
          h("th", { scope: "row", text: entry.bidder_code }),
          h("td", { text: entry.subject ?? "–" }),
          h("td", { class: "money", text: money(entry.amount) }),
          h("td", {}, entry.due ? timeElement(entry.due, zone) : "–"),
          h("td", { text: entry.rule ?? "" }),
        ),
      );
      parts.push(table("Refunds overdue", ["Code", "Subject", "Amount", "Was due by", "Rule"], overdueRows, { id: "overdue-table" }));
    }
  } else {
    overdue.hidden = true;
    delete overdue.dataset.count;
  }
  byId("ledger").replaceChildren(...parts);
}

function showDetails(report) {
  const t = report.terms;
  const money = (text) => (text ? formatMoney(text, t.currency) : "–");
  const bids = report.bids.map((b) =>
    h(
      "tr",
      { class: b.accepted ? "" : "refused", dataset: { position: b.position } },
      h("td", { text: String(b.position) }),
      h("td", { text: local(b.at) }),
      h("td", { text: b.bidder_code }),
      h("td", { text: b.subject ?? "–" }),
      h("td", { class: "money", text: money(b.amount) }),
      h("td", { text: b.accepted ? (b.automatic ? "accepted (automatic)" : "accepted") : `refused: ${b.reason}` }),
      h("td", { text: b.rule ?? "" }),
    ),
  );
  const extensions = report.extensions.map((e) =>
    h("tr", {}, h("td", { text: String(e.position) }), h("td", { text: local(e.at) }), h("td", { text: local(e.previous) }), h("td", { text: local(e.deadline) }), h("td", { text: e.rule })),
  );
  const incidents = (report.incidents || []).map((i) =>
    h(
      "tr",
      { dataset: { position: i.position } },
      h("td", { text: String(i.position) }),
      h("td", {}, timeElement(i.started_at, report.country)),
      h("td", {}, i.ended_at ? timeElement(i.ended_at, report.country) : "not given"),
      h("td", { class: "incident-description", text: i.description }),
      h("td", {}, timeElement(i.at, report.country)),
    ),
  );
  const bidders = report.bidders.map((b) =>
    h("tr", {}, h("td", { text: b.bidder_code }), h("td", { text: b.subject ?? "–" }), h("td", { text: local(b.registered_at) }), h("td", { text: money(b.deposit_total) }), h("td", { text: b.admitted ? "yes" : "no" })),
  );
  const refunds = report.deposits_to_refund.map((r) => h("tr", {}, h("td", { text: r.bidder_code }), h("td", { text: r.subject ?? "–" }), h("td", { text: money(r.amount) })));
  const rules = report.rules.map((r) => h("tr", {}, h("th", { scope: "row", text: r.code }), h("td", { text: r.basis ?? "" }), h("td", { text: r.reading ?? "" })));
  const sale = (report.sale_course || []).map((line) =>
    h(
      "tr",
      { dataset: { position: line.position, act: line.act } },
      h("td", { text: String(line.position) }),
      h("td", {}, timeElement(line.at, report.time_zone || report.country)),
      h("td", { class: "sale-act", text: SALE_ACTS[line.act] || line.act }),
      h("td", { text: saleDetail(line, money) }),
      h("td", { text: line.rule ?? "" }),
      h("td", { text: official(line) }),
    ),
  );
  const suspensions = (report.suspensions || []).map((line) =>
    h(
      "tr",
      { dataset: { position: line.position } },
      h("td", { text: String(line.position) }),
      h("td", {}, timeElement(line.at, report.time_zone || report.country)),
      h("td", { text: line.act }),
      h("td", { text: [line.reason, line.left_seconds !== undefined && line.left_seconds !== null ? `${durationInWords(line.left_seconds * 1000)} left` : null, line.deadline ? `deadline ${local(line.deadline)}` : null].filter(Boolean).join("; ") }),
      h("td", { text: official(line) }),
    ),
  );
  byId("details").replaceChildren(
    table("Every bid received", ["Position", "Received", "Bidder", "Subject", "Amount", "Outcome", "Rule"], bids, { id: "bids-table" }),
    table("Deadline extensions", ["Position", "At", "From", "To", "Rule"], extensions, { id: "extensions-table" }),
    table("Technical incidents", ["Position", "Started", "Ended", "What happened", "Recorded"], incidents, { id: "incidents-table" }),
    table("Bidders", ["Code", "Subject", "Registered", "Deposit", "Admitted"], bidders),
    table("Deposits to refund", ["Code", "Subject", "Amount"], refunds),
    table("The sale after bidding", ["Position", "At", "Act", "Details", "Rule", "By"], sale, { id: "sale-table" }),
    table("Suspensions and resumptions", ["Position", "At", "Act", "Details", "By"], suspensions, { id: "suspensions-table" }),
    table("Rules applied", ["Rule", "Legal basis", "Reading"], rules),
  );
}

/** The warnings the rules give about the schedule, one row each; the section stays hidden without any. */
function showWarnings(report) {
  const warnings = report.warnings || [];
  const panel = byId("warnings-panel");
  panel.dataset.count = String(warnings.length);
  if (warnings.length === 0) {
    byId("warnings").replaceChildren();
    panel.hidden = true;
    return;
  }
  const rows = warnings.map((w) =>
    h(
      "tr",
      { dataset: { code: w.code, rule: w.rule ?? "" } },
      h("td", { class: "warning-message", text: w.message }),
      h("td", {}, h("code", { class: "warning-code", text: w.code })),
      h("td", {}, h("code", { class: "warning-rule", text: w.rule ?? "" })),
    ),
  );
  byId("warnings").replaceChildren(table("Each warning, its code and the rule it comes from", ["Warning", "Code", "Rule"], rows, { id: "warnings-table" }));
  panel.hidden = false;
}

function showVerification(result, report) {
  const element = byId("chain-result");
  element.dataset.verified = String(result.ok);
  if (!result.ok) {
    say(element, [h("strong", { text: "Chain broken. " }), result.reason, "."], "error");
    return;
  }
  if (result.lastHash !== report.last_hash) {
    element.dataset.verified = "false";
    say(element, [h("strong", { text: "Chain broken. " }), `The log ends with hash ${result.lastHash}, but the report was built from ${report.last_hash}.`], "error");
    return;
  }
  say(
    element,
    [h("strong", { text: "Chain verified. " }), `All ${result.count} events match their hashes (${result.method}); the last hash `, h("code", { id: "last-hash", text: result.lastHash }), " is the report's."],
    "ok",
  );
}

async function showReport() {
  byId("report-view").hidden = false;
  const path = auctionPath(auctionId);
  try {
    const [report, events] = await Promise.all([getJson(`${path}/report`), getText(`${path}/events`)]);
    loaded.report = report;
    loaded.events = events;
  } catch (error) {
    say(byId("report-error"), describeError(error), "error");
    byId("chain-result").textContent = "The event log could not be read.";
    return;
  }
  const report = loaded.report;
  setTitle(`Report: ${report.terms.title}`);
  byId("report-title").textContent = `Report: ${report.terms.title}`;
  byId("report-meta").replaceChildren(
    `${COUNTRY_NAMES[report.country] || report.country} (${report.country}) · times in ${report.time_zone} · id `,
    h("code", { text: report.auction }),
    " · ",
    h("a", { href: `/app/auction/${encodeURIComponent(report.auction)}`, text: "public page" }),
  );
  showSummary(report);
  showWarnings(report);
  loaded.chart = priceChart(report);
  byId("chart").replaceChildren(loaded.chart, h("figcaption", { text: loaded.chart.querySelector("desc").textContent }));
  showDetails(report);
  showLedger(report);
  loaded.verification = await verifyLog(loaded.events);
  showVerification(loaded.verification, report);
}

function bindDownloads() {
  const base = `auction-${auctionId}`;
  byId("download-events").addEventListener("click", () => loaded.events !== null && download(`${base}-events.jsonl`, loaded.events, "application/x-ndjson"));
  byId("download-json").addEventListener("click", () => loaded.report && download(`${base}-report.json`, `${JSON.stringify(loaded.report, null, 2)}\n`, "application/json"));
  byId("download-csv").addEventListener("click", () => loaded.report && download(`${base}-report.csv`, reportCsv(loaded.report), "text/csv"));
  byId("download-html").addEventListener("click", () => {
    if (!loaded.report) return;
    const chartSvg = loaded.chart ? new XMLSerializer().serializeToString(loaded.chart) : "";
    download(`${base}-report.html`, reportHtml(loaded.report, { chartSvg, verification: loaded.verification }), "text/html");
  });
}

function main() {
  renderHeader("auditor");
  roleNotice();
  if (!auctionId) {
    showIndex();
    return;
  }
  bindDownloads();
  showReport();
}

main();
