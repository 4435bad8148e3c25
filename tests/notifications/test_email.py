"""E-mail through the outbox to a real SMTP server on loopback: once each, plain text and HTML, the
dedupe key as Message-ID, retried while the server refuses, nothing to a person who opted out or was forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from engine.app.offline import forget
from engine.clock import ManualClock
from tests.api.support import Api, bidder, running_api, swedish_auction
from tests.notifications.support import Inbox, SmtpServer, free_port, parts

pytestmark = pytest.mark.asyncio

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def outbid_mails(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if str(m["Subject"]).startswith("You were outbid")]


async def until(check: Callable[[], object], timeout: float = 20.0) -> None:
    """Wait (on the loop, so the outbox task runs) until ``check()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "not reached"
        await asyncio.sleep(0.02)


async def outbid_alice(api: Api) -> str:
    auction = await api.schedule(swedish_auction(START))
    await api.register(auction["id"], "alice")
    await api.register(auction["id"], "bob")
    answer = await api.client.put("/me/email", json={"address": "alice@example.org"}, headers=bidder("alice"))
    assert answer.status_code == 200, answer.text
    assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
    assert (await api.bid(auction["id"], "bob", "1100.00")).status_code == 201
    await api.runtime.notifications.catch_up()  # type: ignore[union-attr]
    return str(auction["id"])


async def test_an_outbid_notice_is_mailed_once_with_its_key_as_message_id() -> None:
    server = SmtpServer()
    with server as inbox:
        async with running_api(
            clock=ManualClock(START), smtp_host="127.0.0.1", smtp_port=server.port, smtp_from="notices@court.example"
        ) as api:
            notifications = api.runtime.notifications
            assert notifications is not None
            auction_id = await outbid_alice(api)
            await notifications.deliver()  # or the outbox task did: either way once
            await until(lambda: outbid_mails(inbox, "alice@example.org"))
            assert await notifications.deliver() == 0  # sent: never again
            mails = outbid_mails(inbox, "alice@example.org")
            assert [m["Subject"] for m in mails] == ["You were outbid: Sailing boat, Göteborg"]
            (mail,) = mails
            ids = [m["Message-ID"] for m in inbox.messages]
            assert len(ids) == len(set(ids))
            assert mail["From"] == "notices@court.example"
            text, page = parts(mail)
            assert auction_id in text and "1100.00" in text and "1100.00" in page and "<table>" in page
            page_of = await api.client.get("/me/notifications", headers=bidder("alice"))
            assert [n["kind"] for n in page_of.json()["notifications"]].count("outbid") == 1
            assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@court.example>")
            assert inbox.to("bob@example.org") == []


async def test_a_refusing_server_is_tried_again_later_and_the_mail_goes_once() -> None:
    port = free_port()
    clock = ManualClock(START)
    async with running_api(clock=clock, smtp_host="127.0.0.1", smtp_port=port) as api:
        notifications = api.runtime.notifications
        assert notifications is not None
        await outbid_alice(api)
        assert await notifications.deliver() == 0  # nothing listens yet
        with SmtpServer(port) as inbox:
            assert await notifications.deliver() == 0  # not before its next attempt
            clock.advance(timedelta(seconds=3))
            await notifications.deliver()
            await until(lambda: outbid_mails(inbox, "alice@example.org"))
            clock.advance(timedelta(hours=2))
            assert await notifications.deliver() == 0
            assert len(outbid_mails(inbox, "alice@example.org")) == 1
            ids = [m["Message-ID"] for m in inbox.messages]
            assert len(ids) == len(set(ids))


async def test_no_mail_after_opting_out() -> None:
    server = SmtpServer()
    with server as inbox:
        async with running_api(clock=ManualClock(START), smtp_host="127.0.0.1", smtp_port=server.port) as api:
            notifications = api.runtime.notifications
            assert notifications is not None
            answer = await api.client.put("/me/email", json={"address": "alice@example.org"}, headers=bidder("alice"))
            assert answer.json() == {"address": "alice@example.org"}
            assert (await api.client.get("/me/email", headers=bidder("alice"))).json() == answer.json()
            assert (await api.client.delete("/me/email", headers=bidder("alice"))).status_code == 200
            assert (await api.client.get("/me/email", headers=bidder("alice"))).json() == {"address": None}
            auction = await api.schedule(swedish_auction(START))
            await api.register(auction["id"], "alice")
            await api.register(auction["id"], "bob")
            assert (await api.bid(auction["id"], "alice", "1000.00")).status_code == 201
            assert (await api.bid(auction["id"], "bob", "1100.00")).status_code == 201
            await notifications.catch_up()
            assert await notifications.deliver() == 0
            assert inbox.messages == []


async def test_forget_erases_the_address_the_watches_and_the_notices(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    server = SmtpServer()
    with server as inbox:
        settings = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "head_file": "off"}
        async with running_api(database, clock=ManualClock(START), **settings) as api:
            auction_id = await outbid_alice(api)
            assert (await api.client.put(f"/auctions/{auction_id}/watch", headers=bidder("alice"))).status_code == 200
            await until(lambda: outbid_mails(inbox, "alice@example.org"))
        assert await forget(database, "alice") == 1
        async with running_api(database, clock=ManualClock(START), **settings) as api:
            assert (await api.client.get("/me/email", headers=bidder("alice"))).json() == {"address": None}
            assert (await api.client.get("/me/watchlist", headers=bidder("alice"))).json() == {"auctions": []}
            found = await api.client.get("/me/notifications", headers=bidder("alice"))
            assert found.json()["notifications"] == []
            # Her registration's key is gone: a later outbid of her bidder code concerns nobody.
            assert (await api.bid(auction_id, "bob", "1300.00")).status_code == 201
            await api.runtime.notifications.catch_up()  # type: ignore[union-attr]
            assert (await api.client.get("/me/notifications", headers=bidder("alice"))).json()["notifications"] == []


@pytest.mark.parametrize("address", ["", "alice", "alice@localhost", "a b@example.org", "a@example.org\r\nBcc: x@y.z"])
async def test_a_bad_address_is_a_422(address: str) -> None:
    async with running_api() as api:
        answer = await api.client.put("/me/email", json={"address": address}, headers=bidder("alice"))
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] in ("invalid_address", "invalid_request")


async def test_the_address_is_sealed_in_the_database(tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    async with running_api(f"sqlite:///{database}", head_file="off") as api:
        answer = await api.client.put("/me/email", json={"address": "alice@example.org"}, headers=bidder("alice"))
        assert answer.status_code == 200
    assert b"alice@example.org" not in database.read_bytes()
