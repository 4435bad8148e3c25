"""Scheduling answers with the rules' non-blocking warnings (docs/rules.md, Schedule
warnings: Bulgaria and Croatia); the stored events stay as they were."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.clock import ManualClock
from projections.audit.render import render_html
from tests.api.support import AUDITOR, BAILIFF, bidder, running_api, swedish_auction, utc_now

NOW = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)  # before every auction below, more than 60 days before HR opens

BG_COUNT = {
    "code": "close_date_not_period_end",
    "message": (
        "the close is on Fri 2026-04-10 (day 8), but the 7-day bidding period counted from Fri 2026-04-03 "
        "as day 1 ends on Thu 2026-04-09; the close stands as given"
    ),
    "rule": "BG-duration",
}
BG_HOLIDAY = {
    "code": "close_date_not_working_day",
    "message": (
        "the last day of bidding, Fri 2026-04-10, is not a working day: it is a public holiday (Good Friday); "
        "the close stands as given"
    ),
    "rule": "BG-duration",
}
HR_DAY_11 = {
    "code": "close_date_not_period_end",
    "message": (
        "the close is on Wed 2026-05-13 (working day 11), but the bidding period of 10 working days counted "
        "from Tue 2026-04-28 (day 1 when it is a working day) ends on Tue 2026-05-12; the close stands as given"
    ),
    "rule": "HR-duration",
}


def bulgarian(closes_at: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "country": "BG",
        "payment_days": 14,
        "title": "Flat in Plovdiv",
        "asset": "immovable",
        "value": "100000.00",
        "increment": "500.00",
        "opens_at": "2026-04-03T10:00:00+03:00",
    }
    if closes_at is not None:
        body["closes_at"] = closes_at
    return body


def croatian(closes_at: str) -> dict[str, Any]:
    return {
        "country": "HR",
        "payment_days": 14,
        "title": "House in Split",
        "asset": "immovable",
        "value": "100000.00",
        "opens_at": "2026-04-28T09:00:00+02:00",
        "closes_at": closes_at,
    }


async def test_bg_a_close_on_good_friday_is_scheduled_with_both_warnings() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        response = await api.client.post("/auctions", json=bulgarian("2026-04-10T17:00:00+03:00"), headers=BAILIFF)
        assert response.status_code == 201, response.text
        auction = response.json()
        assert auction["scheduled_closes_at"] == "2026-04-10T14:00:00+00:00"
        assert auction["warnings"] == [BG_COUNT, BG_HOLIDAY]

        # The same computation wherever the auction is shown, for anyone.
        assert (await api.client.get(f"/auctions/{auction['id']}")).json()["warnings"] == [BG_COUNT, BG_HOLIDAY]
        (listed,) = (await api.client.get("/auctions")).json()["auctions"]
        assert listed["warnings"] == [BG_COUNT, BG_HOLIDAY]

        # Warnings are not facts of the log: the stored event is what it always was.
        (scheduled,) = await api.events(auction["id"])
        assert scheduled["type"] == "AuctionScheduled"
        assert "warning" not in repr(scheduled).lower()


async def test_bg_the_seven_day_close_is_scheduled_without_warnings() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        derived = await api.schedule(bulgarian(None))
        given = await api.schedule(bulgarian("2026-04-09T17:00:00+03:00"))
    assert derived["scheduled_closes_at"] == given["scheduled_closes_at"] == "2026-04-09T14:00:00+00:00"
    assert derived["warnings"] == given["warnings"] == []


async def test_hr_a_close_on_working_day_11_is_scheduled_with_a_warning_and_day_10_without() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        late = await api.schedule(croatian("2026-05-13T13:00:00+02:00"))
        on_time = await api.schedule(croatian("2026-05-12T13:00:00+02:00"))
        assert late["warnings"] == [HR_DAY_11]
        assert on_time["warnings"] == []
        # Opening bidding and the catalogue answer with the same warnings.
        opened = await api.client.post(f"/auctions/{late['id']}/open", headers=BAILIFF)
        assert opened.status_code == 200, opened.text
        assert opened.json()["warnings"] == [HR_DAY_11]


async def test_a_close_the_rules_refuse_is_still_a_422_not_a_warning() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        response = await api.client.post("/auctions", json=croatian("2026-06-04T11:00:00+02:00"), headers=BAILIFF)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "closes_at_not_allowed"
        assert await api.all_events() == 0


async def test_a_country_without_warnings_answers_an_empty_list() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
    assert auction["warnings"] == []


async def test_the_report_lists_the_warnings_and_cites_their_rule() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        auction = await api.schedule(bulgarian("2026-04-10T17:00:00+03:00"))
        full = (await api.client.get(f"/auctions/{auction['id']}/report", headers=AUDITOR)).json()
        anonymised = (await api.client.get(f"/auctions/{auction['id']}/report", headers=bidder("ana"))).json()
    assert full["warnings"] == anonymised["warnings"] == [BG_COUNT, BG_HOLIDAY]
    page = render_html([full]).decode()
    assert "close_date_not_working_day" in page and "Good Friday" in page
    (duration,) = [rule for rule in full["rules"] if rule["code"] == "BG-duration"]
    assert "7 days" in duration["basis"] and "AMBIG-BG-4" in duration["reading"]


async def test_the_openapi_schema_documents_the_warnings() -> None:
    async with running_api() as api:
        schema = (await api.client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    auction = components["AuctionOut"]
    assert "warnings" in auction["required"]
    assert auction["properties"]["warnings"]["items"] == {"$ref": "#/components/schemas/WarningOut"}
    assert "close_date_not_period_end" in auction["properties"]["warnings"]["description"]
    warning = components["WarningOut"]
    assert set(warning["required"]) == {"code", "message", "rule"}
    created = schema["paths"]["/auctions"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/AuctionOut"}
