"""Czechia (docs/rules.md, Czechia)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.model import AssetKind
from engine.policy import Draft, RuleViolation
from rules.cz import RULES
from tests.rules.builders import at, deadlines_after_bids, draft, eur, state, wall

US = timedelta(microseconds=1)


def prague(text: str) -> datetime:
    return at("Europe/Prague", text)


OPENS, CLOSE = prague("2026-05-11 10:00"), prague("2026-05-14 12:00")


def house(**overrides: object) -> Draft:
    terms: dict[str, object] = dict(
        value=eur(3_000_000), currency="CZK", increment=eur(10_000), deposit=eur(200_000), closes_at=CLOSE
    )
    terms.update(overrides)
    return draft(RULES, OPENS, **terms)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("asset", "value", "reserve"),
    [
        (AssetKind.IMMOVABLE, eur(3_000_000), eur(2_000_000)),
        (AssetKind.REGISTERED_MOVABLE, eur(300_000), eur(200_000)),
        (AssetKind.MOVABLE, eur(300_000), eur(100_000)),
        (AssetKind.RIGHTS, eur(300_000), eur(100_000)),
        (AssetKind.IMMOVABLE, eur(100), eur("66.67")),  # two thirds, rounded up to the heller
        (AssetKind.MOVABLE, eur(100), eur("33.34")),
    ],
)
def test_the_reserve_is_two_thirds_or_one_third_of_the_value(asset: AssetKind, value: int, reserve: int) -> None:
    assert RULES.schedule(house(asset=asset, value=value, increment=100)).starting_price == reserve


def test_a_starting_price_below_the_reserve_is_refused_and_one_above_is_kept() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(house(starting_price=eur("1999999.99")))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "starting_price_too_low",
        "CZ-starting-price",
    )
    assert RULES.schedule(house(starting_price=eur(2_500_000))).starting_price == eur(2_500_000)


def test_auctions_are_held_in_czk() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(house(currency="EUR"))
    assert caught.value.code == "currency_not_allowed"


def test_the_increment_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(house(increment=None))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("increment_required", "CZ-increment")


def test_the_bailiff_sets_the_deposit_which_must_be_above_zero_and_counts_before_opens_at() -> None:
    scheduled = RULES.schedule(house())
    assert (scheduled.deposit_required, scheduled.deposit_due) == (eur(200_000), OPENS)
    assert RULES.admission(scheduled, eur(200_000), OPENS - US) is None
    late = RULES.admission(scheduled, eur(200_000), OPENS)
    assert late is not None and late.reason == "deposit_late"
    for deposit, code in ((None, "deposit_required"), (0, "deposit_invalid")):
        with pytest.raises(RuleViolation) as caught:
            RULES.schedule(house(deposit=deposit))
        assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (code, "CZ-deposit")


def test_registration_closes_at_exactly_opens_at() -> None:
    scheduled = RULES.schedule(house())
    assert RULES.registration(scheduled, OPENS - US) is None
    refused = RULES.registration(scheduled, OPENS)
    assert refused is not None and refused.reason == "registration_closed"


def test_a_notice_set_interval_is_refused_because_the_law_fixes_five_minutes() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(house(extension_minutes=5))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("term_not_used", "CZ-extension")


def test_a_chain_of_bids_closes_five_quiet_minutes_after_the_last_one() -> None:
    scheduled = RULES.schedule(house())
    times = ["11:54:59", "11:55:00", "11:55:01", "11:58:00", "12:02:30", "12:03:00", "12:07:59"]
    found = deadlines_after_bids(RULES, scheduled, [prague(f"2026-05-14 {t}") for t in times])
    assert [wall(RULES, d)[11:19] for d in found] == [
        "12:00:00",  # 5:01 left: no extension
        "12:00:00",  # exactly 5:00 left: "less than" is strict
        "12:00:01",  # 4:59 left: bid + 5 min
        "12:03:00",
        "12:07:30",
        "12:08:00",
        "12:12:59",
    ]


def test_every_later_bid_is_at_least_one_increment_above_the_best() -> None:
    scheduled = RULES.schedule(house())
    best = state(scheduled, bids=[(eur(2_000_000), OPENS)])
    short = RULES.check_bid(best, eur("2009999.99"), OPENS)
    assert short is not None and (short.reason, short.rule and short.rule.code) == ("bad_increment", "CZ-increment")
    assert RULES.check_bid(best, eur(2_010_000), OPENS) is None
