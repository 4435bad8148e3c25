"""Values at the edges: money strings and instants read back exactly as written."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model import InvalidValue, format_instant, format_money, parse_instant, parse_money

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.sampled_from([None, ZoneInfo("Europe/Sofia"), ZoneInfo("Europe/Stockholm")]))
def test_an_instant_formatted_for_any_zone_reads_back_as_the_same_instant(
    value: datetime, zone: ZoneInfo | None
) -> None:
    assert parse_instant(format_instant(value, zone)) == value


@given(st.integers(0, 10**15))
def test_money_formatted_reads_back_as_the_same_cents(cents: int) -> None:
    assert parse_money(format_money(cents)) == cents


@pytest.mark.parametrize("text", ["1.234", "-5.00", "1e5", "", " ", "1,00", "01.00", "NaN"])
def test_malformed_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_money(text)


def test_a_float_is_never_taken_as_money() -> None:
    with pytest.raises(InvalidValue):
        parse_money(80000.0)


def test_a_time_without_an_offset_is_refused() -> None:
    with pytest.raises(InvalidValue):
        parse_instant("2026-10-25T02:30:00")
