"""Terms set by the notice (docs/rules.md, Terms set by the notice): a term is accepted only
where the country's rules use it and within its bounds; one they do not use is refused,
naming the rule, never silently ignored. And the generic notice-set soft close."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.model import UTC
from engine.policy import LegalRule, RuleViolation
from rules import load_rules
from rules.common import Anchor, NoticeSoftClose
from tests.rules.builders import at, draft, eur

RULE = LegalRule("XX-extension", "test")
MIN = timedelta(minutes=1)

# (country, opens_at, closes_at) that each country's rules accept without notice terms.
ACCEPTED = {
    "BG": ("Europe/Sofia", "2026-03-07 09:00", "2026-03-13 17:00"),
    "HR": ("Europe/Zagreb", "2026-04-28 09:00", "2026-05-12 13:00"),
    "LT": ("Europe/Vilnius", "2026-04-01 10:00", None),
    "SI": ("Europe/Ljubljana", "2026-06-10 10:00", "2026-06-10 10:30"),
    "SE": ("Europe/Stockholm", "2026-05-08 19:00", "2026-05-15 19:00"),
}
# The terms each of these countries does not use, and the rule named when one is given.
UNUSED = [
    ("SE", "increment", eur(100), "SE-increment"),
    ("SE", "extension_minutes", 5, "SE-extension"),
    ("SE", "deposit", eur(100), "SE-deposit"),
    ("SE", "zone", "Europe/Stockholm", "SE-duration"),
    ("HR", "increment", eur(500), "HR-increment"),
    ("HR", "extension_minutes", 10, "HR-extension"),
    ("HR", "deposit", eur(10_000), "HR-deposit"),
    ("LT", "increment", eur(1_000), "LT-increment"),
    ("LT", "extension_minutes", 5, "LT-duration"),
    ("BG", "extension_minutes", 10, "BG-extension"),
    ("BG", "deposit", eur(8_000), "BG-deposit"),
    ("SI", "deposit", eur(20_000), "SI-deposit"),
    ("SI", "zone", "Europe/Ljubljana", "SI-duration"),
]


def schedule_with(country: str, **term: object) -> object:
    rules = load_rules(country)
    zone, opens, closes = ACCEPTED[country]
    extra = {"increment": eur(500)} if country == "BG" and "increment" not in term else {}
    return rules.schedule(
        draft(rules, at(zone, opens), closes_at=at(zone, closes) if closes else None, **extra, **term)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("country", "term", "value", "rule"), UNUSED)
def test_a_term_the_country_does_not_use_is_refused_naming_its_rule(
    country: str, term: str, value: object, rule: str
) -> None:
    schedule_with(country)  # the same schedule without the term stands
    with pytest.raises(RuleViolation) as caught:
        schedule_with(country, **{term: value})
    assert (caught.value.code, caught.value.rule and caught.value.rule.code) == ("term_not_used", rule)
    assert term in caught.value.message


def test_a_swedish_schedule_with_an_increment_is_refused_rather_than_shown_and_ignored() -> None:
    with pytest.raises(RuleViolation, match="increment") as caught:
        schedule_with("SE", increment=eur(100))
    assert caught.value.rule is not None and "Free increments" in caught.value.rule.reading


@pytest.mark.parametrize("country", ["BG", "SI"])
def test_an_increment_is_still_accepted_where_the_country_uses_it(country: str) -> None:
    assert schedule_with(country, increment=eur(1_000)).increment == eur(1_000)  # type: ignore[attr-defined]


def test_a_notice_set_soft_close_checks_its_bounds_inclusively() -> None:
    notice = NoticeSoftClose(RULE)
    for minutes in (None, 1, 60):
        notice.check(minutes)
    for minutes in (0, 61, -5):
        with pytest.raises(RuleViolation) as caught:
            notice.check(minutes)
        assert (caught.value.code, caught.value.rule) == ("extension_minutes_out_of_range", RULE)


def test_a_required_notice_set_interval_must_be_given() -> None:
    with pytest.raises(RuleViolation) as caught:
        NoticeSoftClose(RULE, required=True).check(None)
    assert caught.value.code == "extension_minutes_required"


def test_without_an_interval_the_notice_set_soft_close_never_extends() -> None:
    assert NoticeSoftClose(RULE).for_minutes(None) is None


def test_the_notice_set_interval_is_a_deadline_anchored_inclusive_window_of_the_same_length() -> None:
    soft_close = NoticeSoftClose(RULE).for_minutes(7)
    assert soft_close is not None
    deadline = at("Europe/Riga", "2026-05-15 12:00")
    assert (soft_close.anchor, soft_close.rule, soft_close.length) == (Anchor.DEADLINE, RULE, 7 * MIN)
    assert soft_close.triggers(deadline, deadline - 7 * MIN)
    assert not soft_close.triggers(deadline, deadline - 7 * MIN - timedelta(microseconds=1))
    assert not soft_close.triggers(deadline, deadline)
    assert soft_close.new_deadline(deadline, deadline - MIN) == (deadline + 7 * MIN).astimezone(UTC)
