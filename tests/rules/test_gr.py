"""Greece (docs/rules.md, Greece)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.model import AssetKind
from engine.policy import Draft, RuleViolation
from rules.gr import RULES
from tests.rules.builders import at, deadlines_after_bids, draft, eur

US = timedelta(microseconds=1)


def athens(text: str) -> datetime:
    return at("Europe/Athens", text)


OPENS = athens("2026-05-13 10:00")  # a Wednesday


def flat(opens: datetime = OPENS, **overrides: object) -> Draft:
    terms: dict[str, object] = dict(
        value=eur(200_000), deposit=eur(20_000), closes_at=opens + timedelta(hours=4)
    )
    terms.update(overrides)
    return draft(RULES, opens, **terms)  # type: ignore[arg-type]


@pytest.mark.parametrize("opens", ["2026-05-13 10:00", "2026-05-14 10:00", "2026-05-15 10:00"])
def test_an_auction_opens_on_a_working_wednesday_thursday_or_friday(opens: str) -> None:
    assert RULES.schedule(flat(athens(opens))).opens_at == athens(opens)


@pytest.mark.parametrize(
    ("opens", "why"),
    [
        ("2026-05-12 10:00", "Tuesday"),
        ("2026-05-16 10:00", "Saturday"),
        ("2026-03-25 10:00", "public holiday"),  # Wednesday, Independence Day
        ("2026-04-10 10:00", "public holiday"),  # Friday, Orthodox Good Friday
    ],
)
def test_another_day_or_a_wednesday_to_friday_holiday_is_refused(opens: str, why: str) -> None:
    with pytest.raises(RuleViolation, match=why) as caught:
        RULES.schedule(flat(athens(opens)))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "opens_at_not_allowed",
        "GR-auction-day",
    )


def test_the_day_is_the_athens_date_even_when_the_utc_date_differs() -> None:
    with pytest.raises(RuleViolation):
        RULES.schedule(flat(athens("2026-05-16 00:30")))  # still Friday 21:30 in UTC, Saturday in Athens
    assert RULES.schedule(flat(athens("2026-05-13 00:30"))).opens_at == athens("2026-05-13 00:30")


def test_an_immovable_starts_at_its_market_value_and_another_price_is_refused() -> None:
    assert RULES.schedule(flat()).starting_price == eur(200_000)
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(starting_price=eur(180_000)))
    assert caught.value.code == "starting_price_not_value"


def test_other_assets_need_a_given_starting_price() -> None:
    assert RULES.schedule(flat(asset=AssetKind.MOVABLE, starting_price=eur(5_000))).starting_price == eur(5_000)
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(asset=AssetKind.MOVABLE))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == (
        "starting_price_required",
        "GR-starting-price",
    )


def test_the_bid_security_is_set_by_the_notice_and_required() -> None:
    assert RULES.schedule(flat()).deposit_required == eur(20_000)
    assert RULES.admission(RULES.schedule(flat()), eur("19999.99"), OPENS - US) is not None
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(deposit=None))
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("deposit_required", "GR-deposit")


def test_registration_closes_at_exactly_opens_at() -> None:
    scheduled = RULES.schedule(flat())
    assert RULES.registration(scheduled, OPENS - US) is None
    refused = RULES.registration(scheduled, OPENS)
    assert refused is not None and (refused.reason, refused.rule and refused.rule.code) == (
        "registration_closed",
        "GR-registration",
    )


@pytest.mark.parametrize("minutes", [1, 60])
def test_a_notice_set_interval_of_1_or_60_minutes_extends_from_the_deadline(minutes: int) -> None:
    scheduled = RULES.schedule(flat(extension_minutes=minutes))
    close, interval = scheduled.closes_at, timedelta(minutes=minutes)
    assert deadlines_after_bids(RULES, scheduled, [close - interval, close]) == [close + interval, close + 2 * interval]


@pytest.mark.parametrize("minutes", [0, 61])
def test_an_interval_of_0_or_61_minutes_is_refused(minutes: int) -> None:
    with pytest.raises(RuleViolation) as caught:
        RULES.schedule(flat(extension_minutes=minutes))
    assert caught.value.code == "extension_minutes_out_of_range"
