"""The harvested catalogue (``auction serve --harvest``) in the reader's language, as the engine's pages:
the language chosen on the server (``?lang=``, the cookie, ``Accept-Language``, the default) and written
into the page with its catalogue; ``/i18n/{lang}.json`` served with no engine behind; in a browser the
page's texts translated, each price in its lot's currency and each date in its country's zone as the
language writes them, each lot's title and description marked with its country's language, and no
axe-core violation.

The browser tests are skipped without Chromium or Playwright, except in CI
(``tests.web.conftest.require_browser``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from api.harvest_app import create_harvest_app
from api.i18n import LANGUAGES, read_catalogue
from tests.feed.support import Lot, harvest_file
from tests.feed.test_harvest_page import ThreadedHarvestServer
from tests.feed.test_harvest_server import LOTS
from tests.web.conftest import require_browser
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, expect
from tests.web.test_axe import _axe_source, check

SOFIA = "https://targove.example.bg"
PLOVDIV = Lot(
    SOFIA,
    "bg-1",
    "BG",
    "Апартамент в Пловдив, 3 стаи",
    "150000.00",
    "2027-03-01T08:00:00+00:00",
    "2027-03-18T10:00:00+00:00",
    status="open",
    price="155000.00",
    description="Тристаен апартамент в центъра на града",
    location={"municipality": "Пловдив", "region": "Пловдив"},
)
HARVEST_IDS = ("Judicial auctions across borders", "Bid on {engine}", "More lots")


def spaces(text: str) -> str:
    """Every kind of space (Intl writes U+00A0 and U+202F) as one plain space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harvest_file(tmp_path_factory.mktemp("harvest-i18n") / "harvest.sqlite3", [*LOTS, PLOVDIV])


@pytest.fixture
async def client(harvested: Path) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_harvest_app(str(harvested))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalogue.test") as client:
        yield client


def translated(language: str, msgid: str) -> str:
    """The catalogue's translation of ``msgid``."""
    message = read_catalogue(language).get(msgid)
    assert message is not None, msgid
    return str(message.string)


def catalogue_block(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="i18n-catalogue">(.*?)</script>', html)
    assert match, "the page carries no catalogue"
    document: dict[str, Any] = orjson.loads(match.group(1))
    return document


@pytest.mark.parametrize(
    ("query", "headers", "language", "source"),
    [
        ("?lang=sv", {}, "sv", "query"),
        ("", {"Cookie": "lang=bg"}, "bg", "cookie"),
        ("", {"Accept-Language": "el-GR,el;q=0.9,en;q=0.5"}, "el", "browser"),
        ("", {"Accept-Language": "ja"}, "en", "default"),
        ("?lang=xx", {"Accept-Language": "cs"}, "cs", "browser"),
    ],
)
async def test_the_page_is_answered_in_the_language_chosen_as_the_engines_pages_are(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], language: str, source: str
) -> None:
    response = await client.get(f"/{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert f'<html lang="{language}" data-lang-source="{source}">' in response.text
    assert response.headers["content-language"] == language
    assert "Accept-Language" in response.headers["vary"]
    assert ("set-cookie" in response.headers) == (source == "query")
    block = catalogue_block(response.text)
    assert block["lang"] == language
    assert set(block["languages"]) == set(LANGUAGES)
    assert 'type="application/ld+json"' in response.text  # the lots' JSON-LD is kept


async def test_the_deployments_default_language_is_the_page_s_when_the_reader_asks_for_none(harvested: Path) -> None:
    app = create_harvest_app(str(harvested), default_language="lt")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalogue.test") as client:
        chosen = await client.get("/", headers={"Accept-Language": "ja"})
        assert '<html lang="lt" data-lang-source="default">' in chosen.text
        assert catalogue_block(chosen.text)["lang"] == "lt"
        asked = await client.get("/", headers={"Accept-Language": "sv"})
        assert '<html lang="sv" data-lang-source="browser">' in asked.text


async def test_the_catalogues_are_served_without_an_engine_and_an_unknown_language_is_a_404(
    client: httpx.AsyncClient,
) -> None:
    for language in LANGUAGES:
        response = await client.get(f"/i18n/{language}.json")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["lang"] == language
        if language != "en":
            for msgid in HARVEST_IDS:
                assert body["messages"][msgid] == translated(language, msgid)
            assert "{count} lot found" in body["plurals"]
    assert (await client.head("/i18n/sv.json")).status_code == 200
    missing = await client.get("/i18n/xx.json")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_language"
    assert (await client.post("/i18n/sv.json")).status_code == 405  # still read-only


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def server(harvested: Path) -> Iterator[ThreadedHarvestServer]:
    running = ThreadedHarvestServer(harvested)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def opened(browser: Any, server: ThreadedHarvestServer) -> Iterator[Any]:
    """opened(language, bypass_csp) -> the page with ?lang=; script errors fail the test."""
    contexts: list[Any] = []
    trouble: list[str] = []

    def open_(language: str, bypass_csp: bool = False) -> Any:
        context = browser.new_context(
            locale="en-GB",
            timezone_id="America/New_York",
            viewport={"width": 1280, "height": 900},
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: trouble.append(f"script error: {error}"))
        page.goto(f"{server.url}/?lang={language}")
        expect(page.locator("li.card").first).to_be_visible()
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not trouble, trouble


def card(page: Any, auction: str) -> Any:
    return page.locator(f'li.card[data-auction="{auction}"]')


# What each language shows: texts from its catalogue, money as Intl writes it in the lot's currency,
# the Zagreb lot's deadline (13:00 UTC) on Zagreb's clock (14:00 CET).
EXPECTED = {
    "sv": {
        "heading": "Rättsliga auktioner över gränserna",
        "summary": "6 objekt hittades.",
        "split_price": "120 000,00 €",
        "boat_price": "från 90 000,00 kr",
        "bid": "Lägg bud på drazbe.example.hr",
        "search": "Sök",
        "country": "Kroatien (HR)",
    },
    "bg": {
        "heading": "Съдебни търгове отвъд границите",
        "summary": "Намерени са 6 обекта.",
        "split_price": "120 000,00 €",
        "boat_price": "от 90 000,00 SEK",
        "bid": "Наддаване в drazbe.example.hr",
        "search": "Търсене",
        "country": "Хърватия (HR)",
    },
}


@pytest.mark.e2e
@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_harvest_page_in_swedish_and_bulgarian(language: str, opened: Any) -> None:
    want = EXPECTED[language]
    page = opened(language)
    assert page.evaluate("document.documentElement.lang") == language
    expect(page.locator("h1")).to_have_text(want["heading"])
    assert spaces(page.locator("#summary").inner_text()) == want["summary"]
    assert page.title() == translated(language, "Cross-border catalogue · Judicial e-auctions")
    expect(page.locator('label[for="filter-currency"]')).to_have_text(translated(language, "Currency"))
    expect(page.locator("#filters button[type=submit]")).to_have_text(want["search"])
    assert page.get_attribute("#filter-q", "placeholder") == translated(language, "In the title or description")
    expect(page.locator("#language-select")).to_have_value(language)

    split = card(page, "hr-1")
    assert spaces(split.locator(".price").inner_text()) == want["split_price"]
    assert spaces(card(page, "se-1").locator(".price").inner_text()) == want["boat_price"]
    assert spaces(split.locator(".country").inner_text()) == want["country"]
    expect(split.get_by_role("link", name=want["bid"])).to_have_attribute(
        "href", "https://drazbe.example.hr/app/auction/hr-1"
    )
    deadline = split.locator("time")
    expect(deadline).to_have_attribute("datetime", "2027-03-16T13:00:00+00:00")
    assert "14:00:00" in deadline.inner_text()
    assert "2027" in deadline.inner_text()

    # Each lot's own texts in its country's language, whatever the page's.
    plovdiv = card(page, "bg-1")
    expect(plovdiv.locator("h2")).to_have_attribute("lang", "bg")
    expect(plovdiv.locator("h2")).to_have_text("Апартамент в Пловдив, 3 стаи")
    expect(plovdiv.locator(".lot-description")).to_have_attribute("lang", "bg")
    expect(split.locator("h2")).to_have_attribute("lang", "hr")
    expect(split.locator(".lot-description")).to_have_attribute("lang", "hr")
    expect(card(page, "se-1").locator("h2")).to_have_attribute("lang", "sv")


@pytest.mark.e2e
def test_the_switcher_keeps_the_choice_for_the_next_visit(opened: Any, server: ThreadedHarvestServer) -> None:
    page = opened("sv")
    page.select_option("#language-select", "cs")
    page.locator("#language-switcher button").click()
    page.wait_for_function("document.documentElement.lang === 'cs'")
    expect(page.locator("h1")).to_have_text(translated("cs", "Judicial auctions across borders"))
    assert "lang=" not in page.url
    page.goto(server.url + "/")
    assert page.evaluate("document.documentElement.lang") == "cs"


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["sv", "bg"])
def test_axe_finds_no_violation_on_the_harvest_page(language: str, opened: Any) -> None:
    axe_source = _axe_source()
    page = opened(language, bypass_csp=True)
    check(page, axe_source, f"the harvest page in {language}")
