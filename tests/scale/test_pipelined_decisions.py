"""A hot auction's commands are decided while the previous one is being written.

With a group-commit store the service decides a command on the state the
previous (not yet written) append leaves, and its append follows that one: it
is written only if that one was. These tests hold the writes back at a gate to
show both sides: bids queued on one auction share commits, and a bid decided
on an append that another process's write then refused is never written,
even when its expected version matches the stream's real one by coincidence.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import timedelta

import pytest

from engine.clock import ManualClock
from engine.commands import Advance, PlaceBid, RegisterBidder, ScheduleAuction
from engine.decider import replay
from engine.events import BidAccepted, BidRejected
from engine.service import AuctionService, decode_stored, stream_of
from engine.store.base import AppendRequest, AppendResult, ConcurrencyConflict, NewEvent
from engine.store.batching import GroupCommitStore
from engine.store.memory import MemoryEventStore
from rules import load_rules
from tests.scale.support import DRAFT_OPENS as OPENS
from tests.scale.support import swedish_draft


class GatedStore(MemoryEventStore):
    """A memory store shared by "processes"; ``gate`` holds back the appends made through :class:`Gated`."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = 0
        self.batches: list[int] = []


class Gated:
    """One process's view of a :class:`GatedStore`: its appends wait at the gate."""

    def __init__(self, shared: GatedStore) -> None:
        self.shared = shared

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        self.shared.waiting += 1
        await self.shared.gate.wait()
        self.shared.waiting -= 1
        self.shared.batches.append(len(requests))
        return await self.shared.append_batch(requests)

    def __getattr__(self, name: str) -> object:
        return getattr(self.shared, name)


async def open_auction(service: AuctionService, clock: ManualClock, auction: str, bidders: int) -> None:
    await service.execute(auction, ScheduleAuction(auction, swedish_draft(auction)))
    for n in range(bidders):
        await service.execute(auction, RegisterBidder(subject=f"{auction}-person-{n}"))
    clock.set(max(clock.now(), OPENS + timedelta(minutes=1)))
    await service.execute(auction, Advance())


async def settle(until: object, rounds: int = 200) -> None:
    for _ in range(rounds):
        if until():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("the tasks did not get there")


async def accepted_amounts(store: MemoryEventStore, auction: str) -> list[int]:
    events = decode_stored(await store.read_stream(stream_of(auction)))
    return [e.amount for e in events if isinstance(e, BidAccepted)]


async def test_bids_queued_on_one_auction_are_decided_in_order_and_share_commits() -> None:
    shared = GatedStore()
    clock = ManualClock(OPENS - timedelta(days=1))
    service = AuctionService(GroupCommitStore(Gated(shared)), load_rules, clock)  # type: ignore[arg-type]
    await open_auction(service, clock, "hot", 2)
    clock.set(OPENS + timedelta(minutes=5))
    shared.batches.clear()

    shared.gate.clear()
    bids = [
        asyncio.create_task(service.execute("hot", PlaceBid(f"B-{n % 2 + 1}", 200_00 + n * 10_00)))
        for n in range(20)
    ]
    # The twenty bids are decided one after another without waiting for a commit: none is written yet.
    await settle(lambda: shared.waiting == 1)
    assert await shared.stream_version(stream_of("hot")) == (await service.load("hot")).version
    shared.gate.set()
    outcomes = await asyncio.gather(*bids)

    assert all(isinstance(o.events[0], BidAccepted) for o in outcomes)
    assert len(shared.batches) <= 2 and sum(shared.batches) == 20  # twenty bids, at most two commits
    assert await accepted_amounts(shared, "hot") == [200_00 + n * 10_00 for n in range(20)]
    replayed = replay("hot", await service.history("hot"))
    assert replayed == await service.load("hot") == outcomes[-1].state


@pytest.mark.parametrize("same_batch", [False, True], ids=["next-commit", "same-commit"])
async def test_a_bid_decided_on_a_refused_append_is_not_written_even_if_its_version_matches(
    same_batch: bool,
) -> None:
    shared = GatedStore()
    clock = ManualClock(OPENS - timedelta(days=1))
    first = AuctionService(GroupCommitStore(Gated(shared)), load_rules, clock)  # type: ignore[arg-type]
    second = AuctionService(GroupCommitStore(shared), load_rules, clock)
    await open_auction(second, clock, "a-1", 2)
    await open_auction(second, clock, "other", 1)
    await first.load("a-1")
    await first.load("other")
    clock.set(OPENS + timedelta(minutes=5))
    version = (await shared.read_stream(stream_of("a-1")))[-1].version

    shared.gate.clear()
    tasks = []
    if same_batch:
        # An append of another auction holds the commit, so that both bids below queue into the next one.
        tasks.append(asyncio.create_task(first.execute("other", PlaceBid("B-1", 500_00))))
        await settle(lambda: shared.waiting == 1)
    # The first process bids 150.00 and then 160.00 on its view of the auction (price 100.00).
    low = asyncio.create_task(first.execute("a-1", PlaceBid("B-1", 150_00)))
    if not same_batch:
        await settle(lambda: shared.waiting == 1)  # the 150.00 is being written, the 160.00 joins the next commit
    higher = asyncio.create_task(first.execute("a-1", PlaceBid("B-1", 160_00)))
    store = first.store
    assert isinstance(store, GroupCommitStore)
    await settle(lambda: shared.waiting == 1 and store.queued == (2 if same_batch else 1))
    # Meanwhile the second process writes one event, a bid of 200.00: the stream is now at version + 1,
    # which is exactly the version the 160.00 was decided to follow.
    outcome = await second.execute("a-1", PlaceBid("B-2", 200_00))
    assert outcome.stored[0].version == version + 1
    shared.gate.set()
    await asyncio.gather(*tasks)
    refused_low, refused_higher = await low, await higher

    # Both bids were decided again on the stream with the 200.00 in it, and refused.
    for result, amount in ((refused_low, 150_00), (refused_higher, 160_00)):
        (event,) = result.events
        assert isinstance(event, BidRejected) and (event.amount, event.reason) == (amount, "bid_too_low")
    assert await accepted_amounts(shared, "a-1") == [200_00]
    stored = await shared.read_stream(stream_of("a-1"))
    assert [e.version for e in stored] == list(range(1, version + 4))
    assert replay("a-1", await first.history("a-1")) == await first.load("a-1") == refused_higher.state


async def test_an_append_that_follows_one_that_wrote_nothing_is_refused() -> None:
    store = GroupCommitStore(MemoryEventStore())
    event = NewEvent("Noted", {"n": 1}, OPENS)
    await store.append("s", 0, [event])
    refused = store.submit("s", 0, [event])  # conflicts: the stream is at version 1
    follows = store.submit("s", 1, [event], follows=refused)  # matches version 1, but counted on the other
    independent = store.submit("s", 1, [event])
    with pytest.raises(ConcurrencyConflict):
        await refused
    with pytest.raises(ConcurrencyConflict, match="followed was not written"):
        await follows
    assert (await independent).last_version == 2
    assert [e.version for e in await store.read_stream("s")] == [1, 2]


class Jittery:
    """One process's view of a shared store whose commits take a random while."""

    def __init__(self, shared: MemoryEventStore, rng: random.Random) -> None:
        self.shared = shared
        self.rng = rng

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        await asyncio.sleep(self.rng.random() * 0.002)
        return await self.shared.append_batch(requests)

    def __getattr__(self, name: str) -> object:
        return getattr(self.shared, name)


@pytest.mark.parametrize("seed", range(5))
async def test_two_processes_bidding_on_one_auction_lose_nothing_and_accept_only_higher_bids(seed: int) -> None:
    rng = random.Random(seed)
    shared = MemoryEventStore()
    clock = ManualClock(OPENS - timedelta(days=1))
    processes = [
        AuctionService(GroupCommitStore(Jittery(shared, rng)), load_rules, clock)  # type: ignore[arg-type]
        for _ in range(2)
    ]
    await open_auction(processes[0], clock, "hot", 4)
    clock.set(OPENS + timedelta(minutes=5))

    async def bidder(n: int) -> list[tuple[int, BidAccepted | BidRejected]]:
        answers = []
        for k in range(15):
            amount = 200_00 + rng.randrange(2000) * 10_00
            outcome = await processes[(n + k) % 2].execute("hot", PlaceBid(f"B-{n % 4 + 1}", amount))
            (event,) = [e for e in outcome.events if isinstance(e, (BidAccepted, BidRejected))]
            answers.append((outcome.stored[0].position, event))
        return answers

    acknowledged = [a for answers in await asyncio.gather(*(bidder(n) for n in range(12))) for a in answers]

    history = await processes[0].history("hot")
    bids = [e for e in history if isinstance(e, (BidAccepted, BidRejected))]
    assert len(bids) == len(acknowledged) == 180  # every answered bid recorded once, nothing else
    by_position = {e.position: e for e in await shared.read_stream(stream_of("hot"))}
    for position, event in acknowledged:
        assert by_position[position].type == type(event).__name__
    accepted = [e.amount for e in bids if isinstance(e, BidAccepted)]
    assert accepted == sorted(set(accepted))  # each accepted bid beat every one before it
    replayed = replay("hot", history)
    assert replayed.price == max(accepted)
    for process in processes:
        assert await process.load("hot") == replayed


class SlowKeys(Gated):
    """As :class:`Gated`, and keeping a new identity key waits at ``keys``."""

    def __init__(self, shared: GatedStore, keys: asyncio.Event) -> None:
        super().__init__(shared)
        self.keys = keys

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        await self.keys.wait()
        return await self.shared.keep_subject_key(owner, key_id, key)


async def test_a_command_decided_on_a_tip_follows_it_even_if_the_tip_fails_while_it_is_sealed() -> None:
    shared = GatedStore()
    keys = asyncio.Event()
    keys.set()
    clock = ManualClock(OPENS - timedelta(days=1))
    first = AuctionService(GroupCommitStore(SlowKeys(shared, keys)), load_rules, clock)  # type: ignore[arg-type]
    second = AuctionService(GroupCommitStore(shared), load_rules, clock)
    await open_auction(second, clock, "a-1", 2)
    await first.load("a-1")
    clock.set(OPENS + timedelta(minutes=5))

    shared.gate.clear()
    keys.clear()
    low = asyncio.create_task(first.execute("a-1", PlaceBid("B-1", 150_00)))  # decided on price 100.00
    await settle(lambda: shared.waiting == 1)
    # A registration decided on the 150.00's tip, waiting while its identity is sealed.
    late = asyncio.create_task(first.execute("a-1", RegisterBidder(subject="late-person")))
    await asyncio.sleep(0)
    await second.execute("a-1", PlaceBid("B-2", 200_00))  # one event: the 150.00 is refused
    shared.gate.set()
    await settle(lambda: low.done() or first._tips.get("a-1") is None)
    keys.set()  # the registration, still counting on the 150.00, is submitted now
    await late
    refused_low = await low

    assert isinstance(refused_low.events[0], BidRejected)
    after = await first.execute("a-1", PlaceBid("B-1", 180_00))
    assert isinstance(after.events[0], BidRejected) and after.events[0].reason == "bid_too_low"
    assert await accepted_amounts(shared, "a-1") == [200_00]
    assert replay("a-1", await first.history("a-1")) == await first.load("a-1")
