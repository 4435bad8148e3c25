// The report (GET /auctions/{id}/report) as CSV and as a stand-alone HTML document,
// made in the browser from the report's JSON.

const CSV_COLUMNS = ["record", "position", "at", "bidder_code", "subject", "amount", "accepted", "reason", "rule", "detail"];

function csvCell(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  // A cell a spreadsheet would run as a formula is kept as text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line per fact: the auction and the warnings about its schedule, then in the order of the auction's events
 * registrations, deposits, bids, extensions, incidents, the result. */
export function reportCsv(report) {
  const rows = [];
  const add = (row) => rows.push(CSV_COLUMNS.map((column) => csvCell(row[column])).join(","));
  rows.push(CSV_COLUMNS.join(","));
  const t = report.terms;
  add({ record: "auction", at: report.scheduled_at, detail: `${report.auction} ${report.country} "${t.title}" ${t.asset} value ${t.value} ${t.currency}; starting ${t.starting_price}; increment ${t.increment ?? "free"}; deposit ${t.deposit_required}; round ${t.round}; rules ${report.rules_version}` });
  // Worked out from the terms, not events of the log: no position, no time.
  for (const warning of report.warnings || []) add({ record: "warning", reason: warning.code, rule: warning.rule, detail: warning.message });
  const facts = [];
  for (const bidder of report.bidders) {
    facts.push({ record: "registration", position: bidder.position, at: bidder.registered_at, bidder_code: bidder.bidder_code, subject: bidder.subject, accepted: bidder.admitted, rule: bidder.admission_rule, detail: `deposit total ${bidder.deposit_total}` });
    for (const deposit of bidder.deposits) facts.push({ record: "deposit", position: deposit.position, at: deposit.at, bidder_code: bidder.bidder_code, subject: bidder.subject, amount: deposit.amount });
    for (const refusal of bidder.refusals) facts.push({ record: "admission_refused", position: refusal.position, at: refusal.at, bidder_code: bidder.bidder_code, subject: bidder.subject, reason: refusal.reason, rule: refusal.rule });
  }
  for (const bid of report.bids) facts.push({ record: bid.automatic ? "automatic_bid" : "bid", ...bid });
  for (const proxy of report.proxies || []) facts.push({ record: "proxy", ...proxy, amount: proxy.max, detail: `step ${proxy.step}` });
  for (const ext of report.extensions) facts.push({ record: "extension", position: ext.position, at: ext.at, rule: ext.rule, detail: `deadline ${ext.previous} -> ${ext.deadline}` });
  for (const incident of report.incidents || []) facts.push({ record: "incident", position: incident.position, at: incident.at, detail: `${incident.started_at} -> ${incident.ended_at ?? "end not given"}: ${incident.description}` });
  for (const line of report.sale_course || []) {
    facts.push({ record: "sale", position: line.position, at: line.at, bidder_code: line.bidder_code, subject: line.subject, amount: line.price ?? line.amount ?? line.paid, rule: line.rule, detail: saleText(line) });
  }
  facts.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  facts.forEach(add);
  if (report.status === "closed" || report.status === "failed") {
    add({ record: "result", at: report.closed_at, bidder_code: report.winner?.bidder_code, subject: report.winner?.subject, amount: report.price, detail: report.status });
  }
  if (report.purchaser) add({ record: "purchaser", at: report.ended_at, bidder_code: report.purchaser.bidder_code, subject: report.purchaser.subject, amount: report.purchaser.price });
  for (const refund of report.deposits_to_refund) add({ record: "refund", bidder_code: refund.bidder_code, subject: refund.subject, amount: refund.amount });
  for (const entry of report.ledger || []) {
    if (entry.lines === undefined) continue; // the per-deposit entries only
    add({ record: "deposit_ledger", at: entry.refunded_at, bidder_code: entry.bidder_code, subject: entry.subject, amount: entry.amount, reason: entry.status, rule: entry.rule, detail: `due ${entry.due ?? "not set"}${entry.overdue ? "; overdue" : ""}` });
  }
  add({ record: "last_hash", position: report.position, detail: report.last_hash });
  return `${rows.join("\r\n")}\r\n`;
}

/** One line of the sale's course in words (its act and whatever it carries). */
function saleText(line) {
  const parts = [line.act];
  if (line.paid) parts.push(`paid ${line.paid}`);
  if (line.payment_due) parts.push(`due ${line.payment_due}`);
  if (line.until) parts.push(`until ${line.until}`);
  if (line.reference) parts.push(`decision ${line.reference} of ${line.decided_on}`);
  if (line.reason) parts.push(line.reason);
  if (line.auction) parts.push(`next round ${line.auction}`);
  if (line.official) parts.push(`by ${line.official}${line.office ? ` (${line.office})` : ""}`);
  return parts.join("; ");
}

function escapeHtml(value) {
  return String(value ?? "–").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
}

function htmlTable(caption, headings, rows) {
  const head = headings.map((text) => `<th scope="col">${escapeHtml(text)}</th>`).join("");
  const body = rows.length
    ? rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("\n")
    : `<tr><td colspan="${headings.length}">none</td></tr>`;
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const REPORT_STYLE = `
body{font:15px/1.5 system-ui,sans-serif;color:#1a1a1a;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
.price-chart{width:100%;height:auto}.grid line{stroke:#ddd}.axis-label,.legend text{font-size:11px;fill:#333}
.axis-title{font-size:12px;fill:#333;font-weight:600}.price-line{fill:none;stroke:#0b5cad;stroke-width:2}
.bid-point{fill:#0b5cad;stroke:#fff;stroke-width:1.5}.refused-point{stroke:#a4111b;stroke-width:2;fill:none}
.extension-mark{stroke:#8a4b00;stroke-width:2;stroke-dasharray:5 4}.close-mark{stroke:#1a1a1a;stroke-width:2}
.starting-line{stroke:#666;stroke-dasharray:2 3}`;

/** A stand-alone HTML report; `chartSvg` is the chart's markup and `verification` the chain check's result. */
export function reportHtml(report, { chartSvg = "", verification = null } = {}) {
  const t = report.terms;
  const terms = [
    ["Auction", report.auction],
    ["Country", `${report.country} (times in ${report.time_zone})`],
    ["Title", t.title],
    ["Asset", t.asset],
    ["Value", `${t.value} ${t.currency}`],
    ["Starting price", `${t.starting_price} ${t.currency}`],
    ["Increment", t.increment ?? "free"],
    ["Deposit required", `${t.deposit_required} ${t.currency}`],
    ["Round", t.round],
    ["Opens", t.opens_at],
    ["Scheduled close", t.closes_at],
    ["Status", report.status],
    ["Bidding ended", report.closed_at],
    ["Winner", report.winner ? `${report.winner.bidder_code} ${report.winner.subject ?? ""} at ${report.winner.price}` : null],
    ["Purchaser", report.purchaser ? `${report.purchaser.bidder_code} ${report.purchaser.subject ?? ""} at ${report.purchaser.price}` : null],
    ["Rules version", report.rules_version],
    ["Events", report.position],
    ["Last hash", report.last_hash],
  ];
  if (verification) terms.push(["Hash chain", verification.ok ? `verified (${verification.count} events)` : `BROKEN: ${verification.reason}`]);
  const dl = `<dl>${terms.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
  const warningRows = (report.warnings || []).map((w) => [w.message, w.code, w.rule]);
  const warnings = warningRows.length ? htmlTable("Warnings about the schedule (they blocked nothing: the schedule stands as given)", ["Warning", "Code", "Rule"], warningRows) : "";
  const bids = htmlTable("Bids received", ["Position", "At", "Bidder", "Subject", "Amount", "Accepted", "Reason", "Rule"], report.bids.map((b) => [b.position, b.at, b.bidder_code, b.subject, b.amount, b.accepted ? "yes" : "no", b.reason, b.rule]));
  const extensions = htmlTable("Deadline extensions", ["Position", "At", "From", "To", "Rule"], report.extensions.map((e) => [e.position, e.at, e.previous, e.deadline, e.rule]));
  const incidents = htmlTable("Technical incidents", ["Position", "Recorded", "Started", "Ended", "What happened"], (report.incidents || []).map((i) => [i.position, i.at, i.started_at, i.ended_at ?? "not given", i.description]));
  const bidders = htmlTable("Bidders", ["Code", "Subject", "Registered", "Deposit", "Admitted", "Rule"], report.bidders.map((b) => [b.bidder_code, b.subject, b.registered_at, b.deposit_total, b.admitted ? "yes" : "no", b.admission_rule]));
  const refunds = htmlTable("Deposits to refund", ["Code", "Subject", "Amount"], report.deposits_to_refund.map((r) => [r.bidder_code, r.subject, r.amount]));
  const rules = htmlTable("Rules applied", ["Code", "Basis", "Reading"], report.rules.map((r) => [r.code, r.basis, r.reading]));
  const sale = (report.sale_course || []).length
    ? htmlTable("The sale after bidding", ["Position", "At", "Bidder", "Subject", "Amount", "Rule", "Act"], report.sale_course.map((l) => [l.position, l.at, l.bidder_code, l.subject, l.price ?? l.amount ?? l.paid, l.rule, saleText(l)]))
    : "";
  const entries = (report.ledger || []).filter((entry) => entry.lines !== undefined);
  const ledger = entries.length
    ? htmlTable("Deposit ledger", ["Code", "Subject", "Amount", "Status", "Refund due by", "Refunded", "Overdue", "Rule"], entries.map((e) => [e.bidder_code, e.subject, e.amount, e.status, e.due, e.refunded_at, e.overdue ? "yes" : "no", e.rule]))
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Auction report ${escapeHtml(report.auction)}</title><style>${REPORT_STYLE}</style></head>
<body><h1>Auction report: ${escapeHtml(t.title)}</h1>
${dl}
${warnings}
${chartSvg}
${bids}
${extensions}
${incidents}
${bidders}
${refunds}
${sale}
${ledger}
${rules}
</body></html>
`;
}
