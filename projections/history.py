"""The pseudonymous bid history: accepted bids in order, by bidder code, keyed by position.

Pure functions; the rows are kept in position order by whoever folds them in,
so a page is a binary search and a slice. A read model may keep its rows as
plain tuples in :class:`BidRow`'s field order (:func:`bid_values`): the garbage
collector stops tracking those, and there is one per accepted bid ever made.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple, Sequence

from engine.events import BidAccepted, Event
from engine.model import format_instant, format_money


class BidRow(NamedTuple):
    position: int  # the stream version of the BidAccepted event
    bidder_code: str
    amount: int
    received_at: datetime
    automatic: bool


# A BidRow's values as a plain tuple.
RowValues = tuple[int, str, int, datetime, bool]


def bid_values(event: Event, version: int) -> RowValues | None:
    if isinstance(event, BidAccepted):
        return (version, event.bidder_code, event.amount, event.at, event.automatic)
    return None


def bid_row(event: Event, version: int) -> BidRow | None:
    values = bid_values(event, version)
    return None if values is None else BidRow._make(values)


@dataclass(frozen=True)
class Page:
    rows: Sequence[BidRow]
    next_after: int | None  # where the next page starts, None on the last page


def page(rows: Sequence[RowValues], after: int, limit: int) -> Page:
    """Rows with position > ``after``, at most ``limit`` of them; ``rows`` (BidRows or
    their plain values) is in position order."""
    start = bisect_right(rows, after, key=itemgetter(0))
    chunk = [BidRow._make(row) for row in rows[start : start + limit]]
    more = start + limit < len(rows)
    return Page(chunk, chunk[-1].position if more and chunk else None)


def bid_json(row: BidRow) -> dict[str, Any]:
    return {
        "bidder_code": row.bidder_code,
        "amount": format_money(row.amount),
        "position": row.position,
        "received_at": format_instant(row.received_at),
        "automatic": row.automatic,
    }
