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


async def test_wake_ups_in_quick_succession_are_read_together_when_paced() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    reads = 0
    read_rows = world.store.read_rows

    async def counted(after: int = 0, limit: int = 1000):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return await read_rows(after, limit)

    world.store.read_rows = counted  # type: ignore[method-assign]
    projector = Projector(world.store, ReadModel(), Hub(), world.clock, interval=60, pace=0.2)
    task = asyncio.create_task(projector.run())
    try:
        projector.notify()
        async with asyncio.timeout(2):
            while reads < 1:
                await asyncio.sleep(0.005)
        started = asyncio.get_running_loop().time()
        for amount in (1_600_00, 1_700_00, 1_800_00):
            await world.run("a", PlaceBid("B-2", amount))
            projector.notify()  # as three wake-ups from another process would
            await asyncio.sleep(0.01)
        head = await world.store.head()
        assert await projector.wait_for(head, timeout=2.0)
        assert asyncio.get_running_loop().time() - started >= 0.15  # the second read waited for the pace
        assert reads == 2  # the three wake-ups were read in one
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
