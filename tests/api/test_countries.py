"""One auction per newer country through the HTTP API, on a manual clock: scheduled
with its notice terms, bidders registered and admitted, bids refused and accepted,
the deadline moved by the country's soft close, closed by itself and declared."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.deadline_support import move_clock, status_becomes
from tests.api.support import AUDITOR, BAILIFF, Api, bidder, running_api

MIN = timedelta(minutes=1)


def instant(text: str) -> datetime:
    return parse_instant(text)


async def admitted(api: Api, auction_id: str, subject: str, deposit: str | None) -> str:
    code = await api.register(auction_id, subject)
    if deposit is not None:
        path = f"/auctions/{auction_id}/registrations/{code}/deposit"
        answer = await api.client.post(path, json={"amount": deposit}, headers=BAILIFF)
        assert answer.status_code == 200 and answer.json()["admitted"], answer.text
    return code


async def bid(api: Api, auction_id: str, subject: str, amount: str, at: datetime, clock: ManualClock) -> Any:
    await move_clock(api, clock, at)
    return await api.bid(auction_id, subject, amount)


async def refused_with(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def close_and_declare(api: Api, clock: ManualClock, auction_id: str, deadline: datetime) -> dict[str, Any]:
    await move_clock(api, clock, deadline)
    state = await status_becomes(api, auction_id, "closed")
    assert instant(state["closed_at"]) == deadline
    ended = await api.client.post(f"/auctions/{auction_id}/close", headers=BAILIFF)
    assert ended.status_code == 200 and ended.json()["ended"] is True
    report = await api.client.get(f"/auctions/{auction_id}/report", headers=AUDITOR)
    assert report.status_code == 200
    return {"state": ended.json(), "report": report.json()}


async def test_an_estonian_auction_with_the_bailiffs_interval_deposit_and_registration_window() -> None:
    opens = instant("2030-03-13T12:00:00+02:00")
    clock = ManualClock(opens - timedelta(days=2))
    async with running_api(clock=clock) as api:
        body = {
            "country": "EE", "title": "Apartment, Tartu", "asset": "immovable", "value": "100000.00",
            "starting_price": "80000.00", "increment": "500.00", "deposit": "8000.00", "extension_minutes": 5,
            "opens_at": opens.isoformat(), "closes_at": "2030-03-20T12:00:00+02:00", "payment_days": 14,
        }  # fmt: skip
        too_long = await api.client.post("/auctions", json={**body, "extension_minutes": 61}, headers=BAILIFF)
        await refused_with(too_long, 422, "extension_minutes_out_of_range")
        assert too_long.json()["error"]["rule"] == "EE-extension"
        auction = await api.schedule(body)
        assert (auction["extension_minutes"], auction["deposit_required"]) == (5, "8000.00")
        assert [(w["code"], w["rule"]) for w in auction["warnings"]] == [("lead_time_short", "EE-lead-time")]
        ana = await admitted(api, auction["id"], "ana", "8000.00")
        await admitted(api, auction["id"], "boris", "8000.00")
        await move_clock(api, clock, opens)
        await status_becomes(api, auction["id"], "open")
        late = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=bidder("carl"))
        await refused_with(late, 409, "registration_closed")
        close = instant(body["closes_at"])
        assert (await bid(api, auction["id"], "ana", "80000.00", opens + MIN, clock)).status_code == 201
        await refused_with(await api.bid(auction["id"], "boris", "80400.00"), 409, "bad_increment")
        moved = await bid(api, auction["id"], "boris", "80500.00", close - 3 * MIN, clock)
        assert instant(moved.json()["closes_at"]) == close + 5 * MIN
        again = await bid(api, auction["id"], "ana", "81000.00", close + 3 * MIN, clock)
        assert instant(again.json()["closes_at"]) == close + 10 * MIN
        done = await close_and_declare(api, clock, auction["id"], close + 10 * MIN)
        assert (done["state"]["purchaser"], done["state"]["price"]) == (ana, "81000.00")
        assert done["report"]["report_due"] == "2030-03-21"  # the working day after Wed 20 March


async def test_a_latvian_auction_with_an_increment_of_one_percent_and_a_notice_set_soft_close() -> None:
    opens = instant("2030-05-08T10:00:00+03:00")
    clock = ManualClock(opens - timedelta(days=1))
    async with running_api(clock=clock) as api:
        body = {
            "country": "LV", "title": "House, Jūrmala", "asset": "immovable", "value": "100000.00",
            "increment": "1000.00", "extension_minutes": 3, "opens_at": opens.isoformat(),
            "closes_at": "2030-05-15T12:00:00+03:00", "payment_days": 14,
        }  # fmt: skip
        steep = await api.client.post("/auctions", json={**body, "increment": "10000.01"}, headers=BAILIFF)
        await refused_with(steep, 422, "increment_out_of_range")
        auction = await api.schedule(body)
        assert (auction["starting_price"], auction["deposit_required"]) == ("100000.00", "10000.00")
        await admitted(api, auction["id"], "ana", "10000.00")
        carl = await admitted(api, auction["id"], "carl", "10000.00")
        await move_clock(api, clock, opens)
        await status_becomes(api, auction["id"], "open")
        assert await api.register(auction["id"], "boris")  # registration stays open after the opening
        close = instant(body["closes_at"])
        assert (await bid(api, auction["id"], "ana", "100000.00", opens + MIN, clock)).status_code == 201
        moved = await bid(api, auction["id"], "carl", "101000.00", close - 2 * MIN, clock)
        assert instant(moved.json()["closes_at"]) == close + 3 * MIN
        done = await close_and_declare(api, clock, auction["id"], close + 3 * MIN)
        assert (done["state"]["purchaser"], done["state"]["price"]) == (carl, "101000.00")


async def test_a_czech_auction_in_czk_closes_five_quiet_minutes_after_the_last_bid() -> None:
    opens = instant("2030-05-13T10:00:00+02:00")
    clock = ManualClock(opens - timedelta(days=1))
    async with running_api(clock=clock) as api:
        body = {
            "country": "CZ", "title": "Family house, Brno", "asset": "immovable", "value": "3000000.00",
            "currency": "CZK", "increment": "10000.00", "deposit": "200000.00", "opens_at": opens.isoformat(),
            "closes_at": "2030-05-16T12:00:00+02:00", "payment_days": 14,
        }  # fmt: skip
        euros = await api.client.post("/auctions", json={**body, "currency": "EUR"}, headers=BAILIFF)
        await refused_with(euros, 422, "currency_not_allowed")
        auction = await api.schedule(body)
        assert (auction["starting_price"], auction["currency"]) == ("2000000.00", "CZK")
        await admitted(api, auction["id"], "ana", "200000.00")
        boris = await admitted(api, auction["id"], "boris", "200000.00")
        await move_clock(api, clock, opens)
        await status_becomes(api, auction["id"], "open")
        late = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=bidder("carl"))
        await refused_with(late, 409, "registration_closed")
        close = instant(body["closes_at"])
        assert (await bid(api, auction["id"], "ana", "2000000.00", opens + MIN, clock)).status_code == 201
        exactly = await bid(api, auction["id"], "boris", "2010000.00", close - 5 * MIN, clock)
        assert instant(exactly.json()["closes_at"]) == close, "exactly 5:00 left does not extend"
        moved = await bid(api, auction["id"], "ana", "2020000.00", close - 3 * MIN, clock)
        assert instant(moved.json()["closes_at"]) == close + 2 * MIN
        last = await bid(api, auction["id"], "boris", "2030000.00", close + MIN, clock)
        assert instant(last.json()["closes_at"]) == close + 6 * MIN
        done = await close_and_declare(api, clock, auction["id"], close + 6 * MIN)
        assert (done["state"]["purchaser"], done["state"]["price"]) == (boris, "2030000.00")


async def test_a_portuguese_auction_on_the_azores_clock_across_its_dst_change() -> None:
    close = instant("2030-03-30T23:58:00-01:00")  # the Azores move their clocks at 00:00 on Sun 31 March 2030
    opens = close - timedelta(days=7)
    clock = ManualClock(opens - timedelta(days=1))
    async with running_api(clock=clock) as api:
        body = {
            "country": "PT", "title": "Vineyard plot, Pico", "asset": "immovable", "value": "100000.00",
            "increment": "500.00", "extension_minutes": 5, "zone": "Atlantic/Azores",
            "opens_at": opens.isoformat(), "closes_at": close.isoformat(), "payment_days": 14,
        }  # fmt: skip
        deposit = await api.client.post("/auctions", json={**body, "deposit": "1000.00"}, headers=BAILIFF)
        await refused_with(deposit, 422, "term_not_used")
        assert deposit.json()["error"]["rule"] == "PT-deposit"
        auction = await api.schedule(body)
        assert (auction["zone"], auction["starting_price"], auction["deposit_required"]) == (
            "Atlantic/Azores", "85000.00", "0.00"
        )
        await admitted(api, auction["id"], "ana", None)
        await move_clock(api, clock, opens)
        await status_becomes(api, auction["id"], "open")
        await admitted(api, auction["id"], "boris", None)
        assert (await bid(api, auction["id"], "ana", "85000.00", opens + MIN, clock)).status_code == 201
        moved = await bid(api, auction["id"], "boris", "85500.00", close - 3 * MIN, clock)
        assert instant(moved.json()["closes_at"]) == close + 5 * MIN
        done = await close_and_declare(api, clock, auction["id"], close + 5 * MIN)
        assert done["state"]["price"] == "85500.00"
        assert done["report"]["time_zone"] == "Atlantic/Azores"
        assert done["report"]["terms"]["closes_at"] == "2030-03-30T23:58:00-01:00"
        assert "+00:00" in str(done["report"]["extensions"]), "the new deadline on the summer-time clock"


async def test_a_greek_auction_on_a_wednesday_with_the_notices_bid_security() -> None:
    opens = instant("2030-05-15T10:00:00+03:00")  # a Wednesday
    clock = ManualClock(opens - timedelta(days=1))
    async with running_api(clock=clock) as api:
        body = {
            "country": "GR", "title": "Shop, Thessaloniki", "asset": "immovable", "value": "200000.00",
            "deposit": "20000.00", "extension_minutes": 10, "opens_at": opens.isoformat(),
            "closes_at": "2030-05-15T14:00:00+03:00", "payment_days": 14,
        }  # fmt: skip
        tuesday = {**body, "opens_at": "2030-05-14T10:00:00+03:00"}
        refused = await api.client.post("/auctions", json=tuesday, headers=BAILIFF)
        await refused_with(refused, 422, "opens_at_not_allowed")
        assert refused.json()["error"]["rule"] == "GR-auction-day"
        auction = await api.schedule(body)
        assert (auction["starting_price"], auction["deposit_required"]) == ("200000.00", "20000.00")
        ana = await admitted(api, auction["id"], "ana", "20000.00")
        await admitted(api, auction["id"], "boris", "20000.00")
        await move_clock(api, clock, opens)
        await status_becomes(api, auction["id"], "open")
        late = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=bidder("carl"))
        await refused_with(late, 409, "registration_closed")
        close = instant(body["closes_at"])
        assert (await bid(api, auction["id"], "boris", "200000.00", opens + MIN, clock)).status_code == 201
        await refused_with(await api.bid(auction["id"], "ana", "200000.00"), 409, "bid_too_low")
        moved = await bid(api, auction["id"], "ana", "205000.00", close - 8 * MIN, clock)
        assert instant(moved.json()["closes_at"]) == close + 10 * MIN
        done = await close_and_declare(api, clock, auction["id"], close + 10 * MIN)
        assert (done["state"]["purchaser"], done["state"]["price"]) == (ana, "205000.00")
