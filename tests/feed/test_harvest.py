"""``auction harvest`` against two real engines (HR and LT, the Croatian one on SQLite or on
PostgreSQL): every lot once in the cross-border catalogue; restarting a server or the harvester,
or a harvest cut off half-way, loses and duplicates nothing; a complete page revalidates with 304;
``auction serve --harvest`` serves the catalogue read-only, each lot linking back to its engine."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.harvest import Harvester, HarvestError, connect, search
from tests.e2e.support import Server, auction_command, auth, free_port, fresh_postgres_database
from tests.feed.support import jsonld_blocks

pytestmark = pytest.mark.e2e

BAILIFF = auth("bailiff", "bailiff-1")
OPENS = "2027-03-02T10:00:00+01:00"


def schedule(
    server: Server, country: str, title: str, value: str, asset: str = "immovable", **details: Any
) -> dict[str, Any]:
    body = {"country": country, "payment_days": 30, "title": title, "asset": asset, "value": value, "opens_at": OPENS}
    body.update(details)
    response = httpx.post(f"{server.url}/auctions", json=body, headers=BAILIFF)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def open_and_bid(server: Server, auction: dict[str, Any], subject: str, amount: str) -> str:
    auction_id = auction["id"]
    assert httpx.post(f"{server.url}/auctions/{auction_id}/open", headers=BAILIFF).status_code == 200
    bidder = auth("bidder", subject)
    code = httpx.post(f"{server.url}/auctions/{auction_id}/registrations", headers=bidder).json()["bidder_code"]
    deposit = httpx.post(
        f"{server.url}/auctions/{auction_id}/registrations/{code}/deposit",
        json={"amount": auction["deposit_required"]},
        headers=BAILIFF,
    )
    assert deposit.status_code == 200, deposit.text
    bid = httpx.post(f"{server.url}/auctions/{auction_id}/bids", json={"amount": amount}, headers=bidder)
    assert bid.status_code == 201, bid.text
    return str(code)


def harvest(database: Path, *urls: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [*auction_command(), "harvest", *urls, "--database", str(database), "--limit", "2"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def catalogue(database: Path, **filters: Any) -> list[dict[str, Any]]:
    conn = connect(str(database))
    try:
        return search(conn, **filters)
    finally:
        conn.close()


class HarvestServer:
    """``auction serve --harvest FILE --port P``, as an operator runs it."""

    def __init__(self, database: Path, directory: Path) -> None:
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"harvest-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> HarvestServer:
        command = [*auction_command(), "serve", "--harvest", str(self.database), "--port", str(self.port)]
        env = {k: v for k, v in os.environ.items() if k not in ("AUCTION_HOST", "AUCTION_PORT")}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the harvest server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the harvest server did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"the harvest server did not stop on SIGTERM:\n{self.log.read_text()}") from None


@pytest.fixture(params=["sqlite", "postgres"])
async def zagreb_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The Croatian engine's database: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hr.sqlite3'}"
        return
    async with fresh_postgres_database() as url:
        yield url


def test_two_engines_one_harvester_every_lot_once_across_restarts(tmp_path: Path, zagreb_database: str) -> None:
    zagreb = Server(zagreb_database, tmp_path).start()
    vilnius = Server(f"sqlite:///{tmp_path / 'lt.sqlite3'}", tmp_path).start()
    try:
        split = schedule(
            zagreb, "HR", "House in Split", "100000.00", location={"municipality": "Split", "region": "Dalmacija"}
        )
        tractor = schedule(zagreb, "HR", "Tractor, Osijek", "12000.00", asset="movable")
        kaunas = schedule(
            vilnius, "LT", "Flat in Kaunas", "64000.00", location={"address": "Laisvės al. 1", "municipality": "Kaunas"}
        )
        schedule(vilnius, "LT", "Garage in Vilnius", "9000.00")
        schedule(vilnius, "LT", "Plot in Klaipeda", "30000.00")
        leader = open_and_bid(zagreb, split, "ana.horvat@example.test", "80000.00")
        open_and_bid(vilnius, kaunas, "jonas.jonaitis@example.test", "51200.00")
        database = tmp_path / "harvest.sqlite3"

        first = harvest(database, zagreb.url, vilnius.url)
        assert first[-1] == {"lots": 5, "failed": 0}
        lots = catalogue(database)
        assert sorted((lot["country"], lot["title"]) for lot in lots) == [
            ("HR", "House in Split"),
            ("HR", "Tractor, Osijek"),
            ("LT", "Flat in Kaunas"),
            ("LT", "Garage in Vilnius"),
            ("LT", "Plot in Klaipeda"),
        ]
        (house,) = catalogue(database, q="Split")
        assert (house["status"], house["price"], house["currency"], house["leader"]) == (
            "open",
            "80000.00",
            "EUR",
            leader,
        )
        assert house["url"] == f"{zagreb.url}/app/auction/{split['id']}"
        cheap = catalogue(database, country="lt", max_price="30000.00")
        assert sorted(lot["title"] for lot in cheap) == ["Garage in Vilnius", "Plot in Klaipeda"]
        assert [lot["title"] for lot in catalogue(database, asset="movable")] == ["Tractor, Osijek"]
        assert {lot["title"] for lot in catalogue(database, min_price="51200.00")} == {
            "House in Split",
            "Flat in Kaunas",
        }

        # The harvester again: nothing new, the head pages answered 304.
        again = harvest(database, zagreb.url, vilnius.url)
        assert [line.get("items") for line in again[:2]] == [0, 0]
        assert [line.get("not_modified") for line in again[:2]] == [1, 1]
        assert len(catalogue(database)) == 5

        # A server restarts and goes on; the harvester picks up only what is new.
        assert zagreb.stop() is not None
        zagreb.start()
        schedule(zagreb, "HR", "Flat in Rijeka", "70000.00")
        third = harvest(database, zagreb.url, vilnius.url)
        assert third[-1] == {"lots": 6, "failed": 0}
        assert sorted(lot["title"] for lot in catalogue(database, country="HR")) == [
            "Flat in Rijeka",
            "House in Split",
            "Tractor, Osijek",
        ]
        with sqlite3.connect(database) as conn:
            assert conn.execute("SELECT count(*), count(DISTINCT source || auction) FROM lots").fetchone() == (6, 6)
        conn.close()

        # The catalogue served read-only: each lot links back to its engine, whose page carries its offer.
        served = HarvestServer(database, tmp_path).start()
        try:
            body = httpx.get(f"{served.url}/auctions", params={"country": "HR"}).json()
            assert sorted(lot["title"] for lot in body["auctions"]) == [
                "Flat in Rijeka",
                "House in Split",
                "Tractor, Osijek",
            ]
            (flat,) = httpx.get(f"{served.url}/auctions", params={"q": "Kaunas"}).json()["auctions"]
            assert (flat["source"], flat["price"], flat["currency"]) == (vilnius.url, "51200.00", "EUR")
            assert flat["url"] == f"{vilnius.url}/app/auction/{kaunas['id']}"
            (offer,) = jsonld_blocks(httpx.get(flat["url"]).text)
            assert (offer["@id"], offer["price"]) == (f"{vilnius.url}/auctions/{kaunas['id']}", "51200.00")
            assert offer["availableAtOrFrom"]["address"]["streetAddress"] == "Laisvės al. 1"
            bid = httpx.post(f"{served.url}/auctions/{kaunas['id']}/bids", json={"amount": "60000.00"})
            assert (bid.status_code, bid.json()["error"]["code"]) == (405, "read_only")
            (house,) = httpx.get(f"{served.url}/auctions", params={"location": "DALMACIJA"}).json()["auctions"]
            assert house["auction"] == split["id"]
            assert httpx.get(f"{served.url}/auctions", params={"location": "vukovar"}).json()["total"] == 0

            # The tractor is moved before its auction opens: the next harvest finds it where it is now.
            moved = {"location": {"municipality": "Vukovar"}, "description": "Kept in the barn"}
            amended = httpx.patch(f"{zagreb.url}/auctions/{tractor['id']}/details", json=moved, headers=BAILIFF)
            assert amended.status_code == 200, amended.text
            assert harvest(database, zagreb.url, vilnius.url)[-1] == {"lots": 6, "failed": 0}
            (found,) = httpx.get(f"{served.url}/auctions", params={"location": "vukovar"}).json()["auctions"]
            assert (found["title"], found["description"]) == ("Tractor, Osijek", "Kept in the barn")

            # Both engines, the harvester and the harvest server restart: every lot is still there once.
            assert zagreb.stop() is not None and vilnius.stop() is not None
            zagreb.start()
            vilnius.start()
            assert harvest(database, zagreb.url, vilnius.url)[-1] == {"lots": 6, "failed": 0}
            assert served.stop() == 0
            served.start()
            body = httpx.get(f"{served.url}/auctions", params={"limit": 100}).json()
            assert body["total"] == 6
            assert len({(lot["source"], lot["auction"]) for lot in body["auctions"]}) == 6
            assert httpx.get(f"{served.url}/auctions", params={"country": "LT"}).json()["total"] == 3
        finally:
            served.stop()

        # A complete page of a real server revalidates with 304.
        full = httpx.get(f"{vilnius.url}/feed?after=0&limit=2")
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        revalidated = httpx.get(f"{vilnius.url}/feed?after=0&limit=2", headers={"If-None-Match": full.headers["etag"]})
        assert revalidated.status_code == 304
    finally:
        zagreb.stop()
        vilnius.stop()


class CutOff(httpx.BaseTransport):
    """Passes ``pages`` requests on, then fails as a dropped connection would."""

    def __init__(self, pages: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.left = pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left == 0:
            raise httpx.ConnectError("cut off", request=request)
        self.left -= 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_harvest_cut_off_half_way_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'lt.sqlite3'}", tmp_path).start()
    try:
        titles = [f"Lot {n}" for n in range(7)]
        for title in titles:
            schedule(server, "LT", title, "10000.00")
        database = str(tmp_path / "harvest.sqlite3")
        for pages in (1, 2):
            with httpx.Client(transport=CutOff(pages)) as client, Harvester(database, client, limit=2) as harvester:
                with pytest.raises(HarvestError):
                    harvester.harvest(server.url)
        with Harvester(database, limit=2) as harvester:
            done = harvester.harvest(server.url)
            assert (done.after, done.pages, done.items) == (7, 1, 1)  # only the head page: 1 to 3 were kept
        assert sorted(lot["title"] for lot in catalogue(Path(database))) == titles
    finally:
        server.stop()
