"""Each person's notices through the application, on a manual clock: outbid, admitted, opening, closing
soon at 10 and 1 minute before the deadline in force (moving with extensions), won and lost, after bidding."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.clock import ManualClock
from tests.api.support import BAILIFF, Api, bidder, running_api, swedish_auction

pytestmark = pytest.mark.asyncio

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def notices(api: Api, subject: str) -> list[dict[str, Any]]:
    await api.runtime.notifications.catch_up()  # type: ignore[union-attr]
    response = await api.client.get("/me/notifications", headers=bidder(subject))
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["notifications"]))


def kinds(found: list[dict[str, Any]]) -> list[str]:
    return [notice["kind"] for notice in found]


async def test_an_outbid_bidder_is_told_once_and_nobody_else_is() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START))
        alice = await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
        assert (await api.bid(auction["id"], "bob", "1100.00")).status_code == 201
        found = await notices(api, "alice")
        assert kinds(found).count("outbid") == 1
        outbid = next(n for n in found if n["kind"] == "outbid")
        assert outbid["auction"] == auction["id"] and outbid["amount"] == "1100.00"
        assert outbid["bidder_code"] == alice
        assert "outbid" not in kinds(await notices(api, "bob"))
        assert await notices(api, "carol") == []


async def test_closing_soon_at_ten_and_one_minute_before_the_deadline_in_force() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        notifications = api.runtime.notifications
        assert notifications is not None
        auction = await api.schedule(swedish_auction(START, closes_at=(START + timedelta(minutes=30)).isoformat()))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
        watch = await api.client.put(f"/auctions/{auction['id']}/watch", headers=bidder("walter"))
        assert watch.status_code == 200, watch.text
        clock.set(START + timedelta(minutes=19, seconds=59))
        await notifications.tick()
        assert "closing_soon" not in kinds(await notices(api, "alice"))
        clock.set(START + timedelta(minutes=20))
        await notifications.tick()
        await notifications.tick()  # once
        for person in ("alice", "walter"):
            soon = [n for n in await notices(api, person) if n["kind"] == "closing_soon"]
            assert [n["minutes"] for n in soon] == [10], person
        clock.set(START + timedelta(minutes=29))
        await notifications.tick()
        soon = [n for n in await notices(api, "alice") if n["kind"] == "closing_soon"]
        assert [n["minutes"] for n in soon] == [10, 1]
        # A bid with under 2 minutes left moves the deadline 2 minutes (SE): the 1-minute reminder
        # comes again, a minute before the new deadline, and the 10-minute one does not.
        clock.set(START + timedelta(minutes=29, seconds=30))
        assert (await api.bid(auction["id"], "alice", "1200.00")).status_code == 201
        assert "extended" in kinds(await notices(api, "walter"))
        await notifications.tick()
        soon = [n for n in await notices(api, "alice") if n["kind"] == "closing_soon"]
        assert [n["minutes"] for n in soon] == [10, 1]
        clock.set(START + timedelta(minutes=31))
        await notifications.tick()
        soon = [n for n in await notices(api, "alice") if n["kind"] == "closing_soon"]
        assert [n["minutes"] for n in soon] == [10, 1, 1]
        assert soon[-1]["closes_at"] != soon[-2]["closes_at"]


async def test_a_server_down_at_ten_minutes_sends_only_the_one_minute_reminder() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        notifications = api.runtime.notifications
        assert notifications is not None
        auction = await api.schedule(swedish_auction(START, closes_at=(START + timedelta(minutes=30)).isoformat()))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
        clock.set(START + timedelta(minutes=29, seconds=30))
        await notifications.tick()
        soon = [n for n in await notices(api, "alice") if n["kind"] == "closing_soon"]
        assert [n["minutes"] for n in soon] == [1]


async def test_won_lost_and_the_sale_after_bidding() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START, closes_at=(START + timedelta(minutes=30)).isoformat()))
        await api.register(auction["id"], "alice")
        winner = await api.register(auction["id"], "bob")
        assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
        assert (await api.bid(auction["id"], "bob", "1500.00")).status_code == 201
        clock.set(START + timedelta(minutes=40))
        closed = await api.client.post(f"/auctions/{auction['id']}/close", headers=BAILIFF)
        assert closed.status_code == 200, closed.text
        bob = await notices(api, "bob")
        assert "won" in kinds(bob) and "payment_due" in kinds(bob)
        won = next(n for n in bob if n["kind"] == "won")
        assert won["price"] == "1500.00" and won["winner"] == winner
        alice = await notices(api, "alice")
        assert "lost" in kinds(alice) and "payment_due" not in kinds(alice)
        lost = next(n for n in alice if n["kind"] == "lost")
        assert lost["price"] == "1500.00"  # the last bid, told to every bidder (BG's rule, every country here)


async def test_a_notice_whose_write_failed_is_made_again() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        notifications = api.runtime.notifications
        assert notifications is not None
        book = notifications.book
        record = book.record
        failing = {"left": 1}

        async def flaky(*args: Any, **kwargs: Any) -> int:
            if failing["left"]:
                failing["left"] -= 1
                raise OSError("disk I/O error")
            return await record(*args, **kwargs)

        auction = await api.schedule(swedish_auction(START))
        await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        await notifications.catch_up()
        book.record = flaky  # type: ignore[method-assign]
        assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
        assert (await api.bid(auction["id"], "bob", "1100.00")).status_code == 201
        while failing["left"]:  # the projection's own task, or this one, meets the failure
            try:
                await notifications.catch_up()
            except OSError:
                pass
        assert kinds(await notices(api, "alice")).count("outbid") == 1


async def test_a_cancelled_write_leaves_no_transaction_open(tmp_path: Path) -> None:
    """A task cancelled in the middle of a notifications transaction (a server stopping) leaves the
    SQLite file's write lock free: the log's next append does not wait for it."""
    from projections.notifications import Notice, NotificationBook

    database = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    async with running_api(database, head_file="off"):
        pass  # migrated
    book = await NotificationBook.open(database)
    try:
        notices = [Notice("owner", f"key-{n}", "outbid", "a", START, {"kind": "outbid"}) for n in range(200)]
        for turns in range(40):  # cancelled at every point of the transaction in turn
            task = asyncio.create_task(book.record(notices, None, START))
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            other = sqlite3.connect(tmp_path / "log.sqlite3", timeout=0.5)
            try:
                other.execute("BEGIN IMMEDIATE")  # would time out while a transaction were left open
                other.execute("ROLLBACK")
            finally:
                other.close()
            await book.record([], None, START)  # and the book itself still works
    finally:
        await book.close()
