"""The read model folds each event once and tells a watcher where to start."""

from __future__ import annotations

from datetime import UTC

from engine.commands import PlaceBid
from engine.store.memory import MemoryEventStore
from projections.readmodel import ReadModel
from tests.projections.support import World


async def folded(world: World) -> ReadModel:
    model = ReadModel()
    for stored in await world.store.read_all(limit=10_000):
        model.apply(stored)
    return model


async def test_each_event_is_folded_at_most_once() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00, 1_600_00])
    model = await folded(world)
    for stored in await world.store.read_all():
        assert model.apply(stored) is None  # a re-read page changes nothing
    summary = model.summary("a")
    assert summary is not None and summary.bid_count == 2
    assert [row.event.amount for row in model.bids("a", 0, 10).rows] == [1_500_00, 1_600_00]


async def test_events_of_other_streams_are_ignored() -> None:
    store = MemoryEventStore()
    from datetime import datetime

    from engine.store.base import NewEvent

    await store.append("not-an-auction", 0, [NewEvent("Something", {}, datetime.now(UTC))])
    model = ReadModel()
    (stored,) = await store.read_all()
    assert model.apply(stored) is None
    assert model.checkpoint == 1 and model.summaries() == []


async def test_resuming_without_after_starts_at_the_current_state() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00, 1_600_00])
    model = await folded(world)
    start = model.resume("a", None)
    summary = model.summary("a")
    assert summary is not None
    assert start.history == [] and start.seen == summary.position
    assert start.snapshot["position"] == summary.position and start.snapshot["price"] == "1600.00"


async def test_resuming_after_a_position_gives_the_state_there_and_every_later_change() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00, 1_600_00, 1_700_00])
    model = await folded(world)
    first_bid = model.bids("a", 0, 1).rows[0].position

    start = model.resume("a", first_bid)

    assert start.seen == first_bid
    assert (start.snapshot["position"], start.snapshot["price"], start.snapshot["leader"]) == (
        first_bid,
        "1500.00",
        "B-1",
    )
    assert [c.body["amount"] for c in start.history] == ["1600.00", "1700.00"]


async def test_resuming_from_a_position_without_a_change_uses_the_last_change_before_it() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    model = await folded(world)
    await world.run("a", PlaceBid("B-2", 1_000_00))  # refused: not a public change
    for stored in await world.store.read_all(after=model.checkpoint):
        model.apply(stored)
    summary = model.summary("a")
    assert summary is not None
    start = model.resume("a", summary.position - 1)
    assert start.history == [] and start.snapshot["price"] == "1500.00"
