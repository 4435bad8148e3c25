"""Helpers for the scale-out and crash tests: auctions over HTTP, resuming watchers, a Redis of one's own,
and the event log read back and replayed."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from engine import codec
from engine.decider import replay
from engine.model import AssetKind, AuctionState, format_instant, format_money
from engine.policy import Draft
from tests.e2e.support import auth, free_port

BAILIFF = auth("bailiff", "bailiff-scale")
AUDITOR = auth("auditor", "auditor-scale")
REDIS_SERVER_ENV = "AUCTION_TEST_REDIS_SERVER"

# For the tests that run services in-process: a Swedish auction opening at DRAFT_OPENS for two hours.
DRAFT_OPENS = datetime(2026, 5, 15, 15, 0, tzinfo=UTC)


def swedish_draft(title: str = "Boat") -> Draft:
    return Draft(
        country="SE",
        title=title,
        asset=AssetKind.MOVABLE,
        value=50_000_00,
        currency="SEK",
        opens_at=DRAFT_OPENS,
        starting_price=100_00,
        closes_at=DRAFT_OPENS + timedelta(hours=2),
    )


def now() -> datetime:
    return datetime.now(UTC)


def bidder(n: int) -> dict[str, str]:
    return auth("bidder", f"scale-bidder-{n:02d}@example.test")


def cents(text: str) -> int:
    whole, fraction = text.split(".")
    return int(whole) * 100 + int(fraction)


def money(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


def swedish(opens: datetime, closes: datetime, title: str = "Forest machine") -> dict[str, Any]:
    """Sweden: no deposit, any higher amount, extensions only in the last two minutes."""
    return {
        "country": "SE",
        "title": title,
        "asset": "movable",
        "value": "100000.00",
        "currency": "SEK",
        "starting_price": "100.00",
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
    }


async def open_auction(url: str, bidders: int, closes_in: timedelta = timedelta(hours=1)) -> str:
    """An open Swedish auction with ``bidders`` registered (and so admitted) bidders; its id."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post("/auctions", json=swedish(now(), now() + closes_in), headers=BAILIFF)
        assert response.status_code == 201, response.text
        auction_id: str = response.json()["id"]
        for n in range(bidders):
            registered = await client.post(f"/auctions/{auction_id}/registrations", headers=bidder(n))
            assert registered.status_code == 201, registered.text
    return auction_id


async def event_log(url: str, auction_id: str) -> list[dict[str, Any]]:
    """The auction's events as an auditor reads them (GET /auctions/{id}/events)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.get(f"/auctions/{auction_id}/events", headers=AUDITOR)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.content.splitlines() if line.strip()]


def replayed(auction_id: str, log: list[dict[str, Any]]) -> AuctionState:
    return replay(auction_id, [codec.decode(e["type"], e["data"]) for e in log])


def public_state(state: AuctionState) -> dict[str, Any]:
    """What GET /auctions/{id} must show for a replayed state."""
    return {
        "status": state.status.value,
        "price": format_money(state.price) if state.price is not None else None,
        "leader": state.leader,
        "bid_count": state.bid_count,
        "position": state.version,
        "closes_at": format_instant(state.deadline) if state.deadline is not None else None,
    }


def bid_events(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bids bidders placed (accepted or refused), in order; proxies' automatic bids left out."""
    return [e for e in log if e["type"] in ("BidAccepted", "BidRejected") and not e["data"].get("automatic")]


def assert_decided_one_after_another(log: list[dict[str, Any]]) -> None:
    """Replaying the log: every accepted bid beat all before it, every "too low" refusal did not."""
    assert [e["version"] for e in log] == list(range(1, len(log) + 1)), "the stream has gaps or repeats"
    best = 0
    for event in bid_events(log):
        amount = cents(event["data"]["amount"])
        if event["type"] == "BidAccepted":
            assert amount > best, f"bid of {amount} accepted at version {event['version']} after a best of {best}"
            best = amount
        elif event["data"]["reason"] == "bid_too_low":
            assert amount <= best, f"bid of {amount} refused as too low at version {event['version']}, best {best}"


@dataclass
class Watcher:
    """A WebSocket watcher of one auction that records every message. With ``resume`` it outlives
    the server: a dropped connection is reopened with ``?after=<last position received>``."""

    ws_url: str
    auction_id: str
    resume: bool = False
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0
    last: int | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> Watcher:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            query = "" if self.last is None else f"?after={self.last}"
            try:
                async with connect(f"{self.ws_url}/ws/auctions/{self.auction_id}{query}", open_timeout=5) as socket:
                    snapshot = orjson.loads(await socket.recv())
                    assert snapshot["type"] == "snapshot", snapshot
                    self.snapshots.append(snapshot)
                    if self.last is None:
                        self.last = snapshot["position"]
                    self.connected.set()
                    async for raw in socket:
                        message = orjson.loads(raw)
                        self.messages.append(message)
                        self.last = message["position"]
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidStatus):
                if not self.resume:
                    raise
            if not self.resume:
                return
            self.connected.clear()
            self.reconnects += 1
            await asyncio.sleep(0.05)

    def positions(self, kind: str | None = None) -> list[int]:
        return [m["position"] for m in self.messages if kind is None or m["type"] == kind]

    async def wait_for(self, position: int, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while self.last is None or self.last < position:
                if self._task is not None and self._task.done():
                    self._task.result()
                    raise AssertionError(f"the watcher stopped at {self.last}, before {position}")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, ConnectionClosed):
                pass


class RedisServer:
    """A redis-server of the test's own on a free loopback port, which the test may stop and restart."""

    def __init__(self, directory: Path) -> None:
        binary = os.environ.get(REDIS_SERVER_ENV) or shutil.which("redis-server")
        if not binary:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{REDIS_SERVER_ENV} is not set and no redis-server is installed", pytrace=False)
            pytest.skip("no redis-server to start")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        log = (self.directory / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def command(self, *words: str) -> bytes:
        """One command in Redis's inline protocol; the raw first reply line(s)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
            connection.sendall((" ".join(words) + "\r\n").encode())
            return connection.recv(4096)

    def subscribers(self, channel: str) -> int:
        reply = self.command("PUBSUB", "NUMSUB", channel).split(b"\r\n")
        # *2, $len, channel, :count
        return int(reply[3][1:])
