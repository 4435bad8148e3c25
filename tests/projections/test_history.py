"""Bid history pages by position."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.events import BidAccepted
from engine.model import AcceptedBid, Status
from projections.changes import ChangeRecord
from projections.history import bid_json, page

AT = datetime(2030, 1, 1, tzinfo=UTC)


def row(position: int) -> ChangeRecord:
    bid = BidAccepted(at=AT, bidder_code="B-1", amount=position * 100)
    best = AcceptedBid(bidder_code="B-1", amount=position * 100, at=AT, position_in_auction=position, automatic=False)
    return ChangeRecord(position, "a", bid, Status.OPEN, best, None, position, False)


ROWS = [row(position) for position in (3, 5, 6, 9, 12)]


def test_a_page_starts_after_the_given_position() -> None:
    assert [r.position for r in page(ROWS, 5, 10).rows] == [6, 9, 12]
    assert [r.position for r in page(ROWS, 4, 10).rows] == [5, 6, 9, 12]


def test_next_after_points_at_the_last_row_only_when_more_remain() -> None:
    first = page(ROWS, 0, 2)
    assert [r.position for r in first.rows] == [3, 5] and first.next_after == 5
    second = page(ROWS, 5, 3)
    assert [r.position for r in second.rows] == [6, 9, 12] and second.next_after is None


def test_a_page_past_the_end_is_empty() -> None:
    assert page(ROWS, 12, 5).rows == [] and page(ROWS, 12, 5).next_after is None
    assert page([], 0, 5).rows == []


def test_a_row_reads_as_the_accepted_bid() -> None:
    assert bid_json(ROWS[0]) == {
        "bidder_code": "B-1",
        "amount": "3.00",
        "position": 3,
        "received_at": "2030-01-01T00:00:00+00:00",
        "automatic": False,
    }
