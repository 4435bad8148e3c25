"""The pages in each of the engine's languages, in Chromium: the language the browser asks for (or the
one chosen with the switcher, kept for the next page), <html lang> set to it, the lot's own title marked
with its country's language, amounts and dates as that locale writes them (Intl), and the bidder's page
fitting a phone's first screen with its sticky bid bar. Screenshots of the lot page in every language,
at 1280×900 and 390×844, go to the test artifacts."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.web.conftest import SEED_TOKEN
from tests.web.support import Server, expect, token, utc_now

LANGUAGES = ("en", "bg", "hr", "lt", "sl", "sv", "et", "lv", "cs", "pt", "el")
BROWSER_LOCALES = {"en": "en-GB", "pt": "pt-PT", "sv": "sv-SE", "sl": "sl-SI", "cs": "cs-CZ", "el": "el-GR"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# 84 000 EUR as each language writes it (CLDR through the browser's Intl): grouping, decimal comma, € after.
EUROS = {
    "en": "84,000.00 EUR",
    "bg": "84 000,00 €",
    "hr": "84.000,00 €",
    "lt": "84 000,00 €",
    "sl": "84.000,00 €",
    "sv": "84 000,00 €",
    "et": "84 000,00 €",
    "lv": "84 000,00 €",
    "cs": "84 000,00 €",
    "pt": "84 000,00 €",
    "el": "84.000,00 €",
}
# What the page says for "Place bid" (the catalogue's translation, seen through the page).
PLACE_BID = {
    "en": "Place bid",
    "bg": "Наддай",
    "hr": "Daj ponudu",
    "lt": "Siūlyti",
    "sl": "Oddaj ponudbo",
    "sv": "Lägg bud",
    "et": "Tee pakkumine",
    "lv": "Solīt",
    "cs": "Přihodit",
    "pt": "Licitar",
    "el": "Υποβολή προσφοράς",
}


def spaces(text: str) -> str:
    """Intl's U+00A0 and U+202F separators as plain spaces, for comparing with what a person writes."""
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)


@pytest.fixture
def open_in(browser: Any, web_server: Server) -> Iterator[Any]:
    """open_in(path, locale, viewport=DESKTOP, subject=None) -> a page in a browser speaking ``locale``."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(path: str, locale: str, viewport: dict[str, int] = DESKTOP, subject: str | None = None) -> Any:
        context = browser.new_context(
            base_url=web_server.url, viewport=viewport, locale=locale, timezone_id="America/New_York"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if subject is not None:
            context.add_init_script(SEED_TOKEN % json.dumps(token("bidder", subject)))
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{path}: {error}"))
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the pages: {errors}"


@pytest.fixture(scope="module")
def bulgarian_lot(web_server: Server) -> dict[str, Any]:
    """A Bulgarian lot in euros, its starting price 84 000.00, opening in two days."""
    return web_server.schedule(
        country="BG",
        title="Апартамент, София, 2 стаи",
        asset="immovable",
        value="105000.00",
        currency="EUR",
        increment="500.00",
        opens_at=(utc_now() + timedelta(days=2)).isoformat(),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lot_page_speaks_the_browsers_language_and_writes_money_and_dates_its_way(
    language: str, bulgarian_lot: dict[str, Any], open_in: Any, shot: Any
) -> None:
    path = f"/app/auction/{bulgarian_lot['id']}"
    page = open_in(path, BROWSER_LOCALES.get(language, language))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#title")).to_have_attribute("lang", "bg")  # the notice's own language
    expect(page.locator("#bid-submit")).to_have_text(PLACE_BID[language])
    starting = page.locator("#terms dd").nth(1)  # Starting price
    expect(starting).not_to_have_text("…")
    assert spaces(starting.inner_text()) == EUROS[language]
    expect(page.locator("#language-select")).to_have_value(language)
    opens = page.locator("#terms dd").nth(5).inner_text()
    if language == "bg":
        months = "януари|февруари|март|април|май|юни|юли|август|септември|октомври|ноември|декември"
        assert re.search(months, opens), opens  # the month's name in Cyrillic
        assert "Europe/Sofia" in opens
    if language == "el":
        assert re.search(r"[α-ωά-ώ]{4,}", opens), opens  # the month's name in Greek
    shot(page, f"lot-{language}-1280x900", full_page=False)
    phone = open_in(path, BROWSER_LOCALES.get(language, language), PHONE)
    expect(phone.locator("#price")).not_to_have_text("…")
    shot(phone, f"lot-{language}-390x844", full_page=False)


def test_the_switcher_changes_the_language_and_the_choice_is_kept_on_the_next_page(
    bulgarian_lot: dict[str, Any], open_in: Any
) -> None:
    page = open_in(f"/app/auction/{bulgarian_lot['id']}", "en-GB")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#language-select").select_option("sl")
    page.locator("#language-switcher button").click()
    expect(page.locator("html")).to_have_attribute("lang", "sl")
    expect(page.locator("#bid-heading")).to_have_text("Ponudba")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sl")
    expect(page.locator("h1")).to_have_text("Sodne dražbe")
    page.goto("/?lang=lv")  # the server's ?lang= wins, and is kept in turn
    expect(page.locator("h1")).to_have_text("Tiesu izsoles")
    page.goto("/app/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "lv")


def test_a_browser_asking_for_no_language_of_the_engine_gets_the_default(open_in: Any) -> None:
    page = open_in("/", "de-DE")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Judicial auctions")


def test_the_phone_shows_price_time_left_and_the_bid_control_on_its_first_screen(
    web_server: Server, open_in: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Volvo 240, Uppsala")
    page = open_in(f"/app/auction/{auction['id']}", "sv-SE", PHONE, subject="phone-bidder")
    page.locator("#register").click()
    expect(page.locator("#bid-form")).to_be_visible()
    for selector in ("#price", "#time-left", "#bid-amount", "#bid-submit"):
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], (selector, box)
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], (selector, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "lot-sv-390x844-registered", full_page=False)


def test_the_catalogue_fits_a_320_pixel_screen(web_server: Server, open_in: Any) -> None:
    web_server.schedule_swedish(timedelta(minutes=30), title="Segelbåt, Göteborg")
    page = open_in("/", "sv-SE", {"width": 320, "height": 640})
    expect(page.locator("li.card").first).to_be_visible()
    wider = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > 320.5 && getComputedStyle(e).position !== "fixed")
            .slice(0, 5).map((e) => `${e.tagName}#${e.id}.${e.className}: ${e.getBoundingClientRect().right}`)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, wider
