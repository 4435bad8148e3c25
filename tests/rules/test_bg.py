"""Bulgaria (docs/rules.md, Bulgaria)."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.model import UTC, AssetKind, Terms
from engine.policy import RuleViolation
from rules.bg import RULES
from tests.rules.builders import at, draft, eur, one_bid, state, terms, wall

SOFIA = "Europe/Sofia"


def sofia(text: str) -> datetime:
    return at(SOFIA, text)


# -- schedule ---------------------------------------------------------------


def test_seven_days_from_saturday_7_march_close_friday_13_march_at_17_00_eet() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), increment=eur(500)))
    assert scheduled.closes_at == sofia("2026-03-13 17:00")
    assert scheduled.closes_at.isoformat() == "2026-03-13T15:00:00+00:00"


def test_seven_days_from_friday_3_april_close_thursday_9_april_at_17_00_eest() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-04-03 10:00"), increment=eur(500)))
    assert wall(RULES, scheduled.closes_at) == "2026-04-09 17:00:00+03:00"


def test_the_derived_close_uses_the_local_date_of_opening_not_the_utc_date() -> None:
    # 00:30 EET on 7 March is still 6 March in UTC.
    scheduled = RULES.schedule(draft(RULES, sofia("2026-03-07 00:30"), increment=eur(500)))
    assert scheduled.closes_at == sofia("2026-03-13 17:00")


def test_first_sale_opening_bid_and_deposit() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-05-16 10:00"), value=eur(100_000), increment=eur(500)))
    assert scheduled.starting_price == eur(80_000)
    assert scheduled.deposit_required == eur(8_000)
    assert scheduled.deposit_due is None


def test_second_sale_opening_bid_is_90_percent_of_the_first_and_its_deposit_follows() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-06-26 10:00"), value=eur(100_000), increment=eur(500), round=2))
    assert scheduled.starting_price == eur(72_000)
    assert scheduled.deposit_required == eur(7_200)


@pytest.mark.parametrize(
    ("asset", "round", "price"),
    [
        (AssetKind.IMMOVABLE, 1, eur(80_000)),
        (AssetKind.REGISTERED_MOVABLE, 1, eur(80_000)),
        (AssetKind.MOVABLE, 1, eur(85_000)),
        (AssetKind.RIGHTS, 1, eur(85_000)),
        (AssetKind.MOVABLE, 2, eur("76500")),
        (AssetKind.REGISTERED_MOVABLE, 2, eur(72_000)),
    ],
)
def test_the_starting_price_depends_on_the_asset_and_round(asset: AssetKind, round: int, price: int) -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), asset=asset, increment=eur(100), round=round))
    assert scheduled.starting_price == price


def test_derived_prices_and_deposits_are_rounded_up_to_the_cent() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), value=eur("1000.01"), increment=100))
    assert scheduled.starting_price == 80001  # 800.008 -> 800.01
    assert scheduled.deposit_required == 8001  # 80.001 -> 80.01


def test_a_given_opening_bid_below_80_percent_is_refused_naming_the_rule() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), starting_price=eur("79999.99"), increment=eur(500)))
    assert caught.value.code == "starting_price_too_low"
    assert caught.value.rule is not None and caught.value.rule.code == "BG-starting-price"


def test_a_given_second_sale_opening_bid_below_72_percent_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), starting_price=eur(71_999), increment=eur(500), round=2))
    assert caught.value.code == "starting_price_too_low"
    assert caught.value.rule is not None and caught.value.rule.code == "BG-second-sale-price"


def test_a_higher_given_opening_bid_is_kept_and_sets_the_deposit() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), starting_price=eur(90_000), increment=eur(500)))
    assert (scheduled.starting_price, scheduled.deposit_required) == (eur(90_000), eur(9_000))


def test_a_third_sale_is_not_described_and_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), increment=eur(500), round=3))
    assert caught.value.code == "round_not_provided"


def test_the_increment_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00")))
    assert caught.value.code == "increment_required"
    assert caught.value.rule is not None and caught.value.rule.code == "BG-increment"


def test_a_given_close_at_17_00_local_in_summer_time_is_accepted() -> None:
    close = sofia("2026-04-09 17:00")
    scheduled = RULES.schedule(draft(RULES, sofia("2026-04-03 10:00"), increment=eur(500), closes_at=close))
    assert scheduled.closes_at == close


@pytest.mark.parametrize("close", ["2026-03-13 16:59:59", "2026-03-13 17:00:01", "2026-03-13 19:00"])
def test_a_given_close_not_at_17_00_00_local_is_refused(close: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), increment=eur(500), closes_at=sofia(close)))
    assert caught.value.code == "closes_at_not_allowed"
    assert caught.value.rule is not None and caught.value.rule.code == "BG-close-time"
    assert "BG-close-time" in str(caught.value)


def test_17_00_utc_is_not_17_00_in_sofia() -> None:
    with pytest.raises(RuleViolation):
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), increment=eur(500), closes_at=sofia("2026-03-13 19:00")))


def test_a_close_before_the_opening_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-14 09:00"), increment=eur(500), closes_at=sofia("2026-03-13 17:00")))
    assert caught.value.code == "closes_at_not_after_opens_at"


def test_scheduled_instants_are_stored_in_utc() -> None:
    scheduled = RULES.schedule(draft(RULES, sofia("2026-03-07 09:00"), increment=eur(500)))
    assert scheduled.opens_at.tzinfo is UTC and scheduled.closes_at.tzinfo is UTC


def test_a_time_without_offset_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(draft(RULES, sofia("2026-03-07 09:00").replace(tzinfo=None), increment=eur(500)))
    assert caught.value.code == "time_without_offset"


# -- admission and bids -----------------------------------------------------


def bg_terms() -> Terms:
    return terms(
        RULES,
        sofia("2026-03-13 17:00"),
        starting_price=eur(80_000),
        increment=eur(500),
        deposit_required=eur(8_000),
    )


def test_a_deposit_of_10_percent_of_the_opening_bid_admits() -> None:
    assert RULES.admission(bg_terms(), eur(8_000), sofia("2026-03-07 09:00")) is None


def test_a_short_deposit_is_refused() -> None:
    refusal = RULES.admission(bg_terms(), eur("7999.99"), sofia("2026-03-07 09:00"))
    assert refusal is not None and refusal.reason == "deposit_short"
    assert refusal.rule is not None and refusal.rule.code == "BG-deposit"


def test_the_first_bid_must_be_exactly_the_starting_price() -> None:
    t = bg_terms()
    assert RULES.check_bid(state(t), eur(80_000), sofia("2026-03-10 10:00")) is None
    low = RULES.check_bid(state(t), eur("79999.99"), sofia("2026-03-10 10:00"))
    assert low is not None and low.reason == "bid_too_low"
    jump = RULES.check_bid(state(t), eur(80_500), sofia("2026-03-10 10:00"))
    assert jump is not None and jump.reason == "bad_increment"
    assert jump.rule is not None and jump.rule.code == "BG-increment"


def test_every_later_bid_is_exactly_one_step_above_the_best() -> None:
    s = state(bg_terms(), bids=[(eur(80_000), sofia("2026-03-10 10:00"))])
    assert RULES.check_bid(s, eur(80_500), sofia("2026-03-10 11:00")) is None
    for amount, reason in [
        (eur(80_000), "bid_too_low"),
        (eur(80_400), "bad_increment"),
        (eur(81_000), "bad_increment"),
    ]:
        refusal = RULES.check_bid(s, amount, sofia("2026-03-10 11:00"))
        assert refusal is not None and refusal.reason == reason, amount


def test_an_equal_bid_is_too_low_naming_the_higher_bid_rule() -> None:
    s = state(bg_terms(), bids=[(eur(80_000), sofia("2026-03-10 10:00"))])
    refusal = RULES.check_bid(s, eur(80_000), sofia("2026-03-10 11:00"))
    assert refusal is not None and refusal.rule is not None and refusal.rule.code == "BG-higher-bid"


# -- soft close -------------------------------------------------------------


def test_a_bid_at_16_41_does_not_extend() -> None:
    assert RULES.extension_on_bid(one_bid(bg_terms()), sofia("2026-03-13 16:41")) is None


def test_the_extension_chain_is_bid_anchored_and_closes_at_17_21() -> None:
    t = bg_terms()
    deadline = t.closes_at
    for bid_at, expected in [("16:55", "17:05"), ("17:03", "17:13"), ("17:11", "17:21")]:
        extension = RULES.extension_on_bid(one_bid(t, deadline=deadline), sofia(f"2026-03-13 {bid_at}"))
        assert extension is not None
        assert extension.deadline == sofia(f"2026-03-13 {expected}")
        assert extension.rule.code == "BG-extension"
        deadline = extension.deadline


def test_a_bid_exactly_ten_minutes_before_the_close_changes_nothing() -> None:
    assert RULES.extension_on_bid(one_bid(bg_terms()), sofia("2026-03-13 16:50:00.000")) is None


def test_a_bid_a_millisecond_earlier_changes_nothing_and_a_millisecond_later_extends_by_a_millisecond() -> None:
    t = bg_terms()
    assert RULES.extension_on_bid(one_bid(t), sofia("2026-03-13 16:49:59.999")) is None
    extension = RULES.extension_on_bid(one_bid(t), sofia("2026-03-13 16:50:00.001"))
    assert extension is not None and extension.deadline == sofia("2026-03-13 17:00:00.001")


def test_the_hard_stop_is_48_hours_after_the_scheduled_close() -> None:
    assert RULES.hard_stop(bg_terms()) == sofia("2026-03-15 17:00")


def test_an_extension_past_the_cap_is_truncated_to_the_cap_naming_the_cap_rule() -> None:
    t = bg_terms()
    extension = RULES.extension_on_bid(one_bid(t, deadline=sofia("2026-03-15 16:58")), sofia("2026-03-15 16:55"))
    assert extension is not None
    assert extension.deadline == sofia("2026-03-15 17:00")
    assert extension.rule.code == "BG-cap"


def test_a_bid_when_the_deadline_already_is_the_cap_does_not_extend() -> None:
    t = bg_terms()
    assert RULES.extension_on_bid(one_bid(t, deadline=sofia("2026-03-15 17:00")), sofia("2026-03-15 16:58")) is None


def test_a_bid_at_the_cap_gets_no_extension() -> None:
    t = bg_terms()
    cap = sofia("2026-03-15 17:00")
    assert RULES.extension_on_bid(one_bid(t, deadline=cap), cap) is None


def test_the_cap_across_the_dst_change_is_48_elapsed_hours() -> None:
    t = terms(RULES, sofia("2026-03-27 17:00"), increment=eur(500))
    cap = RULES.hard_stop(t)
    assert cap is not None
    assert cap.astimezone(UTC).isoformat() == "2026-03-29T15:00:00+00:00"
    assert wall(RULES, cap) == "2026-03-29 18:00:00+03:00"


def test_the_cap_holds_for_a_scheduled_close_given_in_local_time() -> None:
    local_close = sofia("2026-03-27 17:00").astimezone(RULES.zone)
    t = terms(RULES, local_close, increment=eur(500))
    assert RULES.hard_stop(t) == at("UTC", "2026-03-29 15:00")


def test_a_bid_at_16_57_moves_the_close_to_17_07_eest() -> None:
    t = terms(RULES, sofia("2026-04-09 17:00"), increment=eur(500))
    extension = RULES.extension_on_bid(one_bid(t), sofia("2026-04-09 16:57"))
    assert extension is not None and wall(RULES, extension.deadline) == "2026-04-09 17:07:00+03:00"


def test_bulgaria_has_no_overtime_at_the_deadline() -> None:
    assert RULES.extension_at_deadline(one_bid(bg_terms())) is None


def test_local_shows_the_sofia_wall_clock() -> None:
    assert RULES.local(sofia("2026-03-13 17:00")).isoformat() == "2026-03-13T17:00:00+02:00"


@pytest.mark.parametrize(
    ("closed_at", "due"),
    [
        ("2026-03-13T17:00:00+02:00", "2026-03-16"),  # Friday close, Monday report
        ("2026-03-15T17:00:00+02:00", "2026-03-16"),  # the cap on a Sunday
        ("2026-04-09T17:00:00+03:00", "2026-04-14"),  # Orthodox Good Friday and Easter Monday
        ("2026-05-22T17:00:00+03:00", "2026-05-26"),  # 24 May on a Sunday, substitute Monday off
    ],
)
def test_the_report_is_due_on_the_first_working_day_after_bidding_ends(closed_at: str, due: str) -> None:
    from datetime import datetime

    assert RULES.report_due(datetime.fromisoformat(closed_at)).isoformat() == due
