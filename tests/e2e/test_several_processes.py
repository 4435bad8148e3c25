"""Several server processes on one database: each sees the others' bids, and Redis makes it immediate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from tests.e2e.support import Server, auth, redis_server_url

BAILIFF = auth("bailiff", "bailiff-e2e")


def swedish_for_an_hour() -> dict[str, Any]:
    start = datetime.now(UTC)
    return {
        "country": "SE",
        "title": "Snowmobile",
        "asset": "movable",
        "value": "30000.00",
        "currency": "SEK",
        "opens_at": start.isoformat(),
        "closes_at": (start + timedelta(hours=1)).isoformat(),
    }


async def latencies(writer: Server, watcher: Server, bids: int) -> list[float]:
    """Seconds from a bid's answer on ``writer`` to its message on a socket of ``watcher``."""
    async with httpx.AsyncClient(base_url=writer.url, timeout=30) as client:
        auction = (await client.post("/auctions", json=swedish_for_an_hour(), headers=BAILIFF)).json()
        alice = auth("bidder", "alice.multi@example.test")
        assert (await client.post(f"/auctions/{auction['id']}/registrations", headers=alice)).status_code == 201
        async with httpx.AsyncClient(base_url=watcher.url, timeout=30) as other:
            async with asyncio.timeout(10):
                while (await other.get(f"/auctions/{auction['id']}")).status_code != 200:
                    await asyncio.sleep(0.05)
        out = []
        async with connect(f"{watcher.ws_url}/ws/auctions/{auction['id']}") as socket:
            await socket.recv()
            for n in range(bids):
                response = await client.post(
                    f"/auctions/{auction['id']}/bids", json={"amount": f"{100 + n}.00"}, headers=alice
                )
                answered = time.monotonic()
                async with asyncio.timeout(5):
                    message = orjson.loads(await socket.recv())
                out.append(time.monotonic() - answered)
                assert (message["type"], message["position"]) == ("bid", response.json()["position"])
                await asyncio.sleep(0.05)
    return out


async def test_a_bid_on_one_process_reaches_the_watchers_of_another(start_server: Callable[..., Server]) -> None:
    first, second = start_server(), start_server()
    await latencies(first, second, 2)


@pytest.mark.redis
async def test_with_redis_a_bid_reaches_another_processes_watchers_without_waiting_for_the_poll(
    start_server: Callable[..., Server],
) -> None:
    redis_url = redis_server_url()
    first, second = start_server(redis_url), start_server(redis_url)
    # Without a wake-up the other process polls once a second; through Redis it is told at once.
    assert max(await latencies(first, second, 6)) < 0.4
