"""The codec's fast path: events to and from payloads through msgspec, in C.

``engine.codec`` writes and reads an event field by field in Python (its
``write`` and ``read``, the plain path); that says what a payload is and
means. A rebuild decodes every event ever stored and each command encodes
what it decided, and that loop costs as much as the rest of the fold. The
reader and writer made here do the same work through ``msgspec`` for the
shapes the plain path writes, and for anything else return ``None``, never
raise: the plain path then does it, and says why not if it cannot.

- Reading: an amount in the shape the plain path writes (two decimals, no sign
  or padding) is turned into cents here, and an instant in one of the shapes
  written ("YYYY-MM-DDTHH:MM:SS", then milliseconds or microseconds or neither,
  then "+00:00") is left to ``msgspec.convert``, which for those shapes accepts
  exactly what ``parse_instant`` accepts and gives the same instant, in UTC;
  ``msgspec.convert`` checks every field's type, applies the defaults and makes
  the event. Another shape, a value of another type or a missing field: ``None``.
- Writing: ``msgspec.to_builtins`` gives every field in order, an instant as
  RFC 3339 with "Z" (and microseconds unless there are none); an amount is
  formatted here and an instant given the plain path's "+00:00" and six
  decimals. A negative amount or an instant not in UTC: ``None``.

``tests/domain/test_codec.py`` holds both to the plain path for every event type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from engine.events import Event

_TWO_DECIMALS = re.compile(r"(?:0|[1-9][0-9]{0,14})\.[0-9]{2}\Z").match
_INSTANT_LENGTHS = frozenset({25, 29, 32})  # seconds, milliseconds, microseconds; then "+00:00"

Reader = Callable[[dict[str, Any]], Event | None]
Writer = Callable[[Event], dict[str, Any] | None]


def reader(cls: type[Event], money: tuple[str, ...], instants: tuple[str, ...]) -> Reader:
    """Reads a current payload of ``cls``, whose amounts are the fields ``money`` and whose
    instants are the fields ``instants``; ``None`` where the plain path must read it."""
    convert, two_decimals, lengths = msgspec.convert, _TWO_DECIMALS, _INSTANT_LENGTHS

    def read(payload: dict[str, Any]) -> Event | None:
        data = payload.copy()  # the caller's payload is left as it was
        for name in money:
            value = data.get(name)
            if type(value) is str:
                if two_decimals(value) is None:
                    return None
                data[name] = int(value.replace(".", "", 1))
        for name in instants:
            value = data.get(name)
            if value is not None and (
                type(value) is not str or len(value) not in lengths or value[10] != "T" or not value.endswith("+00:00")
            ):
                return None
        try:
            return convert(data, cls)
        except msgspec.ValidationError:
            return None

    return read


def writer(cls: type[Event], money: tuple[str, ...], instants: tuple[str, ...]) -> Writer:
    """Writes an event of ``cls`` (see :func:`reader`) as the plain path does; ``None``
    where the plain path must write it."""
    to_builtins = msgspec.to_builtins

    def write(event: Event) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = to_builtins(event)
        except TypeError:
            return None
        for name in money:
            value = data.get(name)  # absent: a default that omit_defaults left out
            if value is not None:
                if type(value) is not int or value < 0:
                    return None
                whole, cents = divmod(value, 100)
                data[name] = f"{whole}.{cents:02d}"
        for name in instants:
            value = data.get(name)
            if value is not None:
                if type(getattr(event, name)) is not datetime or value[-1] != "Z" or len(value) not in (20, 27):
                    return None
                data[name] = value[:-1] + ("+00:00" if len(value) == 27 else ".000000+00:00")
        return data

    return write
