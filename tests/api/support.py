"""Helpers for the in-process API tests: an app on a chosen store and clock, tokens, a client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_token
from api.bootstrap import Runtime
from api.settings import Settings
from engine.clock import Clock

SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def token(role: str, subject: str, secret: str = SECRET, ttl: timedelta = timedelta(hours=1)) -> str:
    return issue_token(secret, role, subject, ttl)


def auth(role: str, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject)}"}


BAILIFF = auth("bailiff", "bailiff-1")  # no office claim: the default office
# An auditor of every office (the office "*"), so that one token reads any test's auction.
AUDITOR = {"Authorization": f"Bearer {issue_token(SECRET, 'auditor', 'auditor-1', office='*')}"}


def bidder(subject: str) -> dict[str, str]:
    return auth("bidder", subject)


def rfc3339(value: datetime) -> str:
    return value.isoformat()


def swedish_auction(now: datetime, **overrides: Any) -> dict[str, Any]:
    """An SE auction open from ``now`` for an hour (no deposit, free increments, 2-minute soft close)."""
    body: dict[str, Any] = {
        "country": "SE",
        "title": "Sailing boat, Göteborg",
        "asset": "movable",
        "value": "50000.00",
        "currency": "SEK",
        "starting_price": "1000.00",
        "opens_at": rfc3339(now),
        "closes_at": rfc3339(now + timedelta(hours=1)),
    }
    body.update(overrides)
    return body


@dataclass
class Api:
    """An application running its lifespan, with an httpx client talking ASGI to it."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def schedule(self, body: dict[str, Any], headers: dict[str, str] = BAILIFF) -> dict[str, Any]:
        response = await self.client.post("/auctions", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def register(self, auction_id: str, subject: str) -> str:
        response = await self.client.post(f"/auctions/{auction_id}/registrations", headers=bidder(subject))
        assert response.status_code in (200, 201), response.text
        return str(response.json()["bidder_code"])

    async def bid(self, auction_id: str, subject: str, amount: str, key: str | None = None) -> httpx.Response:
        headers = bidder(subject)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(f"/auctions/{auction_id}/bids", json={"amount": amount}, headers=headers)

    async def events(self, auction_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/auctions/{auction_id}/events", headers=AUDITOR)
        assert response.status_code == 200, response.text
        return [orjson.loads(line) for line in response.content.splitlines() if line]

    async def all_events(self) -> int:
        return await self.runtime.store.head()


@asynccontextmanager
async def running_api(database_url: str = "memory:", clock: Clock | None = None, **settings: Any) -> AsyncIterator[Api]:
    app = create_app(Settings(database_url=database_url, secret=SECRET, **settings), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auction.test") as client:
            yield Api(app, client)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app under a real uvicorn on a loopback port in this event loop; yields ``host:port``."""
    sock = free_socket()
    config = uvicorn.Config(app, ws="websockets-sansio", lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    host, port = sock.getsockname()[:2]
    try:
        yield f"{host}:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def utc_now() -> datetime:
    return datetime.now(UTC)
