"""A replayed report's printed forms: JSON, CSV (one row per bid received, then per line of the sale
after bidding) and an HTML page (with the lot's details and their amendments)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

import orjson


def render_json(reports: list[dict[str, Any]]) -> bytes:
    body: Any = reports[0] if len(reports) == 1 else {"reports": reports}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


BID_COLUMNS = (
    "auction",
    "position",
    "at",
    "bidder_code",
    "subject",
    "amount",
    "accepted",
    "reason",
    "rule",
    "automatic",
)
# After the bid columns (in their old places, so that a reader by position still finds them):
# what a line of the sale after bidding, of the deposit ledger or of a suspension says.
LINE_COLUMNS = (
    "record",
    "act",
    "status",
    "price",
    "paid",
    "payment_due",
    "due",
    "overdue",
    "until",
    "previous",
    "deadline",
    "left_seconds",
    "suspended_at",
    "reference",
    "decided_on",
    "next_auction",
    "round",
    "opens_at",
    "closes_at",
    "starting_price",
    "outcome",
    "official",
    "office",
)
CSV_COLUMNS = BID_COLUMNS + LINE_COLUMNS
_RENAMED = {"auction": "next_auction"}  # a next round's line names the new auction


def _csv_rows(report: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The report's lines as CSV records, each with the event position it comes from."""
    overdue = {entry["bidder_code"] for entry in report.get("refunds_overdue", [])}
    rows: list[tuple[int, dict[str, Any]]] = [(bid["position"], {**bid, "record": "bid"}) for bid in report["bids"]]
    for line in report.get("sale_course", []):
        rows.append((line["position"], {**{_RENAMED.get(k, k): v for k, v in line.items()}, "record": "sale"}))
    for entry in report.get("ledger", []):
        who = {"bidder_code": entry["bidder_code"], "subject": entry.get("subject")}
        for line in entry["lines"]:
            row = {**line, **who, "record": "ledger"}
            if line["status"] == "refund_due" and entry["status"] == "refund_due":
                row["overdue"] = entry["bidder_code"] in overdue  # at the report's instant (as_of)
            rows.append((line["position"], row))
    for line in report.get("suspensions", []):
        rows.append((line["position"], {**line, "record": "suspension"}))
    return sorted(rows, key=lambda row: row[0])  # stable: a position's lines keep their order


def render_csv(reports: list[dict[str, Any]]) -> bytes:
    """One row per bid received (accepted or refused) and per line of the sale after bidding, of
    the deposit ledger and of the suspensions (``record`` says which), in the order of the events,
    every auction in the log."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for _, row in _csv_rows(report):
            writer.writerow([report["auction"]] + [_cell(row.get(c)) for c in CSV_COLUMNS[1:]])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _table(
    rows: list[dict[str, Any]], columns: Sequence[str], caption: str | None = None, anonymised: bool = False
) -> str:
    """A table with a header row (and a caption naming it); a bidder's copy has no subject column."""
    if not rows:
        return "<p>None.</p>"
    if anonymised:
        columns = [c for c in columns if c != "subject"]
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(pairs: list[tuple[str, Any]], caption: str | None = None) -> str:
    rows = "".join(
        f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(_cell(v))}</td></tr>' for k, v in pairs
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}{rows}</table>"


def _left(seconds: Any) -> str | None:
    """A duration in seconds as hours:minutes:seconds."""
    if not isinstance(seconds, int | float):
        return None
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# What a line of the sale's course says besides its act, bidder, amounts and official.
_DETAILS = (
    ("reference", "reference"),
    ("decided_on", "decided on"),
    ("until", "until"),
    ("previous", "previous deadline"),
    ("reason", "reason"),
    ("auction", "auction"),
    ("round", "round"),
    ("opens_at", "opens"),
    ("closes_at", "closes"),
    ("starting_price", "starting price"),
    ("outcome", "outcome"),
)


def _details(line: dict[str, Any]) -> str:
    return "; ".join(f"{label} {_cell(line[key])}" for key, label in _DETAILS if line.get(key) is not None)


def _who(entry: dict[str, Any] | None) -> str | None:
    if not entry:
        return None
    return entry.get("subject") or entry.get("bidder_code")


BIDDER_COLUMNS = ("bidder_code", "subject", "registered_at", "deposit_total", "admitted", "admission_rule")
COURSE_COLUMNS = (
    "position", "at", "act", "bidder_code", "subject", "price", "amount", "paid", "payment_due", "details", "rule",
    "official", "office",
)
LEDGER_COLUMNS = ("bidder_code", "subject", "amount", "status", "due", "overdue", "refunded_at", "rule")
REFUND_COLUMNS = ("bidder_code", "subject", "amount", "due", "rule")
SUSPENSION_COLUMNS = ("position", "at", "act", "reason", "time_left", "deadline", "suspended_at", "official", "office")


def _after_bidding(r: dict[str, Any]) -> str:
    """The sale after bidding: its summary, its course, the deposits, suspensions and officials."""
    anonymised = bool(r.get("anonymised"))
    next_round = r.get("next_round") or {}
    purchaser = r.get("purchaser") or {}
    cancelled = r.get("cancelled") or {}
    transfer = r.get("transfer") or {}
    suspension = r.get("suspension") or {}
    summary = _summary(
        [
            ("Sale", r.get("sale")),
            ("Purchaser", _who(purchaser)),
            ("Purchase price", purchaser.get("price")),
            ("Payment due", r.get("payment_due")),
            ("Payment overdue", r.get("payment_overdue")),
            ("Paid", r.get("paid")),
            ("Still due", r.get("price_due")),
            ("Transfer decision", " ".join(filter(None, [transfer.get("reference"), transfer.get("decided_on")]))),
            ("Suspended", f"since {suspension['since']}: {suspension['reason']}" if suspension else None),
            ("Cancelled", f"{cancelled['at']}: {cancelled['reason']}" if cancelled else None),
            ("Previous round", r.get("previous")),
            (
                "Next round",
                f"auction {next_round['auction']}, round {next_round['round']}, {next_round['opens_at']} to "
                f"{next_round['closes_at']}, starting price {next_round['starting_price']}"
                if next_round
                else None,
            ),
            ("Outcome", r.get("outcome")),
            ("Report instant", r.get("as_of")),
        ],
        "The sale after bidding",
    )
    course = [{**line, "details": _details(line)} for line in r.get("sale_course", [])]
    suspensions = [{**line, "time_left": _left(line.get("left_seconds"))} for line in r.get("suspensions", [])]
    officials = [
        {
            "official": o["official"],
            "office": o["office"],
            "acts": ", ".join(f"{a['act']} ({a['at']})" for a in o["acts"]),
        }
        for o in r.get("officials", [])
    ]
    instant = r.get("as_of") or "the report's instant"
    return (
        f"<h3>Sale after bidding</h3>{summary}"
        f"<h3>Course of the sale</h3>{_table(course, COURSE_COLUMNS, 'Course of the sale', anonymised)}"
        f"<h3>Deposit ledger</h3>{_table(r.get('ledger', []), LEDGER_COLUMNS, 'Deposit ledger', anonymised)}"
        f"<h3>Refunds due</h3>{_table(r.get('refunds_due', []), REFUND_COLUMNS, 'Refunds due', anonymised)}"
        f"<h3>Refunds overdue at {html.escape(instant)}</h3>"
        f"{_table(r.get('refunds_overdue', []), REFUND_COLUMNS, f'Refunds overdue at {instant}', anonymised)}"
        f"<h3>Suspensions</h3>{_table(suspensions, SUSPENSION_COLUMNS, 'Suspensions and resumptions')}"
        f"<h3>Officials who acted</h3>{_table(officials, ('official', 'office', 'acts'), 'Officials who acted')}"
    )


def _text(value: Any) -> str | None:
    """A detail's value in words: an object as ``key value; ...``, a list one item after another."""
    if value is None:
        return None
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_text(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return " | ".join(_text(item) or "" for item in value)
    return _cell(value)


DETAIL_LABELS = (
    ("description", "Description"),
    ("case_reference", "Case reference"),
    ("court", "Court or office"),
    ("location", "Location"),
    ("asset_details", "Facts"),
    ("viewing", "Viewing"),
    ("conditions", "Conditions taken over"),
    ("contact", "Contact"),
)


def _lot_details(r: dict[str, Any]) -> str:
    """What is for sale, as it stands, and every amendment of it."""
    details = r.get("details") or {}
    summary = _summary([(label, _text(details.get(key))) for key, label in DETAIL_LABELS], "Lot details")
    amendments = [
        {
            **line,
            "fields": ", ".join(line.get("fields", [])),
            "changes": "; ".join(
                f"{c['field']}: {_text(c['old']) or '–'} → {_text(c['new']) or '–'}" for c in line.get("changes", [])
            ),
        }
        for line in r.get("amendments", [])
    ]
    columns = ("position", "at", "fields", "changes", "reason", "official", "office")
    return (
        f"<h3>Lot details</h3>{summary}"
        f"<h3>Amendments of the details</h3>{_table(amendments, columns, 'Amendments of the details')}"
    )


def render_html(reports: list[dict[str, Any]]) -> bytes:
    sections = []
    for r in reports:
        terms = r["terms"]
        winner = r.get("winner") or {}
        summary = [
            ("Country", r["country"]),
            ("Time zone", r["time_zone"]),
            ("Title", terms["title"]),
            ("Asset", terms["asset"]),
            ("Value", f"{terms['value']} {terms['currency']}"),
            ("Starting price", terms["starting_price"]),
            ("Increment", terms["increment"]),
            ("Deposit required", terms["deposit_required"]),
            ("Opens", terms["opens_at"]),
            ("Scheduled close", terms["closes_at"]),
            ("Status", r["status"]),
            ("Bidding ended", r["closed_at"]),
            ("Winner", winner.get("subject") or winner.get("bidder_code")),
            ("Price", r["price"]),
            ("Last event", f"position {r['position']}, hash {r['last_hash']}"),
        ]
        anonymised = bool(r.get("anonymised"))
        refunds = r["deposits_to_refund"]
        sections.append(
            f"<section><h2>Auction {html.escape(r['auction'])}</h2>{_summary(summary, 'Summary')}"
            + _lot_details(r)
            + f"<h3>Warnings about the schedule</h3>{_table(r['warnings'], ('code', 'message', 'rule'), 'Warnings')}"
            f"<h3>Bidders</h3>{_table(r['bidders'], BIDDER_COLUMNS, 'Bidders', anonymised)}"
            f"<h3>Bids received</h3>{_table(r['bids'], BID_COLUMNS[1:], 'Bids received', anonymised)}"
            f"<h3>Extensions</h3>"
            f"{_table(r['extensions'], ('at', 'previous', 'deadline', 'rule', 'basis'), 'Extensions')}"
            f"<h3>Technical incidents</h3>"
            f"{_table(r['incidents'], ('started_at', 'ended_at', 'description', 'at'), 'Technical incidents')}"
            + _after_bidding(r)
            + f"<h3>Deposits to refund</h3>"
            f"{_table(refunds, ('bidder_code', 'subject', 'amount'), 'Deposits to refund', anonymised)}"
            f"<h3>Rules applied</h3>{_table(r['rules'], ('code', 'basis', 'reading'), 'Rules applied')}</section>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;margin:.5rem 0}"
        "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        "caption{text-align:left;font-weight:600;padding:.25rem 0}"
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Auction report</title>'
        f"<style>{style}</style></head><body><h1>Auction report</h1>"
        "<p>Rebuilt from a verified event log.</p>" + "".join(sections) + "</body></html>\n"
    )
    return page.encode("utf-8")


RENDERERS = {"json": render_json, "csv": render_csv, "html": render_html}
