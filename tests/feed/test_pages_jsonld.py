"""The engine's own pages carry the schema.org JSON-LD of what they show, written into the HTML by
the server (a crawler runs no script): each lot's page its ``Offer``, the same document as
``/auctions/{id}/jsonld``, and the catalogue an ``ItemList`` of the lots it lists. The pages keep
their Content-Security-Policy: the block is data, which ``script-src`` does not govern."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.routes import feed as feed_routes
from engine.clock import ManualClock
from tests.api.support import running_api, swedish_auction
from tests.feed.support import jsonld_blocks, only_own_scripts, scripts
from tests.feed.test_jsonld import SCHEMA, assert_schema_org

START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)
POLICY_PARTS = ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'")


def lithuanian_auction(title: str) -> dict[str, Any]:
    return {
        "country": "LT",
        "title": title,
        "asset": "immovable",
        "value": "64000.00",
        "opens_at": "2030-05-20T08:00:00+00:00",
        "payment_days": 30,
    }


async def test_a_lots_page_embeds_the_offer_of_its_jsonld_route() -> None:
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule(swedish_auction(START, title="Sailing boat"))
        page = await api.client.get(f"/app/auction/{auction['id']}")
        assert page.status_code == 200
        for part in POLICY_PARTS:
            assert part in page.headers["content-security-policy"]
        assert {"type": "module", "src": "/app/static/js/auction.js"} in scripts(page.text)
        (document,) = jsonld_blocks(page.text)
        own = (await api.client.get(f"/auctions/{auction['id']}/jsonld")).json()
        assert document == own
        node = assert_schema_org(document)
        assert node[SCHEMA + "url"] == [{"@id": f"http://auction.test/app/auction/{auction['id']}"}]
        assert node[SCHEMA + "availabilityEnds"] == [{"@type": SCHEMA + "DateTime", "@value": auction["closes_at"]}]
        assert SCHEMA + "availableAtOrFrom" not in node  # the auction's view has no location
        # As it is now: a bid moves the offer's price on the page.
        code = await api.register(auction["id"], "bidder-1")
        assert code
        assert (await api.bid(auction["id"], "bidder-1", "1500.00")).status_code == 201
        (after,) = jsonld_blocks((await api.client.get(f"/app/auction/{auction['id']}")).text)
        assert after["price"] == "1500.00" and after["priceSpecification"]["minPrice"] == "1000.00"


async def test_the_lots_location_becomes_the_offers_place() -> None:
    location = {
        "address": "Laisvės al. 1",
        "municipality": "Kaunas",
        "region": "Kauno apskritis",
        "coordinates": {"lat": 54.897, "lon": 23.886},
    }
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule({**lithuanian_auction("Flat in Kaunas"), "location": location})
        (document,) = jsonld_blocks((await api.client.get(f"/app/auction/{auction['id']}")).text)
        assert document == (await api.client.get(f"/auctions/{auction['id']}/jsonld")).json()
        node = assert_schema_org(document)
        (place,) = node[SCHEMA + "availableAtOrFrom"]
        (address,) = place[SCHEMA + "address"]
        assert address[SCHEMA + "streetAddress"] == [{"@value": "Laisvės al. 1"}]
        assert address[SCHEMA + "addressLocality"] == [{"@value": "Kaunas"}]
        assert address[SCHEMA + "addressRegion"] == [{"@value": "Kauno apskritis"}]
        (geo,) = place[SCHEMA + "geo"]
        assert geo[SCHEMA + "latitude"] == [{"@value": 54.897}]
        (listed,) = jsonld_blocks((await api.client.get("/")).text)
        assert listed["itemListElement"][0]["item"]["availableAtOrFrom"] == document["availableAtOrFrom"]


async def test_an_unknown_lots_page_has_no_jsonld() -> None:
    async with running_api(clock=ManualClock(START)) as api:
        for path in ("/app/auction/no-such-auction", "/app/auction/%3Cscript%3E"):
            page = await api.client.get(path)
            assert page.status_code == 200
            assert jsonld_blocks(page.text) == []
            assert {"type": "module", "src": "/app/static/js/auction.js"} in scripts(page.text)


async def test_the_catalogue_page_lists_the_offers_it_shows() -> None:
    async with running_api(clock=ManualClock(START)) as api:
        boat = await api.schedule(swedish_auction(START, title="Sailing boat"))
        flat = await api.schedule(lithuanian_auction("Flat in Kaunas"))
        page = await api.client.get("/")
        for part in POLICY_PARTS:
            assert part in page.headers["content-security-policy"]
        (document,) = jsonld_blocks(page.text)
        node = assert_schema_org(document, root="ItemList")
        assert node[SCHEMA + "numberOfItems"] == [{"@value": 2}]
        listed = [element["item"] for element in document["itemListElement"]]
        assert [offer["@id"] for offer in listed] == [
            f"http://auction.test/auctions/{boat['id']}",
            f"http://auction.test/auctions/{flat['id']}",
        ]
        own = (await api.client.get(f"/auctions/{flat['id']}/jsonld")).json()
        assert listed[1] == {key: value for key, value in own.items() if key != "@context"}
        (lithuanian,) = jsonld_blocks((await api.client.get("/?country=LT")).text)
        assert [element["item"]["identifier"] for element in lithuanian["itemListElement"]] == [flat["id"]]
        (none,) = jsonld_blocks((await api.client.get("/?status=closed")).text)
        assert none["itemListElement"] == []


async def test_the_catalogue_pages_list_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_api(clock=ManualClock(START)) as api:
        first = await api.schedule(lithuanian_auction("Flat in Kaunas"))
        await api.schedule(lithuanian_auction("Garage in Vilnius"))
        monkeypatch.setattr(feed_routes, "CATALOGUE_JSONLD_LIMIT", 1)
        (document,) = jsonld_blocks((await api.client.get("/")).text)
        assert [element["item"]["identifier"] for element in document["itemListElement"]] == [first["id"]]


async def test_a_title_cannot_end_the_data_block() -> None:
    title = '</script><script>alert("x")</script><!-- & -->'
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule(swedish_auction(START, title=title))
        for path in (f"/app/auction/{auction['id']}", "/"):
            page = (await api.client.get(path)).text
            assert "</script><script>" not in page
            assert only_own_scripts(page).count("application/ld+json") == 1
            (document,) = jsonld_blocks(page)
            offer = document if document["@type"] == "Offer" else document["itemListElement"][0]["item"]
            assert offer["name"] == title
