"""A stateful test of the service on the in-memory store, driven by a manual clock.

Hypothesis interleaves clock moves, registrations, deposits, bids, proxies,
repeated idempotency keys and cache losses; after every step the state the
service keeps must equal a replay of the stored log, the log's hash chain must
verify, and no acknowledged bid may be lost or counted twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine.clock import ManualClock
from engine.commands import Advance, PlaceBid, RecordDeposit, RegisterBidder, ScheduleAuction, SetProxy
from engine.decider import replay
from engine.errors import DomainError
from engine.events import BidAccepted, BidderRegistered, BidRejected
from engine.model import Status
from engine.service import AuctionService, decode_stored, open_events, stream_of
from engine.store.chain import verify_chain
from engine.store.memory import MemoryEventStore
from rules import load_rules
from tests.domain.support import COUNTRIES, draft_for

AUCTION = "stateful-1"


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.store = MemoryEventStore()
        self.acknowledged: list[tuple[str, int]] = []  # (bidder, amount) of every bid answered "accepted"
        self.keys: dict[str, int] = {}  # idempotency key -> stream version after its first answer
        self.counter = 0

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.loop.close()

    @initialize(country=st.sampled_from(COUNTRIES))
    def schedule(self, country: str) -> None:
        draft = draft_for(country)
        self.clock = ManualClock(draft.opens_at - timedelta(days=10))
        self.service = AuctionService(self.store, load_rules, self.clock)
        self.run(self.service.execute(AUCTION, ScheduleAuction(AUCTION, draft)))
        self.bidders: list[str] = []

    def state(self):  # type: ignore[no-untyped-def]
        return self.run(self.service.load(AUCTION))

    @rule(
        seconds=st.sampled_from([1, 59, 60, 119, 120, 121, 599, 600, 3600, 86400]) | st.integers(0, 4 * 86400),
        micros=st.sampled_from([0, 1, 999, 1000, 999_999]) | st.integers(0, 999_999),
    )
    def wait(self, seconds: int, micros: int) -> None:
        # Server clocks have microseconds: the stored log must keep every one of them.
        self.clock.advance(timedelta(seconds=seconds, microseconds=micros))
        self.run(self.service.execute(AUCTION, Advance()))

    @rule(margin=st.integers(0, 700))
    def go_near_the_deadline(self, margin: int) -> None:
        deadline = self.state().deadline
        target = deadline - timedelta(seconds=margin)
        if target > self.clock.now():
            self.clock.set(target)

    @rule()
    def reach_the_opening(self) -> None:
        opens_at = self.state().terms.opens_at
        if opens_at > self.clock.now():
            self.clock.set(opens_at)

    @rule(pay=st.booleans())
    def register(self, pay: bool) -> None:
        self.counter += 1
        try:
            outcome = self.run(self.service.execute(AUCTION, RegisterBidder(subject=f"person-{self.counter}")))
        except DomainError as exc:
            assert exc.code == "registration_closed"
            return
        code = next(e.bidder_code for e in outcome.events if isinstance(e, BidderRegistered))
        self.bidders.append(code)
        required = outcome.state.terms.deposit_required
        if pay and required:
            self.run(self.service.execute(AUCTION, RecordDeposit(code, required)))

    @precondition(lambda self: self.bidders)
    @rule(data=st.data(), extra=st.integers(0, 3), retry=st.booleans())
    def bid(self, data: st.DataObject, extra: int, retry: bool) -> None:
        state = self.state()
        bidder = data.draw(st.sampled_from(self.bidders))
        terms = state.terms
        step = terms.increment or 1
        if state.best is None:
            amount = (terms.starting_price or 1) + (terms.increment or 0 if terms.country == "SI" else 0)
        else:
            amount = state.best.amount + step
        amount += extra * step
        self.counter += 1
        key = f"k-{self.counter}"
        outcome = self.run(self.service.execute(AUCTION, PlaceBid(bidder, amount), idempotency_key=key))
        if not state.bidder(bidder).admitted:
            first = outcome.events[-1]
            assert isinstance(first, BidRejected), "a bidder without a deposit bid"
            assert first.reason in ("not_admitted", "auction_not_open", "auction_closed")
        if any(isinstance(e, BidAccepted) and not e.automatic and e.bidder_code == bidder for e in outcome.events):
            self.acknowledged.append((bidder, amount))
        version = self.run(self.store.stream_version(stream_of(AUCTION)))
        self.keys[key] = version
        if retry:
            again = self.run(self.service.execute(AUCTION, PlaceBid(bidder, amount), idempotency_key=key))
            assert again.duplicate, "a repeated key must be answered from the first answer"
            assert [s.version for s in again.stored] == [s.version for s in outcome.stored]
            assert self.run(self.store.stream_version(stream_of(AUCTION))) == version, "a retry recorded something"

    @precondition(lambda self: self.bidders)
    @rule(data=st.data(), ceiling=st.integers(1, 50))
    def proxy(self, data: st.DataObject, ceiling: int) -> None:
        bidder = data.draw(st.sampled_from(self.bidders))
        self.run(self.service.execute(AUCTION, SetProxy(bidder, ceiling * 10_000_00, 500_00)))

    @rule()
    def lose_the_cache(self) -> None:
        # A restarted process rebuilds the state from the log alone.
        self.service = AuctionService(self.store, load_rules, self.clock)

    @invariant()
    def the_kept_state_is_the_replayed_log(self) -> None:
        stored = self.run(self.store.read_stream(stream_of(AUCTION)))
        verify_chain(stored)
        rebuilt = replay(AUCTION, self.run(open_events(stored, self.service.vault)))
        assert rebuilt == self.state()

    @invariant()
    def every_acknowledged_bid_is_stored_exactly_once(self) -> None:
        stored = decode_stored(self.run(self.store.read_stream(stream_of(AUCTION))))
        manual = [(e.bidder_code, e.amount) for e in stored if isinstance(e, BidAccepted) and not e.automatic]
        assert manual == self.acknowledged
        amounts = [e.amount for e in stored if isinstance(e, BidAccepted)]
        assert amounts == sorted(set(amounts)), "accepted amounts must strictly increase"

    @invariant()
    def no_bid_is_accepted_at_or_after_the_deadline(self) -> None:
        state = self.state()
        for event in decode_stored(self.run(self.store.read_stream(stream_of(AUCTION)))):
            if isinstance(event, BidAccepted):
                assert event.at < state.deadline
        if state.status in (Status.CLOSED, Status.FAILED):
            assert state.closed_at == state.deadline


ServiceMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestServiceMachine = ServiceMachine.TestCase
