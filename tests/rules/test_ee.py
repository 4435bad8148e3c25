"""Estonia (docs/rules.md, Estonia)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engine.model import AssetKind
from engine.policy import Draft, RuleViolation
from rules.ee import RULES
from tests.rules.builders import at, deadlines_after_bids, draft, eur, state, wall

US = timedelta(microseconds=1)


def tallinn(text: str) -> datetime:
    return at("Europe/Tallinn", text)


OPENS, CLOSE = tallinn("2026-03-13 12:00"), tallinn("2026-03-20 12:00")


def flat(**overrides: object) -> Draft:
    terms: dict[str, object] = dict(
        starting_price=eur(80_000), increment=eur(500), closes_at=CLOSE, extension_minutes=5
    )
    terms.update(overrides)
    return draft(RULES, OPENS, **terms)  # type: ignore[arg-type]


def test_the_starting_price_must_be_given_and_is_kept() -> None:
    assert RULES.schedule(flat()).starting_price == eur(80_000)
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(starting_price=None))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "starting_price_required",
        "EE-starting-price",
    )


def test_the_increment_must_be_given_and_every_later_bid_is_at_least_one_step_above() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(increment=None))
    assert caught.value.code == "increment_required"
    scheduled = RULES.schedule(flat())
    assert RULES.check_bid(state(scheduled), eur(80_000), OPENS) is None
    low = RULES.check_bid(state(scheduled), eur("79999.99"), OPENS)
    assert low is not None and low.reason == "bid_too_low"
    best = state(scheduled, bids=[(eur(80_000), OPENS)])
    short = RULES.check_bid(best, eur("80499.99"), OPENS)
    assert short is not None and (short.reason, short.rule and short.rule.code) == ("bad_increment", "EE-increment")
    assert RULES.check_bid(best, eur(80_500), OPENS) is None


@pytest.mark.parametrize("minutes", [1, 60])
def test_the_extension_interval_may_be_1_to_60_minutes(minutes: int) -> None:
    assert RULES.schedule(flat(extension_minutes=minutes)).extension_minutes == minutes


@pytest.mark.parametrize(
    ("minutes", "code"),
    [
        (0, "extension_minutes_out_of_range"),
        (61, "extension_minutes_out_of_range"),
        (None, "extension_minutes_required"),
    ],
)
def test_an_interval_outside_1_to_60_minutes_or_none_is_refused(minutes: int | None, code: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(extension_minutes=minutes))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (code, "EE-extension")


def test_e25_a_five_minute_interval_extends_from_the_deadline_and_closes_at_12_10() -> None:
    scheduled = RULES.schedule(flat())
    found = deadlines_after_bids(RULES, scheduled, [tallinn("2026-03-20 11:57"), tallinn("2026-03-20 12:03")])
    assert [wall(RULES, d) for d in found] == ["2026-03-20 12:05:00+02:00", "2026-03-20 12:10:00+02:00"]


def test_exactly_the_interval_left_extends_and_a_moment_more_does_not() -> None:
    scheduled = RULES.schedule(flat())
    assert deadlines_after_bids(RULES, scheduled, [CLOSE - timedelta(minutes=5)]) == [CLOSE + timedelta(minutes=5)]
    assert deadlines_after_bids(RULES, scheduled, [CLOSE - timedelta(minutes=5) - US]) == [CLOSE]


def test_the_deposit_is_optional_and_at_most_ten_percent_of_the_starting_price() -> None:
    without = RULES.schedule(flat())
    assert (without.deposit_required, without.deposit_due) == (0, None)
    assert RULES.schedule(flat(deposit=eur(8_000))).deposit_required == eur(8_000)
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(deposit=eur("8000.01")))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("deposit_above_cap", "EE-deposit")


def test_a_deposit_counts_only_strictly_before_opens_at() -> None:
    scheduled = RULES.schedule(flat(deposit=eur(8_000)))
    assert scheduled.deposit_due == OPENS
    assert RULES.admission(scheduled, eur(8_000), OPENS - US) is None
    late = RULES.admission(scheduled, eur(8_000), OPENS)
    assert late is not None and late.reason == "deposit_late"
    short = RULES.admission(scheduled, eur("7999.99"), OPENS - US)
    assert short is not None and short.reason == "deposit_short"


def test_registration_closes_at_exactly_opens_at() -> None:
    scheduled = RULES.schedule(flat())
    assert RULES.registration(scheduled, OPENS - US) is None
    refused = RULES.registration(scheduled, OPENS)
    assert refused is not None and (refused.reason, refused.rule and refused.rule.code) == (
        "registration_closed",
        "EE-registration",
    )


def test_e25_the_best_bid_is_announced_on_the_working_day_after_bidding_ended() -> None:
    assert RULES.report_due(tallinn("2026-03-20 12:10")) == date(2026, 3, 23)
    # Tue 23 June 2026 is Victory Day and Wed 24 June Midsummer Day: the next working day is Thu 25 June.
    assert RULES.report_due(tallinn("2026-06-22 15:00")) == date(2026, 6, 25)


def test_the_closes_at_must_be_given_and_a_zone_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(closes_at=None))
    assert caught.value.code == "closes_at_required"
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(zone="Europe/Tallinn"))
    assert caught.value.code == "term_not_used"


def test_proxies_are_not_allowed_and_any_asset_is_sold_the_same_way() -> None:
    assert not RULES.proxy_allowed
    assert RULES.schedule(flat(asset=AssetKind.MOVABLE)).starting_price == eur(80_000)


@pytest.mark.parametrize(
    ("asset", "scheduled", "warned"),
    [
        (AssetKind.IMMOVABLE, "2026-02-21 23:59", False),  # 20 days before Fri 13 March
        (AssetKind.IMMOVABLE, "2026-02-22 00:00", True),
        (AssetKind.MOVABLE, "2026-03-03 09:00", False),  # 10 days
        (AssetKind.MOVABLE, "2026-03-04 09:00", True),
    ],
)
def test_an_opening_sooner_than_10_days_or_20_for_immovables_after_scheduling_is_a_warning(
    asset: AssetKind, scheduled: str, warned: bool
) -> None:
    scheduled_terms = RULES.schedule(flat(asset=asset))
    found = RULES.lead_time_warnings(scheduled_terms, tallinn(scheduled))
    assert [(w.code, w.rule.code) for w in found] == ([("lead_time_short", "EE-lead-time")] if warned else [])
