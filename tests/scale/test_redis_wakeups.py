"""Wake-ups are coalesced: a burst of writes is announced in a few publishes, the last one
carrying the highest position, and a subscriber always learns of the last write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from projections.redis_bridge import RedisWakeups
from tests.scale.support import RedisServer

pytestmark = [pytest.mark.redis]


async def test_a_burst_of_writes_is_announced_in_few_publishes_ending_with_the_last_position(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    woken = 0

    def wake() -> None:
        nonlocal woken
        woken += 1

    listener = RedisWakeups(redis.url, wake, channel="test-wakeups")
    writer = RedisWakeups(redis.url, lambda: None, channel="test-wakeups")
    try:
        await listener.start()
        await writer.start()
        await asyncio.wait_for(listener.connected.wait(), 10)
        for position in range(1, 1001):
            writer.announce(position)
            if position % 100 == 0:
                await asyncio.sleep(0)  # let the publisher run now and then, as a busy server does
        writer.announce(1000)  # already announced: nothing more
        writer.announce(999)  # lower: nothing more
        async with asyncio.timeout(10):
            while writer.published_up_to < 1000:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert 1 <= writer.published <= 20  # not one per write
        assert listener.received == writer.published
        assert woken >= listener.received
        writer.announce(1001)  # after a quiet moment: announced at once
        async with asyncio.timeout(10):
            while listener.received < writer.published or writer.published == 0:
                await asyncio.sleep(0.01)
            while writer.published_up_to < 1001:
                await asyncio.sleep(0.01)
    finally:
        await writer.stop()
        await listener.stop()
        redis.stop()
