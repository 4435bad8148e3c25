"""The catch-up task follows the global order and wakes on notify."""

from __future__ import annotations

import asyncio
import contextlib

from engine.commands import PlaceBid
from projections.catchup import Projector
from projections.hub import Hub
from projections.readmodel import ReadModel
from tests.projections.support import World


async def test_a_small_page_size_still_folds_everything_in_order() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00, 1_600_00])
    await world.auction_with_bids("b", [2_000_00])
    projector = Projector(world.store, ReadModel(), Hub(), world.clock, page_size=2)
    assert await projector.catch_up() == await world.store.head()
    summaries = {s.auction_id: s.price for s in projector.model.summaries()}
    assert summaries == {"a": 1_600_00, "b": 2_000_00}


async def test_notify_wakes_the_task_long_before_its_safety_interval() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    projector = Projector(world.store, ReadModel(), Hub(), world.clock, interval=60)
    await projector.catch_up()
    task = asyncio.create_task(projector.run())
    try:
        await world.run("a", PlaceBid("B-2", 1_600_00))
        head = await world.store.head()
        assert await projector.wait_for(head, timeout=2.0)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_safety_interval_picks_up_writes_nobody_announced() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    projector = Projector(world.store, ReadModel(), Hub(), world.clock, interval=0.05)
    task = asyncio.create_task(projector.run())
    try:
        await world.run("a", PlaceBid("B-2", 1_600_00))
        head = await world.store.head()
        async with asyncio.timeout(2):
            while projector.checkpoint < head:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_listeners_hear_of_each_changed_auction_once_per_page() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00, 1_600_00])
    projector = Projector(world.store, ReadModel(), Hub(), world.clock)
    heard: list[str] = []
    projector.listeners.append(lambda summary: heard.append(summary.auction_id))
    await projector.catch_up()
    assert heard == ["a"]


async def test_changes_are_published_to_watchers_as_encoded_text() -> None:
    world = World()
    await world.auction_with_bids("a", [])
    hub = Hub()
    projector = Projector(world.store, ReadModel(), hub, world.clock)
    await projector.catch_up()
    watcher = hub.subscribe("a")
    await world.run("a", PlaceBid("B-1", 1_500_00))
    await projector.catch_up()
    position, text = watcher.get_nowait()
    assert '"type":"bid"' in text and f'"position":{position}' in text and '"server_time"' in text
