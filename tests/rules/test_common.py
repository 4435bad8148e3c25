"""Shared helpers: wall-clock conversion, DST refusals (docs/rules.md, Time), soft-close arithmetic."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.model import UTC
from engine.policy import LegalRule
from rules.common import (
    LocalTimeError,
    TriggerWindow,
    bid_anchored,
    deadline_anchored,
    extension_if_later,
    local_instant,
    local_midnight,
    to_local,
)

SOFIA = ZoneInfo("Europe/Sofia")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
VILNIUS = ZoneInfo("Europe/Vilnius")
RULE = LegalRule("XX-test", "test")
MIN = timedelta(minutes=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_local_time_that_exists_once_becomes_a_utc_instant() -> None:
    assert local_instant(SOFIA, date(2026, 3, 13), time(17)) == utc("2026-03-13 15:00")
    assert local_instant(SOFIA, date(2026, 3, 29), time(17)) == utc("2026-03-29 14:00")


def test_stockholm_2_30_on_25_october_is_ambiguous() -> None:
    with pytest.raises(LocalTimeError) as caught:
        local_instant(STOCKHOLM, date(2026, 10, 25), time(2, 30))
    assert caught.value.kind == "ambiguous"


def test_stockholm_2_30_on_29_march_does_not_exist() -> None:
    with pytest.raises(LocalTimeError) as caught:
        local_instant(STOCKHOLM, date(2026, 3, 29), time(2, 30))
    assert caught.value.kind == "nonexistent"


@pytest.mark.parametrize("zone", [SOFIA, VILNIUS])
def test_sofia_and_vilnius_refuse_3_30_on_the_change_days(zone: ZoneInfo) -> None:
    with pytest.raises(LocalTimeError, match="does not exist"):
        local_instant(zone, date(2026, 3, 29), time(3, 30))
    with pytest.raises(LocalTimeError, match="happens twice"):
        local_instant(zone, date(2026, 10, 25), time(3, 30))


def test_the_edges_of_the_gap_and_the_fold_are_refused_or_accepted_exactly() -> None:
    assert local_instant(STOCKHOLM, date(2026, 3, 29), time(3, 0)) == utc("2026-03-29 01:00")
    with pytest.raises(LocalTimeError):
        local_instant(STOCKHOLM, date(2026, 3, 29), time(2, 0))
    with pytest.raises(LocalTimeError):
        local_instant(STOCKHOLM, date(2026, 10, 25), time(2, 0))
    assert local_instant(STOCKHOLM, date(2026, 10, 25), time(3, 0)) == utc("2026-10-25 02:00")


def test_local_midnight_is_the_start_of_the_local_day() -> None:
    assert local_midnight(ZoneInfo("Europe/Ljubljana"), date(2026, 4, 23)) == utc("2026-04-22 22:00")


def test_to_local_keeps_the_instant_and_shows_the_local_offset() -> None:
    local = to_local(utc("2026-03-29 15:00"), SOFIA)
    assert local == utc("2026-03-29 15:00")
    assert local.isoformat() == "2026-03-29T18:00:00+03:00"


def test_to_local_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        to_local(datetime(2026, 3, 29, 15), SOFIA)


def test_an_inclusive_window_contains_exactly_its_length_left() -> None:
    window = TriggerWindow(2 * MIN, inclusive=True)
    deadline = utc("2026-06-10 08:30")
    assert window.contains(deadline, deadline - 2 * MIN)
    assert not window.contains(deadline, deadline - 2 * MIN - timedelta(microseconds=1))


def test_a_strict_window_does_not_contain_exactly_its_length_left() -> None:
    window = TriggerWindow(2 * MIN, inclusive=False)
    deadline = utc("2026-05-15 17:00")
    assert not window.contains(deadline, deadline - 2 * MIN)
    assert window.contains(deadline, deadline - 2 * MIN + timedelta(microseconds=1))


def test_a_bid_at_or_after_the_deadline_is_never_in_the_window() -> None:
    window = TriggerWindow(10 * MIN, inclusive=True)
    deadline = utc("2026-03-13 15:00")
    assert not window.contains(deadline, deadline)
    assert not window.contains(deadline, deadline + MIN)


def test_bid_anchored_takes_the_later_of_deadline_and_bid_plus_length() -> None:
    deadline = utc("2026-03-13 15:00")
    assert bid_anchored(deadline, utc("2026-03-13 14:55"), 10 * MIN) == utc("2026-03-13 15:05")
    assert bid_anchored(deadline, utc("2026-03-13 14:49"), 10 * MIN) == deadline


def test_deadline_anchored_adds_to_the_deadline() -> None:
    assert deadline_anchored(utc("2026-06-10 08:30"), 2 * MIN) == utc("2026-06-10 08:32")


def test_durations_are_elapsed_time_even_for_local_datetimes_across_dst() -> None:
    # 02:55 EET on 29 March; clocks jump 03:00 -> 04:00, so ten minutes later it is 04:05 EEST.
    bid = datetime(2026, 3, 29, 2, 55, tzinfo=SOFIA)
    deadline = datetime(2026, 3, 29, 2, 58, tzinfo=SOFIA)
    assert bid_anchored(deadline, bid, 10 * MIN) == utc("2026-03-29 01:05")
    assert TriggerWindow(10 * MIN, inclusive=True).contains(datetime(2026, 3, 29, 4, 5, tzinfo=SOFIA), bid)


def test_an_extension_is_given_only_when_the_deadline_moves_later() -> None:
    deadline = utc("2026-03-13 15:00")
    assert extension_if_later(deadline, deadline, RULE) is None
    assert extension_if_later(deadline, deadline - MIN, RULE) is None
    extension = extension_if_later(deadline, deadline + MIN, RULE)
    assert extension is not None and extension.deadline == deadline + MIN and extension.rule is RULE
