"""A lot's details over HTTP: scheduled with the auction, shown in every public read (the view,
the catalogue, the feed, the report), amended by the bailiff before bidding opens and only by
additions after, every invalid detail refused with a 4xx and nothing stored."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.clock import ManualClock
from projections.audit.render import render_html
from tests.api.support import AUDITOR, BAILIFF, Api, bidder, running_api, swedish_auction

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
OPENS = NOW + timedelta(days=2)


def details(**overrides: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "description": "Stuga med tomt, 74 m², två rum och kök.",
        "case_reference": "Kfm 12-345-27",
        "court": "Kronofogden, Göteborg",
        "location": {
            "address": "Storgatan 1",
            "municipality": "Kungälv",
            "region": "Västra Götaland",
            "coordinates": {"lat": 57.87, "lon": 11.98},
        },
        "asset_details": {"kind": "real_estate", "cadastral_number": "Kungälv Ytterby 1:23", "area_m2": 74.5,
                          "rooms": 2, "floor": 0, "year_built": 1962},
        "viewing": [
            {"starts_at": "2027-03-02T10:00:00+01:00", "ends_at": "2027-03-02T11:00:00+01:00",
             "how_to_book": "Ring kontoret"},
        ],
        "conditions": "Servitut för väg till grannfastigheten.",
        "contact": {"name": "Kronofogden Göteborg", "phone": "+46 771 73 73 00", "email": "goteborg@example.se"},
    }  # fmt: skip
    found.update(overrides)
    return found


def scheduled_lot(**overrides: Any) -> dict[str, Any]:
    """A Swedish immovable opening in two days, with every detail."""
    body = swedish_auction(OPENS, asset="immovable", title="Fastighet Kungälv Ytterby 1:23")
    body.update(details(**overrides))
    return body


def clock() -> ManualClock:
    return ManualClock(NOW)


async def patch(api: Api, auction_id: str, body: dict[str, Any], headers: dict[str, str] = BAILIFF) -> Any:
    return await api.client.patch(f"/auctions/{auction_id}/details", json=body, headers=headers)


async def test_every_detail_is_scheduled_and_shown_in_the_view_the_catalogue_the_feed_and_the_report() -> None:
    async with running_api(clock=clock()) as api:
        answer = await api.schedule(scheduled_lot())
        auction_id = answer["id"]
        view = (await api.client.get(f"/auctions/{auction_id}")).json()
        listed = (await api.client.get("/auctions")).json()["auctions"]
        feed = (await api.client.get("/feed")).json()["items"]
        report = (await api.client.get(f"/auctions/{auction_id}/report", headers=AUDITOR)).json()
        jsonld = (await api.client.get(f"/auctions/{auction_id}/jsonld")).json()
    want = {
        **details(),
        "viewing": [
            {"starts_at": "2027-03-02T09:00:00+00:00", "ends_at": "2027-03-02T10:00:00+00:00",
             "how_to_book": "Ring kontoret"},
        ],
    }  # fmt: skip
    for shown in (answer, view, listed[0], feed[0]["lot"], report["details"]):
        assert {key: shown[key] for key in want} == want
    assert view["language"] == "sv" and view["amendments"] == 0
    assert feed[0]["lot"]["location"]["municipality"] == "Kungälv"
    assert jsonld["availableAtOrFrom"]["address"]["addressLocality"] == "Kungälv"
    assert jsonld["availableAtOrFrom"]["geo"] == {"@type": "GeoCoordinates", "latitude": 57.87, "longitude": 11.98}
    assert "Servitut för väg" in render_html([report]).decode()


async def test_a_lot_without_details_is_scheduled_as_before() -> None:
    async with running_api(clock=clock()) as api:
        answer = await api.schedule(swedish_auction(OPENS))
        (stored,) = await api.events(answer["id"])
    assert "details" not in stored["data"]
    assert answer["description"] is None and answer["location"] is None and answer["viewing"] is None


async def test_a_viewing_may_be_a_text() -> None:
    async with running_api(clock=clock()) as api:
        answer = await api.schedule(scheduled_lot(viewing="Efter överenskommelse med kontoret."))
    assert answer["viewing"] == "Efter överenskommelse med kontoret."


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("description empty", {"description": "   "}),
    ("description too long", {"description": "x" * 10_001}),
    ("case reference too long", {"case_reference": "x" * 101}),
    ("court not text", {"court": 5}),
    ("latitude out of range", {"location": {"address": "a", "coordinates": {"lat": 90.5, "lon": 0}}}),
    ("longitude out of range", {"location": {"address": "a", "coordinates": {"lat": 0, "lon": -181}}}),
    ("coordinates as text", {"location": {"coordinates": {"lat": "57", "lon": "11"}}}),
    ("coordinates half given", {"location": {"coordinates": {"lat": 57}}}),
    ("unknown location field", {"location": {"street": "Storgatan 1"}}),
    ("address too long", {"location": {"address": "x" * 301}}),
    ("viewing ends before it starts", {"viewing": [
        {"starts_at": "2027-03-02T11:00:00+01:00", "ends_at": "2027-03-02T10:00:00+01:00"}]}),
    ("viewing without offset", {"viewing": [{"starts_at": "2027-03-02T10:00:00", "ends_at": "2027-03-02T11:00:00"}]}),
    ("viewings out of order", {"viewing": [
        {"starts_at": "2027-03-03T10:00:00+01:00", "ends_at": "2027-03-03T11:00:00+01:00"},
        {"starts_at": "2027-03-02T10:00:00+01:00", "ends_at": "2027-03-02T11:00:00+01:00"}]}),
    ("no viewings listed", {"viewing": []}),
    ("too many viewings", {"viewing": [
        {"starts_at": f"2027-03-02T10:{m:02d}:00+01:00", "ends_at": f"2027-03-02T11:{m:02d}:00+01:00"}
        for m in range(51)]}),
    ("unknown kind", {"asset_details": {"kind": "ship"}}),
    ("a vehicle fact on real estate", {"asset_details": {"kind": "real_estate", "vin": "WVWZZZ1JZXW000001"}}),
    ("real estate that is not immovable", {"asset_details": {"kind": "vehicle", "vin": "WVWZZZ1JZXW000001"}}),
    ("negative area", {"asset_details": {"kind": "real_estate", "area_m2": -5}}),
    ("rooms as text", {"asset_details": {"kind": "real_estate", "rooms": "2"}}),
    ("year built out of range", {"asset_details": {"kind": "real_estate", "year_built": 99}}),
    ("bad e-mail", {"contact": {"email": "not-an-address"}}),
    ("unknown detail", {"photos": ["a.jpg"]}),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change"), INVALID, ids=[what for what, _ in INVALID])
async def test_an_invalid_detail_is_refused_and_nothing_is_stored(what: str, change: dict[str, Any]) -> None:
    async with running_api(clock=clock()) as api:
        before = await api.all_events()
        response = await api.client.post("/auctions", json=scheduled_lot(**change), headers=BAILIFF)
        assert response.status_code == 422, (what, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error["message"]
        assert await api.all_events() == before
        assert (await api.client.get("/auctions")).json()["auctions"] == []


async def test_a_vehicle_takes_its_own_facts() -> None:
    facts = {"kind": "vehicle", "vin": "WVWZZZ1JZXW000001", "mileage_km": 182_000, "registration": "ABC 123",
             "year_built": 2011}  # fmt: skip
    async with running_api(clock=clock()) as api:
        answer = await api.schedule({**swedish_auction(OPENS), "asset_details": facts})
    assert answer["asset_details"] == facts


# ------------------------------------------------------------------ amendments


async def test_before_opening_any_detail_is_amended_and_the_event_says_what_changed() -> None:
    async with running_api(clock=clock()) as api:
        auction_id = (await api.schedule(scheduled_lot()))["id"]
        location = {"address": "Storgatan 1B", "municipality": "Kungälv", "region": "Västra Götaland"}
        response = await patch(api, auction_id, {"location": location, "conditions": None, "court": "Kronofogden"})
        assert response.status_code == 200, response.text
        view = response.json()
        events = await api.events(auction_id)
        feed = (await api.client.get("/feed")).json()["items"]
        report = (await api.client.get(f"/auctions/{auction_id}/report", headers=AUDITOR)).json()
    assert view["location"] == location and view["conditions"] is None and view["court"] == "Kronofogden"
    assert view["amendments"] == 1 and view["description"] == details()["description"]
    amended = events[-1]
    assert amended["type"] == "DetailsAmended"
    assert amended["data"]["fields"] == ["court", "location", "conditions"]
    assert amended["data"]["before"]["location"]["address"] == "Storgatan 1"
    assert amended["data"]["after"]["location"] == location
    assert "conditions" not in amended["data"]["after"]  # cleared
    assert amended["data"]["official"] == "bailiff-1"
    (item,) = [item for item in feed if item["type"] == "amended"]
    assert item["details"]["location"] == location and item["details"]["conditions"] is None
    assert [c["field"] for c in item["change"]["changes"]] == ["court", "location", "conditions"]
    (line,) = report["amendments"]
    assert line["changes"][0] == {"field": "court", "old": "Kronofogden, Göteborg", "new": "Kronofogden"}
    assert report["details"]["location"] == location
    assert "Storgatan 1B" in render_html([report]).decode()


async def test_amending_to_what_is_there_records_nothing() -> None:
    async with running_api(clock=clock()) as api:
        auction_id = (await api.schedule(scheduled_lot()))["id"]
        before = await api.all_events()
        response = await patch(api, auction_id, {"description": details()["description"]})
        assert response.status_code == 200, response.text
        assert await api.all_events() == before
        assert response.json()["amendments"] == 0


async def test_after_opening_only_additions_with_a_reason() -> None:
    the_clock = clock()
    async with running_api(clock=the_clock) as api:
        auction_id = (await api.schedule(scheduled_lot()))["id"]
        the_clock.advance(timedelta(days=2, minutes=1))  # bidding opened at OPENS

        moved = await patch(api, auction_id, {"location": {"address": "Elsewhere 2"}, "reason": "Typo"})
        assert moved.status_code == 409, moved.text
        assert moved.json()["error"]["code"] == "details_locked"
        assert "location" in moved.json()["error"]["message"]

        rewritten = await patch(api, auction_id, {"description": "Something else.", "reason": "Typo"})
        assert rewritten.json()["error"]["code"] == "details_locked"

        slots = details()["viewing"] + [
            {"starts_at": "2027-03-04T10:00:00+01:00", "ends_at": "2027-03-04T11:00:00+01:00"}
        ]
        unexplained = await patch(api, auction_id, {"viewing": slots})
        assert unexplained.status_code == 422 and unexplained.json()["error"]["code"] == "invalid_reason"
        assert not [e for e in await api.events(auction_id) if e["type"] == "DetailsAmended"]

        text = details()["description"] + " Vatten och avlopp kommunalt."
        added = await patch(api, auction_id, {"viewing": slots, "description": text, "reason": "Second viewing"})
        assert added.status_code == 200, added.text
        view = added.json()
        events = await api.events(auction_id)
    assert view["status"] == "open" and len(view["viewing"]) == 2 and view["description"] == text
    assert events[-1]["type"] == "DetailsAmended" and events[-1]["data"]["reason"] == "Second viewing"


async def test_after_bidding_ended_nothing_is_amended() -> None:
    the_clock = clock()
    async with running_api(clock=the_clock) as api:
        auction_id = (await api.schedule(scheduled_lot()))["id"]
        the_clock.advance(timedelta(days=3))
        response = await patch(api, auction_id, {"description": "More.", "reason": "Late"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "auction_closed"


async def test_only_a_bailiff_amends_and_an_invalid_amendment_stores_nothing() -> None:
    async with running_api(clock=clock()) as api:
        auction_id = (await api.schedule(scheduled_lot()))["id"]
        before = await api.all_events()
        by_bidder = await patch(api, auction_id, {"description": "Mine now."}, headers=bidder("eve@example.test"))
        assert by_bidder.status_code == 403
        unknown = await patch(api, "no-such-auction", {"description": "x"})
        assert unknown.status_code == 404
        bad = copy.deepcopy(details()["location"])
        bad["coordinates"]["lat"] = 91
        for body in ({"location": bad}, {"viewing": []}, {"asset_details": {"kind": "vehicle"}}, {"title": "New"}):
            response = await patch(api, auction_id, body)
            assert response.status_code == 422, (body, response.text)
        assert await api.all_events() == before


async def test_public_reads_of_the_details_name_no_one() -> None:
    """The details and their amendments are public: no view, catalogue or feed item names the official
    (only the full report does) or a bidder (codes only)."""
    async with running_api(clock=clock()) as api:
        auction_id = (await api.schedule(scheduled_lot()))["id"]
        await api.register(auction_id, "alice@example.test")
        assert (await patch(api, auction_id, {"court": "Kronofogden"})).status_code == 200
        public = [
            (await api.client.get(f"/auctions/{auction_id}")).text,
            (await api.client.get("/auctions")).text,
            (await api.client.get("/feed")).text,
            (await api.client.get("/feed.atom")).text,
            (await api.client.get(f"/auctions/{auction_id}/report", headers=bidder("alice@example.test"))).text,
        ]
        full = (await api.client.get(f"/auctions/{auction_id}/report", headers=AUDITOR)).json()
    for text in public[:4]:
        assert "bailiff-1" not in text and "alice@example.test" not in text
    assert "alice@example.test" not in public[4]
    assert full["amendments"][0]["official"] == "bailiff-1"


async def test_the_next_round_offers_the_same_lot_with_its_details_as_they_stood() -> None:
    from tests.api.deadline_support import move_clock, status_becomes

    the_clock = ManualClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    croatian = {
        "country": "HR", "title": "Kuća, Zadar", "asset": "immovable", "value": "100000.00",
        "opens_at": "2026-06-01T10:00:00+02:00", "closes_at": "2026-06-12T11:00:00+02:00", "payment_days": 15,
        "description": "Kuća s vrtom.", "location": {"municipality": "Zadar", "region": "Zadarska"},
    }  # fmt: skip
    async with running_api(clock=the_clock) as api:
        first = await api.schedule(croatian)
        assert (await patch(api, first["id"], {"case_reference": "Ovr-123/2026"})).status_code == 200
        await move_clock(api, the_clock, datetime(2026, 6, 13, 7, 0, tzinfo=UTC))
        await status_becomes(api, first["id"], "failed")
        body = {"opens_at": "2026-08-12T10:00:00+02:00", "closes_at": "2026-08-25T11:00:00+02:00"}
        created = await api.client.post(f"/auctions/{first['id']}/next-round", json=body, headers=BAILIFF)
        assert created.status_code == 201, created.text
        second = created.json()
        events = await api.events(second["id"])
    assert second["language"] == "hr"
    assert (second["description"], second["case_reference"]) == ("Kuća s vrtom.", "Ovr-123/2026")
    assert second["location"] == {"municipality": "Zadar", "region": "Zadarska"}
    assert events[0]["data"]["details"]["case_reference"] == "Ovr-123/2026"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
# A valid value of each detail or a part of one, or junk in its place.
DETAIL_VALUES = {
    name: st.sampled_from([value, None]) | JSON for name, value in details(reason="Because").items()
} | {
    "location": st.fixed_dictionaries(
        {},
        optional={
            "address": st.text(max_size=5) | JSON,
            "coordinates": st.fixed_dictionaries(
                {"lat": st.floats(-200, 200) | JSON, "lon": st.floats(-400, 400) | JSON}
            ),
        },
    )
    | JSON,
    "viewing": st.lists(
        st.fixed_dictionaries(
            {"starts_at": st.sampled_from(["2027-03-02T10:00:00+01:00", "2027-03-02T10:00:00", "x"]),
             "ends_at": st.sampled_from(["2027-03-02T09:00:00Z", "2027-03-02T12:00:00+01:00", 5])}
        ),
        max_size=3,
    )
    | JSON,
}  # fmt: skip
detail_bodies = st.fixed_dictionaries({}, optional=DETAIL_VALUES)


def test_no_body_of_details_ever_yields_a_5xx_and_a_refused_one_records_nothing() -> None:
    async def check(api: Api, auction_id: str, body: dict[str, Any]) -> None:
        before = await api.all_events()
        scheduled = await api.client.post(
            "/auctions", json={**scheduled_lot(), **{k: v for k, v in body.items() if k != "reason"}}, headers=BAILIFF
        )
        assert scheduled.status_code in (201, 422), scheduled.text
        if scheduled.status_code == 422:
            assert set(scheduled.json()) == {"error"} and await api.all_events() == before
        before = await api.all_events()
        amended = await patch(api, auction_id, body)
        assert amended.status_code in (200, 409, 422), amended.text
        if amended.status_code != 200:
            assert set(amended.json()) == {"error"} and await api.all_events() == before

    with asyncio.Runner() as runner:
        context = running_api(clock=clock())
        api = runner.run(context.__aenter__())
        try:
            auction_id = runner.run(api.schedule(scheduled_lot()))["id"]

            @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(body=detail_bodies)
            def fuzz(body: dict[str, Any]) -> None:
                runner.run(check(api, auction_id, body))

            fuzz()
        finally:
            runner.run(context.__aexit__(None, None, None))
