"""Slovenia (docs/rules.md, Slovenia)."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.model import Terms
from engine.policy import RuleViolation
from rules.si import RULES
from tests.rules.builders import at, draft, eur, one_bid, state, terms, wall


def ljubljana(text: str) -> datetime:
    return at("Europe/Ljubljana", text)


# -- schedule ---------------------------------------------------------------


def test_starting_price_and_deposit_for_a_200_000_property() -> None:
    scheduled = RULES.schedule(
        draft(
            RULES,
            ljubljana("2026-06-10 10:00"),
            value=eur(200_000),
            increment=eur(1_000),
            closes_at=ljubljana("2026-06-10 10:30"),
        )
    )
    assert scheduled.starting_price == eur(140_000)
    assert scheduled.deposit_required == eur(20_000)
    assert scheduled.increment == eur(1_000)
    assert scheduled.closes_at == ljubljana("2026-06-10 10:30")


def test_second_round_minimum_is_half_the_value_and_the_deposit_stays_10_percent_of_the_value() -> None:
    scheduled = RULES.schedule(
        draft(
            RULES, ljubljana("2026-05-28 10:00"), value=eur(200_000), round=2, closes_at=ljubljana("2026-05-28 10:30")
        )
    )
    assert scheduled.starting_price == eur(100_000)
    assert scheduled.deposit_required == eur(20_000)


def test_a_starting_price_below_70_percent_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(
            draft(
                RULES,
                ljubljana("2026-06-10 10:00"),
                value=eur(200_000),
                starting_price=eur(139_999),
                closes_at=ljubljana("2026-06-10 10:30"),
            )
        )
    assert caught.value.code == "starting_price_too_low"
    assert caught.value.rule is not None and caught.value.rule.code == "SI-starting-price"


def test_the_close_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, ljubljana("2026-06-10 10:00")))
    assert caught.value.code == "closes_at_required"
    assert caught.value.rule is not None and caught.value.rule.code == "SI-duration"


def test_the_deposit_is_due_before_midnight_ending_wednesday_22_april() -> None:
    scheduled = RULES.schedule(
        draft(RULES, ljubljana("2026-04-28 10:00"), value=eur(200_000), closes_at=ljubljana("2026-04-28 10:30"))
    )
    assert scheduled.deposit_due == ljubljana("2026-04-23 00:00")
    assert scheduled.deposit_due is not None and scheduled.deposit_due.isoformat() == "2026-04-22T22:00:00+00:00"


# -- admission --------------------------------------------------------------


def si_terms(increment: int | None = eur(1_000)) -> Terms:
    return terms(
        RULES,
        ljubljana("2026-04-28 10:30"),
        opens_at=ljubljana("2026-04-28 10:00"),
        value=eur(200_000),
        starting_price=eur(140_000),
        increment=increment,
        deposit_required=eur(20_000),
        deposit_due=ljubljana("2026-04-23 00:00"),
    )


def test_a_full_deposit_credited_on_wednesday_22_april_admits() -> None:
    assert RULES.admission(si_terms(), eur(20_000), ljubljana("2026-04-22 23:59:59.999999")) is None


def test_a_deposit_recorded_at_the_due_instant_is_late() -> None:
    refusal = RULES.admission(si_terms(), eur(20_000), ljubljana("2026-04-23 00:00"))
    assert refusal is not None and refusal.reason == "deposit_late"
    assert refusal.rule is not None and refusal.rule.code == "SI-deposit-deadline"


def test_a_short_deposit_on_time_is_short() -> None:
    refusal = RULES.admission(si_terms(), eur(19_999), ljubljana("2026-04-21 10:00"))
    assert refusal is not None and refusal.reason == "deposit_short"
    assert refusal.rule is not None and refusal.rule.code == "SI-deposit"


def test_a_short_deposit_after_the_deadline_is_late() -> None:
    refusal = RULES.admission(si_terms(), eur(10_000), ljubljana("2026-04-27 10:00"))
    assert refusal is not None and refusal.reason == "deposit_late"


# -- bids -------------------------------------------------------------------


def test_the_first_bid_must_be_the_starting_price_plus_the_increment() -> None:
    s = state(si_terms())
    at_start = RULES.check_bid(s, eur(140_000), ljubljana("2026-04-28 10:01"))
    assert at_start is not None and at_start.reason == "bad_increment"
    assert at_start.rule is not None and at_start.rule.code == "SI-increment"
    below = RULES.check_bid(s, eur(139_000), ljubljana("2026-04-28 10:01"))
    assert below is not None and below.reason == "bid_too_low"
    assert RULES.check_bid(s, eur(141_000), ljubljana("2026-04-28 10:01")) is None


def test_with_the_best_at_150_000_150_900_is_refused_and_151_000_accepted() -> None:
    s = state(si_terms(), bids=[(eur(150_000), ljubljana("2026-04-28 10:05"))])
    refusal = RULES.check_bid(s, eur(150_900), ljubljana("2026-04-28 10:06"))
    assert refusal is not None and refusal.reason == "bad_increment"
    assert RULES.check_bid(s, eur(151_000), ljubljana("2026-04-28 10:06")) is None
    assert RULES.check_bid(s, eur(155_555), ljubljana("2026-04-28 10:06")) is None
    equal = RULES.check_bid(s, eur(150_000), ljubljana("2026-04-28 10:06"))
    assert equal is not None and equal.reason == "bid_too_low"


def test_without_an_increment_any_higher_amount_is_accepted() -> None:
    s = state(si_terms(increment=None), bids=[(eur(150_000), ljubljana("2026-04-28 10:05"))])
    assert RULES.check_bid(s, eur("150000.01"), ljubljana("2026-04-28 10:06")) is None
    assert RULES.check_bid(state(si_terms(increment=None)), eur(140_000), ljubljana("2026-04-28 10:01")) is None


# -- soft close -------------------------------------------------------------


def auction_terms() -> Terms:
    return terms(RULES, ljubljana("2026-06-10 10:30"), opens_at=ljubljana("2026-06-10 10:00"))


def test_a_bid_with_exactly_two_minutes_left_adds_two_minutes_to_the_end() -> None:
    extension = RULES.extension_on_bid(one_bid(auction_terms()), ljubljana("2026-06-10 10:28:00.000"))
    assert extension is not None and extension.deadline == ljubljana("2026-06-10 10:32")
    assert extension.rule.code == "SI-extension"


def test_a_bid_with_1_59_left_moves_the_end_to_10_32() -> None:
    extension = RULES.extension_on_bid(one_bid(auction_terms()), ljubljana("2026-06-10 10:28:01"))
    assert extension is not None and extension.deadline == ljubljana("2026-06-10 10:32")


def test_a_bid_with_more_than_two_minutes_left_does_not_extend() -> None:
    assert RULES.extension_on_bid(one_bid(auction_terms()), ljubljana("2026-06-10 10:27:59.999")) is None


def test_the_chain_closes_at_10_34() -> None:
    t = auction_terms()
    deadline = t.closes_at
    for bid_at, expected in [("10:29:30", "10:32:00"), ("10:31:00", "10:34:00"), ("10:31:30", None)]:
        extension = RULES.extension_on_bid(one_bid(t, deadline=deadline), ljubljana(f"2026-06-10 {bid_at}"))
        if expected is None:
            assert extension is None
        else:
            assert extension is not None and extension.deadline == ljubljana(f"2026-06-10 {expected}")
            deadline = extension.deadline
    assert wall(RULES, deadline) == "2026-06-10 10:34:00+02:00"


def test_slovenia_has_no_cap_and_no_overtime() -> None:
    assert RULES.hard_stop(auction_terms()) is None
    assert RULES.extension_at_deadline(one_bid(auction_terms())) is None
