"""The event codec: every event type survives encode/decode, and the readers written out
per type (the rebuild's fast path) read exactly what the general field loop reads."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import codec
from engine import events as ev

INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
CENTS = st.integers(min_value=0, max_value=10**17 - 1)  # format_money's shape: at most 15 whole digits
TEXT = st.text(max_size=12)


def _strategy(name: str, hint: Any) -> st.SearchStrategy[Any]:
    optional = type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if base is datetime:
        values: st.SearchStrategy[Any] = INSTANTS
    elif base is bool:
        values = st.booleans()
    elif base is int:
        values = CENTS if name in codec.MONEY_FIELDS else st.integers(min_value=0, max_value=1000)
    else:
        values = TEXT
    return st.one_of(st.none(), values) if optional else values


def _events(cls: type[ev.Event]) -> st.SearchStrategy[ev.Event]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: _strategy(f.name, hints[f.name]) for f in dataclasses.fields(cls)})


ANY_EVENT = st.one_of([_events(cls) for cls in ev.EVENT_TYPES.values()])


def _general(type_name: str, payload: dict[str, Any]) -> ev.Event:
    """decode's general loop alone, as it ran before the written-out readers existed."""
    cls = ev.EVENT_TYPES[type_name]
    kwargs = {}
    for name, is_money, is_instant in codec._PLANS[cls]:
        if name not in payload:
            continue
        value = payload[name]
        if value is not None:
            if is_money and isinstance(value, str):
                value = codec._read_money(value, name)
            elif is_instant:
                value = codec._read_instant(value, name)
        kwargs[name] = value
    return cls(**kwargs)


@given(ANY_EVENT)
def test_every_event_survives_encode_and_decode(event: ev.Event) -> None:
    type_name, payload = codec.encode(event)
    decoded = codec.decode(type_name, payload)
    assert decoded == event
    assert type(decoded) is type(event)
    assert decoded.__dict__ == event.__dict__  # the same attributes, in the same order
    assert list(decoded.__dict__) == [f.name for f in dataclasses.fields(event)]


@given(ANY_EVENT)
def test_a_written_out_reader_reads_what_the_general_loop_reads(event: ev.Event) -> None:
    type_name, payload = codec.encode(event)
    fast = codec._READERS[type(event)](payload)
    assert fast == _general(type_name, payload)
    assert hash(fast) == hash(event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.at = fast.at  # type: ignore[misc]


def test_a_missing_field_with_a_default_takes_the_general_loop() -> None:
    at = datetime(2026, 4, 2, 9, 0, 2, tzinfo=UTC)
    payload = {"at": "2026-04-02T09:00:02.000000+00:00", "bidder_code": "B-1", "amount": "150.00"}
    with pytest.raises(KeyError):
        codec._READERS[ev.BidAccepted](payload)
    assert codec.decode("BidAccepted", payload) == ev.BidAccepted(at, "B-1", 150_00, automatic=False)


def test_a_missing_required_field_is_refused() -> None:
    with pytest.raises(TypeError):
        codec.decode("BidAccepted", {"at": "2026-04-02T09:00:02.000000+00:00", "bidder_code": "B-1"})


def test_other_shapes_of_money_and_time_are_read_by_the_general_parsers() -> None:
    payload = {"at": "2026-04-02T11:00:02+02:00", "bidder_code": "B-1", "amount": "150.5", "automatic": True}
    event = codec.decode("BidAccepted", payload)
    assert event == ev.BidAccepted(datetime(2026, 4, 2, 9, 0, 2, tzinfo=UTC), "B-1", 150_50, automatic=True)
    assert event.at.tzinfo is UTC
    assert payload["amount"] == "150.5"  # the caller's payload is left as it was


def test_none_stays_none_for_optional_money_and_instants() -> None:
    at = datetime(2026, 4, 2, 9, tzinfo=UTC)
    event = ev.AuctionEnded(at, purchaser=None, price=None)
    assert codec.decode(*codec.encode(event)) == event
    scheduled = ev.AuctionScheduled(
        at, "a-1", "SE", "Lot", "movable", 1_000_00, "SEK", 100_00, None,
        at + timedelta(hours=1), at + timedelta(days=1), 1, 0, None, "SE-1",
    )  # fmt: skip
    assert codec.decode(*codec.encode(scheduled)) == scheduled


def test_bad_money_is_refused_with_the_field_named() -> None:
    payload = {"at": "2026-04-02T09:00:02.000000+00:00", "bidder_code": "B-1", "amount": "-5.00", "automatic": False}
    with pytest.raises(ValueError, match="amount"):
        codec.decode("BidAccepted", payload)


def test_a_money_string_of_a_str_subclass_is_read_as_money() -> None:
    class Text(str):
        pass

    payload = {"at": "2026-04-02T09:00:02.000000+00:00", "bidder_code": "B-1", "amount": Text("150.00"), "automatic": False}
    assert codec.decode("BidAccepted", payload).amount == 150_00
