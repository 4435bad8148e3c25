"""Every read side tells the same story as the decider.

For random command sequences on every country, the catalogue summary, the
report and the last live message (all folded from the stored events through
the codec, as a server does) must show the decider's status, price, leader,
deadline and bid count, and those must agree with the events themselves (the
last accepted amount, the number of accepted bids, the last extension).
A mutated meaning of one event type is caught.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import structs

from engine import codec
from engine.commands import EndAuction
from engine.details import details_json
from engine.errors import CommandRejected
from engine.events import BidAccepted, DeadlineExtended, Event
from engine.meaning import MEANINGS, instant, money
from engine.model import AuctionState, parse_instant
from engine.store.base import StoredEvent
from projections.catalogue import summary_json
from projections.history import bid_json
from projections.readmodel import ReadModel
from projections.report import build_report
from tests.domain.support import COUNTRIES, Run
from tests.domain.test_properties import actions, play

AUCTION = "a-1"
STREAM = "auction-" + AUCTION


def stored(events: list[Event]) -> list[StoredEvent]:
    """The events as a store keeps them: encoded, numbered (the chain is not checked here)."""
    out = []
    for number, event in enumerate(events, start=1):
        type_name, data = codec.encode(event)
        out.append(StoredEvent(number, STREAM, number, type_name, data, event.at, "0" * 64, "0" * 64))
    return out


def expected(state: AuctionState, events: list[Event]) -> dict[str, Any]:
    """What every read side must show, from the decider's state."""
    view = {
        "status": state.status.value,
        "price": money(state.price),
        "leader": state.leader,
        "closes_at": instant(state.closes_at),
        "bid_count": state.bid_count,
    }
    # The state itself agrees with the events it was folded from.
    accepted = [e for e in events if isinstance(e, BidAccepted)]
    assert state.bid_count == len(accepted)
    assert state.price == (accepted[-1].amount if accepted else None)
    assert state.leader == (accepted[-1].bidder_code if accepted else None)
    extended = [e for e in events if isinstance(e, DeadlineExtended)]
    assert state.terms is not None
    assert state.deadline == (extended[-1].deadline if extended else state.terms.closes_at)
    return view


def check_read_sides(run: Run) -> None:
    state, events = run.state, run.events
    want = expected(state, events)
    rows = stored(events)

    model = ReadModel()
    model.apply_page([(s.position, s.stream, s.version, s.type, s.data) for s in rows])
    summary = model.summary(AUCTION)
    assert summary is not None and summary.position == state.version
    catalogue = summary_json(summary)
    assert {key: catalogue[key] for key in want} == want, "the catalogue disagrees with the decider"

    changes = model.changes(AUCTION)
    last = changes[-1].body
    assert {key: last[key] for key in want} == want, "the last live message disagrees with the decider"
    bid_messages = [c.body for c in changes if c.type == "bid"]
    assert len(bid_messages) == state.bid_count
    if bid_messages:
        assert (bid_messages[-1]["amount"], bid_messages[-1]["bidder_code"]) == (want["price"], want["leader"])
    history = [bid_json(row) for row in model.bids(AUCTION, 0, 10_000).rows]
    assert [(r["bidder_code"], r["amount"]) for r in history] == [
        (e.bidder_code, money(e.amount)) for e in events if isinstance(e, BidAccepted)
    ]

    report = build_report(AUCTION, rows, run.rules, decoded=[codec.decode(s.type, s.data) for s in rows])
    local = {
        "status": report["status"],
        "price": report["price"],
        "leader": report["leader"],
        "closes_at": instant(parse_instant(report["closes_at"])) if report["closes_at"] else None,
        "bid_count": sum(1 for line in report["bids"] if line["accepted"]),
    }
    assert local == want, "the report disagrees with the decider"
    accepted_lines = [line for line in report["bids"] if line["accepted"]]
    if accepted_lines:
        assert (accepted_lines[-1]["amount"], accepted_lines[-1]["bidder_code"]) == (want["price"], want["leader"])
    assert len(report["extensions"]) == state.extensions
    assert report["ended"] == state.ended
    # What is for sale (tests/domain/test_lot_details.py folds amendments through every read side).
    details = details_json(state.details)
    assert report["details"] == details and {name: catalogue[name] for name in details} == details
    assert len(report["amendments"]) == catalogue["amendments"] == state.amendments


def play_and_maybe_end(country: str, plan: list[tuple], end: bool) -> Run:
    run = play(country, plan)
    if end:
        assert run.state.closed_at is not None
        try:
            run.do(EndAuction(), run.state.closed_at + timedelta(hours=1))
        except CommandRejected:
            pass
    return run


@pytest.mark.parametrize("country", COUNTRIES)
@settings(max_examples=40, deadline=None)
@given(plan=actions, cut=st.integers(0, 40), end=st.booleans())
def test_the_catalogue_the_report_and_the_live_feed_show_the_deciders_state(
    country: str, plan: list[tuple], cut: int, end: bool
) -> None:
    run = play_and_maybe_end(country, plan, end)
    check_read_sides(run)
    # And in the middle of bidding: every prefix of the log is a state some reader saw.
    prefix = Run(rules=run.rules, state=AuctionState(auction_id=AUCTION), events=run.events[: max(1, cut)])
    from engine.decider import fold

    prefix.state = fold(prefix.state, prefix.events)
    check_read_sides(prefix)


def test_a_mutated_meaning_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property is not vacuous: a report meaning that forgets an accepted bid's line,
    or an evolve that drops an extension, makes it fail."""
    plan: list[tuple] = [("bid", 0, "next", 1), ("near", 30), ("bid", 1, "next", 1), ("bid", 0, "next", 1)]
    for country in ("BG", "HR"):
        check_read_sides(play(country, plan))  # as the engine is, it holds

    original = MEANINGS[BidAccepted]
    monkeypatch.setitem(MEANINGS, BidAccepted, replace(original, report=lambda e, r: None))
    with pytest.raises(AssertionError, match="report disagrees"):
        check_read_sides(play("HR", plan))
    monkeypatch.setitem(MEANINGS, BidAccepted, original)

    extension = MEANINGS[DeadlineExtended]
    monkeypatch.setitem(
        MEANINGS,
        DeadlineExtended,
        replace(extension, evolve=lambda s, e: structs.replace(s, extensions=s.extensions + 1)),
    )
    with pytest.raises(AssertionError):
        check_read_sides(play("HR", plan))
    monkeypatch.setitem(MEANINGS, DeadlineExtended, extension)

    bid_message = MEANINGS[BidAccepted]
    monkeypatch.setitem(
        MEANINGS,
        BidAccepted,
        replace(bid_message, public=lambda e: {**original.public(e), "amount": money(e.amount + 1)}),  # type: ignore[misc]
    )
    with pytest.raises(AssertionError):
        check_read_sides(play("HR", plan))


def test_every_event_type_has_a_meaning() -> None:
    from engine.events import EVENT_TYPES

    assert set(EVENT_TYPES.values()) == set(MEANINGS)
