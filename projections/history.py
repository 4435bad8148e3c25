"""The pseudonymous bid history: accepted bids in order, by bidder code, keyed by position.

A row is the change record of an accepted bid (``projections.changes``): the
read model keeps that record for the live feed anyway, and the history lists
the same objects. Pure functions; the rows are kept in position order by
whoever folds them in, so a page is a binary search and a slice.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from engine.events import BidAccepted
from engine.model import format_instant, format_money
from projections.changes import ChangeRecord


def is_bid(record: ChangeRecord) -> bool:
    """Whether the change is an accepted bid: the history's rows are those changes."""
    return type(record.event) is BidAccepted


@dataclass(frozen=True)
class Page:
    rows: Sequence[ChangeRecord]
    next_after: int | None  # where the next page starts, None on the last page


def page(rows: Sequence[ChangeRecord], after: int, limit: int) -> Page:
    """Rows with position > ``after``, at most ``limit`` of them; ``rows`` is in position order."""
    start = bisect_right(rows, after, key=attrgetter("position"))
    chunk = rows[start : start + limit]
    more = start + limit < len(rows)
    return Page(chunk, chunk[-1].position if more and chunk else None)


def bid_json(row: ChangeRecord) -> dict[str, Any]:
    bid = row.event
    assert isinstance(bid, BidAccepted)
    return {
        "bidder_code": bid.bidder_code,
        "amount": format_money(bid.amount),
        "position": row.position,
        "received_at": format_instant(bid.at),
        "automatic": bid.automatic,
    }
