"""After bidding on a real server (SQLite and PostgreSQL) driven over HTTP on a manual clock: a
Lithuanian default offered to the next-best bidder, a Croatian second round, and a suspension in
the last minute of bidding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.support import served
from tests.e2e.support import SECRET, eventually
from tests.e2e.test_after_the_hammer import AUDITOR, OFFICIAL, bidder, events, ok

VILNIUS = ZoneInfo("Europe/Vilnius")
ZAGREB = ZoneInfo("Europe/Zagreb")


@dataclass
class Live:
    app: FastAPI
    clock: ManualClock
    client: httpx.AsyncClient

    async def move(self, to: datetime) -> None:
        """Sets the clock and wakes the scheduler, as a tick of real time would."""
        self.clock.set(to)
        self.app.state.runtime.scheduler.wake()
        await asyncio.sleep(0)

    async def auction(self, aid: str) -> dict[str, Any]:
        return await ok(self.client.get(f"/auctions/{aid}", headers=AUDITOR))

    async def wait_for(self, aid: str, field: str, value: str) -> dict[str, Any]:
        async def reached() -> bool:
            return bool((await self.auction(aid)).get(field) == value)

        await eventually(reached)
        return await self.auction(aid)


@asynccontextmanager
async def live(database_url: str, start: datetime) -> AsyncIterator[Live]:
    clock = ManualClock(start)
    app = create_app(Settings(database_url=database_url, secret=SECRET), clock=clock)
    async with served(app) as address, httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:
        yield Live(app, clock, client)


def at(event: dict[str, Any]) -> datetime:
    return parse_instant(event["data"]["at"])


def kinds(log: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in log]


def once(log: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [event for event in log if event["type"] == kind]
    assert len(found) == 1, (kind, kinds(log))
    return found[0]


async def register(run: Live, aid: str, subject: str, deposit: str | None) -> str:
    code = (await ok(run.client.post(f"/auctions/{aid}/registrations", headers=bidder(subject)), 201))["bidder_code"]
    if deposit is not None:
        paid = await ok(
            run.client.post(f"/auctions/{aid}/registrations/{code}/deposit", json={"amount": deposit}, headers=OFFICIAL)
        )
        assert paid["admitted"] is True, paid
    return str(code)


async def bid(run: Live, aid: str, subject: str, amount: str) -> dict[str, Any]:
    return await ok(run.client.post(f"/auctions/{aid}/bids", json={"amount": amount}, headers=bidder(subject)), 201)


async def test_a_lithuanian_default_is_offered_to_the_next_best_bidder_who_pays_and_takes_the_transfer(
    database_url: str,
) -> None:
    start = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
    closes = start + timedelta(hours=1)
    async with live(database_url, start) as run:
        body = {
            "country": "LT",
            "title": "Butas, Kaunas",
            "asset": "immovable",
            "value": "10000.00",
            "opens_at": start.isoformat(),
            "closes_at": closes.isoformat(),
            "payment_days": 5,
        }
        aid = (await ok(run.client.post("/auctions", json=body, headers=OFFICIAL), 201))["id"]
        # LT: the starting price is 80 % of the value, the deposit 10 % of it.
        ana = await register(run, aid, "ana", "800.00")
        rui = await register(run, aid, "rui", "800.00")
        await bid(run, aid, "ana", "8000.00")
        await bid(run, aid, "rui", "8500.00")

        # The bids before the scheduled close start five minutes of overtime there.
        await run.move(closes + timedelta(minutes=4, seconds=59))
        await asyncio.sleep(0.2)
        assert (await run.auction(aid))["status"] == "open"
        await run.move(closes + timedelta(minutes=6))
        await run.wait_for(aid, "status", "closed")

        declared = await ok(run.client.post(f"/auctions/{aid}/close", headers=OFFICIAL))
        assert (declared["purchaser"], declared["sale"], declared["paid"]) == (rui, "awaiting_payment", "800.00")
        due = parse_instant(declared["payment_due"])
        assert due.astimezone(VILNIUS).replace(tzinfo=None) == datetime(2030, 6, 9, 0, 0)  # 5 days from 3 June
        await ok(run.client.post(f"/auctions/{aid}/payments", json={"amount": "1000.00"}, headers=OFFICIAL), 201)

        await run.move(due - timedelta(seconds=1))
        await asyncio.sleep(0.2)
        assert (await run.auction(aid))["sale"] == "awaiting_payment"
        await run.move(due + timedelta(hours=2))
        defaulted = await run.wait_for(aid, "sale", "defaulted")
        assert defaulted["purchaser"] == rui
        late = await run.client.post(f"/auctions/{aid}/payments", json={"amount": "1.00"}, headers=OFFICIAL)
        assert late.status_code == 409 and late.json()["error"]["code"] == "sale_defaulted"

        offered = await ok(run.client.post(f"/auctions/{aid}/offer-next", headers=OFFICIAL))
        assert (offered["purchaser"], offered["sale"]) == (ana, "awaiting_payment")
        again = await run.auction(aid)
        assert (again["purchaser"], again["sale"], again["paid"]) == (ana, "awaiting_payment", "800.00")
        new_due = parse_instant(again["payment_due"])
        offer_day = (due + timedelta(hours=2)).astimezone(VILNIUS).date()
        assert new_due.astimezone(VILNIUS).replace(tzinfo=None) == datetime.combine(
            offer_day + timedelta(days=6), datetime.min.time()
        )
        deposits = {line["bidder_code"]: line["status"] for line in again["deposits"]}
        assert deposits == {rui: "forfeited", ana: "credited"}

        paid = await ok(run.client.post(f"/auctions/{aid}/payments", json={"amount": "7200.00"}, headers=OFFICIAL), 201)
        assert paid["sale"] == "paid"
        decision = {"reference": "Nr. 2-123-456/2030", "decided_on": offer_day.isoformat()}
        done = await ok(run.client.post(f"/auctions/{aid}/transfer", json=decision, headers=OFFICIAL))
        assert done["sale"] == "completed"
        final = await run.auction(aid)
        assert (final["sale"], final["purchaser"], final["paid"]) == ("completed", ana, "8000.00")

        log = await events(run.client, aid)
    closed = once(log, "BiddingClosed")
    assert at(closed) == closes + timedelta(minutes=5)
    assert (closed["data"]["winner"], closed["data"]["price"]) == (rui, "8500.00")
    default = once(log, "SaleDefaulted")
    assert at(default) == due
    assert (default["data"]["purchaser"], default["data"]["paid"]) == (rui, "1800.00")
    forfeited = once(log, "DepositForfeited")
    assert at(forfeited) == due
    assert (forfeited["data"]["bidder_code"], forfeited["data"]["amount"]) == (rui, "800.00")
    assert forfeited["data"]["rule"] == "LT-forfeit"
    offer = once(log, "SaleOffered")
    assert at(offer) == due + timedelta(hours=2)
    assert (offer["data"]["bidder_code"], offer["data"]["price"]) == (ana, "8000.00")
    assert parse_instant(offer["data"]["payment_due"]) == new_due
    extended = once(log, "DeadlineExtended")
    assert parse_instant(extended["data"]["deadline"]) == closes + timedelta(minutes=5)
    assert [event["data"]["bidder_code"] for event in log if event["type"] == "DepositCredited"] == [rui, ana]
    once(log, "AuctionEnded")
    once(log, "SalePaid")
    assert kinds(log)[-1] == "TransferDecided"
    assert kinds(log).index("SaleDefaulted") < kinds(log).index("SaleOffered") < kinds(log).index("SalePaid")


async def test_a_croatian_default_is_followed_by_a_second_round_no_earlier_than_the_law_allows(
    database_url: str,
) -> None:
    start = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)  # Monday, 11:00 in Zagreb
    closes = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)  # 14:00 local, a working day
    async with live(database_url, start) as run:
        body = {
            "country": "HR",
            "title": "Stan, Split",
            "asset": "immovable",
            "value": "10000.00",
            "opens_at": start.isoformat(),
            "closes_at": closes.isoformat(),
            "payment_days": 5,
        }
        first = (await ok(run.client.post("/auctions", json=body, headers=OFFICIAL), 201))["id"]
        # HR: round 1 starts at 80 % of the value; the deposit is 10 % of the value.
        ivo = await register(run, first, "ivo", "1000.00")
        await bid(run, first, "ivo", "8000.00")
        await run.move(closes + timedelta(minutes=1))
        await run.wait_for(first, "status", "closed")
        declared = await ok(run.client.post(f"/auctions/{first}/close", headers=OFFICIAL))
        assert (declared["purchaser"], declared["sale"]) == (ivo, "awaiting_payment")
        due = parse_instant(declared["payment_due"])
        assert due.astimezone(ZAGREB).replace(tzinfo=None) == datetime(2030, 6, 9, 0, 0)
        await run.move(due + timedelta(hours=3))
        await run.wait_for(first, "sale", "defaulted")

        # The round ended at the default (9 June, 00:00 local): 00:00 of 10 June + 60 days = 9 August.
        earliest = datetime(2030, 8, 9, 0, 0, tzinfo=ZAGREB)
        round_two = {
            "closes_at": datetime(2030, 8, 9, 12, 0, tzinfo=UTC).isoformat(),  # Friday, 14:00 local
            "starting_price": "6000.00",  # 60 % of the value
        }
        early = await run.client.post(
            f"/auctions/{first}/next-round",
            json={**round_two, "opens_at": (earliest - timedelta(microseconds=1)).isoformat()},
            headers=OFFICIAL,
        )
        assert early.status_code == 422, early.text
        assert early.json()["error"]["code"] == "next_round_too_early"
        assert "NextRoundScheduled" not in kinds(await events(run.client, first))
        scheduled = await ok(
            run.client.post(
                f"/auctions/{first}/next-round", json={**round_two, "opens_at": earliest.isoformat()}, headers=OFFICIAL
            ),
            201,
        )
        second = scheduled["id"]
        assert second != first and scheduled["previous"] == first
        assert (await run.auction(first))["next_round"] == second

        await run.move(earliest + timedelta(hours=8))
        await run.wait_for(second, "status", "open")
        ana = await register(run, second, "ana", "1000.00")
        await bid(run, second, "ana", "6000.00")
        await run.move(datetime(2030, 8, 9, 12, 1, tzinfo=UTC))
        await run.wait_for(second, "status", "closed")
        won = await ok(run.client.post(f"/auctions/{second}/close", headers=OFFICIAL))
        assert (won["purchaser"], won["sale"]) == (ana, "awaiting_payment")
        public = await run.auction(second)
        assert (public["status"], public["purchaser"]) == ("closed", ana)

        old = await events(run.client, first)
        new = await events(run.client, second)
    default = once(old, "SaleDefaulted")
    assert at(default) == due
    assert at(once(old, "DepositForfeited")) == due
    scheduled_event = once(old, "NextRoundScheduled")
    assert old[-1] is scheduled_event
    assert scheduled_event["data"]["next_auction"] == second
    assert scheduled_event["data"]["round"] == 2
    assert parse_instant(scheduled_event["data"]["opens_at"]) == earliest
    assert scheduled_event["data"]["starting_price"] == "6000.00"
    terms = once(new, "AuctionScheduled")["data"]
    assert (terms["previous"], terms["round"], terms["starting_price"]) == (first, 2, "6000.00")
    assert at(once(new, "BiddingOpened")) == earliest
    closed = once(new, "BiddingClosed")
    assert at(closed) == datetime(2030, 8, 9, 12, 0, tzinfo=UTC)
    assert (closed["data"]["winner"], closed["data"]["price"]) == (ana, "6000.00")
    assert kinds(new)[-1] != "RoundsExhausted" and "RoundsExhausted" not in kinds(old)


async def test_a_suspension_in_the_last_minute_keeps_the_time_left_for_after_the_resumption(
    database_url: str,
) -> None:
    start = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
    closes = start + timedelta(hours=1)
    async with live(database_url, start) as run:
        body = {
            "country": "SE",
            "title": "Personbil, Uppsala",
            "asset": "movable",
            "value": "50000.00",
            "opens_at": start.isoformat(),
            "closes_at": closes.isoformat(),
        }
        aid = (await ok(run.client.post("/auctions", json=body, headers=OFFICIAL), 201))["id"]
        eva = await register(run, aid, "eva", None)
        await register(run, aid, "olle", None)
        await bid(run, aid, "eva", "20000.00")

        stopped = closes - timedelta(seconds=30)
        await run.move(stopped)
        suspended = await ok(run.client.post(f"/auctions/{aid}/suspend", json={"reason": "outage"}, headers=OFFICIAL))
        assert suspended["status"] == "suspended"
        before = await events(run.client, aid)
        refused = await run.client.post(f"/auctions/{aid}/bids", json={"amount": "25000.00"}, headers=bidder("olle"))
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "auction_suspended"
        after = await events(run.client, aid)
        assert kinds(after[len(before) :]) == ["BidRejected"]
        assert after[-1]["data"]["reason"] == "auction_suspended"

        resumed_at = stopped + timedelta(hours=1)
        await run.move(resumed_at)
        await asyncio.sleep(0.3)
        assert (await run.auction(aid))["status"] == "suspended"
        resumed = await ok(run.client.post(f"/auctions/{aid}/resume", headers=OFFICIAL))
        assert resumed["status"] == "open"
        deadline = resumed_at + timedelta(seconds=30)
        assert parse_instant((await run.auction(aid))["closes_at"]) == deadline

        await run.move(deadline - timedelta(seconds=1))
        await asyncio.sleep(0.2)
        assert (await run.auction(aid))["status"] == "open"
        await run.move(deadline + timedelta(minutes=1))
        done = await run.wait_for(aid, "status", "closed")
        assert parse_instant(done["closes_at"]) == deadline

        log = await events(run.client, aid)
    suspension = once(log, "AuctionSuspended")
    assert at(suspension) == stopped and parse_instant(suspension["data"]["deadline"]) == closes
    resumption = once(log, "AuctionResumed")
    assert at(resumption) == resumed_at
    assert parse_instant(resumption["data"]["deadline"]) == deadline
    assert parse_instant(resumption["data"]["suspended_at"]) == stopped
    closed = once(log, "BiddingClosed")
    assert at(closed) == deadline
    assert (closed["data"]["winner"], closed["data"]["price"]) == (eva, "20000.00")
    order = kinds(log)
    assert order.index("AuctionSuspended") < order.index("BidRejected") < order.index("AuctionResumed")
    assert order.index("AuctionResumed") < order.index("BiddingClosed")
    assert "BiddingFailed" not in order and "DeadlineExtended" not in order
