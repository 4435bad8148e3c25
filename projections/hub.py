"""The live hub: fans each auction's change messages out to its watchers.

A message is encoded once and the same text is handed to every watcher.
Each watcher has a bounded backlog; publishing never waits: a watcher whose
backlog is full has fallen behind, and it is dropped (its ``ended`` future
says ``DROPPED``) instead of slowing the others down. It reconnects with
``?after=`` the last position it received and loses nothing.

A watcher is anything with an ``auction_id``, ``put`` and ``end``
(:class:`Watcher`): the :class:`Subscriber` below, a backlog that a task
drains, or an object that writes each message to its socket as it is put
(``api.routes.live.LiveSocket``, what ``auction serve`` uses); :meth:`Hub.add`
subscribes one of those.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

DROPPED = "dropped"  # fell behind: the hub no longer feeds it
CLOSING = "closing"  # the server is shutting down


class Watcher(Protocol):
    auction_id: str

    def put(self, position: int, text: str) -> bool:
        """Take a message, without waiting; False when the watcher has fallen behind (it is then dropped)."""
        ...

    def end(self, reason: str) -> None:
        """The hub no longer feeds it (``DROPPED`` or ``CLOSING``)."""
        ...


class Subscriber:
    """One watcher: a bounded backlog of (position, text) messages and how its watching ended.

    A deque and two futures rather than an ``asyncio.Queue`` and two ``asyncio.Event`` objects:
    each of those holds deques of its own (about 0.7 KiB apiece), and a server keeps one
    subscriber per open socket."""

    def __init__(self, auction_id: str, limit: int) -> None:
        self.auction_id = auction_id
        self.limit = limit
        self._backlog: deque[tuple[int, str]] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        # Done with DROPPED or CLOSING once the hub stops feeding it; something to wait on beside the socket.
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def __len__(self) -> int:
        return len(self._backlog)

    def put(self, position: int, text: str) -> bool:
        """Add a message; False (and nothing added) when the backlog is full."""
        if len(self._backlog) >= self.limit:
            return False
        self._backlog.append((position, text))
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        return True

    def get_nowait(self) -> tuple[int, str]:
        """The oldest message; IndexError when there is none."""
        return self._backlog.popleft()

    async def get(self) -> tuple[int, str]:
        """The oldest message, once there is one."""
        while not self._backlog:
            self._wakeup = asyncio.get_running_loop().create_future()
            try:
                await self._wakeup
            finally:
                self._wakeup = None
        return self._backlog.popleft()

    def end(self, reason: str) -> None:
        if not self.ended.done():
            self.ended.set_result(reason)


class Hub:
    def __init__(self, queue_size: int = 1000) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._subscribers: dict[str, set[Watcher]] = {}
        self._closed = False
        self.dropped = 0  # watchers dropped for falling behind, since start (read by the server's metrics)

    def subscribe(self, auction_id: str) -> Subscriber:
        """A new backlog of ``queue_size`` messages, subscribed."""
        subscriber = Subscriber(auction_id, self.queue_size)
        self.add(subscriber)
        return subscriber

    def add(self, watcher: Watcher) -> None:
        """Feed ``watcher`` every later message of its auction (a closed hub ends it at once)."""
        if self._closed:
            watcher.end(CLOSING)
        else:
            self._subscribers.setdefault(watcher.auction_id, set()).add(watcher)

    def unsubscribe(self, subscriber: Watcher) -> None:
        watchers = self._subscribers.get(subscriber.auction_id)
        if watchers is not None:
            watchers.discard(subscriber)
            if not watchers:
                del self._subscribers[subscriber.auction_id]

    def publish(self, auction_id: str, position: int, text: str) -> None:
        for subscriber in list(self._subscribers.get(auction_id, ())):
            if not subscriber.put(position, text):
                self.unsubscribe(subscriber)
                self.dropped += 1
                subscriber.end(DROPPED)

    def watchers(self, auction_id: str) -> int:
        return len(self._subscribers.get(auction_id, ()))

    def connected(self) -> int:
        """Watchers fed, over all auctions."""
        return sum(len(watchers) for watchers in self._subscribers.values())

    def watched(self) -> bool:
        """Whether any auction has a watcher."""
        return bool(self._subscribers)

    def close(self) -> None:
        self._closed = True
        for watchers in list(self._subscribers.values()):
            for subscriber in watchers:
                subscriber.end(CLOSING)
        self._subscribers.clear()
