"""In a browser (Debian's Chromium through Playwright): the harvested catalogue's page searches the
lots of several countries and links each to its own engine; the pages' JSON-LD blocks break no
Content-Security-Policy rule and no text of a lot escapes them.

Skipped without Chromium or Playwright, except in CI (``tests.web.conftest.require_browser``)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.harvest_app import create_harvest_app
from tests.e2e.support import Server, auth, free_port
from tests.feed.support import Lot, harvest_file
from tests.feed.test_harvest_server import LOTS, ZAGREB
from tests.web.conftest import require_browser
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, expect

pytestmark = pytest.mark.e2e

ESTONIAN = "https://oksjon.example.ee"
# Enough lots in Estonia for a second page (the page shows 20 at a time).
MORE = [
    Lot(
        ESTONIAN,
        f"ee-{n}",
        "EE",
        f"Lot {n:02d} in Tartu",
        "1000.00",
        "2027-06-01T08:00:00+00:00",
        f"2027-06-{10 + n:02d}T08:00:00+00:00",
    )
    for n in range(16)
]
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


class ThreadedHarvestServer:
    def __init__(self, database: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_harvest_app(str(database)), port=self.port, ws="none", lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="harvest-page-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the harvest server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


# Module scope: Playwright's sync API holds the main thread's event loop while it runs, and the
# asyncio tests of the next modules need it back.
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


@pytest.fixture
def opened(browser: Any) -> Iterator[Any]:
    """opened(url) -> a page in a fresh context; script errors and dialogs fail the test."""
    contexts: list[Any] = []
    trouble: list[str] = []

    def open_(url: str) -> Any:
        context = browser.new_context(locale="en-GB", timezone_id="America/New_York")
        context.set_default_timeout(10_000)
        context.add_init_script(WATCH)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: trouble.append(f"script error: {error}"))
        page.on("dialog", lambda dialog: (trouble.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not trouble, trouble


def violations(page: Any) -> list[str]:
    return page.evaluate("window.__violations")  # type: ignore[no-any-return]


def data_block(page: Any) -> Any:
    return page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")


def test_the_harvest_page_searches_several_countries_and_links_each_lot_to_its_engine(
    tmp_path: Path, opened: Any
) -> None:
    server = ThreadedHarvestServer(harvest_file(tmp_path / "harvest.sqlite3", [*LOTS, *MORE]))
    try:
        page = opened(server.url)
        expect(page.locator("#summary")).to_have_text("21 lots found, 20 shown.")
        split = page.locator('li.card[data-auction="hr-1"]')
        expect(split.locator(".country")).to_have_text("Croatia (HR)")
        expect(split.locator(".price")).to_have_text("120,000.00 EUR")
        expect(split.locator(".place")).to_have_text("Obala 1, Split, Splitsko-dalmatinska")
        bid = split.get_by_role("link", name="Bid on drazbe.example.hr")
        expect(bid).to_have_attribute("href", f"{ZAGREB}/app/auction/hr-1")
        boat = page.locator('li.card[data-auction="se-1"]')
        expect(boat.locator(".price")).to_have_text("starting at 90,000.00 SEK")
        assert data_block(page)["numberOfItems"] == 20
        page.get_by_role("button", name="More lots").click()
        expect(page.locator("li.card")).to_have_count(21)
        expect(page.get_by_role("button", name="More lots")).to_be_hidden()

        page.select_option("#filter-country", "LT")
        expect(page).to_have_url(re.compile(r"\?country=LT$"))
        expect(page.locator("li.card")).to_have_count(2)
        page.fill("#filter-location", "ŠIAULIAI")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("li.card")).to_have_count(1)
        expect(page.locator("li.card h2")).to_have_text("Garage")

        page.fill("#filter-location", "")
        page.select_option("#filter-country", "")
        page.fill("#filter-min-price", "50 000")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#load-error")).to_contain_text("a price range is in one currency")
        page.select_option("#filter-currency", "EUR")
        expect(page).to_have_url(re.compile(r"currency=EUR&min_price=50000\.00"))
        expect(page.locator("li.card")).to_have_count(2)
        expect(page.locator("#load-error")).to_be_hidden()
        assert sorted(page.locator("li.card h2").all_inner_texts()) == ["Flat in Kaunas", "House in Split"]

        page.reload()  # the query in the address: the same search, and the JSON-LD of its lots
        expect(page.locator("li.card")).to_have_count(2)
        assert [item["item"]["name"] for item in data_block(page)["itemListElement"]] == [
            "House in Split",
            "Flat in Kaunas",
        ]
        assert violations(page) == []
    finally:
        server.stop()


def test_a_lots_page_keeps_its_policy_and_its_data_block_holds_any_title(tmp_path: Path, opened: Any) -> None:
    title = '</script><script>alert("title")</script><!-- & -->'
    engine = Server(f"sqlite:///{tmp_path / 'se.sqlite3'}", tmp_path).start()
    try:
        body = {
            "country": "SE",
            "title": title,
            "asset": "movable",
            "value": "50000.00",
            "currency": "SEK",
            "starting_price": "1000.00",
            "opens_at": "2030-05-15T08:00:00+00:00",
            "closes_at": "2030-05-15T09:00:00+00:00",
        }
        response = httpx.post(f"{engine.url}/auctions", json=body, headers=auth("bailiff", "bailiff-1"))
        assert response.status_code == 201, response.text
        auction = response.json()
        page = opened(f"{engine.url}/app/auction/{auction['id']}")
        expect(page.locator("#title")).to_have_text(title)
        offer = data_block(page)
        assert (offer["@type"], offer["name"]) == ("Offer", title)
        assert offer["url"] == f"{engine.url}/app/auction/{auction['id']}"
        catalogue = opened(f"{engine.url}/")
        expect(catalogue.locator("li.card")).to_have_count(1)
        assert data_block(catalogue)["itemListElement"][0]["item"]["name"] == title
        assert violations(page) == [] and violations(catalogue) == []
    finally:
        engine.stop()
