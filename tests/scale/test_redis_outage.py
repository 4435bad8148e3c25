"""Redis only wakes processes up; the order and the events come from PostgreSQL by position.

So a Redis that restarts, or drops its subscribers, costs at most a moment of
latency (the catch-up reader also polls): no watcher on any process misses or
doubles a change, and the wake-ups come back by themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from projections.redis_bridge import CHANNEL
from tests.e2e.support import Server
from tests.scale.support import RedisServer, Watcher, bidder, event_log, money, open_auction

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BIDS = 60


async def subscribed(redis: RedisServer, count: int, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                if redis.subscribers(CHANNEL) == count:
                    return
            except OSError:
                pass
            await asyncio.sleep(0.05)


async def test_a_redis_restart_and_dropped_subscriptions_lose_no_update_on_either_process(
    postgres_url: str, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        servers = [start_server(postgres_url, redis.url), start_server(postgres_url, redis.url)]
        await subscribed(redis, 2)
        auction_id = await open_auction(servers[0].url, 2)
        watchers = [Watcher(s.ws_url, auction_id).start() for s in servers for _ in range(2)]
        for watcher in watchers:
            await asyncio.wait_for(watcher.connected.wait(), 10)

        positions: list[int] = []
        delays: list[float] = []
        async with httpx.AsyncClient(timeout=30) as client:
            for n in range(BIDS):
                if n == 15:
                    redis.stop()  # killed mid-stream: every subscription breaks, publishes fail
                elif n == 30:
                    redis.start()  # back on the same port, empty: nobody is subscribed
                    await subscribed(redis, 2)
                elif n == 40:
                    assert redis.command("CLIENT", "KILL", "TYPE", "pubsub").startswith(b":2")
                    await subscribed(redis, 2)
                writer, other = servers[n % 2], watchers[2 * ((n + 1) % 2)]  # a watcher on the other process
                response = await client.post(
                    f"{writer.url}/auctions/{auction_id}/bids",
                    json={"amount": money(100_00 + n * 1_00)},
                    headers=bidder(n % 2),
                )
                assert response.status_code == 201, response.text
                positions.append(response.json()["position"])
                if n >= BIDS - 5:
                    # Wake-ups work again: the other process's watcher has the bid well before its next poll.
                    answered = time.monotonic()
                    await other.wait_for(positions[-1], timeout=5)
                    delays.append(time.monotonic() - answered)
                await asyncio.sleep(0.03)

        for watcher in watchers:
            await watcher.wait_for(positions[-1])
            assert watcher.positions("bid") == positions
            await watcher.stop()
        log = await event_log(servers[1].url, auction_id)
        assert [e["version"] for e in log if e["type"] == "BidAccepted"] == positions
        assert max(delays) < 0.5, delays
        assert all(server.server_errors() == [] for server in servers)
    finally:
        redis.stop()
