"""Notifications on a real ``auction serve``: an outbid bidder's personal feed and inbox get the notice
once, across a restart between the bid and the delivery (the SMTP relay down at first, up after it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from api.auth import issue_token
from tests.e2e.support import SECRET, Server, auth, eventually
from tests.notifications.support import SmtpServer, free_port

pytestmark = pytest.mark.asyncio


def auction_body(now: datetime) -> dict[str, Any]:
    return {
        "country": "SE",
        "title": "Sailing boat, Göteborg",
        "asset": "movable",
        "value": "50000.00",
        "currency": "SEK",
        "starting_price": "1000.00",
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(hours=2)).isoformat(),
    }


async def feed(server: Server, subject: str, after: int = 0) -> list[dict[str, Any]]:
    """What ``/ws/me`` sends ``subject`` up to now: ready, then each notice numbered above ``after``."""
    token = issue_token(SECRET, "bidder", subject)
    received: list[dict[str, Any]] = []
    async with websockets.connect(f"{server.ws_url}/ws/me") as socket:
        await socket.send(orjson.dumps({"token": token, "after": after}).decode())
        received.append(orjson.loads(await socket.recv()))
        while True:
            try:
                received.append(orjson.loads(await asyncio.wait_for(socket.recv(), 1.0)))
            except TimeoutError:
                return received


def outbids(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [notice for notice in notices if notice.get("kind") == "outbid"]


async def test_an_outbid_notice_reaches_the_feed_and_the_inbox_once_across_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_port = free_port()  # nothing listens there until after the restart
    monkeypatch.setenv("AUCTION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AUCTION_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("AUCTION_SMTP_FROM", "notices@court.example")
    database = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    server = Server(database, tmp_path).start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            created = await client.post("/auctions", json=auction_body(datetime.now(UTC)), headers=auth("bailiff", "b"))
            assert created.status_code == 201, created.text
            auction_id = created.json()["id"]
            for subject in ("alice", "bob"):
                answer = await client.post(f"/auctions/{auction_id}/registrations", headers=auth("bidder", subject))
                assert answer.status_code == 201, answer.text
            email = await client.put(
                "/me/email", json={"address": "alice@example.org"}, headers=auth("bidder", "alice")
            )
            assert email.status_code == 200, email.text
            for subject, amount in (("alice", "1000.00"), ("bob", "1100.00")):
                bid = await client.post(
                    f"/auctions/{auction_id}/bids", json={"amount": amount}, headers=auth("bidder", subject)
                )
                assert bid.status_code == 201, bid.text

            async def kept() -> bool:
                page = await client.get("/me/notifications", headers=auth("bidder", "alice"))
                return len(outbids(page.json()["notifications"])) == 1

            await eventually(kept)
    finally:
        assert server.stop() is not None
    with SmtpServer(smtp_port) as inbox:
        server = Server(database, tmp_path).start()
        try:

            def mails() -> list[Any]:
                return [m for m in inbox.to("alice@example.org") if str(m["Subject"]).startswith("You were outbid")]

            async def delivered() -> bool:
                return bool(mails())

            await eventually(delivered, timeout=30.0)
            # A second outbid: once it arrives, the first (sent before it, in order) was not sent again.
            async with httpx.AsyncClient(base_url=server.url) as client:
                for subject, amount in (("alice", "1200.00"), ("bob", "1300.00")):
                    bid = await client.post(
                        f"/auctions/{auction_id}/bids", json={"amount": amount}, headers=auth("bidder", subject)
                    )
                    assert bid.status_code == 201, bid.text

            async def both() -> bool:
                return len(mails()) >= 2

            await eventually(both, timeout=30.0)
            assert len(mails()) == 2
            ids = [m["Message-ID"] for m in inbox.messages]
            assert len(ids) == len(set(ids))
            assert {m["Message-ID"].split("@")[1] for m in mails()} == {"court.example>"}
            received = await feed(server, "alice")
            assert received[0] == {"type": "ready", "after": 0}
            notices = [n for n in received[1:] if n["type"] == "notification"]
            assert [n["amount"] for n in outbids(notices)] == ["1100.00", "1300.00"]
            assert len({n["id"] for n in notices}) == len(notices)
            # Resuming after the first outbid gives only what came after it.
            first = outbids(notices)[0]["id"]
            later = (await feed(server, "alice", after=first))[1:]
            assert [n["amount"] for n in outbids(later)] == ["1300.00"]
            assert [n["amount"] for n in outbids((await feed(server, "bob"))[1:])] == ["1200.00"]  # bob's own only
            assert server.server_errors() == []
        finally:
            server.stop()


async def test_the_feed_wants_the_token_first(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'log.sqlite3'}", tmp_path).start()
    try:
        for first, code in (("not json", 4400), (orjson.dumps({"token": "nope"}).decode(), 4401)):
            async with websockets.connect(f"{server.ws_url}/ws/me") as socket:
                await socket.send(first)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await socket.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == code
    finally:
        server.stop()
