"""Portugal (docs/rules.md, Portugal)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.model import UTC, format_instant
from engine.policy import Draft, RuleViolation
from rules.common import LocalTimeError, local_instant
from rules.pt import RULES
from tests.rules.builders import at, deadlines_after_bids, draft, eur, state

AZORES = ZoneInfo("Atlantic/Azores")
US = timedelta(microseconds=1)


def lisbon(text: str) -> datetime:
    return at("Europe/Lisbon", text)


OPENS, CLOSE = lisbon("2026-05-04 10:00"), lisbon("2026-05-14 15:00")


def flat(opens: datetime = OPENS, **overrides: object) -> Draft:
    terms: dict[str, object] = dict(value=eur(100_000), closes_at=CLOSE)
    terms.update(overrides)
    return draft(RULES, opens, **terms)  # type: ignore[arg-type]


def test_the_minimum_is_85_percent_of_the_basic_value_and_lower_is_refused() -> None:
    assert RULES.schedule(flat()).starting_price == eur(85_000)
    assert RULES.schedule(flat(value=eur("100000.01"))).starting_price == eur("85000.01")  # rounded up
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(starting_price=eur("84999.99")))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "starting_price_too_low",
        "PT-starting-price",
    )


def test_no_deposit_is_required_and_a_notice_set_one_is_refused() -> None:
    scheduled = RULES.schedule(flat())
    assert (scheduled.deposit_required, scheduled.deposit_due) == (0, None)
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(deposit=eur(1_000)))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("term_not_used", "PT-deposit")


def test_registration_stays_open_until_the_close() -> None:
    assert RULES.registration(RULES.schedule(flat()), CLOSE - US) is None


def test_the_increment_is_optional_and_with_one_every_later_bid_is_one_step_above() -> None:
    free = RULES.schedule(flat())
    best = state(free, bids=[(eur(85_000), OPENS)])
    assert RULES.check_bid(best, eur("85000.01"), OPENS) is None
    stepped = RULES.schedule(flat(increment=eur(500)))
    assert RULES.check_bid(state(stepped), eur(85_000), OPENS) is None, "the first bid only reaches the start"
    short = RULES.check_bid(state(stepped, bids=[(eur(85_000), OPENS)]), eur("85499.99"), OPENS)
    assert short is not None and short.reason == "bad_increment"


@pytest.mark.parametrize("zone", ["Europe/Lisbon", "Atlantic/Azores", "Atlantic/Madeira"])
def test_an_auction_may_name_one_of_the_three_portuguese_zones(zone: str) -> None:
    scheduled = RULES.schedule(flat(zone=zone))
    assert scheduled.zone == zone and RULES.zone_for(scheduled) == ZoneInfo(zone)


def test_without_a_zone_times_are_on_the_lisbon_clock_and_another_zone_is_refused() -> None:
    scheduled = RULES.schedule(flat())
    assert scheduled.zone is None and RULES.zone_for(scheduled) == ZoneInfo("Europe/Lisbon")
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(zone="Europe/Madrid"))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("zone_not_allowed", "PT-zone")


def test_an_azores_auction_extends_by_elapsed_minutes_across_its_dst_change() -> None:
    # The Azores put their clocks forward on Sun 29 March 2026 at 00:00 (UTC-1) to 01:00 (UTC+0).
    close = datetime(2026, 3, 28, 23, 58, tzinfo=AZORES)
    scheduled = RULES.schedule(
        flat(close - timedelta(days=7), value=eur(10_000), closes_at=close, zone="Atlantic/Azores", extension_minutes=5)
    )
    found = deadlines_after_bids(RULES, scheduled, [datetime(2026, 3, 28, 23, 55, tzinfo=AZORES)])
    assert found == [close.astimezone(UTC) + timedelta(minutes=5)]
    zone = RULES.zone_for(scheduled)
    assert format_instant(close, zone) == "2026-03-28T23:58:00-01:00"
    assert format_instant(found[0], zone) == "2026-03-29T01:03:00+00:00", "five elapsed minutes, not 00:03"
    assert format_instant(found[0], RULES.zone) == "2026-03-29T02:03:00+01:00", "the same instant in Lisbon"
    with pytest.raises(LocalTimeError):
        local_instant(AZORES, date(2026, 3, 29), time(0, 30))  # the clocks jump over it


@pytest.mark.parametrize(("minutes", "ok"), [(1, True), (60, True), (0, False), (61, False)])
def test_the_notice_set_interval_is_1_to_60_minutes(minutes: int, ok: bool) -> None:
    if ok:
        assert RULES.schedule(flat(extension_minutes=minutes)).extension_minutes == minutes
    else:
        with pytest.raises(RuleViolation, match="outside 1 to 60"):
            RULES.schedule(flat(extension_minutes=minutes))


def test_without_an_interval_there_is_no_extension_and_the_close_must_be_given() -> None:
    scheduled = RULES.schedule(flat())
    assert deadlines_after_bids(RULES, scheduled, [CLOSE - US]) == [CLOSE]
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(closes_at=None))
    assert caught.value.code == "closes_at_required"
