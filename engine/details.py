"""What is for sale: the lot's details beside the auction's legal terms.

A notice says more than a title, a value and a price: what the lot is
(``description``), the enforcement case (``case_reference``) and the court or
office (``court``), where it is (``location``), facts about it by its kind
(``asset_details``: a flat's area and floor, a car's VIN and mileage), when it can
be seen (``viewing``), what the buyer takes over (``conditions``) and whom to ask
(``contact``, the office's, never a bidder's). Every national portal publishes
these; none of them is a term the law derives, so the rule books never see them.

The details are values of their own (frozen ``msgspec`` structs, every field
optional), scheduled with the auction and amended by the bailiff: freely before
bidding opens, afterwards only by additions (:func:`additions_only`), so that
nobody bids on a lot that changed under them. Pure: no I/O, no clock.

:func:`problems` checks a whole set of details (lengths bounded, coordinates in
range, viewing times ordered, facts that fit the kind) and is the one place the
limits live; the HTTP schema repeats them only to describe them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import msgspec
from msgspec.structs import replace


class LotKind(str, Enum):
    """What kind of thing the lot is (beside the legal asset kind the rules read)."""

    REAL_ESTATE = "real_estate"
    VEHICLE = "vehicle"
    MOVABLE = "movable"
    OTHER = "other"


class Coordinates(msgspec.Struct, frozen=True, gc=False):
    lat: float  # WGS 84 degrees, -90 to 90
    lon: float  # -180 to 180


class Location(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    address: str | None = None
    municipality: str | None = None
    region: str | None = None
    coordinates: Coordinates | None = None


class AssetFacts(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """Facts about the lot by its ``kind``; each kind takes the facts of :data:`FACTS_BY_KIND`."""

    kind: str  # a LotKind value
    cadastral_number: str | None = None
    register_number: str | None = None  # land register, vehicle register, ship register ...
    area_m2: float | None = None
    rooms: int | None = None
    floor: int | None = None
    year_built: int | None = None
    vin: str | None = None
    mileage_km: int | None = None
    registration: str | None = None  # a vehicle's registration plate


class Viewing(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    starts_at: datetime
    ends_at: datetime
    how_to_book: str | None = None


class Contact(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """The office's contact for questions and viewings: public, so an office's, not a person's private one."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    hours: str | None = None


class LotDetails(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """Every detail of a lot, each optional; ``viewing`` is a list of slots or a text."""

    description: str | None = None
    case_reference: str | None = None
    court: str | None = None
    location: Location | None = None
    asset_details: AssetFacts | None = None
    viewing: tuple[Viewing, ...] | str | None = None
    conditions: str | None = None
    contact: Contact | None = None


FIELDS: tuple[str, ...] = LotDetails.__struct_fields__
EMPTY = LotDetails()

# Which facts each kind of lot takes (``kind`` itself always).
FACTS_BY_KIND: dict[LotKind, frozenset[str]] = {
    LotKind.REAL_ESTATE: frozenset({"cadastral_number", "register_number", "area_m2", "rooms", "floor", "year_built"}),
    LotKind.VEHICLE: frozenset({"register_number", "vin", "mileage_km", "registration", "year_built"}),
    LotKind.MOVABLE: frozenset({"register_number", "year_built"}),
    LotKind.OTHER: frozenset({"register_number", "year_built"}),
}
# Which legal asset kinds (engine.model.AssetKind values) a kind of lot can be.
ASSETS_BY_KIND: dict[LotKind, frozenset[str]] = {
    LotKind.REAL_ESTATE: frozenset({"immovable"}),
    LotKind.VEHICLE: frozenset({"movable", "registered_movable"}),
    LotKind.MOVABLE: frozenset({"movable", "registered_movable"}),
    LotKind.OTHER: frozenset({"immovable", "movable", "registered_movable", "rights"}),
}

# Limits, in characters unless said otherwise.
TEXT_LIMITS: dict[str, int] = {
    "description": 10_000,
    "case_reference": 100,
    "court": 200,
    "conditions": 10_000,
    "viewing": 2_000,  # a viewing given as a text
    "location.address": 300,
    "location.municipality": 100,
    "location.region": 100,
    "asset_details.cadastral_number": 100,
    "asset_details.register_number": 100,
    "asset_details.vin": 17,
    "asset_details.registration": 20,
    "viewing.how_to_book": 500,
    "contact.name": 200,
    "contact.phone": 50,
    "contact.email": 254,
    "contact.hours": 200,
}
NUMBER_LIMITS: dict[str, tuple[float, float]] = {
    "asset_details.area_m2": (0.01, 10_000_000),
    "asset_details.rooms": (0, 1_000),
    "asset_details.floor": (-10, 300),
    "asset_details.year_built": (1000, 2200),
    "asset_details.mileage_km": (0, 10_000_000),
    "location.coordinates.lat": (-90, 90),
    "location.coordinates.lon": (-180, 180),
}
VIEWINGS_LIMIT = 50
REASON_LIMIT = 2_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INDEX = re.compile(r"\[[0-9]+\]")  # viewing[2].how_to_book -> viewing.how_to_book
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{1,17}$")  # ISO 3779 letters (no I, O, Q); older vehicles have shorter ones


# ------------------------------------------------------------------ checks


def problems(details: LotDetails, asset: str | None = None) -> list[str]:
    """What is wrong with ``details`` (of a lot of legal asset kind ``asset``), each as
    ``"where: what"``; empty when nothing is."""
    found = list(_texts(details))
    found += _numbers(details)
    facts = details.asset_details
    if facts is not None:
        found += _facts(facts, asset)
    if isinstance(details.viewing, tuple):
        found += _viewings(details.viewing)
    contact = details.contact
    if contact is not None and contact.email is not None and not _EMAIL.match(contact.email):
        found.append("contact.email: not an e-mail address")
    return found


def _texts(details: LotDetails) -> Iterator[str]:
    for where, value in _text_values(details):
        limit = TEXT_LIMITS[_INDEX.sub("", where)]
        if not value.strip():
            yield f"{where}: empty (leave it out instead)"
        elif value != value.strip():
            yield f"{where}: starts or ends with white space"
        elif len(value) > limit:
            yield f"{where}: longer than {limit} characters"


def _text_values(details: LotDetails) -> Iterator[tuple[str, str]]:
    for name in ("description", "case_reference", "court", "conditions"):
        value = getattr(details, name)
        if value is not None:
            yield name, value
    if isinstance(details.viewing, str):
        yield "viewing", details.viewing
    elif details.viewing is not None:
        for index, slot in enumerate(details.viewing):
            if slot.how_to_book is not None:
                yield f"viewing[{index}].how_to_book", slot.how_to_book
    for part in ("location", "asset_details", "contact"):
        value = getattr(details, part)
        if value is None:
            continue
        for name in value.__struct_fields__:
            text = getattr(value, name)
            if isinstance(text, str) and name != "kind":
                yield f"{part}.{name}", text


def _numbers(details: LotDetails) -> Iterator[str]:
    values: list[tuple[str, Any]] = []
    if details.asset_details is not None:
        facts = details.asset_details
        values += [(f"asset_details.{name}", getattr(facts, name)) for name in ("area_m2", "rooms", "floor")]
        values += [(f"asset_details.{name}", getattr(facts, name)) for name in ("year_built", "mileage_km")]
    if details.location is not None and details.location.coordinates is not None:
        point = details.location.coordinates
        values += [("location.coordinates.lat", point.lat), ("location.coordinates.lon", point.lon)]
    for where, value in values:
        if value is None:
            continue
        low, high = NUMBER_LIMITS[where]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            yield f"{where}: not a number"
        elif not low <= value <= high:
            yield f"{where}: must be between {low:g} and {high:g}"


def _facts(facts: AssetFacts, asset: str | None) -> Iterator[str]:
    try:
        kind = LotKind(facts.kind)
    except ValueError:
        yield f"asset_details.kind: one of {', '.join(k.value for k in LotKind)}"
        return
    allowed = FACTS_BY_KIND[kind]
    for name in AssetFacts.__struct_fields__:
        if name != "kind" and getattr(facts, name) is not None and name not in allowed:
            yield f"asset_details.{name}: not a fact of a {kind.value.replace('_', ' ')} lot"
    if asset is not None and asset not in ASSETS_BY_KIND[kind]:
        yield f"asset_details.kind: a {kind.value.replace('_', ' ')} lot cannot be of the legal kind {asset!r}"
    if facts.vin is not None and not _VIN.match(facts.vin):
        yield "asset_details.vin: up to 17 capital letters and digits, without I, O or Q"


def _viewings(slots: tuple[Viewing, ...]) -> Iterator[str]:
    if not slots:
        yield "viewing: empty (leave it out instead)"
    if len(slots) > VIEWINGS_LIMIT:
        yield f"viewing: at most {VIEWINGS_LIMIT} viewings"
    for index, slot in enumerate(slots):
        if slot.starts_at.utcoffset() is None or slot.ends_at.utcoffset() is None:
            yield f"viewing[{index}]: times need a UTC offset"
        elif slot.ends_at <= slot.starts_at:
            yield f"viewing[{index}]: ends_at must be after starts_at"
        elif index > 0 and slot.starts_at < slots[index - 1].starts_at:
            yield f"viewing[{index}]: viewings must be listed in the order they start"


# ------------------------------------------------------------------ amendments


def changed_fields(before: LotDetails, after: LotDetails) -> tuple[str, ...]:
    """The fields that differ, in :data:`FIELDS` order."""
    return tuple(name for name in FIELDS if getattr(before, name) != getattr(after, name))


def with_fields(details: LotDetails, source: LotDetails, fields: tuple[str, ...] | frozenset[str]) -> LotDetails:
    """``details`` with each field of ``fields`` taken from ``source`` (``None`` there clears it)."""
    return replace(details, **{name: getattr(source, name) for name in fields})


def only(details: LotDetails, fields: tuple[str, ...]) -> LotDetails:
    """The fields ``fields`` of ``details``, every other one left out: one side of an amendment."""
    return with_fields(EMPTY, details, fields)


def additions_only(before: LotDetails, after: LotDetails) -> list[str]:
    """The changed fields that are not additions: after opening, text may be added at the end
    of the ``description`` and viewings added after the listed ones (or text at the end of a
    viewing given as text); everything else stays as bidders saw it when bidding opened."""
    refused = []
    for name in changed_fields(before, after):
        old, new = getattr(before, name), getattr(after, name)
        if name == "description" and new is not None and (old is None or new.startswith(old)):
            continue
        if name == "viewing" and _viewing_added(old, new):
            continue
        refused.append(name)
    return refused


def _viewing_added(old: object, new: object) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if isinstance(old, tuple) and isinstance(new, tuple):
        return len(new) > len(old) and new[: len(old)] == old
    if isinstance(old, str) and isinstance(new, str):
        return new.startswith(old)
    return False


# ------------------------------------------------------------------ JSON


def _instant(value: datetime) -> str:
    # As engine.model.format_instant (not imported: the model imports this module).
    utc = value.astimezone(UTC)
    if utc.microsecond % 1000:
        return utc.isoformat(timespec="microseconds")
    if utc.microsecond:
        return utc.isoformat(timespec="milliseconds")
    return utc.isoformat(timespec="seconds")


def field_json(value: object) -> Any:
    """One field's value as the API shows it: objects without their absent parts, instants in RFC 3339 UTC."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return [field_json(item) for item in value]
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, msgspec.Struct):
        return {
            name: field_json(getattr(value, name))
            for name in value.__struct_fields__
            if getattr(value, name) is not None
        }
    return value


def details_json(details: LotDetails | None) -> dict[str, Any]:
    """Every field, ``null`` where not given: the public view's lot details."""
    source = details if details is not None else EMPTY
    return {name: field_json(getattr(source, name)) for name in FIELDS}


def changes_json(before: LotDetails, after: LotDetails, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """What an amendment changed: each field, old and new."""
    return [
        {"field": name, "old": field_json(getattr(before, name)), "new": field_json(getattr(after, name))}
        for name in fields
    ]
