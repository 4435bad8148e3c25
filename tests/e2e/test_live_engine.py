"""The engine as users meet it: a real server process, real HTTP and WebSocket clients.

Each test runs on SQLite (the embedded default) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from engine.model import parse_instant
from tests.e2e.support import Server, auth, eventually

BAILIFF = auth("bailiff", "bailiff-e2e")
AUDITOR = auth("auditor", "auditor-e2e")
BIDDERS = 30
BIDS = 300
CLIENTS = 10


def now() -> datetime:
    return datetime.now(UTC)


def subject(n: int) -> str:
    return f"person-{n:02d}.secret-identity@example.test"


async def schedule(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/auctions", json=body, headers=BAILIFF)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def swedish(opens: datetime, closes: datetime) -> dict[str, Any]:
    return {
        "country": "SE",
        "title": "Outboard motor",
        "asset": "movable",
        "value": "20000.00",
        "currency": "SEK",
        "starting_price": "500.00",
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
    }


async def frames_until(socket: ClientConnection, position: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Messages up to and including the first at ``position`` or later."""
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not messages or messages[-1]["position"] < position:
            messages.append(orjson.loads(await socket.recv()))
    return messages


async def test_hundreds_of_concurrent_bids_are_decided_in_order_and_every_watcher_sees_each_once(
    server: Server,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auction = await schedule(
            client,
            {
                "country": "LT",
                "payment_days": 14,
                "title": "Tractor, Kaunas district",
                "asset": "movable",
                "value": "10000.00",
                "opens_at": now().isoformat(),
                "closes_at": (now() + timedelta(days=1)).isoformat(),
            },
        )
        auction_id = auction["id"]
        assert (auction["starting_price"], auction["deposit_required"]) == ("8000.00", "800.00")

        codes: dict[int, str] = {}
        for n in range(BIDDERS):
            response = await client.post(f"/auctions/{auction_id}/registrations", headers=auth("bidder", subject(n)))
            assert response.status_code == 201 and response.json()["admitted"] is False
            codes[n] = response.json()["bidder_code"]
        for code in codes.values():
            response = await client.post(
                f"/auctions/{auction_id}/registrations/{code}/deposit", json={"amount": "800.00"}, headers=BAILIFF
            )
            assert response.status_code == 200 and response.json()["admitted"] is True, response.text
        start = (await client.get(f"/auctions/{auction_id}")).json()
        assert (start["status"], start["admitted"]) == ("open", BIDDERS)

        watchers = [await connect(f"{server.ws_url}/ws/auctions/{auction_id}") for _ in range(3)]
        snapshots = [orjson.loads(await w.recv()) for w in watchers]
        assert {s["type"] for s in snapshots} == {"snapshot"}

        amounts = [8000_00 + 10_00 * i for i in range(BIDS)]
        random.Random(7).shuffle(amounts)
        clients = [httpx.AsyncClient(base_url=server.url, timeout=60) for _ in range(CLIENTS)]
        late_watcher: ClientConnection | None = None
        late_snapshot: dict[str, Any] = {}

        async def bid(i: int, cents: int) -> httpx.Response:
            bidder = i % BIDDERS
            return await clients[i % CLIENTS].post(
                f"/auctions/{auction_id}/bids",
                json={"amount": f"{cents // 100}.{cents % 100:02d}"},
                headers=auth("bidder", subject(bidder)),
            )

        async def join_midway() -> None:
            nonlocal late_watcher, late_snapshot
            late_watcher = await connect(f"{server.ws_url}/ws/auctions/{auction_id}")
            late_snapshot = orjson.loads(await late_watcher.recv())

        # Half the bids, then the other half while a late watcher joins: it may subscribe
        # before, between or after any of them (how long a storm lasts depends on the machine).
        half = BIDS // 2
        try:
            answers = list(await asyncio.gather(*(bid(i, cents) for i, cents in enumerate(amounts[:half]))))
            later, _ = await asyncio.gather(
                asyncio.gather(*(bid(half + i, cents) for i, cents in enumerate(amounts[half:]))), join_midway()
            )
            answers += later
        finally:
            for c in clients:
                await c.aclose()

        assert all(a.status_code < 500 for a in answers), [a.text for a in answers if a.status_code >= 500]
        assert {a.status_code for a in answers} <= {201, 409}
        refused = [a.json()["error"]["code"] for a in answers if a.status_code == 409]
        assert set(refused) <= {"bid_too_low"}
        accepted = sorted((a.json() for a in answers if a.status_code == 201), key=lambda b: b["position"])
        assert len(accepted) + len(refused) == BIDS
        accepted_amounts = [parse_amount(b["amount"]) for b in accepted]
        assert accepted_amounts == sorted(set(accepted_amounts)), "accepted amounts must strictly increase"
        assert accepted_amounts[-1] == max(amounts)
        last = accepted[-1]["position"]

        # The history, page by page, is exactly the accepted bids.
        history: list[dict[str, Any]] = []
        after: int | None = 0
        while after is not None:
            page = (await client.get(f"/auctions/{auction_id}/bids", params={"after": after, "limit": 50})).json()
            history += page["bids"]
            after = page["next_after"]
        assert [(b["position"], b["amount"], b["bidder_code"]) for b in history] == [
            (b["position"], b["amount"], b["bidder_code"]) for b in accepted
        ]

        expected = [(b["position"], b["amount"]) for b in accepted]
        streamed: list[dict[str, Any]] = []
        for watcher in watchers:
            messages = await frames_until(watcher, last)
            streamed.extend(messages)
            bids = [(m["position"], m["amount"]) for m in messages if m["type"] == "bid"]
            assert bids == expected
        assert late_watcher is not None

        # Resume from the middle: every later change exactly once, then live.
        middle = accepted[len(accepted) // 2]["position"]
        async with connect(f"{server.ws_url}/ws/auctions/{auction_id}?after={middle}") as resumed:
            snapshot = orjson.loads(await resumed.recv())
            assert (snapshot["type"], snapshot["position"]) == ("snapshot", middle)
            replay = [(m["position"], m["amount"]) for m in await frames_until(resumed, last) if m["type"] == "bid"]
            assert replay == [bid for bid in expected if bid[0] > middle]
            top = max(amounts) + 10_00
            live = await client.post(
                f"/auctions/{auction_id}/bids",
                json={"amount": f"{top // 100}.00"},
                headers=auth("bidder", subject(0)),
            )
            assert live.status_code == 201
            (message,) = await frames_until(resumed, live.json()["position"])
            assert (message["type"], message["position"]) == ("bid", live.json()["position"])

        # The late watcher saw every bid accepted after it joined, and the live one, each once.
        live_bid = (live.json()["position"], live.json()["amount"])
        frames = await frames_until(late_watcher, live_bid[0])
        late = [(m["position"], m["amount"]) for m in frames if m["type"] == "bid"]
        assert late == [bid for bid in expected if bid[0] > late_snapshot["position"]] + [live_bid]

        state = (await client.get(f"/auctions/{auction_id}")).json()
        assert state["bid_count"] == len(accepted) + 1
        assert (state["price"], state["leader"]) == (live.json()["amount"], codes[0])

        public = [
            (await client.get("/auctions")).text,
            (await client.get(f"/auctions/{auction_id}")).text,
            (await client.get(f"/auctions/{auction_id}/bids?limit=1000")).text,
            (await client.get(f"/auctions/{auction_id}/report", headers=auth("bidder", subject(3)))).text,
        ]
        public.append(orjson.dumps(streamed + snapshots).decode())
        assert not any("secret-identity" in text for text in public)
        for watcher in watchers + [late_watcher]:
            await watcher.close()
    assert server.server_errors() == []


def parse_amount(text: str) -> int:
    whole, cents = text.split(".")
    return int(whole) * 100 + int(cents)


async def test_a_late_bid_extends_the_swedish_deadline_and_an_auction_without_bids_closes_by_itself(
    server: Server,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        start = now()
        extended = await schedule(client, swedish(start, start + timedelta(seconds=5)))
        quiet = await schedule(client, swedish(start, start + timedelta(seconds=2)))
        alice = auth("bidder", "alice.e2e@example.test")
        assert (await client.post(f"/auctions/{extended['id']}/registrations", headers=alice)).status_code == 201
        assert (await client.post(f"/auctions/{quiet['id']}/registrations", headers=alice)).status_code == 201

        async with (
            connect(f"{server.ws_url}/ws/auctions/{extended['id']}") as watch_extended,
            connect(f"{server.ws_url}/ws/auctions/{quiet['id']}?after=0") as watch_quiet,
        ):
            await watch_extended.recv()
            await watch_quiet.recv()

            # Less than two minutes are left: the deadline moves by two minutes (deadline-anchored).
            bid = await client.post(f"/auctions/{extended['id']}/bids", json={"amount": "600.00"}, headers=alice)
            assert bid.status_code == 201, bid.text
            moved = parse_instant(extended["closes_at"]) + timedelta(minutes=2)
            assert parse_instant(bid.json()["closes_at"]) == moved
            assert parse_instant((await client.get(f"/auctions/{extended['id']}")).json()["closes_at"]) == moved
            live = await frames_until(watch_extended, bid.json()["position"] + 1)
            assert [m["type"] for m in live] == ["bid", "extended"]
            assert parse_instant(live[-1]["closes_at"]) == moved

            # The auction nobody bid on fails by itself at its deadline, announced on the feed.
            async with asyncio.timeout(10):
                while (failed := orjson.loads(await watch_quiet.recv()))["type"] != "failed":
                    assert failed["type"] in ("scheduled", "opened"), failed
            assert (failed["type"], failed["status"]) == ("failed", "failed")
            assert parse_instant(failed["closes_at"]) == parse_instant(quiet["closes_at"])

        state = (await client.get(f"/auctions/{quiet['id']}")).json()
        assert state["status"] == "failed"
        assert parse_instant(state["closed_at"]) == parse_instant(quiet["closes_at"])
        late = await client.post(f"/auctions/{quiet['id']}/bids", json={"amount": "600.00"}, headers=alice)
        assert late.status_code == 409 and late.json()["error"]["code"] == "auction_closed"
        ended = await client.post(f"/auctions/{quiet['id']}/close", headers=BAILIFF)
        assert ended.status_code == 200
        assert (ended.json()["ended"], ended.json()["purchaser"]) == (True, None)

        # Past its original deadline, the extended auction is still open.
        await asyncio.sleep(max(0.0, (parse_instant(extended["closes_at"]) - now()).total_seconds()) + 0.5)
        still = (await client.get(f"/auctions/{extended['id']}")).json()
        assert (still["status"], still["leader"], still["price"]) == ("open", "B-1", "600.00")
        early = await client.post(f"/auctions/{extended['id']}/close", headers=BAILIFF)
        assert early.status_code == 409 and early.json()["error"]["code"] == "bidding_not_ended"
    assert server.server_errors() == []


async def test_a_server_restarted_after_a_deadline_closes_that_auction_exactly_once(
    start_server: Callable[[], Server],
) -> None:
    first = start_server()
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as client:
        auction = await schedule(client, swedish(now(), now() + timedelta(seconds=2)))
    first.stop()  # SIGTERM before the deadline
    assert "Application shutdown complete" in first.log.read_text()  # a graceful stop
    deadline = parse_instant(auction["closes_at"])
    assert now() < deadline, "the first server must be down before the deadline for this test to mean anything"
    await asyncio.sleep(max(0.0, (deadline - now()).total_seconds()) + 0.3)

    second = start_server()
    async with httpx.AsyncClient(base_url=second.url, timeout=30) as client:

        async def failed() -> bool:
            return bool((await client.get(f"/auctions/{auction['id']}")).json()["status"] == "failed")

        await eventually(failed, timeout=10)
        lines = (await client.get(f"/auctions/{auction['id']}/events", headers=AUDITOR)).content.splitlines()
        events = [orjson.loads(line) for line in lines]
    closing = [e for e in events if e["type"] in ("BiddingFailed", "BiddingClosed")]
    assert len(closing) == 1
    assert parse_instant(closing[0]["data"]["at"]) == deadline
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))


async def test_a_replayed_idempotency_key_returns_the_first_answer_and_records_nothing(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auction = await schedule(client, swedish(now(), now() + timedelta(hours=1)))
        bob = {**auth("bidder", "bob.e2e@example.test"), "Idempotency-Key": "retry-me"}
        assert (await client.post(f"/auctions/{auction['id']}/registrations", headers=bob)).status_code == 201
        first = await client.post(f"/auctions/{auction['id']}/bids", json={"amount": "700.00"}, headers=bob)
        assert first.status_code == 201
        count = len((await client.get(f"/auctions/{auction['id']}/events", headers=AUDITOR)).content.splitlines())

        replies = await asyncio.gather(
            *(client.post(f"/auctions/{auction['id']}/bids", json={"amount": "700.00"}, headers=bob) for _ in range(5))
        )

        assert all(r.status_code == 201 and r.json() == first.json() for r in replies)
        assert all(r.headers["idempotent-replayed"] == "true" for r in replies)
        lines = (await client.get(f"/auctions/{auction['id']}/events", headers=AUDITOR)).content.splitlines()
        assert len(lines) == count


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_winning_bid_closes_the_auction_by_itself_and_the_bailiff_declares_the_purchaser(
    server: Server,
) -> None:
    # Every country's soft close reaches back at least two minutes, so a bid that wins without
    # an extension must come more than two minutes before the deadline: this test waits that long.
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        start = now()
        auction = await schedule(client, swedish(start, start + timedelta(minutes=2, seconds=4)))
        carl = auth("bidder", "carl.e2e@example.test")
        assert (await client.post(f"/auctions/{auction['id']}/registrations", headers=carl)).status_code == 201
        async with connect(f"{server.ws_url}/ws/auctions/{auction['id']}") as watcher:
            snapshot = orjson.loads(await watcher.recv())
            bid = await client.post(f"/auctions/{auction['id']}/bids", json={"amount": "800.00"}, headers=carl)
            assert bid.status_code == 201, bid.text
            assert parse_instant(bid.json()["closes_at"]) == parse_instant(auction["closes_at"]), "no extension"
            async with asyncio.timeout(150):
                while (message := orjson.loads(await watcher.recv()))["type"] != "closed":
                    assert message["type"] in ("bid", "opened"), message
            assert message["position"] > snapshot["position"]
            assert (message["status"], message["leader"], message["price"]) == ("closed", "B-1", "800.00")
            assert parse_instant(message["closes_at"]) == parse_instant(auction["closes_at"])
        late = await client.post(f"/auctions/{auction['id']}/bids", json={"amount": "900.00"}, headers=carl)
        assert late.status_code == 409 and late.json()["error"]["code"] == "auction_closed"
        ended = await client.post(f"/auctions/{auction['id']}/close", headers=BAILIFF)
        assert ended.status_code == 200, ended.text
        assert (ended.json()["ended"], ended.json()["purchaser"]) == (True, "B-1")
        full = (await client.get(f"/auctions/{auction['id']}/report", headers=BAILIFF)).json()
        assert full["purchaser"] == {"bidder_code": "B-1", "subject": "carl.e2e@example.test", "price": "800.00"}
        public = (await client.get(f"/auctions/{auction['id']}")).text
        assert "carl" not in public
    assert server.server_errors() == []
