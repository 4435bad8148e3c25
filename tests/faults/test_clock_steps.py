"""The server's wall clock stepped back (or forward) while auctions run: the service never records an
event before the one it follows, and no deadline in force moves earlier.

The service takes a command's instant from its clock; a clock that reads earlier than the stream's
last event is overruled by that event's instant (``engine.clock.not_before``, docs/operations.md).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import Advance, Command, PlaceBid, RecordDeposit, RegisterBidder, ScheduleAuction
from engine.errors import DomainError
from engine.events import BidAccepted
from engine.model import AuctionState, Status, parse_instant
from engine.policy import RuleViolation
from engine.service import AuctionService, decode_stored
from engine.store.batching import GroupCommitStore
from engine.store.memory import MemoryEventStore
from engine.streams import stream_of
from rules import load_rules
from tests.api.support import running_api, swedish_auction
from tests.domain.support import COUNTRIES, draft_for

AUCTION = "clock-1"
BIDDERS = 3


class SteppingClock:
    """A manual wall clock that an operator or NTP may step either way, as a real one can be."""

    def __init__(self, start: datetime) -> None:
        self.instant = start
        self.readings: list[datetime] = []

    def now(self) -> datetime:
        self.readings.append(self.instant)
        return self.instant

    def step(self, delta: timedelta) -> None:
        self.instant += delta


async def open_auction(country: str, grouped: bool) -> tuple[AuctionService, SteppingClock, MemoryEventStore]:
    draft = draft_for(country)
    clock = SteppingClock(draft.opens_at - timedelta(days=10))
    store = MemoryEventStore()
    service = AuctionService(GroupCommitStore(store) if grouped else store, load_rules, clock)
    await service.execute(AUCTION, ScheduleAuction(AUCTION, draft))
    for n in range(BIDDERS):
        await service.execute(AUCTION, RegisterBidder(subject=f"person-{n}"))
        state = await service.load(AUCTION)
        assert state.terms is not None
        if state.terms.deposit_required:
            await service.execute(AUCTION, RecordDeposit(f"B-{n + 1}", state.terms.deposit_required))
    clock.step(draft.opens_at - clock.instant)
    await service.execute(AUCTION, Advance())
    return service, clock, store


def next_amount(state: AuctionState, raises: int) -> int:
    assert state.terms is not None
    base = state.price if state.price is not None else state.terms.starting_price or 0
    return base + raises * (state.terms.increment or 1_000_00)


async def attempt(service: AuctionService, command: Command) -> AuctionState:
    try:
        return (await service.execute(AUCTION, command)).state
    except (DomainError, RuleViolation):  # refused without a record (not admitted, closed...)
        return await service.load(AUCTION)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.sampled_from([-3600, -600, -61, -60, -59, -1, 1, 30, 59, 60, 61, 119, 121])),
        st.tuples(st.just("step"), st.integers(-300, 300)),
        st.tuples(st.just("bid"), st.integers(0, BIDDERS - 1), st.integers(0, 3)),
        st.tuples(st.just("advance")),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    country=st.sampled_from(COUNTRIES),
    grouped=st.booleans(),
    near_deadline=st.booleans(),
    moves=steps,
)
def test_no_event_goes_back_in_time_and_no_deadline_moves_earlier_whatever_the_clock_does(
    country: str, grouped: bool, near_deadline: bool, moves: list[tuple[object, ...]]
) -> None:
    asyncio.run(stepped_clock_run(country, grouped, near_deadline, moves))


async def stepped_clock_run(country: str, grouped: bool, near_deadline: bool, moves: list[tuple[object, ...]]) -> None:
    service, clock, store = await open_auction(country, grouped)
    state = await service.load(AUCTION)
    assert state.status is Status.OPEN and state.deadline is not None
    if near_deadline:  # where bids extend the deadline and the close is near
        clock.step(state.deadline - timedelta(seconds=90) - clock.instant)
    deadlines = [state.closes_at]
    for move in moves:
        if move[0] == "step":
            clock.step(timedelta(seconds=int(str(move[1]))))
            continue
        if move[0] == "bid":
            bidder, raises = int(str(move[1])), int(str(move[2]))
            state = await attempt(service, PlaceBid(f"B-{bidder + 1}", next_amount(state, raises)))
        else:
            state = await attempt(service, Advance())
        deadlines.append(state.closes_at)

    events = decode_stored(await store.read_stream(stream_of(AUCTION)))
    instants = [event.at for event in events]
    assert instants == sorted(instants), "an event was recorded before the one it follows"
    stored = [event.recorded_at for event in await store.read_stream(stream_of(AUCTION))]
    assert stored == instants
    # The deadline in force (the close, once bidding is over) never moved earlier.
    shown = [d for d in deadlines if d is not None]
    assert shown == sorted(shown), f"a deadline moved earlier: {shown}"
    # Overruling the clock never invents time: no instant after the latest the clock ever read.
    assert max(instants) <= max(clock.readings)


async def test_a_bid_after_the_clock_steps_back_a_minute_is_recorded_at_the_last_bids_instant() -> None:
    service, clock, store = await open_auction("SE", grouped=False)
    state = await service.load(AUCTION)
    assert state.deadline is not None
    clock.step(state.deadline - timedelta(seconds=30) - clock.instant)  # in the last two minutes
    first = await service.execute(AUCTION, PlaceBid("B-1", next_amount(state, 1)))
    extended = first.state.deadline
    assert extended is not None and extended > state.deadline
    at_first = clock.instant

    clock.step(timedelta(seconds=-60))
    second = await service.execute(AUCTION, PlaceBid("B-2", next_amount(first.state, 1)))
    (accepted,) = [event for event in second.events if isinstance(event, BidAccepted)]
    assert accepted.at == at_first
    assert second.state.deadline is not None and second.state.deadline >= extended

    # The scheduler's Advance at the stepped-back clock's deadline minus a minute closes nothing.
    assert second.state.deadline is not None
    clock.step(second.state.deadline - timedelta(seconds=1) - clock.instant)
    assert (await service.execute(AUCTION, Advance())).state.status is Status.OPEN
    clock.step(timedelta(seconds=1))
    closed = await service.execute(AUCTION, Advance())
    assert closed.state.status is Status.CLOSED
    assert closed.events[-1].at == second.state.deadline
    instants = [event.recorded_at for event in await store.read_stream(stream_of(AUCTION))]
    assert instants == sorted(instants)


async def test_another_process_with_its_clock_ahead_is_never_followed_by_an_earlier_event() -> None:
    """Two services on one store, one clock a minute ahead of the other: whichever decides next,
    each event is at or after the last one stored (the late one reads the stream's last instant)."""
    draft = draft_for("SE")
    store = MemoryEventStore()
    ahead = SteppingClock(draft.opens_at + timedelta(minutes=10))
    behind = SteppingClock(draft.opens_at + timedelta(minutes=9))
    first = AuctionService(store, load_rules, SteppingClock(draft.opens_at - timedelta(days=1)))
    await first.execute(AUCTION, ScheduleAuction(AUCTION, draft))
    for n in range(2):
        await first.execute(AUCTION, RegisterBidder(subject=f"person-{n}"))
    one, other = AuctionService(store, load_rules, ahead), AuctionService(store, load_rules, behind)
    price = draft.starting_price or 0
    for turn in range(6):
        service = one if turn % 2 == 0 else other
        price += 1_000_00
        await service.execute(AUCTION, PlaceBid(f"B-{turn % 2 + 1}", price))
        ahead.step(timedelta(seconds=5))
        behind.step(timedelta(seconds=5))
    instants = [event.recorded_at for event in await store.read_stream(stream_of(AUCTION))]
    assert instants == sorted(instants)


async def test_through_the_http_api_a_clock_stepped_back_a_minute_moves_no_instant_or_deadline_back(
    tmp_path: Path,
) -> None:
    """The same through the whole application (routes, handlers, the group commit, SQLite): a server
    whose wall clock steps back a minute in an auction's last two minutes."""
    opens = datetime(2026, 5, 15, 15, 0, tzinfo=UTC)
    clock = SteppingClock(opens - timedelta(minutes=1))
    async with running_api(f"sqlite:///{tmp_path / 'auction.sqlite3'}", clock=clock) as api:
        auction_id = (await api.schedule(swedish_auction(opens)))["id"]
        for subject in ("first@example.test", "second@example.test"):
            await api.register(auction_id, subject)
        clock.step(opens + timedelta(minutes=59, seconds=30) - clock.instant)
        first = await api.bid(auction_id, "first@example.test", "1100.00")
        assert first.status_code == 201, first.text
        clock.step(timedelta(seconds=-60))
        second = await api.bid(auction_id, "second@example.test", "1200.00")
        assert second.status_code == 201, second.text
        assert parse_instant(second.json()["received_at"]) >= parse_instant(first.json()["received_at"])
        assert parse_instant(second.json()["closes_at"]) >= parse_instant(first.json()["closes_at"])
        shown = (await api.client.get(f"/auctions/{auction_id}")).json()
        assert parse_instant(shown["closes_at"]) >= parse_instant(first.json()["closes_at"])
        instants = [parse_instant(event["recorded_at"]) for event in await api.events(auction_id)]
        assert instants == sorted(instants), "an event was recorded before the one it follows"
