"""The notifications on PostgreSQL: the same outbid notice, e-mail and erasure as on SQLite, and two
processes' projections on one database keep each notice and each e-mail once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from engine.app.offline import forget
from engine.clock import ManualClock
from tests.api.support import bidder, running_api, swedish_auction
from tests.notifications.support import SmtpServer
from tests.store.support import fresh_postgres_database

pytestmark = pytest.mark.asyncio

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_two_processes_on_one_database_keep_and_mail_each_notice_once() -> None:
    server = SmtpServer()
    async with fresh_postgres_database() as url:
        with server as inbox:
            settings = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "head_file": "off"}
            async with (
                running_api(url, clock=ManualClock(START), **settings) as one,
                running_api(url, clock=ManualClock(START), **settings) as two,
            ):
                auction = (await one.schedule(swedish_auction(START)))["id"]
                await one.register(auction, "alice")
                await one.register(auction, "bob")
                put = await one.client.put("/me/email", json={"address": "alice@example.org"}, headers=bidder("alice"))
                assert put.status_code == 200, put.text
                assert (await one.bid(auction, "alice", "1000.00")).status_code == 201
                assert (await two.bid(auction, "bob", "1100.00")).status_code == 201
                for api in (one, two):
                    assert api.runtime.notifications is not None
                    await api.runtime.notifications.catch_up()
                await asyncio.gather(*(api.runtime.notifications.deliver() for api in (one, two)))  # type: ignore[union-attr]
                for api in (one, two):
                    page = await api.client.get("/me/notifications", headers=bidder("alice"))
                    assert [n["kind"] for n in page.json()["notifications"]].count("outbid") == 1
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 20
                while not any(str(m["Subject"]).startswith("You were outbid") for m in inbox.messages):
                    assert loop.time() < deadline
                    await asyncio.sleep(0.05)
                for api in (one, two):
                    await api.runtime.notifications.deliver()  # type: ignore[union-attr]
                subjects = [str(m["Subject"]) for m in inbox.to("alice@example.org")]
                assert subjects.count("You were outbid: Sailing boat, Göteborg") == 1
                assert len({m["Message-ID"] for m in inbox.messages}) == len(inbox.messages)
                assert (await one.client.put(f"/auctions/{auction}/watch", headers=bidder("alice"))).status_code == 200
        assert await forget(url, "alice") == 1
        async with running_api(url, clock=ManualClock(START), head_file="off") as api:
            assert (await api.client.get("/me/email", headers=bidder("alice"))).json() == {"address": None}
            assert (await api.client.get("/me/watchlist", headers=bidder("alice"))).json() == {"auctions": []}
            assert (await api.client.get("/me/notifications", headers=bidder("alice"))).json()["notifications"] == []
