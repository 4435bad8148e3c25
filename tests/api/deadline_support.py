"""Moving a manual clock and waiting for the scheduler to act on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from engine.clock import ManualClock
from tests.api.support import Api


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def move_clock(api: Api, clock: ManualClock, to: datetime) -> None:
    clock.set(to)
    api.runtime.scheduler.wake()


async def status_becomes(api: Api, auction_id: str, status: str) -> dict[str, Any]:
    async def check() -> bool:
        return bool((await api.client.get(f"/auctions/{auction_id}")).json()["status"] == status)

    await eventually(check)
    return (await api.client.get(f"/auctions/{auction_id}")).json()  # type: ignore[no-any-return]
