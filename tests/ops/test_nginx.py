"""nginx (Debian's) with the shipped deploy/nginx/auction.conf in front of two ``auction serve``
processes on one PostgreSQL and one Redis: over TLS, bids and live watchers go through the proxy.

Every bid the proxy acknowledged (201) is in the auction's log exactly once, every watcher sees
each of them, each auction's requests all went to one process (the access log names the upstream),
plain HTTP is redirected to HTTPS and /metrics is not served outside.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from tests.e2e.support import Server, auth, free_port, fresh_postgres_database, redis_server_url
from tests.ops.nginx_support import Nginx, client_context, main_config, need, self_signed_certificate, site

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

AUCTIONS = 3
BIDDERS = 3
BIDS_EACH = 8
BAILIFF = auth("bailiff", "bailiff-nginx")


class Front:
    def __init__(self, url: str, ws_url: str, context: Any, log: Path, http_url: str) -> None:
        self.url = url
        self.ws_url = ws_url
        self.context = context
        self.log = log
        self.http_url = http_url


@pytest.fixture
async def front(tmp_path: Path) -> AsyncIterator[Front]:
    need("nginx")
    redis_url = redis_server_url()
    async with fresh_postgres_database() as database_url:
        servers = [Server(database_url, tmp_path, redis_url) for _ in range(2)]
        nginx: Nginx | None = None
        try:
            for server in servers:
                await asyncio.to_thread(server.start)
            https_port, http_port = free_port(), free_port()
            cert, key = self_signed_certificate(tmp_path)
            site_file = tmp_path / "auction.conf"
            log = tmp_path / "access.log"
            site_file.write_text(site([s.port for s in servers], https_port, http_port, cert, key, log))
            nginx = Nginx(main_config(tmp_path, site_file), tmp_path, https_port).start()
            yield Front(
                f"https://127.0.0.1:{https_port}",
                f"wss://127.0.0.1:{https_port}",
                client_context(cert),
                log,
                f"http://127.0.0.1:{http_port}",
            )
        finally:
            if nginx is not None:
                nginx.stop()
            for server in servers:
                server.stop()
            errors = [line for server in servers for line in server.server_errors()]
            assert not errors, errors


def for_an_hour() -> dict[str, Any]:
    start = datetime.now(UTC)
    return {
        "country": "SE",
        "title": "Tractor",
        "asset": "movable",
        "value": "30000.00",
        "currency": "SEK",
        "opens_at": start.isoformat(),
        "closes_at": (start + timedelta(hours=1)).isoformat(),
    }


async def bidding(client: httpx.AsyncClient, auction: str, bidder: int) -> list[int]:
    """One bidder's bids, each a little higher; the positions of those acknowledged."""
    headers = auth("bidder", f"bidder-{bidder}@nginx.test")
    acknowledged = []
    for n in range(BIDS_EACH):
        amount = f"{1000 + n * 100 + bidder * 10}.00"
        response = await client.post(f"/auctions/{auction}/bids", json={"amount": amount}, headers=headers)
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            acknowledged.append(int(response.json()["position"]))
    return acknowledged


async def watched(socket: Any, positions: set[int]) -> set[int]:
    """The bid positions a watcher receives, until it has seen ``positions``."""
    seen: set[int] = set()
    async with asyncio.timeout(15):
        while not positions <= seen:
            message = orjson.loads(await socket.recv())
            if message["type"] == "bid":
                assert message["position"] not in seen, message
                seen.add(message["position"])
    return seen


async def test_bids_and_watchers_through_nginx_over_tls(front: Front) -> None:
    async with httpx.AsyncClient(base_url=front.url, verify=front.context, timeout=30) as client:
        auctions = []
        for _ in range(AUCTIONS):
            created = await client.post("/auctions", json=for_an_hour(), headers=BAILIFF)
            assert created.status_code == 201, created.text
            auctions.append(created.json()["id"])
        for auction in auctions:
            for bidder in range(BIDDERS):
                headers = auth("bidder", f"bidder-{bidder}@nginx.test")
                registered = await client.post(f"/auctions/{auction}/registrations", headers=headers)
                assert registered.status_code == 201, registered.text

        sockets = [
            await connect(f"{front.ws_url}/ws/auctions/{auction}", ssl=front.context).__aenter__()
            for auction in auctions
        ]
        try:
            for socket in sockets:
                assert orjson.loads(await socket.recv())["type"] == "snapshot"
            runs = [bidding(client, auction, bidder) for auction in auctions for bidder in range(BIDDERS)]
            results = await asyncio.gather(*runs)
            acknowledged = {
                auction: {p for result in results[i * BIDDERS : (i + 1) * BIDDERS] for p in result}
                for i, auction in enumerate(auctions)
            }
            assert all(acknowledged.values())
            for socket, auction in zip(sockets, auctions, strict=True):
                assert acknowledged[auction] <= await watched(socket, acknowledged[auction])
        finally:
            for socket in sockets:
                await socket.close()

        for auction in auctions:
            log = await client.get(f"/auctions/{auction}/events", headers=BAILIFF)
            assert log.status_code == 200, log.text
            events = [orjson.loads(line) for line in log.content.splitlines() if line.strip()]
            accepted = [e["version"] for e in events if e["type"] == "BidAccepted"]
            assert sorted(accepted) == sorted(acknowledged[auction])  # each acknowledged bid, once

        # Each auction's requests went to one process.
        lines = front.log.read_text().splitlines()
        for auction in auctions:
            upstreams = {
                match.group(1)
                for line in lines
                if f"/auctions/{auction}/" in line and (match := re.search(r"upstream=(\S+)", line))
            }
            assert len(upstreams) == 1, (auction, upstreams)

        # The proxy passes the site's host and its request id (the engine's log lines carry it).
        atom = await client.get("/feed.atom")
        assert atom.status_code == 200, atom.text
        links = re.findall(r'href="([^"]+)"', atom.text)
        assert links and all(httpx.URL(link).host == "127.0.0.1" for link in links), links[:3]  # not "engine"
        request_id = atom.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id) and f"id={request_id}" in front.log.read_text()
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/health")).status_code == 200
    async with httpx.AsyncClient(timeout=10) as plain:
        redirected = await plain.get(f"{front.http_url}/auctions")
        assert redirected.status_code == 301
        assert redirected.headers["location"].startswith("https://")
