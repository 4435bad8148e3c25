"""Latvia (docs/rules.md, Latvia)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.model import AssetKind
from engine.policy import Draft, RuleViolation
from rules.lv import RULES
from tests.rules.builders import at, deadlines_after_bids, draft, eur, state

US = timedelta(microseconds=1)


def riga(text: str) -> datetime:
    return at("Europe/Riga", text)


OPENS, CLOSE = riga("2026-05-08 10:00"), riga("2026-05-15 12:00")


def flat(**overrides: object) -> Draft:
    terms: dict[str, object] = dict(value=eur(100_000), increment=eur(1_000), closes_at=CLOSE)
    terms.update(overrides)
    return draft(RULES, OPENS, **terms)  # type: ignore[arg-type]


def test_the_starting_price_is_the_forced_sale_value() -> None:
    assert RULES.schedule(flat()).starting_price == eur(100_000)
    assert RULES.schedule(flat(starting_price=eur(100_000))).starting_price == eur(100_000)


@pytest.mark.parametrize("given", [eur("99999.99"), eur("100000.01"), eur(80_000)])
def test_a_starting_price_other_than_the_value_is_refused(given: int) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(starting_price=given))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "starting_price_not_value",
        "LV-starting-price",
    )


@pytest.mark.parametrize("increment", [eur(1_000), eur(10_000), eur(5_000)])
def test_an_increment_of_1_to_10_percent_of_the_starting_price_is_accepted(increment: int) -> None:
    assert RULES.schedule(flat(increment=increment)).increment == increment


@pytest.mark.parametrize("increment", [eur("999.99"), eur("10000.01")])
def test_an_increment_below_1_or_above_10_percent_is_refused(increment: int) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(increment=increment))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "increment_out_of_range",
        "LV-increment",
    )


def test_the_increment_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(increment=None))
    assert caught.value.code == "increment_required"


def test_every_later_bid_is_at_least_one_increment_above_the_best() -> None:
    scheduled = RULES.schedule(flat())
    assert RULES.check_bid(state(scheduled), eur(100_000), OPENS) is None
    best = state(scheduled, bids=[(eur(100_000), OPENS)])
    short = RULES.check_bid(best, eur("100999.99"), OPENS)
    assert short is not None and short.reason == "bad_increment"
    assert RULES.check_bid(best, eur(101_000), OPENS) is None


def test_the_deposit_is_ten_percent_of_the_starting_price_due_by_opens_at() -> None:
    scheduled = RULES.schedule(flat())
    assert (scheduled.deposit_required, scheduled.deposit_due) == (eur(10_000), OPENS)
    assert RULES.admission(scheduled, eur(10_000), OPENS - US) is None
    late = RULES.admission(scheduled, eur(10_000), OPENS)
    assert late is not None and late.reason == "deposit_late"


def test_a_notice_set_deposit_is_refused_because_the_law_fixes_it() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(deposit=eur(5_000)))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("term_not_used", "LV-deposit")


def test_registration_stays_open_after_opens_at_until_the_close() -> None:
    scheduled = RULES.schedule(flat())
    assert RULES.registration(scheduled, OPENS) is None
    assert RULES.registration(scheduled, CLOSE - US) is None


def test_without_an_interval_in_the_notice_there_is_no_extension() -> None:
    scheduled = RULES.schedule(flat())
    assert scheduled.extension_minutes is None
    assert deadlines_after_bids(RULES, scheduled, [CLOSE - timedelta(seconds=10)]) == [CLOSE]


@pytest.mark.parametrize("minutes", [1, 60])
def test_a_notice_set_interval_of_1_or_60_minutes_extends_from_the_deadline(minutes: int) -> None:
    scheduled = RULES.schedule(flat(extension_minutes=minutes))
    interval = timedelta(minutes=minutes)
    assert deadlines_after_bids(RULES, scheduled, [CLOSE - interval]) == [CLOSE + interval]
    assert deadlines_after_bids(RULES, scheduled, [CLOSE - interval - US]) == [CLOSE]


@pytest.mark.parametrize("minutes", [0, 61])
def test_an_interval_of_0_or_61_minutes_is_refused(minutes: int) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(extension_minutes=minutes))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "extension_minutes_out_of_range",
        "LV-extension",
    )


def test_the_close_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(closes_at=None))
    assert caught.value.code == "closes_at_required"


@pytest.mark.parametrize(
    ("scheduled", "opens", "warned"),
    [
        ("2026-04-08 09:00", "2026-05-08 10:00", False),  # one calendar month
        ("2026-04-09 09:00", "2026-05-08 10:00", True),
        ("2026-01-31 09:00", "2026-02-28 10:00", False),  # no 31 February: the month's last day
        ("2026-01-31 09:00", "2026-02-27 10:00", True),
    ],
)
def test_an_immovable_opening_sooner_than_one_month_after_scheduling_is_a_warning(
    scheduled: str, opens: str, warned: bool
) -> None:
    terms = RULES.schedule(draft(RULES, riga(opens), increment=eur(1_000), closes_at=riga(opens) + timedelta(days=7)))
    found = RULES.lead_time_warnings(terms, riga(scheduled))
    assert [(w.code, w.rule.code) for w in found] == ([("lead_time_short", "LV-lead-time")] if warned else [])


def test_movables_have_no_lead_time() -> None:
    terms = RULES.schedule(flat(asset=AssetKind.MOVABLE))
    assert RULES.lead_time_warnings(terms, OPENS - timedelta(hours=1)) == ()
