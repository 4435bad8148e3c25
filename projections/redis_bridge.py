"""Wake-ups across server processes through Redis pub/sub.

Redis carries no events, only a small "something new up to position N" after a
commit; every process then reads the new events from the database by position,
so the database stays the one source of order. A message Redis drops, a
subscription that breaks or a Redis restart therefore loses nothing: on every
(re)subscription the process wakes its catch-up reader, which reads whatever
it has not seen yet, and a periodic timer in the reader covers the rest.

Wake-ups are coalesced: :meth:`RedisWakeups.announce` only notes the highest
position written, and one publisher sends it, then whatever is higher by the
time that publish returns. A busy process thus publishes once per Redis round
trip, not once per write, and the others wake as often (each wake-up reads
everything new).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("auction.redis")

CHANNEL = "auction:events"
PUBLISH_TIMEOUT = 1.0
HEALTH_CHECK_SECONDS = 10


class RedisWakeups:
    def __init__(self, url: str, on_wake: Callable[[], None], channel: str = CHANNEL) -> None:
        self._url = url
        self._on_wake = on_wake
        self._channel = channel
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._announced = 0  # the highest position announced
        self.published_up_to = 0  # the highest position published (or given up on: Redis was down)
        self.connected = asyncio.Event()
        self.published = 0
        self.received = 0
        self.subscriptions = 0  # successful (re)subscriptions

    async def start(self) -> None:
        # The health check PINGs an idle subscription now and then, so that a connection that died
        # without a word (no FIN, e.g. a network cut) is noticed and replaced rather than trusted.
        self._client = aioredis.from_url(
            self._url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=HEALTH_CHECK_SECONDS
        )
        self._task = asyncio.create_task(self._listen(), name="redis-wakeups")

    def announce(self, position: int) -> None:
        """The log has grown up to ``position``: tell the other processes soon, without waiting."""
        if position <= self._announced:
            return
        self._announced = position
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish_announced(), name="redis-announce")

    async def _publish_announced(self) -> None:
        while self.published_up_to < self._announced:
            position = self._announced
            await self.publish(position)
            self.published_up_to = position

    async def publish(self, position: int) -> None:
        """Tell the other processes the log has grown; never fails the caller."""
        if self._client is None:
            return
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the publish completes (CPython gh-86296), and shutdown cancels this task.
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                await self._client.publish(self._channel, str(position))
            self.published += 1
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("redis publish failed (%s); other processes catch up by polling", exc)

    async def _listen(self) -> None:
        delay = 0.1
        assert self._client is not None
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self.connected.set()
                self.subscriptions += 1
                log.info("subscribed to redis channel %s (subscription %d)", self._channel, self.subscriptions)
                delay = 0.1
                # Anything published while we were not subscribed is picked up by position.
                self._on_wake()
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is not None:
                        self.received += 1
                        self._on_wake()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self.connected.clear()
                log.warning("redis subscription lost (%s); retrying in %.1fs", exc, delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def stop(self) -> None:
        for task in (self._publisher, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
