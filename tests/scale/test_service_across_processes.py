"""The service decides on its cached state and lets the append's version check catch a stale cache.

Two services on one store stand for two server processes on one database:
each has its own cache, its own locks and its own group commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.clock import ManualClock
from engine.commands import (
    Advance,
    PlaceBid,
    RecordDeposit,
    RegisterBidder,
    ScheduleAuction,
)
from engine.events import BidAccepted, BidRejected, DepositRecorded
from engine.model import AssetKind
from engine.policy import Draft
from engine.service import AuctionService
from engine.store.base import StoredEvent
from engine.store.batching import GroupCommitStore
from engine.store.memory import MemoryEventStore
from rules import load_rules
from tests.scale.support import DRAFT_OPENS as OPENS
from tests.scale.support import swedish_draft


class CountingStore(MemoryEventStore):
    def __init__(self) -> None:
        super().__init__()
        self.stream_reads = 0

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        self.stream_reads += 1
        return await super().read_stream(stream, after_version)


def process(store: MemoryEventStore, clock: ManualClock) -> AuctionService:
    return AuctionService(GroupCommitStore(store), load_rules, clock)


async def open_swedish_auction(service: AuctionService, clock: ManualClock, bidders: int) -> None:
    await service.execute("a-1", ScheduleAuction("a-1", swedish_draft()))
    for n in range(bidders):
        await service.execute("a-1", RegisterBidder(subject=f"person-{n}"))
    clock.set(OPENS + timedelta(minutes=1))
    await service.execute("a-1", Advance())  # bidding opens


async def test_with_one_process_a_command_appends_without_reading_the_stream_first() -> None:
    store = CountingStore()
    clock = ManualClock(OPENS - timedelta(days=1))
    service = process(store, clock)
    await open_swedish_auction(service, clock, 2)
    reads = store.stream_reads
    for n in range(20):
        outcome = await service.execute("a-1", PlaceBid(f"B-{n % 2 + 1}", 100_00 + n * 10_00))
        assert isinstance(outcome.events[0], BidAccepted)
    assert store.stream_reads == reads


async def test_a_bid_decided_on_a_cache_another_process_overtook_is_decided_again_on_the_fresh_state() -> None:
    store = CountingStore()
    clock = ManualClock(OPENS - timedelta(days=1))
    first, second = process(store, clock), process(store, clock)
    await open_swedish_auction(first, clock, 2)
    await second.load("a-1")  # the second process has seen the auction open, without bids

    accepted = await first.execute("a-1", PlaceBid("B-1", 150_00))
    assert isinstance(accepted.events[0], BidAccepted)
    reads = store.stream_reads
    # On its stale cache the second process would accept 120.00; the append is refused, it reads
    # the stream again and refuses the bid on the state that includes the 150.00.
    outcome = await second.execute("a-1", PlaceBid("B-2", 120_00))
    assert store.stream_reads == reads + 1
    (refused,) = outcome.events
    assert isinstance(refused, BidRejected) and refused.reason == "bid_too_low"
    assert outcome.stored[0].version == accepted.stored[0].version + 1
    assert (outcome.state.price, outcome.state.leader) == (150_00, "B-1")

    # And the other way round: the first process's cache is now the stale one.
    again = await first.execute("a-1", PlaceBid("B-1", 130_00))
    assert isinstance(again.events[0], BidRejected) and again.events[0].reason == "bid_too_low"
    assert [e.version for e in await store.read_stream("auction-a-1")] == list(range(1, again.state.version + 1))


async def test_a_refusal_reached_on_a_stale_cache_is_checked_on_a_fresh_read_before_it_is_given() -> None:
    store = CountingStore()
    clock = ManualClock(datetime(2026, 5, 2, 7, 0, tzinfo=UTC))
    first, second = process(store, clock), process(store, clock)
    lithuanian = Draft(
        country="LT",
        title="Flat in Vilnius",
        asset=AssetKind.IMMOVABLE,
        value=100_000_00,
        currency="EUR",
        opens_at=datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
        payment_days=14,
    )
    scheduled = await first.execute("a-2", ScheduleAuction("a-2", lithuanian))
    await second.load("a-2")
    registered = await first.execute("a-2", RegisterBidder(subject="person-9"))
    code = registered.state.bidders[-1].code
    assert scheduled.state.terms is not None
    # The second process has never heard of this bidder: on its cache the deposit is "unknown_bidder".
    outcome = await second.execute("a-2", RecordDeposit(code, scheduled.state.terms.deposit_required))
    assert isinstance(outcome.events[0], DepositRecorded)
    assert outcome.state.bidder(code) is not None and outcome.state.bidder(code).admitted  # type: ignore[union-attr]
