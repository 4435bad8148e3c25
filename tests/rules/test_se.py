"""Sweden (docs/rules.md, Sweden)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from engine.model import AssetKind, Terms
from engine.policy import Draft, RuleViolation
from rules.se import RULES
from tests.rules.builders import at, draft, eur, one_bid, state, terms


def stockholm(text: str) -> datetime:
    return at("Europe/Stockholm", text)


CLOSE = stockholm("2026-05-15 19:00")


def car(
    *, starting_price: int | None = None, increment: int | None = None, closes_at: datetime | None = CLOSE
) -> Draft:
    return draft(
        RULES,
        stockholm("2026-05-08 12:00"),
        asset=AssetKind.MOVABLE,
        value=eur(100_000),
        starting_price=starting_price,
        increment=increment,
        closes_at=closes_at,
    )


# -- schedule ---------------------------------------------------------------


def test_without_a_starting_price_any_positive_first_bid_is_allowed() -> None:
    scheduled = RULES.schedule(car())
    assert scheduled.starting_price == 0
    zero = RULES.check_bid(state(scheduled), 0, stockholm("2026-05-09 12:00"))
    assert zero is not None and zero.reason == "bid_too_low"
    assert RULES.check_bid(state(scheduled), 1, stockholm("2026-05-09 12:00")) is None


def test_a_given_starting_price_is_kept_and_the_first_bid_must_reach_it() -> None:
    scheduled = RULES.schedule(car(starting_price=eur(5_000)))
    assert scheduled.starting_price == eur(5_000)
    low = RULES.check_bid(state(scheduled), eur("4999.99"), stockholm("2026-05-09 12:00"))
    assert low is not None and low.reason == "bid_too_low"


def test_no_deposit_is_required() -> None:
    scheduled = RULES.schedule(car())
    assert scheduled.deposit_required == 0 and scheduled.deposit_due is None
    assert RULES.admission(scheduled, 0, stockholm("2026-05-09 12:00")) is None


def test_the_close_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(car(closes_at=None))
    assert caught.value.code == "closes_at_required"
    assert caught.value.rule is not None and caught.value.rule.code == "SE-duration"


def test_a_draft_for_another_country_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(replace(car(), country="BG"))
    assert caught.value.code == "wrong_country"


def test_a_zero_or_negative_increment_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(car(increment=0))
    assert caught.value.code == "increment_invalid"


# -- bids and soft close ----------------------------------------------------


def se_terms() -> Terms:
    return terms(RULES, stockholm("2026-05-15 19:00"), asset=AssetKind.MOVABLE, starting_price=0)


def test_increments_are_free() -> None:
    s = state(se_terms(), bids=[(eur(8_000), stockholm("2026-05-15 18:00"))])
    assert RULES.check_bid(s, eur("8000.01"), stockholm("2026-05-15 18:01")) is None


def test_a_bid_with_exactly_two_minutes_left_does_not_extend() -> None:
    assert RULES.extension_on_bid(one_bid(se_terms()), stockholm("2026-05-15 18:58:00.000")) is None


def test_a_bid_with_1_59_left_adds_two_minutes_to_the_end() -> None:
    extension = RULES.extension_on_bid(one_bid(se_terms()), stockholm("2026-05-15 18:58:01"))
    assert extension is not None and extension.deadline == stockholm("2026-05-15 19:02")
    assert extension.rule.code == "SE-extension"


def test_the_chain_closes_at_19_04() -> None:
    t = se_terms()
    deadline = t.closes_at
    for bid_at, expected in [("18:59:30", "19:02:00"), ("19:00:30", "19:04:00"), ("19:01:50", None)]:
        extension = RULES.extension_on_bid(one_bid(t, deadline=deadline), stockholm(f"2026-05-15 {bid_at}"))
        if expected is None:
            assert extension is None
        else:
            assert extension is not None and extension.deadline == stockholm(f"2026-05-15 {expected}")
            deadline = extension.deadline
    assert deadline == stockholm("2026-05-15 19:04")


def test_sweden_has_no_cap_no_overtime_and_no_proxies() -> None:
    assert RULES.hard_stop(se_terms()) is None
    assert RULES.extension_at_deadline(one_bid(se_terms())) is None
    assert not RULES.proxy_allowed
