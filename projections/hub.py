"""The live hub: fans each auction's change messages out to its watchers.

A message is encoded once and the same text is handed to every watcher.
Each watcher has a bounded queue; publishing never waits: a watcher whose
queue is full has fallen behind, and it is dropped (its ``dropped`` event is
set) instead of slowing the others down. It reconnects with ``?after=`` the
last position it received and loses nothing.
"""

from __future__ import annotations

import asyncio


class Subscriber:
    def __init__(self, auction_id: str, queue_size: int) -> None:
        self.auction_id = auction_id
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize=queue_size)
        self.dropped = asyncio.Event()  # fell behind: the hub no longer feeds it
        self.closing = asyncio.Event()  # the server is shutting down


class Hub:
    def __init__(self, queue_size: int = 1000) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._closed = False

    def subscribe(self, auction_id: str) -> Subscriber:
        subscriber = Subscriber(auction_id, self.queue_size)
        if self._closed:
            subscriber.closing.set()
        else:
            self._subscribers.setdefault(auction_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        watchers = self._subscribers.get(subscriber.auction_id)
        if watchers is not None:
            watchers.discard(subscriber)
            if not watchers:
                del self._subscribers[subscriber.auction_id]

    def publish(self, auction_id: str, position: int, text: str) -> None:
        for subscriber in list(self._subscribers.get(auction_id, ())):
            try:
                subscriber.queue.put_nowait((position, text))
            except asyncio.QueueFull:
                self.unsubscribe(subscriber)
                subscriber.dropped.set()

    def watchers(self, auction_id: str) -> int:
        return len(self._subscribers.get(auction_id, ()))

    def watched(self) -> bool:
        """Whether any auction has a watcher."""
        return bool(self._subscribers)

    def close(self) -> None:
        self._closed = True
        for watchers in list(self._subscribers.values()):
            for subscriber in watchers:
                subscriber.closing.set()
        self._subscribers.clear()
