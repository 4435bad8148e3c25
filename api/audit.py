"""``auction replay``: verify an exported log and rebuild the reports from it alone.

The log is read as JSON Lines (the format of ``auction export`` and of
``GET /auctions/{id}/events``), its hash chains are verified first, and only
a log that verifies is replayed, through the same codec and report builder as
the live engine.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from api.receipts import SIGNED_FIELDS, ReceiptError, verify_receipt
from engine import codec
from engine.events import BidAccepted
from engine.model import InvalidValue, parse_instant, parse_money
from engine.streams import auction_of
from engine.store.base import StoredEvent
from engine.store.chain import ChainBroken, verify_chain
from projections.report import build_report

FIELDS = ("position", "stream", "version", "type", "recorded_at", "data", "prev_hash", "hash")


class LogError(ValueError):
    """The log cannot be trusted; the message names the first bad event or line."""


def read_log(lines: Iterable[bytes]) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise LogError(f"line {number}: not valid JSON") from None
        if not isinstance(raw, dict) or any(name not in raw for name in FIELDS):
            raise LogError(f"line {number}: an event needs {', '.join(FIELDS)}")
        try:
            recorded_at = parse_instant(raw["recorded_at"], "recorded_at")
        except InvalidValue as exc:
            raise LogError(f"line {number} (position {raw.get('position')}): {exc}") from None
        if not isinstance(raw["data"], dict) or not all(
            isinstance(raw[k], int) and not isinstance(raw[k], bool) for k in ("position", "version")
        ):
            raise LogError(f"line {number} (position {raw.get('position')}): malformed event")
        events.append(
            StoredEvent(
                position=raw["position"],
                stream=str(raw["stream"]),
                version=raw["version"],
                type=str(raw["type"]),
                data=raw["data"],
                recorded_at=recorded_at,
                prev_hash=str(raw["prev_hash"]),
                hash=str(raw["hash"]),
            )
        )
    if not events:
        raise LogError("the log is empty")
    return events


def verify_log(events: Sequence[StoredEvent]) -> None:
    try:
        verify_chain(events)
    except ChainBroken as exc:
        raise LogError(f"first bad event at position {exc.position}: {exc.reason}") from None
    # Only auction streams can be replayed into reports.
    for event in events:
        if auction_of(event.stream) is None:
            raise LogError(f"event at position {event.position}: unknown stream {event.stream!r}")


def receipts_in(document: Any) -> list[dict[str, Any]]:
    """The receipts a file holds: one receipt, the answer to a bid (with its ``receipt``), or a list of either."""
    items = document if isinstance(document, list) else [document]
    receipts = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("receipt"), dict):
            item = item["receipt"]
        if not isinstance(item, dict):
            raise LogError("a receipt is a JSON object")
        problem = _receipt_shape(item)
        if problem is not None:
            raise LogError(problem)
        receipts.append(item)
    if not receipts:
        raise LogError("no receipt in it")
    return receipts


# The fields of a receipt (api.receipts: the signed ones, the algorithm and the signature) and
# their JSON types: every one a string but the position.
_RECEIPT_FIELDS: dict[str, type] = {
    name: int if name == "position" else str for name in (*SIGNED_FIELDS, "algorithm", "signature")
}


def _receipt_shape(item: dict[str, Any]) -> str | None:
    """What makes ``item`` not a receipt at all (bad input, not a bad log), if anything."""
    for name, kind in _RECEIPT_FIELDS.items():
        value = item.get(name)
        if type(value) is not kind:  # type(): a JSON true is not a position
            return f"a receipt needs {name} as a JSON {'number' if kind is int else 'string'}"
    return None


def check_receipts(events: Sequence[StoredEvent], receipts: Sequence[tuple[str, dict[str, Any]]], public_key: str) -> None:
    """Raise :class:`LogError` (naming the receipt) unless every receipt is signed by
    ``public_key`` and the log holds the accepted bid it names.

    The hash chains prove a log unaltered up to each stream's last event, but not that
    nothing came after: a copy cut there still verifies. A bidder's receipt, signed when
    the bid was acknowledged, names the bid's auction and position; a log without that
    bid, or with another event there, is not the whole log."""
    at: dict[tuple[str | None, int], StoredEvent] = {(auction_of(e.stream), e.version): e for e in events}
    last: dict[str | None, int] = {auction_of(e.stream): e.version for e in events}
    for name, receipt in receipts:
        try:
            verify_receipt(receipt, public_key)
        except ReceiptError as exc:
            raise LogError(f"{name}: receipt NOT valid: {exc}") from None
        auction, position = receipt["auction"], receipt["position"]
        found = at.get((auction, position))
        if found is None:
            raise LogError(
                f"{name}: the receipt for position {position} of auction {auction!r} has no event in the log,"
                f" whose copy of that auction ends at position {last.get(auction, 0)}: events are missing"
            )
        try:
            event = codec.decode(found.type, found.data)
            signed = (receipt["bidder_code"], parse_money(receipt["amount"]), parse_instant(receipt["received_at"]))
        except (ValueError, TypeError) as exc:
            raise LogError(f"{name}: the receipt for position {position} of auction {auction!r} cannot be read: {exc}") from None
        if not isinstance(event, BidAccepted) or (event.bidder_code, event.amount, event.at) != signed:
            raise LogError(
                f"{name}: event at position {found.position} (auction {auction!r}, position {position}) is not"
                " the accepted bid its receipt names"
            )


def replay_reports(
    events: Sequence[StoredEvent],
    rules_for: Any,
    as_of: datetime | None = None,
    anonymise: bool = False,
) -> list[dict[str, Any]]:
    by_auction: dict[str, list[StoredEvent]] = {}
    for event in events:
        if as_of is not None and event.recorded_at > as_of:
            continue
        auction_id = auction_of(event.stream)
        assert auction_id is not None
        by_auction.setdefault(auction_id, []).append(event)
    reports = []
    for auction_id, stream in by_auction.items():
        country = stream[0].data.get("country")
        if stream[0].type != "AuctionScheduled" or not isinstance(country, str):
            raise LogError(f"event at position {stream[0].position}: an auction's log starts with AuctionScheduled")
        reports.append(build_report(auction_id, stream, rules_for(country), anonymise=anonymise))
    return reports


# ------------------------------------------------------------------ rendering


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
            f"<h3>Bidders</h3>{_table(r['bidders'], ('bidder_code', 'subject', 'registered_at', 'deposit_total', 'admitted', 'admission_rule'))}"
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
