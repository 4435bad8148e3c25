"""Croatia (docs/rules.md, Croatia)."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.model import AssetKind, Terms
from engine.policy import RuleViolation
from rules.hr import RULES
from tests.rules.builders import at, draft, eur, one_bid, state, terms, wall


def zagreb(text: str) -> datetime:
    return at("Europe/Zagreb", text)


# -- schedule ---------------------------------------------------------------


def test_a_close_not_given_falls_on_the_tenth_working_day_at_the_opening_time() -> None:
    scheduled = RULES.schedule(draft(RULES, zagreb("2026-04-28 09:00")))
    assert wall(RULES, scheduled.closes_at) == "2026-05-12 09:00:00+02:00"


def test_the_calls_close_at_13_00_on_the_tenth_working_day_is_accepted() -> None:
    close = zagreb("2026-05-12 13:00")
    scheduled = RULES.schedule(draft(RULES, zagreb("2026-04-28 09:00"), closes_at=close))
    assert scheduled.closes_at == close


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        ("2026-04-01 10:00", "2026-04-15 10:00:00+02:00"),  # Easter Monday
        ("2026-06-01 11:30", "2026-06-15 11:30:00+02:00"),  # Corpus Christi
        ("2026-06-15 14:00", "2026-06-29 14:00:00+02:00"),  # Anti-Fascist Struggle Day
        ("2026-08-12 10:00", "2026-08-25 10:00:00+02:00"),  # Assumption on a Saturday
    ],
)
def test_e9_and_derived_closes(opens: str, closes: str) -> None:
    assert wall(RULES, RULES.schedule(draft(RULES, zagreb(opens))).closes_at) == closes


def test_a_derived_close_outside_09_to_15_is_refused_asking_for_an_explicit_close() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, zagreb("2026-04-28 08:00")))
    assert caught.value.code == "closes_at_not_allowed"
    assert caught.value.rule is not None and caught.value.rule.code == "HR-close-window"
    assert "explicitly" in caught.value.message


@pytest.mark.parametrize(
    "close",
    [
        "2026-05-12 16:00",  # after 15:00
        "2026-05-12 08:45",  # before 09:00
        "2026-06-04 11:00",  # Corpus Christi
        "2026-05-30 11:00",  # Saturday and Statehood Day
        "2026-05-12 15:00:01",
        "2026-05-12 08:59:59.999",
    ],
)
def test_closing_times_outside_the_allowed_range_are_refused(close: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, zagreb("2026-04-28 09:00"), closes_at=zagreb(close)))
    assert caught.value.code == "closes_at_not_allowed"
    assert caught.value.rule is not None and caught.value.rule.code == "HR-close-window"


@pytest.mark.parametrize("close", ["2026-05-12 09:00", "2026-05-12 15:00:00", "2026-04-03 12:00"])
def test_closes_at_the_edges_and_on_good_friday_are_accepted(close: str) -> None:
    scheduled = RULES.schedule(draft(RULES, zagreb("2026-04-01 09:00"), closes_at=zagreb(close)))
    assert scheduled.closes_at == zagreb(close)


def test_the_window_is_judged_on_the_zagreb_wall_clock() -> None:
    # 15:00 UTC is 17:00 CEST.
    with pytest.raises(RuleViolation):
        RULES.schedule(draft(RULES, zagreb("2026-04-28 09:00"), closes_at=at("UTC", "2026-05-12 15:00")))


@pytest.mark.parametrize(
    ("asset", "round", "price"),
    [
        (AssetKind.IMMOVABLE, 1, eur(80_000)),  # first auction minimum
        (AssetKind.IMMOVABLE, 2, eur(60_000)),  # second auction minimum
        (AssetKind.RIGHTS, 2, eur(60_000)),
        (AssetKind.MOVABLE, 1, eur(50_000)),
        (AssetKind.REGISTERED_MOVABLE, 2, eur(50_000)),
    ],
)
def test_the_starting_price_is_the_rounds_legal_minimum(asset: AssetKind, round: int, price: int) -> None:
    scheduled = RULES.schedule(draft(RULES, zagreb("2026-08-12 10:00"), asset=asset, round=round))
    assert scheduled.starting_price == price


def test_a_guide_price_below_four_fifths_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, zagreb("2026-04-28 09:00"), starting_price=eur(79_000)))
    assert caught.value.code == "starting_price_too_low"
    assert caught.value.rule is not None and caught.value.rule.code == "HR-starting-price"


def test_the_deposit_is_10_percent_of_the_value_in_both_rounds() -> None:
    for round in (1, 2):
        scheduled = RULES.schedule(draft(RULES, zagreb("2026-08-12 10:00"), value=eur(100_000), round=round))
        assert scheduled.deposit_required == eur(10_000)


# -- admission and bids -----------------------------------------------------


def hr_terms() -> Terms:
    return terms(
        RULES,
        zagreb("2026-05-12 13:00"),
        starting_price=eur(80_000),
        deposit_required=eur(10_000),
    )


def test_a_short_deposit_is_refused_and_a_full_one_admits() -> None:
    refusal = RULES.admission(hr_terms(), eur(9_999), zagreb("2026-04-28 08:00"))
    assert refusal is not None and refusal.reason == "deposit_short"
    assert RULES.admission(hr_terms(), eur(10_000), zagreb("2026-04-28 08:00")) is None


def test_increments_are_free() -> None:
    s = state(hr_terms(), bids=[(eur(100_000), zagreb("2026-05-12 12:00"))])
    assert RULES.check_bid(s, eur("100000.01"), zagreb("2026-05-12 12:30")) is None


def test_the_first_bid_must_reach_the_guide_price() -> None:
    refusal = RULES.check_bid(state(hr_terms()), eur("79999.99"), zagreb("2026-05-01 10:00"))
    assert refusal is not None and refusal.reason == "bid_too_low"
    assert RULES.check_bid(state(hr_terms()), eur(80_000), zagreb("2026-05-01 10:00")) is None


def test_a_bid_below_the_best_is_too_low_rather_than_valid_not_leading() -> None:
    s = state(hr_terms(), bids=[(eur(102_000), zagreb("2026-05-12 12:55"))])
    refusal = RULES.check_bid(s, eur(101_500), zagreb("2026-05-12 13:01"))
    assert refusal is not None and refusal.reason == "bid_too_low"


# -- soft close -------------------------------------------------------------


def test_only_leading_bids_in_the_last_ten_minutes_extend_from_the_bid_time() -> None:
    t = hr_terms()
    assert RULES.extension_on_bid(one_bid(t), zagreb("2026-05-12 12:49:30")) is None
    first = RULES.extension_on_bid(one_bid(t), zagreb("2026-05-12 12:55:00"))
    assert first is not None and first.deadline == zagreb("2026-05-12 13:05")
    assert first.rule.code == "HR-extension"
    second = RULES.extension_on_bid(one_bid(t, deadline=first.deadline), zagreb("2026-05-12 13:04"))
    assert second is not None and second.deadline == zagreb("2026-05-12 13:14")


def test_extensions_run_past_15_00() -> None:
    t = terms(RULES, zagreb("2026-05-12 15:00"))
    first = RULES.extension_on_bid(one_bid(t), zagreb("2026-05-12 14:58"))
    assert first is not None and first.deadline == zagreb("2026-05-12 15:08")
    second = RULES.extension_on_bid(one_bid(t, deadline=first.deadline), zagreb("2026-05-12 15:07"))
    assert second is not None and second.deadline == zagreb("2026-05-12 15:17")


def test_a_leading_bid_exactly_ten_minutes_before_the_close_leaves_it_unchanged() -> None:
    assert RULES.extension_on_bid(one_bid(hr_terms()), zagreb("2026-05-12 12:50")) is None


def test_croatia_has_no_cap_and_no_overtime() -> None:
    assert RULES.hard_stop(hr_terms()) is None
    assert RULES.extension_at_deadline(one_bid(hr_terms())) is None
