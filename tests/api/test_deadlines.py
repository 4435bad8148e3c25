"""The deadline scheduler opens and closes auctions by itself, on a manual clock.

Time is injected (create_app(..., clock=)), so these tests move the clock and
wake the scheduler instead of sleeping through real deadlines.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.deadline_support import eventually, move_clock, status_becomes
from tests.api.support import BAILIFF, bidder, running_api, swedish_auction

START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)


async def test_bidding_opens_by_itself_at_the_opening_time() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        opens = START + timedelta(minutes=30)
        auction = await api.schedule(swedish_auction(opens))
        assert auction["status"] == "scheduled"
        assert api.runtime.scheduler.planned(auction["id"]) == opens

        await move_clock(api, clock, opens + timedelta(seconds=7))
        state = await status_becomes(api, auction["id"], "open")

        assert parse_instant(state["opened_at"]) == opens  # the instant the law fixes, not when the timer ran
        opened = [e for e in await api.events(auction["id"]) if e["type"] == "BiddingOpened"]
        assert len(opened) == 1 and opened[0]["data"]["by"] == "schedule"
        assert api.runtime.scheduler.planned(auction["id"]) == parse_instant(auction["closes_at"])


async def test_an_auction_closes_by_itself_at_its_deadline_and_the_bailiff_declares_the_purchaser() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START))
        alice = await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        assert (await api.bid(auction["id"], "bob", "1500.00")).status_code == 201
        assert (await api.bid(auction["id"], "alice", "1700.00")).status_code == 201
        deadline = parse_instant(auction["closes_at"])

        await move_clock(api, clock, deadline + timedelta(seconds=3))
        state = await status_becomes(api, auction["id"], "closed")

        assert parse_instant(state["closed_at"]) == deadline
        assert (state["leader"], state["price"]) == (alice, "1700.00")
        late = await api.bid(auction["id"], "bob", "2000.00")
        assert late.status_code == 409 and late.json()["error"]["code"] == "auction_closed"

        ended = await api.client.post(f"/auctions/{auction['id']}/close", headers=BAILIFF)
        assert ended.status_code == 200
        assert ended.json()["ended"] is True
        assert (ended.json()["purchaser"], ended.json()["price"]) == (alice, "1700.00")
        again = await api.client.post(f"/auctions/{auction['id']}/close", headers=BAILIFF)
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_ended"
        types = [e["type"] for e in await api.events(auction["id"])]
        assert types.count("BiddingClosed") == 1 and types.count("AuctionEnded") == 1


async def test_an_auction_without_a_valid_bid_fails_by_itself() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START))
        await move_clock(api, clock, parse_instant(auction["closes_at"]))
        state = await status_becomes(api, auction["id"], "failed")
        assert state["closed_at"] == auction["closes_at"]
        ended = await api.client.post(f"/auctions/{auction['id']}/close", headers=BAILIFF)
        assert ended.status_code == 200 and ended.json()["purchaser"] is None


async def test_an_extension_moves_the_planned_close_and_the_old_deadline_passes_quietly() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START))
        await api.register(auction["id"], "alice")
        deadline = parse_instant(auction["closes_at"])
        clock.set(deadline - timedelta(seconds=90))

        bid = await api.bid(auction["id"], "alice", "1500.00")

        moved = deadline + timedelta(minutes=2)  # SE: deadline-anchored, two minutes
        assert parse_instant(bid.json()["closes_at"]) == moved
        assert api.runtime.scheduler.planned(auction["id"]) == moved
        await move_clock(api, clock, deadline + timedelta(seconds=1))
        await asyncio.sleep(0.05)
        assert (await api.client.get(f"/auctions/{auction['id']}")).json()["status"] == "open"
        await move_clock(api, clock, moved)
        state = await status_becomes(api, auction["id"], "closed")
        assert parse_instant(state["closed_at"]) == moved


async def test_lithuanian_overtime_starts_at_the_deadline_and_ends_five_minutes_later() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        body = {
            "country": "LT",
            "payment_days": 14,
            "title": "Car",
            "asset": "movable",
            "value": "10000.00",
            "opens_at": START.isoformat(),
            "closes_at": (START + timedelta(days=1)).isoformat(),
        }
        auction = await api.schedule(body)
        code = await api.register(auction["id"], "alice")
        deposit = f"/auctions/{auction['id']}/registrations/{code}/deposit"
        assert (await api.client.post(deposit, json={"amount": "800.00"}, headers=BAILIFF)).json()["admitted"]
        assert (await api.bid(auction["id"], "alice", "8000.00")).status_code == 201
        deadline = parse_instant(auction["closes_at"])

        await move_clock(api, clock, deadline)

        async def extended() -> bool:
            return bool((await api.client.get(f"/auctions/{auction['id']}")).json()["extensions"] == 1)

        await eventually(extended)
        state = (await api.client.get(f"/auctions/{auction['id']}")).json()
        assert state["status"] == "open"
        assert parse_instant(state["closes_at"]) == deadline + timedelta(minutes=5)
        await move_clock(api, clock, deadline + timedelta(minutes=5))
        closed = await status_becomes(api, auction["id"], "closed")
        assert parse_instant(closed["closed_at"]) == deadline + timedelta(minutes=5)


async def test_after_a_restart_a_missed_deadline_is_closed_exactly_once_by_several_schedulers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auction.sqlite3'}"
    clock = ManualClock(START)
    async with running_api(url, clock=clock) as api:
        auction = await api.schedule(swedish_auction(START))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "1500.00")).status_code == 201
    deadline = parse_instant(auction["closes_at"])
    later = ManualClock(deadline + timedelta(hours=5))

    # Two server processes come back after the deadline, both running a scheduler.
    async with running_api(url, clock=later) as first, running_api(url, clock=later) as second:
        for api in (first, second):
            state = await status_becomes(api, auction["id"], "closed")
            assert parse_instant(state["closed_at"]) == deadline
        events = await first.events(auction["id"])
        assert [e["type"] for e in events].count("BiddingClosed") == 1
        closing = next(e for e in events if e["type"] == "BiddingClosed")
        assert parse_instant(closing["data"]["at"]) == deadline


async def test_the_opening_and_closing_are_planned_from_the_read_models_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auction.sqlite3'}"
    clock = ManualClock(START)
    async with running_api(url, clock=clock) as api:
        later = await api.schedule(swedish_auction(START + timedelta(hours=1)))
        now = await api.schedule(swedish_auction(START))
        await status_becomes(api, now["id"], "open")
    async with running_api(url, clock=clock) as api:
        assert api.runtime.scheduler.planned(later["id"]) == parse_instant(later["opens_at"])
        assert api.runtime.scheduler.planned(now["id"]) == parse_instant(now["closes_at"])
        assert (await api.client.get(f"/auctions/{now['id']}")).json()["status"] == "open"
        headers = bidder("x")
        assert (await api.client.get(f"/auctions/{later['id']}/report", headers=headers)).status_code == 200
