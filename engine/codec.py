"""Events to and from JSON payloads, by type name.

Money goes out as two-decimal strings and instants as RFC 3339 UTC strings, so
the stored log reads the same as the contract's API. A payload written by an
older schema is brought up to date by the upcasters registered below before it
is turned into an event.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from typing import Any, Callable

from engine import events as ev
from engine.model import UTC, format_money, parse_instant, parse_money

MONEY_FIELDS = frozenset(
    {"value", "starting_price", "increment", "deposit_required", "amount", "total", "max_amount", "step", "price"}
)
SCHEMA_KEY = "schema"

# (event type, schema version) -> function returning the payload at the next version.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[tuple[str, int], Upcaster] = {}
CURRENT_SCHEMA: dict[str, int] = {}


class UnknownEventType(ValueError):
    pass


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


_HINTS: dict[type, dict[str, Any]] = {cls: _hints(cls) for cls in ev.EVENT_TYPES.values()}


def _is_datetime(hint: Any) -> bool:
    return hint is datetime or datetime in typing.get_args(hint)


def encode(event: ev.Event) -> tuple[str, dict[str, Any]]:
    """Returns (type name, JSON-ready payload)."""
    cls = type(event)
    payload: dict[str, Any] = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if value is None:
            payload[f.name] = None
        elif f.name in MONEY_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            payload[f.name] = format_money(value)
        elif isinstance(value, datetime):
            # Lossless: the stored event must replay to exactly the state that was decided on.
            payload[f.name] = value.astimezone(UTC).isoformat(timespec="microseconds")
        else:
            payload[f.name] = value
    version = CURRENT_SCHEMA.get(cls.__name__)
    if version is not None:
        payload[SCHEMA_KEY] = version
    return cls.__name__, payload


def decode(type_name: str, payload: dict[str, Any]) -> ev.Event:
    cls = ev.EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnknownEventType(type_name)
    payload = upcast(type_name, dict(payload))
    hints = _HINTS[cls]
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in payload:
            continue
        value = payload[f.name]
        if value is not None and f.name in MONEY_FIELDS and isinstance(value, str):
            value = parse_money(value, f.name)
        elif value is not None and _is_datetime(hints[f.name]):
            value = parse_instant(value, f.name)
        kwargs[f.name] = value
    return cls(**kwargs)


def upcast(type_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    version = int(payload.pop(SCHEMA_KEY, 1))
    while (type_name, version) in UPCASTERS:
        payload = UPCASTERS[(type_name, version)](payload)
        version += 1
    return payload
