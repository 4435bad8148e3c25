"""Lithuania (docs/rules.md, Lithuania)."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.model import AssetKind, Terms
from engine.policy import RuleViolation
from rules.lt import RULES
from tests.rules.builders import at, draft, eur, one_bid, state, terms, wall


def vilnius(text: str) -> datetime:
    return at("Europe/Vilnius", text)


# -- schedule ---------------------------------------------------------------


def test_starting_price_deposit_and_30_day_close_of_an_immovable() -> None:
    scheduled = RULES.schedule(draft(RULES, vilnius("2026-04-01 10:00"), value=eur(150_000)))
    assert scheduled.starting_price == eur(120_000)
    assert scheduled.deposit_required == eur(12_000)
    assert wall(RULES, scheduled.closes_at) == "2026-05-01 10:00:00+03:00"


def test_a_movable_worth_exactly_30_000_gets_20_days_at_the_same_wall_clock_time_across_dst() -> None:
    scheduled = RULES.schedule(
        draft(RULES, vilnius("2026-03-20 10:00"), asset=AssetKind.MOVABLE, value=eur("30000.00"))
    )
    assert wall(RULES, scheduled.opens_at) == "2026-03-20 10:00:00+02:00"
    assert wall(RULES, scheduled.closes_at) == "2026-04-09 10:00:00+03:00"


def test_a_movable_worth_30_000_01_gets_30_days() -> None:
    scheduled = RULES.schedule(
        draft(RULES, vilnius("2026-03-20 10:00"), asset=AssetKind.MOVABLE, value=eur("30000.01"))
    )
    assert wall(RULES, scheduled.closes_at) == "2026-04-19 10:00:00+03:00"


def test_a_registered_car_worth_1_500_gets_30_days() -> None:
    scheduled = RULES.schedule(
        draft(RULES, vilnius("2026-03-20 10:00"), asset=AssetKind.REGISTERED_MOVABLE, value=eur(1_500))
    )
    assert wall(RULES, scheduled.closes_at) == "2026-04-19 10:00:00+03:00"


def test_rights_worth_little_get_20_days() -> None:
    scheduled = RULES.schedule(draft(RULES, vilnius("2026-03-20 10:00"), asset=AssetKind.RIGHTS, value=eur(5_000)))
    assert wall(RULES, scheduled.closes_at) == "2026-04-09 10:00:00+03:00"


def test_a_derived_close_in_the_spring_gap_is_refused() -> None:
    # 03:30 on 29 March 2026 does not exist in Vilnius.
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, vilnius("2026-02-27 03:30")))
    assert caught.value.code == "local_time_nonexistent"
    assert caught.value.rule is not None and caught.value.rule.code == "LT-duration"


def test_a_derived_close_in_the_autumn_fold_is_refused() -> None:
    # 03:30 on 25 October 2026 happens twice in Vilnius.
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, vilnius("2026-09-25 03:30")))
    assert caught.value.code == "local_time_ambiguous"


def test_an_explicit_close_with_an_offset_is_taken_as_given() -> None:
    close = vilnius("2026-04-15 12:00")
    assert RULES.schedule(draft(RULES, vilnius("2026-04-01 10:00"), closes_at=close)).closes_at == close


def test_a_starting_price_below_80_percent_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, vilnius("2026-04-01 10:00"), value=eur(150_000), starting_price=eur(119_999)))
    assert caught.value.code == "starting_price_too_low"
    assert caught.value.rule is not None and caught.value.rule.code == "LT-starting-price"


def test_the_deposit_follows_a_higher_given_starting_price() -> None:
    scheduled = RULES.schedule(
        draft(RULES, vilnius("2026-04-01 10:00"), value=eur(150_000), starting_price=eur(130_000))
    )
    assert scheduled.deposit_required == eur(13_000)


# -- admission and bids -----------------------------------------------------


def lt_terms() -> Terms:
    return terms(
        RULES,
        vilnius("2026-05-01 10:00"),
        opens_at=vilnius("2026-04-01 10:00"),
        value=eur(150_000),
        starting_price=eur(120_000),
        deposit_required=eur(12_000),
    )


def test_the_bidders_fee_admits_and_less_does_not() -> None:
    assert RULES.admission(lt_terms(), eur(12_000), vilnius("2026-04-30 10:00")) is None
    refusal = RULES.admission(lt_terms(), eur(11_999), vilnius("2026-04-30 10:00"))
    assert refusal is not None and refusal.reason == "deposit_short"


def test_manual_bids_are_free_above_the_best() -> None:
    s = state(lt_terms(), bids=[(eur(121_000), vilnius("2026-04-20 14:00"))])
    assert RULES.check_bid(s, eur("121000.01"), vilnius("2026-04-21 14:00")) is None
    low = RULES.check_bid(s, eur(121_000), vilnius("2026-04-21 14:00"))
    assert low is not None and low.reason == "bid_too_low"


def test_the_first_bid_must_reach_the_starting_price() -> None:
    low = RULES.check_bid(state(lt_terms()), eur(119_999), vilnius("2026-04-20 14:00"))
    assert low is not None and low.reason == "bid_too_low"
    assert RULES.check_bid(state(lt_terms()), eur(120_000), vilnius("2026-04-20 14:00")) is None


def test_lithuania_allows_proxies() -> None:
    assert RULES.proxy_allowed


# -- overtime ---------------------------------------------------------------


def test_without_bids_the_auction_ends_at_the_scheduled_close() -> None:
    assert RULES.extension_at_deadline(state(lt_terms())) is None


def test_with_one_bid_the_scheduled_close_moves_five_minutes() -> None:
    s = state(lt_terms(), bids=[(eur(120_000), vilnius("2026-04-20 14:00"))])
    extension = RULES.extension_at_deadline(s)
    assert extension is not None
    assert extension.deadline == vilnius("2026-05-01 10:05")
    assert extension.rule.code == "LT-overtime"


def test_when_the_overtime_deadline_is_reached_bidding_ends() -> None:
    s = state(lt_terms(), deadline=vilnius("2026-05-01 10:05"), bids=[(eur(120_000), vilnius("2026-04-20 14:00"))])
    assert RULES.extension_at_deadline(s) is None


def test_bids_before_the_scheduled_close_never_extend_even_in_its_last_minutes() -> None:
    s = state(lt_terms(), bids=[(eur(120_000), vilnius("2026-04-20 14:00"))])
    assert RULES.extension_on_bid(s, vilnius("2026-05-01 09:59:59")) is None


def test_overtime_bids_extend_from_the_bid_time() -> None:
    t = lt_terms()
    deadline = vilnius("2026-05-01 10:05")
    for bid_at, expected in [("10:03:00", "10:08:00"), ("10:07:30", "10:12:30")]:
        extension = RULES.extension_on_bid(one_bid(t, deadline=deadline), vilnius(f"2026-05-01 {bid_at}"))
        assert extension is not None and extension.deadline == vilnius(f"2026-05-01 {expected}")
        assert extension.rule.code == "LT-extension"
        deadline = extension.deadline


def test_two_early_overtime_bids_close_at_10_07() -> None:
    t = lt_terms()
    first = RULES.extension_on_bid(one_bid(t, deadline=vilnius("2026-05-01 10:05")), vilnius("2026-05-01 10:01"))
    assert first is not None and first.deadline == vilnius("2026-05-01 10:06")
    second = RULES.extension_on_bid(one_bid(t, deadline=first.deadline), vilnius("2026-05-01 10:02"))
    assert second is not None and second.deadline == vilnius("2026-05-01 10:07")


def test_a_manual_bid_and_the_proxy_answer_at_the_same_instant_extend_once_to_10_09() -> None:
    t = lt_terms()
    manual = RULES.extension_on_bid(
        state(t, deadline=vilnius("2026-05-01 10:05"), bids=[(eur(121_000), vilnius("2026-04-20 14:00"))]),
        vilnius("2026-05-01 10:04"),
    )
    assert manual is not None and manual.deadline == vilnius("2026-05-01 10:09")
    after_manual = state(
        t,
        deadline=manual.deadline,
        bids=[(eur(121_000), vilnius("2026-04-20 14:00")), (eur(125_000), vilnius("2026-05-01 10:04"))],
    )
    assert RULES.check_bid(after_manual, eur(126_000), vilnius("2026-05-01 10:04")) is None
    assert RULES.extension_on_bid(after_manual, vilnius("2026-05-01 10:04")) is None


def test_lithuania_has_no_cap() -> None:
    assert RULES.hard_stop(lt_terms()) is None
