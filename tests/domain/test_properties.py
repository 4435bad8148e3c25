"""Properties that must hold for every country, over random bid sequences.

Each example schedules an auction, admits three bidders, then walks a random
sequence of waits, jumps close to the deadline, bids (valid, equal, low,
off-step) and proxies, and finally lets time run out.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import Advance, PlaceBid, SetProxy
from engine.decider import fold
from engine.events import (
    BidAccepted,
    BiddingClosed,
    BiddingFailed,
    BidRejected,
    DeadlineExtended,
    ProxyRejected,
)
from engine.model import AuctionState, Status
from tests.domain.support import COUNTRIES, Run, scheduled

SECONDS = [0, 1, 30, 59, 60, 119, 120, 121, 299, 300, 301, 599, 600, 601, 3600]

waits = st.tuples(st.just("wait"), st.sampled_from(SECONDS) | st.integers(0, 7200))
nears = st.tuples(st.just("near"), st.sampled_from(SECONDS) | st.integers(0, 900))
bids = st.tuples(
    st.just("bid"),
    st.integers(0, 2),
    st.sampled_from(["next", "next", "next", "over", "equal", "low", "odd"]),
    st.integers(1, 5),
)
proxies = st.tuples(st.just("proxy"), st.integers(0, 2), st.integers(1, 20), st.integers(1, 5))
actions = st.lists(st.one_of(waits, nears, bids, bids, proxies), max_size=40)


def next_amount(run: Run) -> int:
    terms = run.state.terms
    assert terms is not None
    step = terms.increment or 1
    best = run.state.best
    if best is None:
        first = terms.starting_price or 1
        return first + (terms.increment or 0) if terms.country == "SI" else first
    return best.amount + step


def play(country: str, plan: list[tuple]) -> Run:
    run = scheduled(country)
    assert run.state.terms is not None
    now = run.state.terms.opens_at
    run.do(Advance(), now)
    for action in plan:
        kind = action[0]
        if kind == "wait":
            now = now + timedelta(seconds=action[1])
            run.do(Advance(), now)
            continue
        if kind == "near":
            assert run.state.deadline is not None
            now = max(now, run.state.deadline - timedelta(seconds=action[1]))
            run.do(Advance(), now)
            continue
        bidder = f"B-{action[1] + 1}"
        if kind == "bid":
            amount = next_amount(run)
            variant, factor = action[2], action[3]
            if variant == "over":
                amount += factor * (run.state.terms.increment or 100_00)
            elif variant == "equal":
                amount = run.state.price or amount
            elif variant == "low":
                amount = max(1, (run.state.price or amount) - factor * 100)
            elif variant == "odd":
                amount += 37
            run.do(PlaceBid(bidder, amount), now)
        else:
            maximum = next_amount(run) + action[2] * 1_000_00
            run.do(SetProxy(bidder, maximum, action[3] * 100_00), now)
    # Far beyond any deadline (LT runs 30 days, BG may run 48 h over).
    now = now + timedelta(days=90)
    run.do(Advance(), now)
    return run


def check_invariants(run: Run) -> None:
    state = AuctionState(auction_id="a-1")
    last_amount = -1
    accepted = 0
    for event in run.events:
        if isinstance(event, BidAccepted):
            assert state.status is Status.OPEN, "a bid was accepted while bidding was not open"
            assert state.deadline is not None and event.at < state.deadline, "a bid at or after the deadline counted"
            assert event.amount > last_amount, "accepted amounts must strictly increase"
            last_amount = event.amount
            accepted += 1
        if isinstance(event, DeadlineExtended):
            assert state.deadline is not None
            assert event.previous == state.deadline
            assert event.deadline > state.deadline, "the deadline moved earlier"
            assert event.rule.startswith(run.rules.country), "an extension must name its rule"
        if isinstance(event, (BiddingClosed, BiddingFailed)):
            assert event.at == state.deadline, "bidding must end exactly at the deadline in force"
        if isinstance(event, BidRejected):
            assert event.reason and event.reason == event.reason.lower()
        state = fold(state, [event])
        stop = run.rules.hard_stop(state.terms) if state.terms else None
        if stop is not None and state.deadline is not None:
            assert state.deadline <= stop, "the deadline passed the hard stop"
    assert state == run.state, "replaying the events must rebuild the same state"
    assert run.state.bid_count == accepted, "every accepted bid is counted exactly once"
    assert run.state.status in (Status.CLOSED, Status.FAILED)
    if accepted:
        assert run.state.status is Status.CLOSED
        assert run.state.closed_at is not None
    else:
        assert run.state.status is Status.FAILED


@pytest.mark.parametrize("country", COUNTRIES)
@settings(max_examples=60, deadline=None)
@given(plan=actions)
def test_random_bid_sequences_keep_every_invariant(country: str, plan: list[tuple]) -> None:
    check_invariants(play(country, plan))


@pytest.mark.parametrize("country", COUNTRIES)
@settings(max_examples=25, deadline=None)
@given(plan=actions)
def test_the_same_commands_at_the_same_instants_give_the_same_events(country: str, plan: list[tuple]) -> None:
    assert play(country, plan).events == play(country, plan).events


@pytest.mark.parametrize("country", [country for country in COUNTRIES if country != "LT"])
@settings(max_examples=25, deadline=None)
@given(plan=actions)
def test_countries_without_automatic_bidding_refuse_every_proxy(country: str, plan: list[tuple]) -> None:
    run = play(country, plan)
    assert not any(isinstance(e, BidAccepted) and e.automatic for e in run.events)
    for event in run.events:
        if isinstance(event, ProxyRejected):
            assert event.reason in ("proxy_not_allowed",)


@settings(max_examples=60, deadline=None)
@given(plan=actions)
def test_the_bulgarian_deadline_never_passes_48_hours_after_the_scheduled_close(plan: list[tuple]) -> None:
    run = play("BG", plan)
    terms = run.state.terms
    assert terms is not None
    for event in run.events:
        if isinstance(event, DeadlineExtended):
            assert event.deadline <= terms.closes_at + timedelta(hours=48)
