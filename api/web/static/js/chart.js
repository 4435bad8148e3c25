// The price over time as an inline SVG: accepted bids as points on a step line,
// refused bids as crosses, deadline extensions and the close as vertical marks.

import { formatCents, toCents } from "./money.js";
import { formatLocal } from "./time.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 760;
const HEIGHT = 340;
const MARGIN = { top: 28, right: 24, bottom: 48, left: 96 };

function el(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

function ticks(min, max, count) {
  if (max <= min) return [min];
  const step = (max - min) / count;
  return Array.from({ length: count + 1 }, (_, k) => min + k * step);
}

/** Round values (1, 2 or 5 times a power of ten, at least one whole unit) between min and max. */
function niceTicks(min, max, count) {
  const raw = Math.max((max - min) / count, 100);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw);
  const values = [];
  for (let value = Math.ceil(min / step) * step; value <= max; value += step) values.push(value);
  return values;
}

/** The chart for a report (GET /auctions/{id}/report); returns an <svg> element. */
export function priceChart(report) {
  const currency = report.terms.currency;
  const country = report.country;
  const accepted = report.bids.filter((bid) => bid.accepted).map((bid) => ({ ...bid, t: Date.parse(bid.at), cents: toCents(bid.amount) }));
  const refused = report.bids.filter((bid) => !bid.accepted).map((bid) => ({ ...bid, t: Date.parse(bid.at), cents: toCents(bid.amount) }));
  const extensions = report.extensions.map((ext) => ({ ...ext, t: Date.parse(ext.at) }));
  const start = Date.parse(report.opened_at || report.terms.opens_at);
  const close = Date.parse(report.closes_at);
  const times = [start, close, ...accepted.map((b) => b.t), ...refused.map((b) => b.t)].filter(Number.isFinite);
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < 60000) {
    t0 -= 30000;
    t1 += 30000;
  }
  const starting = toCents(report.terms.starting_price) ?? 0n;
  const amounts = [starting, ...accepted.map((b) => b.cents), ...refused.map((b) => b.cents)].map(Number);
  let y0 = Math.min(...amounts);
  let y1 = Math.max(...amounts);
  const pad = Math.max((y1 - y0) * 0.08, Math.abs(y1) * 0.02, 100);
  y0 = Math.max(0, y0 - pad);
  y1 += pad;

  const innerW = WIDTH - MARGIN.left - MARGIN.right;
  const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (t) => MARGIN.left + ((t - t0) / (t1 - t0)) * innerW;
  const y = (cents) => MARGIN.top + innerH - ((Number(cents) - y0) / (y1 - y0)) * innerH;
  const spanDays = (t1 - t0) / 86400000;
  const timeLabel = (t) => {
    const iso = new Date(t).toISOString();
    const text = formatLocal(iso, country, { withDate: spanDays > 1 });
    return spanDays > 1 ? text.replace(/:\d\d [A-Z+\-0-9]+$/, "") : text.replace(/ [A-Z+\-0-9]+$/, "");
  };

  const summary = `${accepted.length} accepted bid${accepted.length === 1 ? "" : "s"}` +
    (accepted.length ? ` from ${formatCents(accepted[0].cents, currency)} to ${formatCents(accepted[accepted.length - 1].cents, currency)}` : "") +
    `, ${refused.length} refused, ${extensions.length} deadline extension${extensions.length === 1 ? "" : "s"}.`;
  const svg = el(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": "chart-title chart-desc", class: "price-chart", id: "price-chart", xmlns: SVG },
    el("title", { id: "chart-title" }, "Price over time"),
    el("desc", { id: "chart-desc" }, summary),
  );

  const grid = el("g", { class: "grid" });
  for (const value of niceTicks(y0, y1, 4)) {
    grid.append(el("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }));
    grid.append(el("text", { x: MARGIN.left - 8, y: y(value) + 4, "text-anchor": "end", class: "axis-label" }, formatCents(BigInt(Math.round(value)), "")));
  }
  for (const t of ticks(t0, t1, 4)) {
    grid.append(el("line", { x1: x(t), x2: x(t), y1: MARGIN.top, y2: MARGIN.top + innerH, class: "vgrid" }));
    grid.append(el("text", { x: x(t), y: HEIGHT - MARGIN.bottom + 18, "text-anchor": "middle", class: "axis-label" }, timeLabel(t)));
  }
  grid.append(el("text", { x: MARGIN.left, y: 16, class: "axis-title" }, `Price (${currency})`));
  grid.append(el("text", { x: WIDTH - MARGIN.right, y: HEIGHT - 8, "text-anchor": "end", class: "axis-title" }, `Time (${report.time_zone})`));
  svg.append(grid);

  svg.append(el("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(starting), y2: y(starting), class: "starting-line" }));

  const marks = el("g", { class: "extensions" });
  for (const ext of extensions) {
    marks.append(
      el(
        "line",
        { x1: x(ext.t), x2: x(ext.t), y1: MARGIN.top, y2: MARGIN.top + innerH, class: "extension-mark", "data-position": ext.position },
        el("title", {}, `Deadline extended at ${formatLocal(ext.at, country, { withDate: false })} to ${formatLocal(ext.deadline, country, { withDate: false })} (${ext.rule})`),
      ),
    );
  }
  if (Number.isFinite(close)) {
    marks.append(
      el(
        "line",
        { x1: x(close), x2: x(close), y1: MARGIN.top, y2: MARGIN.top + innerH, class: "close-mark" },
        el("title", {}, `${report.status === "open" ? "Deadline" : "Bidding ended"}: ${formatLocal(report.closes_at, country)}`),
      ),
    );
  }
  svg.append(marks);

  if (accepted.length) {
    let d = `M ${x(accepted[0].t)} ${y(accepted[0].cents)}`;
    for (let k = 1; k < accepted.length; k += 1) d += ` H ${x(accepted[k].t)} V ${y(accepted[k].cents)}`;
    d += ` H ${x(Math.max(close, accepted[accepted.length - 1].t))}`;
    svg.append(el("path", { d, class: "price-line" }));
  }
  const points = el("g", { class: "points" });
  for (const bid of accepted) {
    points.append(
      el(
        "circle",
        { cx: x(bid.t), cy: y(bid.cents), r: 5, class: "bid-point", "data-position": bid.position },
        el("title", {}, `${bid.bidder_code}: ${formatCents(bid.cents, currency)} at ${formatLocal(bid.at, country, { withDate: false })}${bid.automatic ? " (automatic)" : ""}`),
      ),
    );
  }
  for (const bid of refused) {
    const cx = x(bid.t);
    const cy = y(bid.cents);
    points.append(
      el(
        "path",
        { d: `M ${cx - 4} ${cy - 4} L ${cx + 4} ${cy + 4} M ${cx - 4} ${cy + 4} L ${cx + 4} ${cy - 4}`, class: "refused-point", "data-position": bid.position },
        el("title", {}, `Refused ${formatCents(bid.cents, currency)} from ${bid.bidder_code}: ${bid.reason}`),
      ),
    );
  }
  svg.append(points);

  const legend = el("g", { class: "legend", transform: `translate(${MARGIN.left + 150}, 10)` });
  legend.append(el("circle", { cx: 0, cy: 6, r: 5, class: "bid-point" }), el("text", { x: 10, y: 10 }, "accepted bid"));
  legend.append(el("path", { d: "M 106 2 L 114 10 M 106 10 L 114 2", class: "refused-point" }), el("text", { x: 120, y: 10 }, "refused bid"));
  legend.append(el("line", { x1: 210, x2: 210, y1: 0, y2: 12, class: "extension-mark" }), el("text", { x: 218, y: 10 }, "extension"));
  legend.append(el("line", { x1: 300, x2: 300, y1: 0, y2: 12, class: "close-mark" }), el("text", { x: 308, y: 10 }, "close"));
  legend.append(el("line", { x1: 360, x2: 380, y1: 6, y2: 6, class: "starting-line" }), el("text", { x: 386, y: 10 }, "starting price"));
  svg.append(legend);
  return svg;
}
