"""After the hammer on a real database (SQLite and PostgreSQL): a sale through a running
``auction serve`` to its transfer, with a real bidding window of seconds; and servers that
were down when a payment deadline passed, restarted after it, which record the default
exactly once, at the deadline instant."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.support import served
from tests.e2e.support import SECRET, Server, eventually

OFFICE = "Tribunal Judicial da Comarca de Lisboa"
OFFICIAL = {"Authorization": f"Bearer {issue_token(SECRET, 'bailiff', 'agente-1', office=OFFICE)}"}
AUDITOR = {"Authorization": f"Bearer {issue_token(SECRET, 'auditor', 'auditor-1', office=OFFICE)}"}
LISBON = ZoneInfo("Europe/Lisbon")


def bidder(subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, 'bidder', subject)}"}


def portuguese(opens: datetime, closes: datetime) -> dict[str, Any]:
    """PT: the starting price 85 % of the value (8 500.00), no deposit, the close set by the notice."""
    return {
        "country": "PT",
        "title": "Van, Setúbal",
        "asset": "movable",
        "value": "10000.00",
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
        "payment_days": 5,
    }


async def events(client: httpx.AsyncClient, auction_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/auctions/{auction_id}/events", headers=AUDITOR)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.content.splitlines() if line]


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    answer = await response
    assert answer.status_code == status, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_sale_runs_through_a_real_server_to_its_transfer(server: Server) -> None:
    opens = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        body = portuguese(opens, opens + timedelta(seconds=3))
        auction = await ok(client.post("/auctions", json=body, headers=OFFICIAL), 201)
        aid = auction["id"]
        ana = (await ok(client.post(f"/auctions/{aid}/registrations", headers=bidder("ana")), 201))["bidder_code"]
        rui = (await ok(client.post(f"/auctions/{aid}/registrations", headers=bidder("rui")), 201))["bidder_code"]
        await ok(client.post(f"/auctions/{aid}/bids", json={"amount": "8500.00"}, headers=bidder("ana")), 201)
        await ok(client.post(f"/auctions/{aid}/bids", json={"amount": "9000.00"}, headers=bidder("rui")), 201)

        async def closed() -> bool:
            return bool((await client.get(f"/auctions/{aid}")).json()["status"] == "closed")

        await eventually(closed, timeout=15)
        declared = await ok(client.post(f"/auctions/{aid}/close", headers=OFFICIAL))
        assert (declared["purchaser"], declared["sale"], declared["paid"]) == (rui, "awaiting_payment", "0.00")
        assert ana != rui
        paid = await ok(
            client.post(
                f"/auctions/{aid}/payments",
                json={"amount": "9000.00"},
                headers={**OFFICIAL, "Idempotency-Key": "pay-1"},
            ),
            201,
        )
        assert paid["sale"] == "paid"
        again = await client.post(
            f"/auctions/{aid}/payments", json={"amount": "9000.00"}, headers={**OFFICIAL, "Idempotency-Key": "pay-1"}
        )
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        refused = await client.post(f"/auctions/{aid}/payments", json={"amount": "1.00"}, headers=OFFICIAL)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_paid"

        today = datetime.now(UTC).astimezone(LISBON).date()
        decision = {"reference": "Proc. 123/30.0T8LSB", "decided_on": today.isoformat()}
        done = await client.post(f"/auctions/{aid}/transfer", json=decision, headers=OFFICIAL)
        if done.status_code == 422 and done.json()["error"]["code"] == "invalid_date":
            # Midnight in Lisbon came between the declaration and the decision: date it the day before.
            decision["decided_on"] = (today - timedelta(days=1)).isoformat()
            done = await client.post(f"/auctions/{aid}/transfer", json=decision, headers=OFFICIAL)
        assert done.status_code == 200, done.text
        assert done.json()["sale"] == "completed"
        public = (await client.get(f"/auctions/{aid}")).json()
        assert (public["sale"], public["purchaser"], public["paid"]) == ("completed", rui, "9000.00")
        assert "deposits" not in public
        assert (await client.get(f"/auctions/{aid}", headers=AUDITOR)).json()["deposits"] == []

        log = await events(client, aid)
        kinds = [event["type"] for event in log]
        assert kinds.count("PaymentRecorded") == 1 and kinds.count("SalePaid") == 1
        assert kinds[-1] == "TransferDecided"
        for event in log:
            if event["type"] in ("AuctionScheduled", "AuctionEnded", "PaymentRecorded", "TransferDecided"):
                assert (event["data"]["official"], event["data"]["office"]) == ("agente-1", OFFICE)
    assert server.server_errors() == []


async def test_servers_down_when_the_payment_deadline_passed_record_the_default_once_at_that_instant(
    database_url: str,
) -> None:
    start = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
    clock = ManualClock(start)
    settings = Settings(database_url=database_url, secret=SECRET)
    app = create_app(settings, clock=clock)
    async with served(app) as address, httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:
        body = portuguese(start, start + timedelta(hours=1))
        aid = (await ok(client.post("/auctions", json=body, headers=OFFICIAL), 201))["id"]
        await ok(client.post(f"/auctions/{aid}/registrations", headers=bidder("ana")), 201)
        await ok(client.post(f"/auctions/{aid}/bids", json={"amount": "8500.00"}, headers=bidder("ana")), 201)
        clock.set(start + timedelta(hours=1, minutes=1))
        app.state.runtime.scheduler.wake()

        async def closed() -> bool:
            return bool((await client.get(f"/auctions/{aid}")).json()["status"] == "closed")

        await eventually(closed)
        declared = await ok(client.post(f"/auctions/{aid}/close", headers=OFFICIAL))
        due = parse_instant(declared["payment_due"])
        assert due.astimezone(LISBON).replace(tzinfo=None) == datetime(2030, 6, 9, 0, 0)  # 5 days from 3 June
        await ok(client.post(f"/auctions/{aid}/payments", json={"amount": "1000.00"}, headers=OFFICIAL), 201)
        clock.set(due - timedelta(seconds=1))
        app.state.runtime.scheduler.wake()
        await asyncio.sleep(0.2)
        assert (await client.get(f"/auctions/{aid}")).json()["sale"] == "awaiting_payment"

    # Down across the deadline; two servers come back a day later, each with its scheduler.
    later = ManualClock(due + timedelta(days=1))
    first, second = create_app(settings, clock=later), create_app(settings, clock=later)
    async with served(first) as one, served(second) as two:
        for address in (one, two):
            async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:

                async def defaulted(c: httpx.AsyncClient = client) -> bool:
                    return bool((await c.get(f"/auctions/{aid}")).json()["sale"] == "defaulted")

                await eventually(defaulted)
        async with httpx.AsyncClient(base_url=f"http://{one}", timeout=30) as client:
            log = await events(client, aid)
            late = await client.post(f"/auctions/{aid}/payments", json={"amount": "1.00"}, headers=OFFICIAL)
    assert late.status_code == 409 and late.json()["error"]["code"] == "sale_defaulted"
    defaults = [event for event in log if event["type"] == "SaleDefaulted"]
    assert len(defaults) == 1
    assert parse_instant(defaults[0]["data"]["at"]) == due
    assert defaults[0]["data"]["paid"] == "1000.00"
    assert [event["type"] for event in log][-1] == "SaleDefaulted"  # PT: no next-best bidder, no round follows
