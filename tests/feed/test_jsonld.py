"""The feed's linked data: each lot as a schema.org ``Offer`` and the DCAT-AP description expand with
``pyld`` into schema.org and DCAT terms only, each on a type schema.org gives it to.

No network: a local document loader answers ``https://schema.org`` with a small context holding
the schema.org terms the engine uses, each with the types it belongs to (its ``domainIncludes``
in the schema.org vocabulary), so a term outside the vocabulary is dropped by the expansion
and the test sees it missing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pyld import jsonld

from engine.clock import ManualClock
from projections.feed import offer_jsonld
from tests.api.support import running_api, swedish_auction

SCHEMA = "https://schema.org/"
START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)

# term -> the schema.org types whose properties it is (domainIncludes, with Thing's own for every type).
THING = {"Thing"}
DOMAINS: dict[str, set[str]] = {
    "name": THING,
    "identifier": THING,
    "url": THING,
    "description": THING,
    "businessFunction": {"Offer", "PriceSpecification"},
    "availability": {"Offer"},
    "availabilityStarts": {"Offer"},
    "availabilityEnds": {"Offer"},
    "availableAtOrFrom": {"Offer"},
    "eligibleRegion": {"Offer", "PriceSpecification"},
    "itemOffered": {"Offer"},
    "price": {"Offer", "PriceSpecification"},
    "priceCurrency": {"Offer", "PriceSpecification"},
    "priceSpecification": {"Offer"},
    "minPrice": {"PriceSpecification"},
    "category": {"Offer", "Product"},
    "address": {"Place"},
    "streetAddress": {"PostalAddress"},
    "addressLocality": {"PostalAddress"},
    "addressRegion": {"PostalAddress"},
    "addressCountry": {"PostalAddress"},
    "geo": {"Place"},
    "latitude": {"GeoCoordinates", "Place"},
    "longitude": {"GeoCoordinates", "Place"},
    "itemListElement": {"ItemList"},
    "numberOfItems": {"ItemList"},
    "position": {"ListItem"},
    "item": {"ListItem"},
}
TYPES = {"Offer", "Product", "PriceSpecification", "Place", "PostalAddress", "GeoCoordinates", "Country"}
TYPES |= {"ItemList", "ListItem"}
IRI_VALUED = {"url", "businessFunction", "availability"}
DATES = {"availabilityStarts", "availabilityEnds"}


def schema_context() -> dict[str, Any]:
    context: dict[str, Any] = {"schema": SCHEMA}
    context.update({name: f"schema:{name}" for name in TYPES})
    for term in DOMAINS:
        definition: dict[str, Any] = {"@id": f"schema:{term}"}
        if term in IRI_VALUED:
            definition["@type"] = "@id"
        elif term in DATES:
            definition["@type"] = "schema:DateTime"
        context[term] = definition
    return {"@context": context}


def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
        raise AssertionError(f"no network in tests: {url}")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": schema_context()}


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    return jsonld.expand(document, {"documentLoader": loader, "base": "http://auction.test/"})  # type: ignore[no-any-return]


def terms_of(node: Any, found: list[tuple[str, str]]) -> None:
    """Every (type, term) of a compact document."""
    if isinstance(node, list):
        for value in node:
            terms_of(value, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.append((node.get("@type", ""), key))
                terms_of(value, found)


def expanded_terms(node: Any, found: list[tuple[str, str]]) -> None:
    if isinstance(node, list):
        for value in node:
            expanded_terms(value, found)
    elif isinstance(node, dict):
        types = node.get("@type", [""])
        for key, value in node.items():
            if not key.startswith("@"):
                found.append((types[0].removeprefix(SCHEMA), key.removeprefix(SCHEMA)))
                expanded_terms(value, found)


def assert_schema_org(document: dict[str, Any], root: str = "Offer") -> dict[str, Any]:
    """``document`` expanded: every term of it kept (schema.org's), each on a type it belongs to."""
    compact: list[tuple[str, str]] = []
    terms_of(document, compact)
    (node,) = expand(document)
    expanded: list[tuple[str, str]] = []
    expanded_terms(node, expanded)
    assert sorted(expanded) == sorted(compact)  # nothing dropped: every term is schema.org's
    for type_, term in expanded:
        assert type_ in TYPES, type_
        assert type_ in DOMAINS[term] or DOMAINS[term] is THING, (type_, term)
    assert node["@type"] == [SCHEMA + root]
    return node


async def test_each_lot_is_a_schema_org_offer_in_the_feed_and_on_its_own() -> None:
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule(swedish_auction(START, title="Sailing boat"))
        items = (await api.client.get("/feed?after=0&limit=10")).json()["items"]
        (scheduled,) = [item for item in items if item["type"] == "scheduled"]
        own = await api.client.get(f"/auctions/{auction['id']}/jsonld")
        assert own.headers["content-type"] == "application/ld+json"
        for offer in (scheduled["jsonld"], own.json()):
            node = assert_schema_org(offer)
            assert node[SCHEMA + "availabilityStarts"] == [
                {"@type": SCHEMA + "DateTime", "@value": auction["opens_at"]}
            ]
            assert node[SCHEMA + "priceCurrency"] == [{"@value": "SEK"}]
            spec = node[SCHEMA + "priceSpecification"][0]
            assert spec[SCHEMA + "minPrice"] == [{"@value": "1000.00"}]
            assert node[SCHEMA + "itemOffered"][0][SCHEMA + "name"] == [{"@value": "Sailing boat"}]
        assert own.json()["@id"] == f"http://auction.test/auctions/{auction['id']}"
        # The feed's copy carries no host: the page's bytes are the same whoever asks.
        assert scheduled["jsonld"]["@id"] == f"/auctions/{auction['id']}"
        assert expand(scheduled["jsonld"])[0]["@id"] == f"http://auction.test/auctions/{auction['id']}"


def test_a_lot_with_a_location_is_offered_at_a_place() -> None:
    lot = {
        "id": "a1",
        "title": "Flat in Vilnius",
        "description": "Two rooms, third floor",
        "asset": "immovable",
        "country": "LT",
        "currency": "EUR",
        "starting_price": "64000.00",
        "price": None,
        "status": "scheduled",
        "opens_at": "2030-05-15T08:00:00+00:00",
        "closes_at": "2030-06-14T08:00:00+00:00",
        "location": {"address": "Gedimino pr. 1", "municipality": "Vilnius", "region": "Vilniaus apskritis"},
    }
    node = assert_schema_org(offer_jsonld(lot, "http://auction.test"))
    (place,) = node[SCHEMA + "availableAtOrFrom"]
    assert place["@type"] == [SCHEMA + "Place"]
    (address,) = place[SCHEMA + "address"]
    assert address[SCHEMA + "addressLocality"] == [{"@value": "Vilnius"}]
    assert address[SCHEMA + "addressCountry"] == [{"@value": "LT"}]
    assert "availableAtOrFrom" not in offer_jsonld({**lot, "location": None})


async def test_the_dcat_ap_description_names_the_catalogue_dataset_and_distributions() -> None:
    dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    async with running_api(clock=ManualClock(START)) as api:
        await api.schedule(swedish_auction(START))
        response = await api.client.get("/feed/dcat.jsonld")
        assert response.headers["content-type"] == "application/ld+json"
        nodes = jsonld.flatten(orjson.loads(response.content), None, {"documentLoader": loader})
        by_type: dict[str, list[dict[str, Any]]] = {}
        for node in nodes:
            for type_ in node.get("@type", []):
                by_type.setdefault(type_, []).append(node)
        (catalogue,) = by_type[dcat + "Catalog"]
        (dataset,) = by_type[dcat + "Dataset"]
        distributions = by_type[dcat + "Distribution"]
        # DCAT-AP's mandatory properties
        for node, needed in (
            (catalogue, [dct + "title", dct + "description", dct + "publisher", dcat + "dataset"]),
            (dataset, [dct + "title", dct + "description"]),
            *((d, [dcat + "accessURL"]) for d in distributions),
        ):
            assert all(name in node for name in needed), (node["@id"], needed)
        assert {d[dcat + "accessURL"][0]["@id"] for d in distributions} == {
            "http://auction.test/feed",
            "http://auction.test/feed.atom",
        }
        assert dataset[dct + "spatial"] == [{"@id": "http://publications.europa.eu/resource/authority/country/SWE"}]
        schema = await api.client.get("/feed/schema.json")
        assert schema.json()["title"] == "Judicial e-auction feed item"
