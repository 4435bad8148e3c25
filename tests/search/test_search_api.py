"""GET /auctions as a search: words, filters, sorting, cursor paging, ended lots kept apart, bad input refused."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.clock import ManualClock
from tests.api.deadline_support import move_clock, status_becomes
from tests.api.support import BAILIFF, Api, running_api
from tests.search.support import expected, lot_body

NOW = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)


async def catalogue(api: Api, count: int) -> list[dict[str, Any]]:
    return [await api.schedule(lot_body(NOW, n)) for n in range(count)]


async def search(api: Api, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/auctions", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def ids(api: Api, **params: Any) -> list[str]:
    return [lot["id"] for lot in (await search(api, limit="100", **params))["auctions"]]


@pytest.fixture(params=["memory", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    return "memory:" if request.param == "memory" else f"sqlite:///{tmp_path / 'log.sqlite3'}"


async def test_words_find_lots_by_title_description_place_case_and_court_whatever_case_and_diacritics(
    database: str,
) -> None:
    async with running_api(database, clock=ManualClock(NOW)) as api:
        lots = await catalogue(api, 40)
        views = (await api.client.get("/auctions")).json()["auctions"]
        for q in [
            "Stanovanje",
            "stanovanj",
            "ŠKOFJA loka",
            "skofja",
            "crnomelj",
            "garaža",
            lots[5]["description"],
            "In 7/2026",
            "Okrajno sodišče v Kranj",
            "Glavna cesta 12",
            "Jugovzhodna",
            "hisa sobota",
            "nothing-like-it",
        ]:
            found = await ids(api, q=q)
            assert found == expected(views, {"q": q}), q
            assert bool(found) == (q != "nothing-like-it"), q
        assert await ids(api, q="stanov") and len(await ids(api, q="zzz")) == 0
        one = lots[7]
        assert one["id"] in await ids(api, q=f"{one['case_reference']} {one['location']['municipality']}")


async def test_filters_combine_and_each_narrows(database: str) -> None:
    async with running_api(database, clock=ManualClock(NOW)) as api:
        await catalogue(api, 60)
        views = (await api.client.get("/auctions")).json()["auctions"]
        cases: list[dict[str, Any]] = [
            {"country": "se"},
            {"country": "SI"},
            {"asset": "immovable"},
            {"kind": "vehicle"},
            {"currency": "EUR", "price_min": "100000.00", "price_max": "250000"},
            {"closes_before": (NOW + timedelta(days=10)).isoformat()},
            {
                "closes_after": (NOW + timedelta(days=10)).isoformat(),
                "closes_before": (NOW + timedelta(days=20)).isoformat(),
            },
            {"region": "gorenjska"},
            {"municipality": "Škofja Loka"},
            {"kind": "real_estate", "area_min": "100", "rooms_min": "3"},
            {"q": "stanovanje", "region": "Savinjska", "price_max": "300000.00", "sort": "price_desc"},
            {
                "q": "hisa",
                "kind": "real_estate",
                "closes_before": (NOW + timedelta(days=25)).isoformat(),
                "sort": "newest",
            },
            {"asset": "registered_movable", "sort": "price_asc"},
        ]
        for params in cases:
            assert await ids(api, **params) == expected(views, params), params
        both = await ids(api, kind="real_estate", region="Gorenjska")
        assert set(both) == set(await ids(api, kind="real_estate")) & set(await ids(api, region="Gorenjska"))


async def test_every_sort_pages_with_a_cursor_without_repeating_or_skipping_a_lot(database: str) -> None:
    async with running_api(database, clock=ManualClock(NOW)) as api:
        await catalogue(api, 45)
        views = (await api.client.get("/auctions")).json()["auctions"]
        for sort in ["closing", "newest", "price_asc", "price_desc"]:
            page = await search(api, sort=sort, limit="7")
            assert page["total"] == 45 and page["limit"] == 7
            seen = [lot["id"] for lot in page["auctions"]]
            while page["next"] is not None:
                assert "cursor=" in page["next"] and f"sort={sort}" in page["next"]
                page = (await api.client.get(page["next"])).json()
                seen += [lot["id"] for lot in page["auctions"]]
            assert seen == expected(views, {"sort": sort}), sort
            assert page["cursor"] is None


async def test_ended_lots_are_shown_only_when_asked_for() -> None:
    clock = ManualClock(NOW)
    async with running_api(clock=clock) as api:
        ended = await api.schedule(lot_body(NOW, 1, closes_at=(NOW + timedelta(hours=1)).isoformat()))
        sold = await api.schedule(lot_body(NOW, 2, closes_at=(NOW + timedelta(hours=1)).isoformat()))
        await api.register(sold["id"], "alice")
        assert (await api.bid(sold["id"], "alice", sold["starting_price"])).status_code == 201
        upcoming = await api.schedule(lot_body(NOW + timedelta(days=1), 3))
        await move_clock(api, clock, NOW + timedelta(hours=2))
        await status_becomes(api, ended["id"], "failed")
        await status_becomes(api, sold["id"], "closed")
        assert await ids(api, q="lot") == [upcoming["id"]]
        assert await ids(api, sort="newest") == [upcoming["id"]]
        assert await ids(api, status="failed") == [ended["id"]]
        assert await ids(api, status="closed") == [sold["id"]]
        assert set(await ids(api, include_ended="true")) == {ended["id"], sold["id"], upcoming["id"]}
        # The listing without search parameters is the whole catalogue, as it always was.
        listing = (await api.client.get("/auctions")).json()
        assert [lot["id"] for lot in listing["auctions"]] == [ended["id"], sold["id"], upcoming["id"]]
        assert set(listing) == {"auctions"}
        assert [lot["id"] for lot in (await api.client.get("/auctions?status=failed")).json()["auctions"]] == [
            ended["id"]
        ]


async def test_a_lot_amended_or_scheduled_is_found_at_once() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        lot = await api.schedule(lot_body(NOW + timedelta(days=1), 1))
        assert await ids(api, q="lot 1") == [lot["id"]]
        patched = await api.client.patch(
            f"/auctions/{lot['id']}/details",
            json={"location": {"municipality": "Piran", "region": "Obalno-kraška"}},
            headers=BAILIFF,
        )
        assert patched.status_code == 200, patched.text
        assert await ids(api, q="piran") == [lot["id"]]
        assert await ids(api, municipality="piran") == [lot["id"]]
        assert await ids(api, municipality=lot["location"]["municipality"]) == []


def _tampered(cursor: str) -> list[str]:
    payload, _, signature = cursor.partition(".")
    decoded = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded[1] = 0  # back to the start
    forged = base64.urlsafe_b64encode(orjson.dumps(decoded)).decode().rstrip("=")
    return [
        f"{forged}.{signature}",
        f"{payload}.{signature[:-2]}AA",
        payload,
        f"{payload}.",
        "." + signature,
        cursor[:-1],
        cursor + "x",
        "not a cursor",
        "ľ" * 10,
        "\x00",
        base64.urlsafe_b64encode(b'["closing", 1, "x", "y"]').decode(),
    ]


async def test_a_tampered_cursor_or_one_of_another_search_is_400_invalid_cursor() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        await catalogue(api, 5)
        cursor = (await search(api, limit="2", sort="closing"))["cursor"]
        assert cursor is not None
        for bad in _tampered(cursor):
            response = await api.client.get("/auctions", params={"limit": "2", "cursor": bad})
            assert response.status_code == 400, (bad, response.text)
            assert response.json()["error"]["code"] == "invalid_cursor"
        for other in [{"sort": "newest"}, {"q": "hisa"}, {"country": "SE"}, {"include_ended": "true"}]:
            response = await api.client.get("/auctions", params={"limit": "2", "cursor": cursor, **other})
            assert response.status_code == 400, other
        assert (await api.client.get("/auctions", params={"limit": "2", "cursor": cursor})).status_code == 200


BAD = [
    {"q": "x" * 10_000},
    {"q": " ".join(f"w{n}" for n in range(17))},
    {"sort": "relevance"},
    {"status": "sold"},
    {"asset": "castle"},
    {"kind": "ship"},
    {"country": "Slovenia"},
    {"currency": "EURO"},
    {"price_min": "-1"},
    {"price_max": "1e5"},
    {"closes_before": "tomorrow"},
    {"closes_after": "2030-05-15T08:00:00"},
    {"region": "\x00"},
    {"municipality": "x" * 101},
    {"area_min": "nan"},
    {"rooms_min": "-1"},
    {"limit": "0"},
    {"limit": "101"},
    {"cursor": "c" * 401},
    {"include_ended": "perhaps"},
]


async def test_bad_parameters_are_a_clear_4xx_and_store_nothing() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        await catalogue(api, 3)
        head = await api.all_events()
        for params in BAD:
            response = await api.client.get("/auctions", params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.json()["error"]["code"] == "invalid_request"
        assert await api.all_events() == head


async def test_query_syntax_of_sql_and_fts_is_plain_words() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        await catalogue(api, 20)
        views = (await api.client.get("/auctions")).json()["auctions"]
        for q in [
            '"',
            "*",
            "NEAR",
            "hisa OR traktor",
            "-hisa",
            "title:hisa",
            "hisa*",
            "' OR 1=1 --",
            "'); DROP TABLE x;",
            'NEAR("a" "b", 2)',
            "^hisa",
            "hisa AND NOT traktor",
            "{title}: x",
            "a\x00b",
            "%",
            "_",
            "\\",
        ]:
            response = await api.client.get("/auctions", params={"q": q, "limit": "100"})
            assert response.status_code == 200, (q, response.text)
            assert [lot["id"] for lot in response.json()["auctions"]] == expected(views, {"q": q}), q


def test_arbitrary_queries_and_cursors_never_give_a_5xx_and_store_nothing() -> None:
    async def check(api: Api, params: dict[str, str]) -> None:
        response = await api.client.get("/auctions", params=params)
        assert response.status_code in (200, 400, 422), response.text
        assert response.status_code != 200 or "cursor" not in params
        if response.status_code != 200:
            assert set(response.json()) == {"error"}

    with asyncio.Runner() as runner:
        context = running_api(clock=ManualClock(NOW))
        api = runner.run(context.__aenter__())
        try:
            runner.run(catalogue(api, 10))
            head = runner.run(api.all_events())

            @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(
                q=st.text(max_size=80) | st.text(alphabet='"*:-()^ ORNEAND', max_size=30),
                cursor=st.none() | st.text(max_size=40),
                region=st.none() | st.text(max_size=20),
            )
            def fuzz(q: str, cursor: str | None, region: str | None) -> None:
                params = {"q": q, "cursor": cursor, "region": region}
                runner.run(check(api, {k: v for k, v in params.items() if v is not None}))

            fuzz()
            assert runner.run(api.all_events()) == head
        finally:
            runner.run(context.__aexit__(None, None, None))
