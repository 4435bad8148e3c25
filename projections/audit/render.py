"""A replayed report's printed forms: JSON, CSV (one row per bid received) and an HTML page."""

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


CSV_COLUMNS = (
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


def render_csv(reports: list[dict[str, Any]]) -> bytes:
    """One row per bid received (accepted or refused), every auction in the log."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for bid in report["bids"]:
            writer.writerow([report["auction"]] + [_cell(bid.get(c)) for c in CSV_COLUMNS[1:]])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


BIDDER_COLUMNS = ("bidder_code", "subject", "registered_at", "deposit_total", "admitted", "admission_rule")


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
        rows = "".join(
            f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(_cell(v))}</td></tr>' for k, v in summary
        )
        sections.append(
            f"<section><h2>Auction {html.escape(r['auction'])}</h2><table>{rows}</table>"
            f"<h3>Warnings about the schedule</h3>{_table(r['warnings'], ('code', 'message', 'rule'))}"
            f"<h3>Bidders</h3>{_table(r['bidders'], BIDDER_COLUMNS)}"
            f"<h3>Bids received</h3>{_table(r['bids'], CSV_COLUMNS[1:])}"
            f"<h3>Extensions</h3>{_table(r['extensions'], ('at', 'previous', 'deadline', 'rule', 'basis'))}"
            f"<h3>Technical incidents</h3>{_table(r['incidents'], ('started_at', 'ended_at', 'description', 'at'))}"
            f"<h3>Deposits to refund</h3>{_table(r['deposits_to_refund'], ('bidder_code', 'subject', 'amount'))}"
            f"<h3>Rules applied</h3>{_table(r['rules'], ('code', 'basis', 'reading'))}</section>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;margin:.5rem 0}"
        "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Auction report</title>'
        f"<style>{style}</style></head><body><h1>Auction report</h1>"
        "<p>Rebuilt from a verified event log.</p>" + "".join(sections) + "</body></html>\n"
    )
    return page.encode("utf-8")


RENDERERS = {"json": render_json, "csv": render_csv, "html": render_html}
