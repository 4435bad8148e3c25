"""The hub hands each message to every watcher without ever waiting for one."""

from __future__ import annotations

import asyncio

import pytest

from projections.hub import CLOSING, DROPPED, Hub


async def test_a_watcher_whose_backlog_is_full_is_dropped_and_the_others_still_get_everything() -> None:
    hub = Hub(queue_size=2)
    fast = hub.subscribe("a")
    slow = hub.subscribe("a")
    received = []
    for position in range(1, 6):
        hub.publish("a", position, f"m{position}")
        received.append(fast.get_nowait())
    assert [p for p, _ in received] == [1, 2, 3, 4, 5]
    assert slow.ended.done() and slow.ended.result() == DROPPED and not fast.ended.done()
    assert hub.watchers("a") == 1
    assert [slow.get_nowait()[0] for _ in range(len(slow))] == [1, 2]


async def test_messages_go_only_to_the_auctions_watchers() -> None:
    hub = Hub()
    a, b = hub.subscribe("a"), hub.subscribe("b")
    hub.publish("a", 1, "x")
    assert len(a) == 1 and len(b) == 0


async def test_a_waiting_watcher_wakes_for_the_next_message_and_gets_them_in_order() -> None:
    hub = Hub()
    watcher = hub.subscribe("a")
    waiting = asyncio.create_task(watcher.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    hub.publish("a", 1, "first")
    hub.publish("a", 2, "second")
    assert await asyncio.wait_for(waiting, 1) == (1, "first")
    assert await asyncio.wait_for(watcher.get(), 1) == (2, "second")
    with pytest.raises(IndexError):
        watcher.get_nowait()


async def test_closing_the_hub_tells_every_watcher_and_later_ones_at_once() -> None:
    hub = Hub()
    watcher = hub.subscribe("a")
    hub.close()
    assert watcher.ended.result() == CLOSING
    assert hub.subscribe("a").ended.result() == CLOSING
    assert hub.watchers("a") == 0
