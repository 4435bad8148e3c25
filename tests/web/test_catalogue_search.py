"""The catalogue's search box in Chromium: words, kind, municipality and sort, the address kept, more results."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from tests.web.support import Server, expect, utc_now


def _lot(server: Server, word: str, n: int, **overrides: Any) -> dict[str, Any]:
    now = utc_now()
    body: dict[str, Any] = {
        "country": "SE",
        "title": f"Stanovanje {word} {n}",
        "asset": "immovable",
        "value": "500000.00",
        "currency": "EUR",
        "starting_price": f"{100000 + n * 1000}.00",
        "opens_at": (now + timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=2, minutes=n)).isoformat(),
        "description": f"Dvosobno stanovanje z balkonom ({word}).",
        "location": {"municipality": "Škofja Loka" if n % 2 else "Kranj", "region": "Gorenjska"},
        "asset_details": {"kind": "real_estate", "area_m2": 54.0, "rooms": 2},
    }
    body.update(overrides)
    return server.schedule(**body)


def test_the_search_box_finds_lots_by_words_filters_and_sorts_them_and_pages_on(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    word = "zlatorog" + secrets.token_hex(3)  # this test's lots only, whatever else the server holds
    lots = [_lot(web_server, word, n) for n in range(25)]
    vehicle = _lot(
        web_server,
        word,
        99,
        title=f"Traktor {word}",
        description=f"Traktor ({word}).",
        asset="movable",
        asset_details={"kind": "vehicle"},
    )

    page = open_page("/")
    page.fill("#filter-q", f"{word.upper()} stanov")
    page.click("#filters button[type=submit]")
    expect(page).to_have_url(re.compile(rf"\?q={word.upper()}\+stanov$"))
    cards = page.locator("li.card")
    expect(cards).to_have_count(20)
    expect(page.locator("#summary")).to_contain_text("25 auctions")
    expect(page.locator("#more")).to_be_visible()
    closing = cards.evaluate_all("cards => cards.map(card => card.dataset.id)")
    assert closing == [lot["id"] for lot in lots[:20]]  # closing soonest first
    page.click("#more")
    expect(cards).to_have_count(25)
    expect(page.locator("#more")).to_be_hidden()
    shot(page, "catalogue-search")

    page.select_option("#filter-sort", "price_desc")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    expect(cards.first).to_have_attribute("data-id", lots[24]["id"])

    page.fill("#filter-q", word)
    page.select_option("#filter-kind", "vehicle")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-id", vehicle["id"])

    page.select_option("#filter-kind", "real_estate")
    page.fill("#filter-municipality", "skofja loka")
    page.click("#filters button[type=submit]")
    expect(page.locator("#summary")).to_contain_text("12 auctions")
    shown = set(cards.evaluate_all("cards => cards.map(card => card.dataset.id)"))
    assert shown == {lot["id"] for n, lot in enumerate(lots) if n % 2}

    # The address keeps the search: opened again, the page shows the same lots.
    again = open_page(page.url.removeprefix(web_server.url))
    expect(again.locator("#filter-municipality")).to_have_value("skofja loka")
    expect(again.locator("li.card")).to_have_count(12)

    page.fill("#filter-q", '"*: NEAR OR -')
    page.click("#filters button[type=submit]")
    expect(page.locator("#load-error")).to_be_hidden()
