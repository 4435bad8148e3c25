"""What is for sale, on the pages: the lot page shows the lot's details with the title and the
notice's texts in the auction's language (``lang``), and announces an amendment as it happens;
the catalogue card shows where the lot is and the case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.web.support import BAILIFF, Server, expect, utc_now


def _bulgarian_flat(server: Server) -> dict[str, Any]:
    opens = utc_now() + timedelta(days=3)
    return server.schedule(
        country="BG",
        title="Апартамент, София",
        asset="immovable",
        value="150000.00",
        increment="500.00",
        opens_at=opens.isoformat(),
        description="Тристаен апартамент от 120 m² с мазе.",
        case_reference="ИД 123/2026",
        court="Частен съдебен изпълнител, София",
        location={
            "address": "бул. Витоша 1",
            "municipality": "София",
            "region": "София-град",
            "coordinates": {"lat": 42.697, "lon": 23.321},
        },
        asset_details={"kind": "real_estate", "area_m2": 120, "rooms": 4, "year_built": 1978},
        viewing=[
            {
                "starts_at": (opens - timedelta(days=2)).isoformat(),
                "ends_at": (opens - timedelta(days=2) + timedelta(hours=1)).isoformat(),
                "how_to_book": "Обадете се в кантората",
            }
        ],
        conditions="Ипотеката остава вписана.",
        contact={"name": "ЧСИ София", "phone": "+359 2 000 0000"},
    )


def test_the_lot_page_shows_the_details_in_the_auctions_language_and_an_amendment_as_it_happens(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    lot = _bulgarian_flat(web_server)
    page = open_page(f"/app/auction/{lot['id']}")
    expect(page.locator("#title")).to_have_text("Апартамент, София")
    expect(page.locator("#title")).to_have_attribute("lang", "bg")
    description = page.locator("#lot-description")
    expect(description).to_have_text("Тристаен апартамент от 120 m² с мазе.")
    expect(description).to_have_attribute("lang", "bg")
    facts = page.locator("#lot-facts")
    expect(facts).to_contain_text("ИД 123/2026")
    expect(facts).to_contain_text("бул. Витоша 1, София, София-град")
    expect(facts).to_contain_text("120 m²")
    expect(facts).to_contain_text("Обадете се в кантората")
    expect(facts).to_contain_text("Ипотеката остава вписана.")
    expect(facts.locator("[lang=bg]", has_text="Ипотеката")).to_have_count(1)
    expect(facts.locator("a", has_text="map")).to_have_attribute(
        "href", "https://www.openstreetmap.org/?mlat=42.697&mlon=23.321#map=17/42.697/23.321"
    )
    shot(page, "lot-details")

    amended = web_server.client.patch(
        f"/auctions/{lot['id']}/details",
        json={"description": "Тристаен апартамент от 120 m² с мазе и гараж.", "reason": "Гараж"},
        headers=BAILIFF,
    )
    assert amended.status_code == 200, amended.text
    expect(page.locator("#lot-amended")).to_have_text("The lot's details were amended: description (Гараж).")
    expect(description).to_have_text("Тристаен апартамент от 120 m² с мазе и гараж.")


def test_the_catalogue_card_shows_where_the_lot_is_and_the_case(web_server: Server, open_page: Any) -> None:
    lot = _bulgarian_flat(web_server)
    page = open_page("/?country=BG")
    card = page.locator(f'li.card[data-id="{lot["id"]}"]')
    expect(card.locator("h2")).to_have_attribute("lang", "bg")
    expect(card.locator(".location")).to_have_text("бул. Витоша 1, София, София-град")
    expect(card.locator(".case")).to_have_text("ИД 123/2026")
    expect(card.locator(".lot-description")).to_have_attribute("lang", "bg")
