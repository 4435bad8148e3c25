"""``auction serve --harvest``: the harvested catalogue of several countries served read-only.

The database is made as a harvest makes it (``api.harvest.apply_items`` on feed items), from
engines in Croatia, Lithuania and Sweden. Each search criterion is shown to keep the lots that
match and to leave out one that does not; a property checks the search and its cursor paging
against a plain reading of the filters; every write is refused; the catalogue page carries
the lots' schema.org JSON-LD, which pyld expands to schema.org terms."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.harvest import (
    Filters,
    NotAHarvest,
    apply_items,
    connect,
    connect_readonly,
    search_page,
    transaction,
)
from api.harvest_app import create_harvest_app
from engine.model import format_instant
from tests.feed.support import Lot, apply_lots, harvest_file, jsonld_blocks, only_own_scripts, scripts
from tests.feed.test_jsonld import SCHEMA, assert_schema_org

ZAGREB = "https://drazbe.example.hr"
VILNIUS = "https://aukcionai.example.lt"
GOTHENBURG = "https://auktioner.example.se"

SPLIT = Lot(
    ZAGREB,
    "hr-1",
    "HR",
    "House in Split",
    "100000.00",
    "2027-03-02T09:00:00+00:00",
    "2027-03-16T13:00:00+00:00",
    status="open",
    price="120000.00",
    description="Stone house by the sea",
    location={"address": "Obala 1", "municipality": "Split", "region": "Splitsko-dalmatinska"},
)
TRACTOR = Lot(
    ZAGREB,
    "hr-2",
    "HR",
    "Tractor",
    "12000.00",
    "2027-03-20T09:00:00+00:00",
    "2027-04-01T10:00:00+00:00",
    asset="movable",
    location={"municipality": "Osijek", "region": "Osječko-baranjska"},
)
KAUNAS = Lot(
    VILNIUS,
    "lt-1",
    "LT",
    "Flat in Kaunas",
    "64000.00",
    "2027-03-05T08:00:00+00:00",
    "2027-03-20T08:00:00.250+00:00",
    status="open",
    location={"municipality": "Kaunas", "region": "Kauno apskritis"},
)
GARAGE = Lot(
    VILNIUS,
    "lt-2",
    "LT",
    "Garage",
    "9000.00",
    "2027-04-10T08:00:00+00:00",
    "2027-05-02T08:00:00+00:00",
    location={"municipality": "Šiauliai", "region": "Šiaulių apskritis"},
)
BOAT = Lot(
    GOTHENBURG,
    "se-1",
    "SE",
    "Sailing boat",
    "90000.00",
    "2027-03-10T08:00:00+00:00",
    "2027-03-25T16:00:00+00:00",
    currency="SEK",
    asset="registered_movable",
    status="open",
    location={"municipality": "Göteborg", "region": "Västra Götaland"},
)
LOTS = [SPLIT, TRACTOR, KAUNAS, GARAGE, BOAT]
TITLES = {lot.title for lot in LOTS}


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harvest_file(tmp_path_factory.mktemp("harvest") / "harvest.sqlite3", LOTS)


@pytest.fixture(scope="module")
def app(harvested: Path) -> FastAPI:
    return create_harvest_app(str(harvested))


def serving(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalogue.test")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


async def titles(client: httpx.AsyncClient, query: str) -> set[str]:
    response = await client.get(f"/auctions?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["auctions"])
    return {lot["title"] for lot in body["auctions"]}


async def test_the_lots_of_several_countries_are_served_each_linking_to_its_own_engine(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/auctions")).json()
    assert body["total"] == 5 and body["next"] is None
    assert [lot["title"] for lot in body["auctions"]] == [  # soonest deadline first
        "House in Split",
        "Flat in Kaunas",
        "Sailing boat",
        "Tractor",
        "Garage",
    ]
    split, _, boat, *_ = body["auctions"]
    assert split["source"] == ZAGREB and split["auction"] == "hr-1"
    assert split["url"] == f"{ZAGREB}/app/auction/hr-1"
    assert (split["price"], split["starting_price"], split["currency"]) == ("120000.00", "100000.00", "EUR")
    assert split["location"] == {"address": "Obala 1", "municipality": "Split", "region": "Splitsko-dalmatinska"}
    assert (boat["price"], boat["currency"]) == (None, "SEK")  # the source's currency, not converted
    assert boat["url"] == f"{GOTHENBURG}/app/auction/se-1"
    sources = (await client.get("/sources")).json()["sources"]
    assert [(source["url"], source["lots"]) for source in sources] == [(VILNIUS, 2), (GOTHENBURG, 1), (ZAGREB, 2)]
    assert (await client.get("/health")).json() == {"status": "ok", "mode": "harvest", "lots": 5}
    # an empty parameter (as a form sends it) is no filter
    assert await titles(client, "country=&asset=&status=&currency=&min_price=&closes_from=&location=&q=") == TITLES


# Each criterion with the lots it keeps: every one leaves out at least one lot that does not match.
CRITERIA = [
    ("country=HR", {"House in Split", "Tractor"}),
    ("country=lt&country=SE", {"Flat in Kaunas", "Garage", "Sailing boat"}),
    ("asset=movable", {"Tractor"}),
    ("asset=registered_movable", {"Sailing boat"}),
    ("status=open", {"House in Split", "Flat in Kaunas", "Sailing boat"}),
    ("status=scheduled", {"Tractor", "Garage"}),
    ("currency=SEK", {"Sailing boat"}),
    # 90000 SEK is not "at least 50000" in EUR: amounts compare in the lot's own currency only
    ("currency=EUR&min_price=50000", {"House in Split", "Flat in Kaunas"}),
    ("currency=EUR&max_price=12000.00", {"Tractor", "Garage"}),
    # the current price (120000.00) counts, not the starting price (100000.00)
    ("currency=EUR&min_price=110000.00", {"House in Split"}),
    ("currency=EUR&min_price=64000.00&max_price=64000.00", {"Flat in Kaunas"}),
    (
        "closes_from=2027-03-17T00:00:00%2B01:00&closes_until=2027-04-01T12:00:00%2B02:00",
        {"Flat in Kaunas", "Sailing boat", "Tractor"},
    ),
    ("closes_from=2027-03-20T08:00:00.250Z", {"Flat in Kaunas", "Sailing boat", "Tractor", "Garage"}),
    ("closes_from=2027-03-20T08:00:00.251Z", {"Sailing boat", "Tractor", "Garage"}),
    ("closes_until=2027-03-16T13:00:00Z", {"House in Split"}),
    ("opens_from=2027-03-10T08:00:00Z&opens_until=2027-03-20T09:00:00Z", {"Sailing boat", "Tractor"}),
    ("location=split", {"House in Split"}),
    ("location=DALMATINSKA", {"House in Split"}),
    ("location=%C5%A0IAULIAI", {"Garage"}),  # ŠIAULIAI: case folded beyond ASCII
    ("location=g%C3%B6teborg", {"Sailing boat"}),
    ("location=apskritis", {"Flat in Kaunas", "Garage"}),
    ("location=Obala", {"House in Split"}),
    ("q=flat", {"Flat in Kaunas"}),
    ("q=by%20the%20sea", {"House in Split"}),
    ("country=HR&location=osijek&asset=movable", {"Tractor"}),
    ("country=HR&location=Kaunas", set()),
]


@pytest.mark.parametrize(("query", "expected"), CRITERIA)
async def test_each_criterion_keeps_what_matches_and_leaves_out_what_does_not(
    client: httpx.AsyncClient, query: str, expected: set[str]
) -> None:
    assert expected < TITLES
    assert await titles(client, query) == expected


async def test_paging_is_bounded_and_its_cursor_gives_every_lot_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    page = (await client.get("/auctions?limit=2&status=open")).json()
    assert page["total"] == 3 and len(page["auctions"]) == 2
    seen += [lot["title"] for lot in page["auctions"]]
    assert page["next"].startswith("/auctions?") and "status=open" in page["next"]
    last = (await client.get(page["next"])).json()
    seen += [lot["title"] for lot in last["auctions"]]
    assert last["next"] is None and last["cursor"] is None
    assert seen == ["House in Split", "Flat in Kaunas", "Sailing boat"]
    assert (await client.get(f"/auctions?limit={101}")).status_code == 422
    assert (await client.get("/auctions?limit=0")).status_code == 422


@pytest.mark.parametrize(
    ("query", "code", "names"),
    [
        ("min_price=1000.00", "currency_required", "currency"),
        ("max_price=1000.00&country=HR", "currency_required", "currency"),
        ("currency=EUR&min_price=12.345", "invalid_request", "min_price"),
        ("currency=EUR&max_price=-5", "invalid_request", "max_price"),
        ("currency=EUR&min_price=20&max_price=10", "invalid_request", "min_price"),
        ("currency=EURO", "invalid_request", "currency"),
        ("country=Croatia", "invalid_request", "country"),
        ("asset=Real%20estate", "invalid_request", "asset"),
        ("status=sold", "invalid_request", "status"),
        ("closes_from=2027-03-17", "invalid_request", "closes_from"),
        ("closes_until=2027-03-17T10:00:00", "invalid_request", "closes_until"),
        ("closes_until=9999-12-31T23:59:59-14:00", "invalid_request", "closes_until"),
        ("opens_from=0001-01-01T00:00:00%2B14:00", "invalid_request", "opens_from"),
        ("country=HR%0A", "invalid_request", "country"),
        ("closes_from=2027-04-01T00:00:00Z&closes_until=2027-03-01T00:00:00Z", "invalid_request", "closes_from"),
        ("cursor=not-a-cursor", "invalid_request", "cursor"),
        (f"location={'x' * 201}", "invalid_request", "location"),
    ],
)
async def test_a_bad_query_is_a_422_that_names_what_is_wrong(
    client: httpx.AsyncClient, query: str, code: str, names: str
) -> None:
    response = await client.get(f"/auctions?{query}")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and names in error["message"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(
    "path",
    ["/auctions", "/auctions/hr-1", "/auctions/hr-1/bids", "/auctions/hr-1/open", "/", "/sources", "/feed", "/nowhere"],
)
async def test_every_write_is_refused(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={"amount": "130000.00"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "read_only"
    assert await titles(client, "") == TITLES  # nothing changed


async def test_the_api_description_is_served_from_this_servers_own_files(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "script-src 'self'" in docs.headers["content-security-policy"]
    assert "cdn" not in docs.text.lower() and "/app/static/vendor/swagger-ui/" in docs.text
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert sorted(paths) == ["/auctions", "/health", "/sources"]
    assert all(set(methods) == {"get"} for methods in paths.values())


async def test_no_engine_route_is_served(client: httpx.AsyncClient) -> None:
    for path in ("/auctions/hr-1", "/feed", "/app/auction/hr-1", "/app/bailiff", "/receipts/public-key"):
        assert (await client.get(path)).status_code == 404, path


async def test_the_catalogue_page_carries_the_lots_as_schema_org_offers_of_their_own_engines(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert {"type": "module", "src": "/app/static/js/harvest.js"} in scripts(response.text)
    (document,) = jsonld_blocks(response.text)
    node = assert_schema_org(document, root="ItemList")
    assert node[SCHEMA + "numberOfItems"] == [{"@value": 5}]
    offers = {item[SCHEMA + "item"][0]["@id"]: item[SCHEMA + "item"][0] for item in node[SCHEMA + "itemListElement"]}
    assert set(offers) == {f"{lot.source}/auctions/{lot.auction}" for lot in LOTS}
    split = offers[f"{ZAGREB}/auctions/hr-1"]
    assert split[SCHEMA + "url"] == [{"@id": f"{ZAGREB}/app/auction/hr-1"}]  # where to bid
    assert split[SCHEMA + "price"] == [{"@value": "120000.00"}]
    assert split[SCHEMA + "availabilityEnds"] == [{"@type": SCHEMA + "DateTime", "@value": "2027-03-16T13:00:00+00:00"}]
    (address,) = split[SCHEMA + "availableAtOrFrom"][0][SCHEMA + "address"]
    assert address[SCHEMA + "addressLocality"] == [{"@value": "Split"}]
    boat = offers[f"{GOTHENBURG}/auctions/se-1"]
    assert boat[SCHEMA + "priceCurrency"] == [{"@value": "SEK"}]
    # The page's own query chooses the lots it describes.
    (lithuanian,) = jsonld_blocks((await client.get("/?country=LT")).text)
    assert [element["item"]["@id"] for element in lithuanian["itemListElement"]] == [
        f"{VILNIUS}/auctions/lt-1",
        f"{VILNIUS}/auctions/lt-2",
    ]
    assert jsonld_blocks((await client.get("/?min_price=1")).text) == []  # a query the search refuses describes nothing


async def test_text_in_a_lot_cannot_end_the_data_block(tmp_path: Path) -> None:
    title = '</script><script>alert("x")</script><!-- & >'
    hostile = Lot(ZAGREB, "hr-9", "HR", title, "1000.00", "2027-03-02T09:00:00+00:00", "2027-03-03T09:00:00+00:00")
    async with serving(create_harvest_app(str(harvest_file(tmp_path / "h.sqlite3", [hostile])))) as client:
        page = (await client.get("/")).text
    assert "</script><script>" not in page
    assert only_own_scripts(page).count("application/ld+json") == 1
    (document,) = jsonld_blocks(page)
    assert document["itemListElement"][0]["item"]["name"] == title


def test_serve_harvest_refuses_a_file_that_is_not_a_harvest(tmp_path: Path) -> None:
    from api.cli import main

    (tmp_path / "other.sqlite3").write_bytes(b"not a database at all, just some bytes" * 100)
    assert main(["serve", "--harvest", str(tmp_path / "missing.sqlite3")]) == 2
    assert main(["serve", "--harvest", str(tmp_path / "other.sqlite3")]) == 2
    harvested = harvest_file(tmp_path / "h.sqlite3", [SPLIT])
    assert main(["serve", "--harvest", str(harvested), "--database", "sqlite:///x.sqlite3"]) == 2


def test_a_catalogue_harvested_before_the_search_keys_is_updated_by_the_next_harvest(tmp_path: Path) -> None:
    from api.cli import main

    path = harvest_file(tmp_path / "h.sqlite3", [SPLIT, GARAGE])
    with sqlite3.connect(path) as older:  # as the first auction harvest left it
        older.execute("DROP INDEX lots_place")
        older.execute("ALTER TABLE lots DROP COLUMN place_key")
        older.execute("ALTER TABLE lots DROP COLUMN text_key")
    older.close()
    with pytest.raises(NotAHarvest, match="older auction harvest"):
        connect_readonly(str(path))
    assert main(["serve", "--harvest", str(path)]) == 2
    connect(str(path)).close()  # what auction harvest opens it with
    conn = connect_readonly(str(path))
    try:
        assert [lot["title"] for lot in search_page(conn, Filters(location="šiauliai")).lots] == ["Garage"]
        assert [lot["title"] for lot in search_page(conn, Filters(location="Obala")).lots] == ["House in Split"]
        assert [lot["title"] for lot in search_page(conn, Filters(location="DALMAT")).lots] == ["House in Split"]
        assert [lot["title"] for lot in search_page(conn, Filters(q="BY THE SEA")).lots] == ["House in Split"]
        for across in ("splitsplitsko", "split\x1fsplitsko"):  # no match across two fields
            assert search_page(conn, Filters(location=across)).lots == []
    finally:
        conn.close()


def test_an_amended_location_or_description_is_what_the_search_finds(tmp_path: Path) -> None:
    conn = connect(str(harvest_file(tmp_path / "h.sqlite3", [TRACTOR])))
    moved = {"address": "Trg 2", "municipality": "Vukovar", "region": "Vukovarsko-srijemska"}
    state = {"status": "scheduled", "price": None, "leader": None, "closes_at": TRACTOR.closes_at, "ended": False}
    amended = {
        "position": 5,
        "auction": TRACTOR.auction,
        "version": 2,
        "type": "amended",
        "details": {"location": moved, "description": "Red, runs well"},
        "change": {**state, "fields": ["location", "description"]},
    }
    try:
        for _ in range(2):  # a page applied again changes nothing
            with transaction(conn):
                apply_items(conn, ZAGREB, 1, [amended])
            found = search_page(conn, Filters(location="vukovar")).lots
            assert [(lot["title"], lot["location"]) for lot in found] == [("Tractor", moved)]
            assert search_page(conn, Filters(location="osijek")).lots == []
            assert [lot["description"] for lot in search_page(conn, Filters(q="runs well")).lots] == ["Red, runs well"]
        # an older amendment than what the lot shows is not applied over it
        with transaction(conn):
            apply_items(conn, ZAGREB, 1, [{**amended, "position": 3, "details": {"location": None}}])
        assert [lot["title"] for lot in search_page(conn, Filters(location="vukovar")).lots] == ["Tractor"]
        with transaction(conn):  # a location cleared
            apply_items(conn, ZAGREB, 5, [{**amended, "position": 6, "details": {"location": None}}])
        assert search_page(conn, Filters(location="vukovar")).lots == []
        (tractor,) = search_page(conn, Filters()).lots
        assert tractor["location"] == {"address": None, "municipality": None, "region": None}
    finally:
        conn.close()


async def test_the_server_reads_what_a_harvester_commits_meanwhile(tmp_path: Path) -> None:
    path = harvest_file(tmp_path / "h.sqlite3", [SPLIT])
    async with serving(create_harvest_app(str(path))) as client:
        assert await titles(client, "") == {"House in Split"}
        conn = connect(str(path))
        try:
            apply_lots(conn, [KAUNAS])
        finally:
            conn.close()
        assert await titles(client, "") == {"House in Split", "Flat in Kaunas"}


# ------------------------------------------------------------------ the search, as a property

BASE = datetime(2027, 3, 1, tzinfo=UTC)
instants = st.integers(0, 40 * 24 * 3600 * 1000).map(lambda ms: BASE + timedelta(milliseconds=ms))
fine_instants = st.builds(lambda at, us: at + timedelta(microseconds=us), instants, st.sampled_from([0, 0, 1, 500]))
PLACES = [("Split", "Dalmacija"), ("Šiauliai", "Šiaulių"), ("Göteborg", "Västra Götaland"), ("KAUNAS", "Kauno")]
lots = st.builds(
    lambda n, country, asset, currency, cents, raised, closes, place: Lot(
        source=[ZAGREB, VILNIUS, GOTHENBURG][n % 3],
        auction=f"a{n}",
        country=country,
        title=f"Lot {n}",
        starting_price=money(cents),
        opens_at=format_instant(closes - timedelta(days=7)),
        closes_at=format_instant(closes),
        currency=currency,
        asset=asset,
        status="open" if raised else "scheduled",
        price=None if raised is None else money(cents + raised),
        location={"municipality": place[0], "region": place[1]},
    ),
    st.integers(0, 10_000),
    st.sampled_from(["HR", "LT", "SE"]),
    st.sampled_from(["immovable", "movable"]),
    st.sampled_from(["EUR", "SEK"]),
    st.integers(100, 10_000_00),
    st.none() | st.integers(1, 1_000_00),
    fine_instants,
    st.sampled_from(PLACES),
)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def filters_for(harvest: list[Lot]) -> st.SearchStrategy[Filters]:
    """Filters whose bounds are often the lots' own prices and deadlines, where a bound is most
    easily off by one."""
    prices = [lot.price or lot.starting_price for lot in harvest]
    deadlines = [lot.closes_at for lot in harvest]
    amounts = st.integers(0, 11_000_00).map(money) | (st.sampled_from(prices) if prices else st.nothing())
    moments = fine_instants.map(format_instant) | (st.sampled_from(deadlines) if deadlines else st.nothing())
    # a part of a lot's municipality or region, in its own case, folded or in capitals; or no place at all
    words = [word for lot in harvest for word in (lot.location or {}).values()]
    places = st.sampled_from(["split", "ŠIAUL", "götaland", "x"]) | (
        st.tuples(st.sampled_from(words), st.integers(0, 3), st.sampled_from([str, str.casefold, str.upper]))
        .map(lambda part: part[2](part[0][part[1] :]))
        .filter(bool)
        if words
        else st.nothing()
    )
    return st.builds(
        Filters,
        countries=st.lists(st.sampled_from(["HR", "LT", "SE"]), max_size=2).map(tuple),
        asset=st.none() | st.sampled_from(["immovable", "movable"]),
        status=st.none() | st.sampled_from(["open", "scheduled"]),
        currency=st.none() | st.sampled_from(["EUR", "SEK"]),
        min_price=st.none() | amounts,
        max_price=st.none() | amounts,
        closes_from=st.none() | moments,
        closes_until=st.none() | moments,
        location=st.none() | places,
    )


def matches(lot: Lot, wanted: Filters) -> bool:
    def cents(text: str) -> int:
        whole, _, fraction = text.partition(".")
        return int(whole) * 100 + int(fraction or 0)

    price = cents(lot.price or lot.starting_price)
    closes = datetime.fromisoformat(lot.closes_at)
    place = " ".join((lot.location or {}).values()).casefold()
    return (
        (not wanted.countries or lot.country in wanted.countries)
        and wanted.asset in (None, lot.asset)
        and wanted.status in (None, lot.status)
        and wanted.currency in (None, lot.currency)
        and (wanted.min_price is None or price >= cents(wanted.min_price))
        and (wanted.max_price is None or price <= cents(wanted.max_price))
        and (wanted.closes_from is None or closes >= datetime.fromisoformat(wanted.closes_from))
        and (wanted.closes_until is None or closes <= datetime.fromisoformat(wanted.closes_until))
        and (wanted.location is None or wanted.location.casefold() in place)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lots, max_size=12, unique_by=lambda lot: lot.auction), st.data(), st.integers(1, 5))
def test_the_search_finds_exactly_the_matching_lots_once_each_page_by_page(
    harvest: list[Lot], data: st.DataObject, limit: int
) -> None:
    wanted = data.draw(filters_for(harvest))
    conn = connect(":memory:")
    try:
        apply_lots(conn, harvest)
        expected = sorted(
            (lot for lot in harvest if matches(lot, wanted)),
            key=lambda lot: (datetime.fromisoformat(lot.closes_at), lot.source, lot.auction),
        )
        found: list[dict[str, Any]] = []
        cursor = None
        for _ in range(len(harvest) + 1):
            page = search_page(conn, wanted, limit, cursor)
            assert page.total == len(expected) and len(page.lots) <= limit
            found += page.lots
            cursor = page.cursor
            if cursor is None:
                break
        assert [(lot["source"], lot["auction"]) for lot in found] == [(lot.source, lot.auction) for lot in expected]
    finally:
        conn.close()
