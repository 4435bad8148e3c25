"""``auction harvest`` against two real engines (HR and LT): every lot once in the cross-border
catalogue; restarting a server or the harvester, or a harvest cut off half-way, loses and
duplicates nothing; a complete page revalidates with 304."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.harvest import Harvester, HarvestError, connect, search
from tests.e2e.support import Server, auction_command, auth

pytestmark = pytest.mark.e2e

BAILIFF = auth("bailiff", "bailiff-1")
OPENS = "2027-03-02T10:00:00+01:00"


def schedule(server: Server, country: str, title: str, value: str, asset: str = "immovable") -> dict[str, Any]:
    body = {"country": country, "payment_days": 30, "title": title, "asset": asset, "value": value, "opens_at": OPENS}
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


def test_two_engines_one_harvester_every_lot_once_across_restarts(tmp_path: Path) -> None:
    zagreb = Server(f"sqlite:///{tmp_path / 'hr.sqlite3'}", tmp_path).start()
    vilnius = Server(f"sqlite:///{tmp_path / 'lt.sqlite3'}", tmp_path).start()
    try:
        split = schedule(zagreb, "HR", "House in Split", "100000.00")
        schedule(zagreb, "HR", "Tractor, Osijek", "12000.00", asset="movable")
        kaunas = schedule(vilnius, "LT", "Flat in Kaunas", "64000.00")
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
