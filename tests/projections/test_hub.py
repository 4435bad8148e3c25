"""The hub hands each message to every watcher without ever waiting for one."""

from __future__ import annotations

from projections.hub import Hub


async def test_a_watcher_whose_queue_is_full_is_dropped_and_the_others_still_get_everything() -> None:
    hub = Hub(queue_size=2)
    fast = hub.subscribe("a")
    slow = hub.subscribe("a")
    received = []
    for position in range(1, 6):
        hub.publish("a", position, f"m{position}")
        received.append(fast.queue.get_nowait())
    assert [p for p, _ in received] == [1, 2, 3, 4, 5]
    assert slow.dropped.is_set() and not fast.dropped.is_set()
    assert hub.watchers("a") == 1
    assert [slow.queue.get_nowait()[0] for _ in range(slow.queue.qsize())] == [1, 2]


async def test_messages_go_only_to_the_auctions_watchers() -> None:
    hub = Hub()
    a, b = hub.subscribe("a"), hub.subscribe("b")
    hub.publish("a", 1, "x")
    assert a.queue.qsize() == 1 and b.queue.qsize() == 0


async def test_closing_the_hub_tells_every_watcher_and_later_ones_at_once() -> None:
    hub = Hub()
    watcher = hub.subscribe("a")
    hub.close()
    assert watcher.closing.is_set()
    assert hub.subscribe("a").closing.is_set()
    assert hub.watchers("a") == 0
