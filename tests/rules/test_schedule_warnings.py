"""Non-blocking warnings about a schedule the rules accept (docs/rules.md,
Schedule warnings: AMBIG-BG-4 for Bulgaria, working day 10 for Croatia), on the real 2026
calendars of the ``holidays`` package and across the DST change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from engine.model import Terms
from engine.policy import AuctionRules, RuleViolation, ScheduleWarning, WarnsOnSchedule, schedule_warnings
from rules import load_rules
from rules.bg import RULES as BG
from rules.hr import RULES as HR
from tests.rules.builders import at, draft, eur, terms, wall


def sofia(text: str) -> datetime:
    return at("Europe/Sofia", text)


def zagreb(text: str) -> datetime:
    return at("Europe/Zagreb", text)


def bg_warnings(opens: str, closes: str | None = None) -> tuple[ScheduleWarning, ...]:
    """Schedule through the rules (so the close is accepted first), then ask for the warnings."""
    given = sofia(closes) if closes is not None else None
    scheduled = BG.schedule(draft(BG, sofia(opens), increment=eur(500), closes_at=given))
    return BG.warnings(scheduled)


def hr_warnings(opens: str, closes: str | None = None) -> tuple[ScheduleWarning, ...]:
    given = zagreb(closes) if closes is not None else None
    return HR.warnings(HR.schedule(draft(HR, zagreb(opens), closes_at=given)))


def codes(warnings: tuple[ScheduleWarning, ...]) -> list[tuple[str, str]]:
    return [(w.code, w.rule.code) for w in warnings]


# -- Bulgaria: AMBIG-BG-4 ------------------------------------------------------


def test_the_close_on_day_7_thursday_9_april_gives_no_warning() -> None:
    assert bg_warnings("2026-04-03 10:00") == ()
    assert bg_warnings("2026-04-03 10:00", "2026-04-09 17:00") == ()


def test_a_close_counted_as_start_plus_7_is_accepted_with_two_warnings() -> None:
    close = sofia("2026-04-10 17:00")  # Fri 10 April: day 8, and Orthodox Good Friday
    scheduled = BG.schedule(draft(BG, sofia("2026-04-03 10:00"), increment=eur(500), closes_at=close))
    assert scheduled.closes_at == close  # not blocked: the close stands as given
    count, holiday = BG.warnings(scheduled)
    assert (count.code, count.rule.code) == ("close_date_not_period_end", "BG-duration")
    assert count.message == (
        "the close is on Fri 2026-04-10 (day 8), but the 7-day bidding period counted from Fri 2026-04-03 "
        "as day 1 ends on Thu 2026-04-09; the close stands as given"
    )
    assert (holiday.code, holiday.rule.code) == ("close_date_not_working_day", "BG-duration")
    assert holiday.message == (
        "the last day of bidding, Fri 2026-04-10, is not a working day: it is a public holiday (Good Friday); "
        "the close stands as given"
    )


def test_a_derived_close_on_a_holiday_warns_only_about_the_holiday() -> None:
    # Opening on Sat 4 April puts day 7 on Good Friday: the count is right, the day is not a working one.
    warnings = bg_warnings("2026-04-04 10:00")
    assert codes(warnings) == [("close_date_not_working_day", "BG-duration")]
    assert "Fri 2026-04-10" in warnings[0].message and "Good Friday" in warnings[0].message


@pytest.mark.parametrize(
    ("opens", "why"),
    [
        # Sun 24 May falls at the weekend, so Mon 25 May is the substitute day off.
        (
            "2026-05-19 10:00",
            "a public holiday (Day of Slavonic Alphabet, Bulgarian Enlightenment and Culture (observed))",
        ),
        # Fri 2 Jan 2026: the non-working day the package lists (Council of Ministers decision).
        ("2025-12-27 10:00", "a public holiday (Non-working day)"),
        ("2026-03-01 10:00", "a Saturday"),
        ("2026-04-05 10:00", "a Saturday and a public holiday (Holy Saturday)"),
        ("2026-03-02 10:00", "a Sunday"),
    ],
)
def test_a_last_day_that_is_not_a_bulgarian_working_day_is_warned_about(opens: str, why: str) -> None:
    (warning,) = bg_warnings(opens)
    assert warning.code == "close_date_not_working_day"
    assert f"is not a working day: it is {why};" in warning.message


def test_a_saturday_opening_and_a_friday_close_gives_no_warning() -> None:
    assert bg_warnings("2026-03-07 09:00") == ()
    assert bg_warnings("2026-03-07 09:00", "2026-03-13 17:00") == ()


def test_a_close_before_day_7_is_warned_about_too() -> None:
    warnings = bg_warnings("2026-03-07 09:00", "2026-03-12 17:00")
    assert codes(warnings) == [("close_date_not_period_end", "BG-duration")]
    assert "Thu 2026-03-12 (day 6)" in warnings[0].message and "ends on Fri 2026-03-13" in warnings[0].message


def test_the_count_runs_across_the_spring_dst_change_on_local_dates() -> None:
    # Fri 27 March 10:00 EET; the clocks go forward on Sun 29 March; day 7 is Thu 2 April, 17:00 EEST.
    scheduled = BG.schedule(draft(BG, sofia("2026-03-27 10:00"), increment=eur(500)))
    assert wall(BG, scheduled.closes_at) == "2026-04-02 17:00:00+03:00"
    assert BG.warnings(scheduled) == ()
    given = datetime.fromisoformat("2026-04-02T14:00:00+00:00")  # the same close, given in UTC
    assert BG.warnings(BG.schedule(draft(BG, sofia("2026-03-27 10:00"), increment=eur(500), closes_at=given))) == ()


def test_day_1_is_the_local_date_of_opening_in_the_night_of_the_dst_change() -> None:
    # 00:30 EET on Sun 29 March is still Sat 28 March in UTC: counting UTC dates would end on Fri 3 April.
    opens = sofia("2026-03-29 00:30")
    assert opens.date().isoformat() == "2026-03-28"
    derived = bg_warnings("2026-03-29 00:30")
    assert codes(derived) == [("close_date_not_working_day", "BG-duration")]  # day 7 is Sat 4 April
    assert "Sat 2026-04-04" in derived[0].message
    given = bg_warnings("2026-03-29 00:30", "2026-04-03 17:00")
    assert codes(given) == [("close_date_not_period_end", "BG-duration")]
    assert "(day 6)" in given[0].message and "counted from Sun 2026-03-29" in given[0].message


def test_a_close_not_at_17_00_is_still_refused_rather_than_warned_about() -> None:
    with pytest.raises(RuleViolation) as caught:
        BG.schedule(draft(BG, sofia("2026-04-03 10:00"), increment=eur(500), closes_at=sofia("2026-04-10 16:00")))
    assert caught.value.code == "closes_at_not_allowed"


# -- Croatia: working day 10 ---------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        ("2026-04-28 09:00", "2026-05-12 13:00"),  # across Labour Day and a weekend
        ("2026-04-01 10:00", "2026-04-15 10:00"),  # Good Friday works, Easter Monday does not
        ("2026-06-01 11:30", "2026-06-15 11:30"),  # Corpus Christi
        ("2026-06-15 14:00", "2026-06-29 14:00"),  # Anti-Fascist Struggle Day
        ("2026-08-12 10:00", "2026-08-25 10:00"),  # Assumption on a Saturday costs no working day
    ],
)
def test_a_close_on_working_day_10_gives_no_warning(opens: str, closes: str) -> None:
    assert hr_warnings(opens, closes) == ()
    assert hr_warnings(opens) == ()  # the derived close is on working day 10 by construction


@pytest.mark.parametrize(
    ("opens", "closes", "position", "day_10"),
    [
        ("2026-04-28 09:00", "2026-05-13 13:00", "Wed 2026-05-13 (working day 11)", "Tue 2026-05-12"),  # a day late
        ("2026-04-01 10:00", "2026-04-16 10:00", "Thu 2026-04-16 (working day 11)", "Wed 2026-04-15"),  # a day late
        ("2026-06-01 11:30", "2026-06-16 11:30", "Tue 2026-06-16 (working day 11)", "Mon 2026-06-15"),  # a day late
        ("2026-04-28 09:00", "2026-05-08 13:00", "Fri 2026-05-08 (working day 8)", "Tue 2026-05-12"),
    ],
)
def test_a_close_on_another_working_day_is_accepted_with_a_warning(
    opens: str, closes: str, position: str, day_10: str
) -> None:
    scheduled = HR.schedule(draft(HR, zagreb(opens), closes_at=zagreb(closes)))
    assert scheduled.closes_at == zagreb(closes)
    (warning,) = HR.warnings(scheduled)
    assert (warning.code, warning.rule.code) == ("close_date_not_period_end", "HR-duration")
    assert warning.message.startswith(f"the close is on {position}, but the bidding period of 10 working days")
    assert warning.message.endswith(f"ends on {day_10}; the close stands as given")


@pytest.mark.parametrize(
    ("closes", "position"),
    [
        ("2027-04-27 13:00", "Tue 2027-04-27 (working day 252)"),  # within a year: counted
        ("2027-04-30 13:00", "Fri 2027-04-30 (more than 366 days after day 1)"),
        ("8998-05-14 13:00", "Mon 8998-05-14 (more than 366 days after day 1)"),  # no day-by-day count to there
    ],
)
def test_a_croatian_close_far_out_is_named_without_counting_every_working_day(closes: str, position: str) -> None:
    (warning,) = hr_warnings("2026-04-28 09:00", closes)
    assert warning.message.startswith(f"the close is on {position}, but the bidding period")


def test_closes_outside_09_to_15_or_on_a_non_working_day_are_still_refused() -> None:
    for close in ("2026-05-12 16:00", "2026-06-04 11:00", "2026-05-30 11:00"):
        with pytest.raises(RuleViolation):
            HR.schedule(draft(HR, zagreb("2026-04-28 09:00"), closes_at=zagreb(close)))


def test_the_croatian_count_starts_on_the_local_date_of_opening() -> None:
    # Tue 31 March 00:30 CEST is Mon 30 March in UTC; day 1 is Tuesday, so day 10 is Tue 14 April
    # (Easter Monday, 6 April, does not count).
    opens = zagreb("2026-03-31 00:30")
    assert opens.date().isoformat() == "2026-03-30"
    assert hr_warnings("2026-03-31 00:30", "2026-04-14 10:00") == ()
    (warning,) = hr_warnings("2026-03-31 00:30", "2026-04-13 10:00")
    assert "Mon 2026-04-13 (working day 9)" in warning.message


def test_the_croatian_count_runs_across_the_spring_dst_change() -> None:
    # Fri 27 March 10:00 CET; clocks go forward on Sun 29 March; working day 10 is Fri 10 April.
    scheduled = HR.schedule(draft(HR, zagreb("2026-03-27 10:00")))
    assert wall(HR, scheduled.closes_at) == "2026-04-10 10:00:00+02:00"
    assert HR.warnings(scheduled) == ()
    assert hr_warnings("2026-03-27 10:00", "2026-04-10 14:30") == ()
    (warning,) = hr_warnings("2026-03-27 10:00", "2026-04-09 14:30")
    assert "Thu 2026-04-09 (working day 9)" in warning.message


def test_a_croatian_opening_on_a_holiday_counts_from_the_next_working_day() -> None:
    # Opens on Easter Monday (not a working day): day 1 is Tue 7 April, day 10 Mon 20 April.
    assert hr_warnings("2026-04-06 10:00", "2026-04-20 10:00") == ()
    (warning,) = hr_warnings("2026-04-06 10:00", "2026-04-17 10:00")
    assert "Fri 2026-04-17 (working day 9)" in warning.message


# -- the mechanism ----------------------------------------------------------------


@pytest.mark.parametrize("country", ["LT", "SI", "SE"])
def test_countries_whose_law_gives_no_warning_return_none(country: str) -> None:
    rules = load_rules(country)
    t = terms(rules, datetime.fromisoformat("2026-05-16T10:00:00+00:00"))  # a Saturday close
    assert isinstance(rules, WarnsOnSchedule)
    assert rules.warnings(t) == ()
    assert schedule_warnings(rules, t) == ()


def test_warnings_name_a_rule_of_the_rule_book_with_its_basis() -> None:
    (count, holiday) = bg_warnings("2026-04-03 10:00", "2026-04-10 17:00")
    assert count.rule in BG.rules() and holiday.rule in BG.rules()
    assert "7 days" in count.rule.basis and "AMBIG-BG-4" in count.rule.reading
    assert count.to_json() == {"code": "close_date_not_period_end", "message": count.message, "rule": "BG-duration"}
    (hr,) = hr_warnings("2026-04-28 09:00", "2026-05-13 13:00")
    assert hr.rule in HR.rules() and "10 working days" in hr.rule.basis


def test_a_rule_book_without_the_optional_method_has_no_warnings() -> None:
    @dataclass
    class Bare:
        """Delegates the AuctionRules protocol to the HR rules but has no ``warnings``."""

        inner: AuctionRules

        def __getattr__(self, name: str) -> object:
            if name == "warnings":
                raise AttributeError(name)
            return getattr(self.inner, name)

    t: Terms = HR.schedule(draft(HR, zagreb("2026-04-28 09:00"), closes_at=zagreb("2026-05-13 13:00")))
    assert len(schedule_warnings(HR, t)) == 1
    assert schedule_warnings(Bare(HR), t) == ()  # type: ignore[arg-type]
