"""Prometheus (Debian's) scraping a running ``auction serve`` with the shipped scrape configuration
(deploy/prometheus/prometheus.yml) during a short load: the scraped bid counter, read back through
Prometheus's own HTTP API (``/api/v1/query``), moved by the bids the server accepted."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import Server, auth, free_port
from tests.ops.oidc_support import ROOT, need

pytestmark = pytest.mark.e2e

SHIPPED = ROOT / "deploy" / "prometheus" / "prometheus.yml"
WAIT = 30.0  # seconds to wait for a scrape to show what happened (Prometheus scrapes every second here)
ACCEPTED = 'sum(auction_bids_total{job="auction",outcome="accepted"})'


class Prometheus:
    def __init__(self, directory: Path, target: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        text = SHIPPED.read_text()
        shipped_targets = 'targets: ["127.0.0.1:8001", "127.0.0.1:8002"]'
        assert shipped_targets in text and "scrape_interval: 15s" in text
        text = text.replace(shipped_targets, f'targets: ["127.0.0.1:{target}"]')
        text = text.replace("scrape_interval: 15s", "scrape_interval: 1s")
        self.config = directory / "prometheus.yml"
        self.config.write_text(text)
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Prometheus:
        program = need("prometheus")
        with (self.directory / "prometheus.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    program,
                    f"--config.file={self.config}",
                    f"--storage.tsdb.path={self.directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.directory / "prometheus.log").read_text())
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("prometheus did not become ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def value(self, client: httpx.AsyncClient, query: str) -> float | None:
        answer = await client.get(f"{self.url}/api/v1/query", params={"query": query})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "success", body
        result = body["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    async def wait_for(self, client: httpx.AsyncClient, query: str, enough: float) -> float:
        """The query's value once it reaches ``enough`` (a scrape or two later)."""
        deadline = time.monotonic() + WAIT
        while True:
            value = await self.value(client, query)
            if value is not None and value >= enough:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{query} is {value}, not yet {enough}")
            await asyncio.sleep(0.2)


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[tuple[Server, Prometheus]]:
    need("prometheus")
    server = Server(f"sqlite:///{tmp_path / 'auction.sqlite3'}", tmp_path).start()
    prometheus = Prometheus(tmp_path, server.port)
    try:
        yield server, prometheus.start()
    finally:
        prometheus.stop()
        server.stop()


async def test_prometheus_scrapes_the_bid_counter_moving_under_load(scraped: tuple[Server, Prometheus]) -> None:
    server, prometheus = scraped
    start = datetime.now(UTC)
    lot = {
        "country": "SE",
        "title": "Excavator",
        "asset": "movable",
        "value": "30000.00",
        "currency": "SEK",
        "opens_at": start.isoformat(),
        "closes_at": (start + timedelta(hours=1)).isoformat(),
    }
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        # Prometheus has the target up before the load (the engine's series exist from the start).
        assert await prometheus.wait_for(client, 'up{job="auction"}', 1) == 1
        before = await prometheus.value(client, ACCEPTED) or 0.0

        auction = (await client.post("/auctions", json=lot, headers=auth("bailiff", "bailiff-prom"))).json()["id"]
        bidders = [auth("bidder", f"bidder-{n}@prom.test") for n in range(4)]
        for headers in bidders:
            assert (await client.post(f"/auctions/{auction}/registrations", headers=headers)).status_code == 201

        async def bids(n: int) -> int:
            accepted = 0
            for k in range(25):
                amount = f"{1000 + k * 40 + n}.00"
                response = await client.post(f"/auctions/{auction}/bids", json={"amount": amount}, headers=bidders[n])
                accepted += response.status_code == 201
            return accepted

        accepted = sum(await asyncio.gather(*(bids(n) for n in range(len(bidders)))))
        assert accepted > 0
        after = await prometheus.wait_for(client, ACCEPTED, before + accepted)
        assert after == before + accepted  # exactly the accepted bids, none counted twice
        refused = 4 * 25 - accepted
        if refused:
            query = 'sum(auction_bids_total{job="auction",outcome="refused"})'
            assert await prometheus.wait_for(client, query, refused) == refused
