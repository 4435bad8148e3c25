"""Lots to search: bodies for POST /auctions, a log of many scheduled lots written straight through
the store's ``append_batch``, and the search's answer worked out in Python from the views alone."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.store.base import AppendRequest, NewEvent
from tests.api.support import Api, swedish_auction

# Slovenian places and words (with their diacritics), as a portal's lots are written.
PLACES = [
    ("Ljubljana", "Osrednjeslovenska"),
    ("Maribor", "Podravska"),
    ("Celje", "Savinjska"),
    ("Kranj", "Gorenjska"),
    ("Koper", "Obalno-kraška"),
    ("Novo mesto", "Jugovzhodna Slovenija"),
    ("Murska Sobota", "Pomurska"),
    ("Škofja Loka", "Gorenjska"),
    ("Šmarje pri Jelšah", "Savinjska"),
    ("Črnomelj", "Jugovzhodna Slovenija"),
]
THINGS = [
    ("Stanovanje", "real_estate", "immovable"),
    ("Hiša", "real_estate", "immovable"),
    ("Poslovni prostor", "real_estate", "immovable"),
    ("Osebni avtomobil", "vehicle", "registered_movable"),
    ("Traktor", "vehicle", "registered_movable"),
    ("Umetniška slika", "movable", "movable"),
    ("Delež v družbi", "other", "rights"),
]
WORDS = ["balkon", "klet", "garaža", "vrt", "prenovljeno", "podstrešje", "dvigalo", "parkirišče", "vinograd", "gozd"]


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def lot_body(now: datetime, n: int, rng: random.Random | None = None, **overrides: Any) -> dict[str, Any]:
    """The ``n``-th lot of a catalogue: an SE auction (the rules that take any term) carrying
    Slovenian details; open from ``now`` for one to thirty days."""
    rng = rng or random.Random(n)
    thing, kind, asset = THINGS[rng.randrange(len(THINGS))]
    municipality, region = PLACES[rng.randrange(len(PLACES))]
    extra = rng.sample(WORDS, 2)
    body = swedish_auction(
        now,
        title=f"{thing}, {municipality}",
        asset=asset,
        starting_price=f"{rng.randrange(1, 500) * 1000}.00",
        value="1000000.00",
        currency="EUR",
        closes_at=(now + timedelta(days=1 + rng.randrange(30), minutes=rng.randrange(1440))).isoformat(),
    )
    facts: dict[str, Any] = {"kind": kind}
    if kind == "real_estate":
        facts |= {"area_m2": float(rng.randrange(20, 300)), "rooms": rng.randrange(1, 7)}
    body.update(
        description=f"{thing} z {extra[0]} in {extra[1]}. Lot {n}.",
        case_reference=f"In {n}/2026",
        court="Okrajno sodišče v " + municipality,
        location={"address": f"Glavna cesta {n % 200 + 1}", "municipality": municipality, "region": region},
        asset_details=facts,
    )
    body.update(overrides)
    return body


async def scheduled_template(api: Api, now: datetime) -> dict[str, Any]:
    """The stored data of one lot's ``AuctionScheduled``, to copy into many."""
    answer = await api.schedule(lot_body(now, 0))
    (event,) = await api.events(answer["id"])
    data: dict[str, Any] = event["data"]
    return data


async def fill(api: Api, now: datetime, count: int, first: int = 1, batch: int = 500) -> list[str]:
    """``count`` lots scheduled in the log as ``POST /auctions`` would (their ``AuctionScheduled``
    events copied from one template with each lot's title, prices, deadline and details), written
    through the store's ``append_batch`` in batches: a catalogue of thousands in seconds."""
    template = await scheduled_template(api, now)
    ids = []
    at = datetime.now(UTC)
    for start in range(first, first + count, batch):
        requests = []
        for n in range(start, min(start + batch, first + count)):
            body = lot_body(now, n)
            auction_id = f"lot-{n:06d}"
            details = {key: body[key] for key in ("description", "case_reference", "court", "location")}
            details["asset_details"] = body["asset_details"]
            data = {
                **template,
                "auction_id": auction_id,
                "title": body["title"],
                "asset": body["asset"],
                "starting_price": body["starting_price"],
                "closes_at": body["closes_at"],
                "details": details,
            }
            requests.append(AppendRequest(f"auction-{auction_id}", 0, [NewEvent("AuctionScheduled", data, at)]))
            ids.append(auction_id)
        await api.runtime.store.append_batch(requests)
    await api.runtime.projector.refresh(timeout=30.0)
    return ids


def cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


def words_of(view: dict[str, Any]) -> list[str]:
    location = view.get("location") or {}
    texts = [
        view["title"],
        view.get("description"),
        view.get("case_reference"),
        view.get("court"),
        location.get("address"),
        location.get("municipality"),
        location.get("region"),
    ]
    found: list[str] = []
    for text in texts:
        if text:
            found += "".join(c if c.isalnum() else " " for c in fold(text)).split()
    return found


def expected(views: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    """The ids a search with ``params`` finds, in its order: worked out from the lots' views, as
    docs/catalogue.md describes the search, without the database."""
    terms = "".join(c if c.isalnum() else " " for c in fold(params.get("q", ""))).split()
    statuses = (
        {params["status"]}
        if "status" in params
        else (None if params.get("include_ended") == "true" else {"scheduled", "open", "suspended"})
    )

    def matches(view: dict[str, Any]) -> bool:
        doc = words_of(view)
        if not all(any(word.startswith(term) for word in doc) for term in terms):
            return False
        if statuses is not None and view["status"] not in statuses:
            return False
        location = view.get("location") or {}
        facts = view.get("asset_details") or {}
        checks = [
            ("country", lambda v: view["country"] == v.upper()),
            ("asset", lambda v: view["asset"] == v),
            ("kind", lambda v: facts.get("kind") == v),
            ("currency", lambda v: view["currency"] == v.upper()),
            ("price_min", lambda v: cents(view["starting_price"]) >= cents(v)),
            ("price_max", lambda v: cents(view["starting_price"]) <= cents(v)),
            ("closes_before", lambda v: datetime.fromisoformat(view["closes_at"]) < datetime.fromisoformat(v)),
            ("closes_after", lambda v: datetime.fromisoformat(view["closes_at"]) >= datetime.fromisoformat(v)),
            ("region", lambda v: fold(location.get("region") or "") == fold(v)),
            ("municipality", lambda v: fold(location.get("municipality") or "") == fold(v)),
            ("area_min", lambda v: facts.get("area_m2") is not None and facts["area_m2"] >= float(v)),
            ("rooms_min", lambda v: facts.get("rooms") is not None and facts["rooms"] >= int(v)),
        ]
        return all(check(params[name]) for name, check in checks if name in params)

    found = [view for view in views if matches(view)]
    sort = params.get("sort", "closing")
    if sort == "closing":
        found.sort(key=lambda v: (datetime.fromisoformat(v["closes_at"]), v["id"]))
    elif sort == "newest":
        found.sort(key=lambda v: (datetime.fromisoformat(v["scheduled_at"]), v["id"]), reverse=True)
    elif sort == "price_asc":
        found.sort(key=lambda v: (cents(v["starting_price"]), v["id"]))
    else:
        found.sort(key=lambda v: (cents(v["starting_price"]), v["id"]), reverse=True)
    return [view["id"] for view in found]


async def every_page(api: Api, params: dict[str, Any], limit: int = 100) -> list[str]:
    """Every id a search gives, following ``next`` from the first page to the last."""
    response = await api.client.get("/auctions", params={**params, "limit": str(limit)})
    ids: list[str] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [lot["id"] for lot in body["auctions"]]
        if body["next"] is None:
            return ids
        response = await api.client.get(body["next"])
