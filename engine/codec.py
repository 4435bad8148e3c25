"""Events to and from JSON payloads, by type name.

Money (a field annotated ``Money``) goes out as a two-decimal string and an
instant (a ``datetime`` field) as an RFC 3339 UTC string with microseconds, so
the stored log reads the same as the contract's API. A field holding a struct of
its own (a lot's details, ``engine.details``) goes out as msgspec writes it (its
instants RFC 3339 in UTC, "Z") and is read back by msgspec, its types checked. A payload written by an
older schema is brought up to date by the upcasters registered below before it
is turned into an event.

:func:`write` and :func:`read` say what a payload is and means. ``encode`` and
``decode`` try the writer and reader of ``engine.codec_fast`` first, which do
the same through msgspec for the shapes written here and give way to these two
for anything else.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from engine import codec_fast
from engine import events as ev
from engine.model import CENTS, UTC, InvalidValue, format_money, parse_instant, parse_money

SCHEMA_KEY = "schema"

# (event type, schema version) -> function returning the payload at the next version.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[tuple[str, int], Upcaster] = {}
CURRENT_SCHEMA: dict[str, int] = {}


class UnknownEventType(ValueError):
    pass


class Kind(enum.Enum):
    MONEY = "money"  # annotated Money: an int of cents, a two-decimal string in the payload
    INSTANT = "instant"  # a datetime: an RFC 3339 string in the payload
    NESTED = "nested"  # a struct (or a tuple of them): msgspec's builtins in the payload
    PLAIN = "plain"  # the same value in the event and the payload


@dataclass(frozen=True)
class Plan:
    """How an event type's fields are written and read, worked out once from its annotations."""

    fields: tuple[tuple[str, Kind], ...]  # every field, in the event's order
    optional: frozenset[str] = frozenset()  # written only when not None (a struct with omit_defaults)
    types: tuple[tuple[str, Any], ...] = ()  # the type of each NESTED field, to read it back

    def named(self, kind: Kind) -> tuple[str, ...]:
        return tuple(name for name, k in self.fields if k is kind)


def kind_of(hint: Any) -> Kind:
    """The kind of a field from its type: ``Money``, ``datetime``, or either of them ``| None``."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    for option in typing.get_args(hint) if union else (hint,):
        if typing.get_origin(option) is typing.Annotated and CENTS in option.__metadata__:
            return Kind.MONEY
        if option is datetime:
            return Kind.INSTANT
        if isinstance(option, type) and issubclass(option, msgspec.Struct):
            return Kind.NESTED
    return Kind.PLAIN


def plan_of(cls: type[ev.Event]) -> Plan:
    hints = typing.get_type_hints(cls, include_extras=True)
    omits = cls.__struct_config__.omit_defaults
    optional = frozenset(field.name for field in msgspec.structs.fields(cls) if omits and field.default is None)
    fields = tuple((name, kind_of(hints[name])) for name in cls.__struct_fields__)
    return Plan(fields, optional, tuple((name, hints[name]) for name, kind in fields if kind is Kind.NESTED))


PLANS: dict[type[ev.Event], Plan] = {cls: plan_of(cls) for cls in ev.EVENT_TYPES.values()}


def encode(event: ev.Event) -> tuple[str, dict[str, Any]]:
    """Returns (type name, JSON-ready payload)."""
    cls = type(event)
    payload = _FAST_WRITERS[cls](event)
    if payload is None:
        payload = write(event)
    version = CURRENT_SCHEMA.get(cls.__name__)
    if version is not None:
        payload[SCHEMA_KEY] = version
    return cls.__name__, payload


def write(event: ev.Event) -> dict[str, Any]:
    """An event's fields in order: amounts as two-decimal strings, instants in UTC with
    microseconds (lossless: the stored event must replay to exactly the state that was
    decided on), every other value as it is."""
    payload: dict[str, Any] = {}
    plan = PLANS[type(event)]
    for name, kind in plan.fields:
        value = getattr(event, name)
        if value is None and name in plan.optional:
            continue
        if value is not None:
            if kind is Kind.MONEY:
                value = format_money(value)
            elif kind is Kind.INSTANT:
                value = value.astimezone(UTC).isoformat(timespec="microseconds")
            elif kind is Kind.NESTED:
                value = msgspec.to_builtins(value)
        payload[name] = value
    return payload


def decode(type_name: str, payload: dict[str, Any]) -> ev.Event:
    cls = ev.EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnknownEventType(type_name)
    if type(payload) is dict and SCHEMA_KEY not in payload and (type_name, 1) not in UPCASTERS:
        event = _FAST_READERS[cls](payload)
        if event is not None:
            return event
    else:
        payload = upcast(type_name, dict(payload))  # a copy: the caller's payload is left as it was
    return read(cls, payload)


def read(cls: type[ev.Event], payload: dict[str, Any]) -> ev.Event:
    """A current payload into its event: amounts through parse_money, instants through
    parse_instant (their errors name the field), every other value as it is; a missing
    field takes its default, and a missing field without one is a TypeError."""
    kwargs: dict[str, Any] = {}
    plan = PLANS[cls]
    for name, kind in plan.fields:
        if name not in payload:
            continue
        value = payload[name]
        if value is not None:
            if kind is Kind.MONEY and isinstance(value, str):
                value = parse_money(value, name)
            elif kind is Kind.INSTANT:
                value = parse_instant(value, name)
            elif kind is Kind.NESTED:
                value = _nested(value, dict(plan.types)[name], name)
        kwargs[name] = value
    return cls(**kwargs)


def _nested(value: Any, hint: Any, name: str) -> Any:
    try:
        return msgspec.convert(value, hint)
    except msgspec.ValidationError as error:
        raise InvalidValue(f"{name}: {error}") from None


_FAST_READERS = {cls: codec_fast.reader(cls, p.named(Kind.MONEY), p.named(Kind.INSTANT)) for cls, p in PLANS.items()}
_FAST_WRITERS = {cls: codec_fast.writer(cls, p.named(Kind.MONEY), p.named(Kind.INSTANT)) for cls, p in PLANS.items()}


def upcast(type_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    version = int(payload.pop(SCHEMA_KEY, 1))
    while (type_name, version) in UPCASTERS:
        payload = UPCASTERS[(type_name, version)](payload)
        version += 1
    return payload
