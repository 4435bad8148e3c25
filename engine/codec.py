"""Events to and from JSON payloads, by type name.

Money goes out as two-decimal strings and instants as RFC 3339 UTC strings, so
the stored log reads the same as the contract's API. A payload written by an
older schema is brought up to date by the upcasters registered below before it
is turned into an event.
"""

from __future__ import annotations

import dataclasses
import re
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


def _is_datetime(hint: Any) -> bool:
    return hint is datetime or datetime in typing.get_args(hint)


def _plan(cls: type) -> tuple[tuple[str, bool, bool], ...]:
    hints = _hints(cls)
    return tuple((f.name, f.name in MONEY_FIELDS, _is_datetime(hints[f.name])) for f in dataclasses.fields(cls))


# How each field of each event type is read: (name, is money, is an instant). Worked
# out once per type, not per event: a rebuild decodes every event ever stored.
_PLANS: dict[type, tuple[tuple[str, bool, bool], ...]] = {cls: _plan(cls) for cls in ev.EVENT_TYPES.values()}
_ABSENT = object()
_TWO_DECIMALS = re.compile(r"(?:0|[1-9][0-9]{0,14})\.[0-9]{2}\Z")


def _read_money(text: str, what: str) -> int:
    # The shape format_money writes (two decimals, no sign or padding) is read
    # directly; anything else goes through parse_money and its rules and errors.
    if _TWO_DECIMALS.match(text) is not None:
        return int(text.replace(".", "", 1))
    return parse_money(text, what)


def _read_instant(text: object, what: str) -> datetime:
    # The shape encode writes (UTC, microseconds, "T") is read directly; with that
    # shape fromisoformat accepts exactly what parse_instant would, and gives the
    # same value (tzinfo is the UTC singleton). Anything else goes through parse_instant.
    if isinstance(text, str) and len(text) == 32 and text[10] == "T" and text.endswith("+00:00"):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if value.tzinfo is UTC:
                return value
    return parse_instant(text, what)


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
    reader = _READERS_BY_NAME.get(type_name)
    current = type(payload) is dict and SCHEMA_KEY not in payload and (type_name, 1) not in UPCASTERS
    if reader is not None and current:
        try:
            return reader(payload)
        except KeyError:
            pass  # a field is missing: the general reader below applies defaults or says which
    cls = ev.EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnknownEventType(type_name)
    if type(payload) is not dict or SCHEMA_KEY in payload or (type_name, 1) in UPCASTERS:
        payload = upcast(type_name, dict(payload))  # a copy: the caller's payload is left as it was
    kwargs: dict[str, Any] = {}
    for name, is_money, is_instant in _PLANS[cls]:
        value = payload.get(name, _ABSENT)
        if value is _ABSENT:
            continue
        if value is not None:
            if is_money and isinstance(value, str):
                value = _read_money(value, name)
            elif is_instant:
                value = _read_instant(value, name)
        kwargs[name] = value
    return cls(**kwargs)


def _reader(cls: type) -> Callable[[dict[str, Any]], ev.Event]:
    """A function reading a current payload with every field present into a ``cls``, the
    same value decode's general loop makes (a missing field raises KeyError), written out
    field by field as dataclasses writes ``__init__``: a rebuild decodes every event ever
    stored, and the loop over the plan cost as much as the rest of the fold. The shapes
    encode writes are read in line (what _read_money and _read_instant do first, without
    the call); any other shape goes to those two. The fields are set as the instance's
    attributes rather than through the frozen ``__init__`` (one object.__setattr__ per
    field), unless the class checks them in __post_init__."""
    lines = []
    for n, (name, is_money, is_instant) in enumerate(_PLANS[cls]):
        lines.append(f"    v{n} = p[{name!r}]")
        if is_money:
            lines += [
                f"    if isinstance(v{n}, str):",
                f"        v{n} = int(v{n}.replace('.', '', 1)) if money_shape(v{n}) else parse_money(v{n}, {name!r})",
            ]
        elif is_instant:
            lines += [
                f"    if v{n} is not None:",
                f"        if type(v{n}) is str and len(v{n}) == 32 and v{n}[10] == 'T' and v{n}.endswith('+00:00'):",
                "            try:",
                f"                t = fromisoformat(v{n})",
                "            except ValueError:",
                "                t = None",
                f"            v{n} = t if t is not None and t.tzinfo is UTC else read_instant(v{n}, {name!r})",
                "        else:",
                f"            v{n} = read_instant(v{n}, {name!r})",
            ]
    fields = "{" + ", ".join(f"{name!r}: v{n}" for n, (name, _, _) in enumerate(_PLANS[cls])) + "}"
    if hasattr(cls, "__post_init__"):
        lines.append(f"    return cls(**{fields})")
    else:
        lines += ["    event = new(cls)", f"    set_(event, '__dict__', {fields})", "    return event"]
    namespace = {"cls": cls, "new": object.__new__, "set_": object.__setattr__, "UTC": UTC}
    namespace |= {"money_shape": _TWO_DECIMALS.match, "parse_money": parse_money}
    namespace |= {"fromisoformat": datetime.fromisoformat, "read_instant": _read_instant}
    source = "def read(p):\n" + "\n".join(lines) + "\n"
    exec(source, namespace)  # noqa: S102 - source made above from the dataclass's field names
    return namespace["read"]  # type: ignore[no-any-return]


_READERS: dict[type, Callable[[dict[str, Any]], ev.Event]] = {cls: _reader(cls) for cls in ev.EVENT_TYPES.values()}
_READERS_BY_NAME = {name: _READERS[cls] for name, cls in ev.EVENT_TYPES.items()}


def upcast(type_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    version = int(payload.pop(SCHEMA_KEY, 1))
    while (type_name, version) in UPCASTERS:
        payload = UPCASTERS[(type_name, version)](payload)
        version += 1
    return payload
