"""The public catalogue: country, status, price and time left; filters by country and status."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.web.support import Server, countdown_seconds, expect, utc_now

PHONE = {"width": 390, "height": 844}


def _schedule_bulgarian(server: Server) -> dict[str, Any]:
    return server.schedule(
        country="BG",
        title="Apartment, Sofia, 2 rooms",
        asset="immovable",
        value="100000.00",
        currency="EUR",
        increment="500.00",
        opens_at=(utc_now() + timedelta(days=2)).isoformat(),
    )


def test_the_catalogue_shows_country_status_price_and_time_left_and_filters_by_country_and_status(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    swedish = web_server.schedule_swedish(timedelta(minutes=30), title="Volvo 240, Uppsala")
    web_server.register(swedish["id"], "catalogue-bidder")
    assert web_server.bid(swedish["id"], "catalogue-bidder", "1200.00").status_code == 201
    bulgarian = _schedule_bulgarian(web_server)

    page = open_page("/")
    swedish_card = page.locator(f'li.card[data-id="{swedish["id"]}"]')
    bulgarian_card = page.locator(f'li.card[data-id="{bulgarian["id"]}"]')
    expect(swedish_card).to_be_visible()
    expect(swedish_card.locator(".country")).to_have_text("Sweden (SE)")
    expect(swedish_card.locator(".badge")).to_have_text("Open for bids")
    expect(swedish_card.locator(".price")).to_have_text("1,200.00 SEK")
    expect(swedish_card.locator(".time-left")).to_have_text(re.compile(r"^\d+:\d\d$"))
    left = countdown_seconds(swedish_card.locator(".time-left").inner_text())
    assert 28 * 60 < left <= 30 * 60
    expect(swedish_card).to_contain_text("Europe/Stockholm")
    expect(bulgarian_card.locator(".badge")).to_have_text("Scheduled")
    expect(bulgarian_card.locator(".price")).to_have_text("starting at 80,000.00 EUR")
    expect(bulgarian_card).to_contain_text("Europe/Sofia")
    expect(bulgarian_card.locator(".time-left")).to_have_text(re.compile(r"^1 d 23:\d\d:\d\d$"))
    shot(page, "catalogue")

    page.select_option("#filter-country", "SE")
    expect(page).to_have_url(re.compile(r"\?country=SE$"))
    expect(bulgarian_card).to_have_count(0)
    expect(swedish_card).to_be_visible()
    countries = page.locator("li.card").evaluate_all("cards => cards.map(card => card.dataset.country)")
    assert countries and set(countries) == {"SE"}

    page.select_option("#filter-country", "")
    page.select_option("#filter-status", "scheduled")
    expect(page).to_have_url(re.compile(r"\?status=scheduled$"))
    expect(swedish_card).to_have_count(0)
    expect(bulgarian_card).to_be_visible()
    statuses = page.locator("li.card").evaluate_all("cards => cards.map(card => card.dataset.status)")
    assert statuses and set(statuses) == {"scheduled"}
    expect(page.locator("#summary")).to_contain_text("Scheduled")

    # The filters are in the address: a shared link opens the same selection.
    linked = open_page("/?country=BG&status=open")
    expect(linked.locator("#filter-country")).to_have_value("BG")
    expect(linked.locator("#filter-status")).to_have_value("open")
    expect(linked.locator("#summary")).to_have_text(re.compile(r"^\d+ auctions? \(Bulgaria, Open for bids\)\.$"))
    expect(linked.locator(f'li.card[data-id="{bulgarian["id"]}"]')).to_have_count(0)


def test_the_catalogue_fits_a_phone_screen_without_sideways_scrolling(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    web_server.schedule_swedish(timedelta(minutes=45), title="Wooden dining table with six chairs, Malmö")
    page = open_page("/", viewport=PHONE)
    expect(page.locator("li.card").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "catalogue-phone", full_page=False)
