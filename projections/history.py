"""The pseudonymous bid history: accepted bids in order, by bidder code, keyed by position.

Pure functions; the rows are kept in position order by whoever folds them in,
so a page is a binary search and a slice.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, Sequence

import msgspec

from engine.events import BidAccepted, Event
from engine.model import AuctionState, format_instant, format_money


class BidRow(msgspec.Struct, frozen=True, gc=False):
    """One accepted bid; a read model keeps one for every bid ever made (values only: never
    in a cycle, so the cyclic collector need not track it)."""

    position: int  # the stream version of the BidAccepted event
    bidder_code: str
    amount: int
    received_at: datetime
    automatic: bool


def bid_row(event: Event, version: int) -> BidRow | None:
    """The row of an accepted bid (the stream's ``version``-th event), else ``None``."""
    if isinstance(event, BidAccepted):
        return BidRow(version, event.bidder_code, event.amount, event.at, event.automatic)
    return None


def best_row(state: AuctionState) -> BidRow:
    """The row of the state's best bid, the bid its last event accepted."""
    best = state.best
    assert best is not None
    return BidRow(state.version, best.bidder_code, best.amount, best.at, best.automatic)


@dataclass(frozen=True)
class Page:
    rows: Sequence[BidRow]
    next_after: int | None  # where the next page starts, None on the last page


def page(rows: Sequence[BidRow], after: int, limit: int) -> Page:
    """Rows with position > ``after``, at most ``limit`` of them; ``rows`` is in position order."""
    start = bisect_right(rows, after, key=attrgetter("position"))
    chunk = rows[start : start + limit]
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
