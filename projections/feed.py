"""The public open-data feed (``GET /feed``): every auction's public data and public changes
in global position order, cut into pages at fixed position boundaries.

Pure: the route (``api.routes.feed``) reads the rows and the change messages; this
module turns them into items and pages, and renders a page as JSON or Atom.

- An item is made from one stored event alone: its global ``position``, the ``auction``,
  the event's stream ``version``, the live message ``type`` and the message (``change``:
  the state after the change and the change's public fields, exactly what a watcher of
  ``/ws/auctions/{id}`` gets). An auction's first event (``scheduled``) also carries the
  ``lot`` (its public view as scheduled, ``projections.catalogue.summary_json``) and the
  lot as schema.org JSON-LD (``jsonld``). An amendment of the lot's details (``amended``)
  also carries ``details``: the new value of each field it changed (``location`` whole),
  so that a harvester updates its lot from that item alone. Nothing in an item names a
  person: bidders appear by their per-auction code only, and a lot's details hold none.
- Page ``k`` of size ``N`` covers the positions ``(k*N, (k+1)*N]``. Once the log holds
  position ``(k+1)*N`` the page is complete and its body never changes again (the body
  carries nothing that moves: no head, no clock), so it is served as immutable with a
  strong ETag, the hash of its bytes.
- Links follow RFC 5005: ``current`` is the subscription document (``/feed``, the head
  page), ``prev-archive`` the complete page before, ``next`` the page after a complete one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from xml.sax.saxutils import escape, quoteattr

import orjson

from engine import codec
from engine.store.base import EventRow
from engine.streams import auction_of
from projections.catalogue import fold_event, summary_json
from projections.changes import Change

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FEED_NAME = "judicial-auctions"
FORMAT_VERSION = 1
# The head page may be cached this long; a complete page for a year, never revalidated.
HEAD_MAX_AGE = 5
IMMUTABLE = "public, max-age=31536000, immutable"
EPOCH = "1970-01-01T00:00:00+00:00"

# ISO 3166-1 alpha-3 codes, as the EU's country authority table names countries (DCAT-AP dct:spatial).
COUNTRY_ALPHA3 = {
    "BG": "BGR",
    "CZ": "CZE",
    "EE": "EST",
    "GR": "GRC",
    "HR": "HRV",
    "LT": "LTU",
    "LV": "LVA",
    "PT": "PRT",
    "SE": "SWE",
    "SI": "SVN",
}


class ChangeSource(Protocol):
    """Where the change messages come from (``projections.readmodel.ReadModel``)."""

    def change_at(self, auction_id: str, version: int) -> Change | None: ...


@dataclass(frozen=True)
class Bounds:
    """The positions a page covers, ``(start, end]``; the request starts after ``after`` (``start <= after < end``)."""

    after: int
    limit: int

    @property
    def index(self) -> int:
        return self.after // self.limit

    @property
    def start(self) -> int:
        return self.index * self.limit

    @property
    def end(self) -> int:
        return self.start + self.limit


def bounds(after: int, limit: int) -> Bounds:
    if after < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"after must be >= 0 and limit 1..{MAX_LIMIT}")
    return Bounds(after, limit)


# ------------------------------------------------------------------ items


def items(rows: Iterable[EventRow], changes: ChangeSource) -> Iterator[dict[str, Any]]:
    """The feed items of ``rows`` (as ``store.read_rows`` gives them), in their order."""
    for position, stream, version, type_, data in rows:
        auction_id = auction_of(stream)
        if auction_id is None:
            continue
        change = changes.change_at(auction_id, version)
        if change is None:
            continue
        body = dict(change.body)
        kind = body.pop("type")
        body.pop("auction", None)
        body.pop("position", None)
        item: dict[str, Any] = {"position": position, "auction": auction_id, "version": version, "type": kind}
        if version == 1:
            lot = _lot(type_, data)
            if lot is not None:
                item["lot"] = lot
                item["jsonld"] = offer_jsonld(lot)
        elif kind == "amended":
            item["details"] = {change["field"]: change["new"] for change in body.get("changes", [])}
        item["change"] = body
        yield item


def _lot(type_: str, data: dict[str, Any]) -> dict[str, Any] | None:
    try:
        summary = fold_event(None, codec.decode(type_, data), 1)
    except (ValueError, TypeError):
        return None
    return None if summary is None else summary_json(summary)


# ------------------------------------------------------------------ pages


def page_url(after: int, limit: int, suffix: str = "") -> str:
    return f"/feed{suffix}?after={after}&limit={limit}"


def links(page: Bounds, complete: bool, suffix: str = "") -> dict[str, str]:
    """The page's links (relative), as RFC 5005 names them; none of them moves once the page is complete."""
    found = {
        "self": page_url(page.after, page.limit, suffix),
        "first": page_url(0, page.limit, suffix),
        "current": f"/feed{suffix}?limit={page.limit}",
    }
    if page.index > 0:
        found["prev"] = found["prev-archive"] = page_url(page.start - page.limit, page.limit, suffix)
    if complete:
        found["next"] = page_url(page.end, page.limit, suffix)
    return found


def page_document(page: Bounds, page_items: list[dict[str, Any]], complete: bool) -> dict[str, Any]:
    """The JSON page. A complete page holds only what its positions decide."""
    return {
        "feed": FEED_NAME,
        "format": FORMAT_VERSION,
        "after": page.after,
        "limit": page.limit,
        "from": page.start + 1,
        "to": page.end,
        "complete": complete,
        "links": links(page, complete),
        "items": page_items,
    }


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    complete: bool
    links: dict[str, str]

    @property
    def cache_control(self) -> str:
        return IMMUTABLE if self.complete else f"public, max-age={HEAD_MAX_AGE}"


def etag_of(body: bytes) -> str:
    """A strong ETag: the body's SHA-256 (the first 128 bits, hex)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def render_json(page: Bounds, page_items: list[dict[str, Any]], complete: bool) -> Rendered:
    body = orjson.dumps(page_document(page, page_items, complete))
    return Rendered(body, etag_of(body), complete, links(page, complete))


def link_header(found: dict[str, str], base: str = "") -> str:
    """The links as an HTTP ``Link`` header (RFC 8288)."""
    return ", ".join(f'<{base}{target}>; rel="{rel}"' for rel, target in found.items())


def matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` names this ETag (weak comparison, as RFC 9110 asks for this header)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


# ------------------------------------------------------------------ Atom


def _item_time(item: dict[str, Any]) -> str:
    change = item["change"]
    lot = item.get("lot")
    for value in (change.get("at"), change.get("received_at"), lot and lot.get("scheduled_at")):
        if isinstance(value, str):
            return value
    return ""


def _item_title(item: dict[str, Any]) -> str:
    lot = item.get("lot")
    if lot is not None:
        return f"{lot['country']}: {lot['title']}"
    return f"{item['type']}: auction {item['auction']} (event {item['version']})"


def render_atom(page: Bounds, page_items: list[dict[str, Any]], complete: bool, base: str) -> Rendered:
    """The same page as an Atom feed (RFC 4287), with RFC 5005's paging links and, once complete,
    ``fh:archive``. Each entry's content is the JSON item."""
    found = links(page, complete, ".atom")
    times = [time for time in map(_item_time, page_items) if time]
    updated = max(times) if times else EPOCH
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">',
        f"<id>{escape(base)}/feed</id>",
        "<title>Judicial e-auctions: lots and their public changes</title>",
        f"<updated>{escape(updated)}</updated>",
        "<author><name>Judicial e-auction engine</name></author>",
        f'<link rel="alternate" type="application/json" href={quoteattr(base + page_url(page.after, page.limit))}/>',
    ]
    out += [f"<link rel={quoteattr(rel)} href={quoteattr(base + target)}/>" for rel, target in found.items()]
    if complete:
        out.append("<fh:archive/>")
    for item in page_items:
        content = orjson.dumps(item).decode()
        when = _item_time(item) or updated
        out += [
            "<entry>",
            f"<id>{escape(base)}/auctions/{escape(item['auction'])}#event-{item['version']}</id>",
            f"<title>{escape(_item_title(item))}</title>",
            f"<updated>{escape(when)}</updated>",
            f'<link rel="alternate" href={quoteattr(base + "/app/auction/" + item["auction"])}/>',
            f"<category term={quoteattr(item['type'])}/>",
            f'<content type="text">{escape(content)}</content>',
            "</entry>",
        ]
    out.append("</feed>")
    body = "\n".join(out).encode()
    return Rendered(body, etag_of(body), complete, found)


# ------------------------------------------------------------------ schema.org and DCAT-AP

_AVAILABILITY = {
    "scheduled": "https://schema.org/PreOrder",
    "open": "https://schema.org/InStock",
    "suspended": "https://schema.org/OutOfStock",
}


def offer_jsonld(lot: dict[str, Any], base: str = "") -> dict[str, Any]:
    """The lot as a schema.org ``Offer``: the item, the price, when bidding starts and ends, and
    the ``Place`` where the lot is when it has a location."""
    auction_id = lot["id"]
    item: dict[str, Any] = {"@type": "Product", "name": lot["title"], "category": lot["asset"]}
    if lot.get("description"):
        item["description"] = lot["description"]
    price = lot.get("price") or lot["starting_price"]
    offer: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Offer",
        "@id": f"{base}/auctions/{auction_id}",
        "identifier": auction_id,
        "name": lot["title"],
        "url": f"{base}/app/auction/{auction_id}",
        "businessFunction": "http://purl.org/goodrelations/v1#Sell",
        "availability": _AVAILABILITY.get(lot["status"], "https://schema.org/SoldOut"),
        "availabilityStarts": lot["opens_at"],
        "availabilityEnds": lot["closes_at"],
        "price": price,
        "priceCurrency": lot["currency"],
        "priceSpecification": {
            "@type": "PriceSpecification",
            "price": price,
            "minPrice": lot["starting_price"],
            "priceCurrency": lot["currency"],
        },
        "eligibleRegion": {"@type": "Country", "name": lot["country"]},
        "itemOffered": item,
    }
    place = _place(lot.get("location"), lot["country"])
    if place is not None:
        offer["availableAtOrFrom"] = place
    return offer


def catalogue_jsonld(offers: Iterable[dict[str, Any]], url: str) -> dict[str, Any]:
    """A catalogue page as a schema.org ``ItemList`` of the lots it shows, each the ``Offer`` of
    :func:`offer_jsonld`, in the page's order."""
    elements = [
        {"@type": "ListItem", "position": n, "item": {k: v for k, v in offer.items() if k != "@context"}}
        for n, offer in enumerate(offers, start=1)
    ]
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "url": url,
        "numberOfItems": len(elements),
        "itemListElement": elements,
    }


def _place(location: object, country: str) -> dict[str, Any] | None:
    if not isinstance(location, dict):
        return None
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": country}
    for key, term in (("address", "streetAddress"), ("municipality", "addressLocality"), ("region", "addressRegion")):
        if location.get(key):
            address[term] = location[key]
    point = location.get("coordinates")
    geo = None
    if isinstance(point, dict) and "lat" in point and "lon" in point:
        geo = {"@type": "GeoCoordinates", "latitude": point["lat"], "longitude": point["lon"]}
    if len(address) == 2 and geo is None:
        return None
    place: dict[str, Any] = {"@type": "Place", "address": address}
    if geo is not None:
        place["geo"] = geo
    return place


def dcat_catalogue(base: str, countries: Iterable[str]) -> dict[str, Any]:
    """A DCAT-AP description of the feed: one catalogue, one dataset, its JSON and Atom distributions."""
    authority = "http://publications.europa.eu/resource/authority"

    def distribution(path: str, media: str, file_type: str) -> dict[str, Any]:
        return {
            "@id": f"{base}{path}#distribution",
            "@type": "dcat:Distribution",
            "dcat:accessURL": {"@id": f"{base}{path}"},
            "dcat:mediaType": {"@id": f"http://www.iana.org/assignments/media-types/{media}"},
            "dct:format": {"@id": f"{authority}/file-type/{file_type}"},
            "dct:license": {"@id": f"{authority}/licence/CC_BY_4_0"},
            "dct:conformsTo": {"@id": f"{base}/feed/schema.json"},
        }

    spatial = [
        {"@id": f"{authority}/country/{COUNTRY_ALPHA3[code]}"}
        for code in sorted(set(countries))
        if code in COUNTRY_ALPHA3
    ]
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@id": f"{base}/feed/dcat.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": "Judicial e-auctions", "@language": "en"},
        "dct:description": {
            "@value": "Lots offered in judicial e-auctions and the public changes of their auctions.",
            "@language": "en",
        },
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "Judicial e-auction engine"},
        "foaf:homepage": {"@id": f"{base}/"},
        "dcat:dataset": {
            "@id": f"{base}/feed",
            "@type": "dcat:Dataset",
            "dct:title": {"@value": "Judicial e-auction lots and changes", "@language": "en"},
            "dct:description": {
                "@value": "An incremental feed in global event order: each lot as scheduled and every public "
                "change of its auction (bids under bidder codes, deadlines, results). Complete pages never change.",
                "@language": "en",
            },
            "dcat:keyword": ["judicial auction", "enforcement", "e-auction", "LEILA"],
            "dcat:theme": {"@id": f"{authority}/data-theme/JUST"},
            "dct:accrualPeriodicity": {"@id": f"{authority}/frequency/CONT"},
            "dct:spatial": spatial,
            "dcat:landingPage": {"@id": f"{base}/"},
            "dcat:distribution": [
                distribution("/feed", "application/json", "JSON"),
                distribution("/feed.atom", "application/atom+xml", "ATOM"),
            ],
        },
    }


# ------------------------------------------------------------------ JSON Schema of an item

_MONEY = {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{2}$"}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}

ITEM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "/feed/schema.json",
    "title": "Judicial e-auction feed item",
    "type": "object",
    "required": ["position", "auction", "version", "type", "change"],
    "properties": {
        "position": {"type": "integer", "minimum": 1, "description": "the event's global position"},
        "auction": {"type": "string", "description": "the auction's id on this engine"},
        "version": {"type": "integer", "minimum": 1, "description": "the event's position in its auction"},
        "type": {
            "type": "string",
            "description": "the live message type (scheduled, opened, bid, extended, closed, failed, incident, "
            "declared, preemption, payment, paid, completed, defaulted, offered, grace, refunded, suspended, "
            "resumed, cancelled, next_round, outcome, amended)",
        },
        "change": {
            "type": "object",
            "description": "the state after the change and the change's own public fields",
            "required": ["status", "price", "leader", "closes_at", "bid_count", "ended"],
            "properties": {
                "status": {"enum": ["scheduled", "open", "suspended", "closed", "failed", "cancelled"]},
                "price": _MONEY,
                "leader": {"type": ["string", "null"], "description": "a bidder code, never an identity"},
                "closes_at": _INSTANT,
                "bid_count": {"type": "integer"},
                "ended": {"type": "boolean"},
                "sale": {"type": ["string", "null"]},
                "purchaser": {"type": ["string", "null"], "description": "a bidder code"},
                "payment_due": _INSTANT,
                "paid": _MONEY,
            },
        },
        "lot": {
            "type": "object",
            "description": "only on a 'scheduled' item: the lot as scheduled (GET /auctions/{id} at that point)",
            "required": ["id", "country", "title", "asset", "value", "currency", "starting_price", "opens_at"],
            "properties": {
                "id": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "title": {"type": "string"},
                "asset": {"type": "string"},
                "value": _MONEY,
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "starting_price": _MONEY,
                "opens_at": _INSTANT,
                "closes_at": _INSTANT,
                "language": {"type": ["string", "null"], "description": "the language of the notice (BCP 47)"},
                "description": {"type": ["string", "null"]},
                "case_reference": {"type": ["string", "null"]},
                "court": {"type": ["string", "null"]},
                "location": {
                    "type": ["object", "null"],
                    "properties": {
                        "address": {"type": "string"},
                        "municipality": {"type": "string"},
                        "region": {"type": "string"},
                        "coordinates": {
                            "type": "object",
                            "required": ["lat", "lon"],
                            "properties": {
                                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                            },
                        },
                    },
                },
                "asset_details": {"type": ["object", "null"], "required": ["kind"]},
                "viewing": {
                    "type": ["array", "string", "null"],
                    "items": {"type": "object", "required": ["starts_at", "ends_at"]},
                },
                "conditions": {"type": ["string", "null"]},
                "contact": {"type": ["object", "null"]},
            },
        },
        "details": {
            "type": "object",
            "description": "only on an 'amended' item: the new value of each detail it changed (null: cleared)",
        },
        "jsonld": {"type": "object", "description": "only with 'lot': the lot as a schema.org Offer"},
    },
}
