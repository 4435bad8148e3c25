"""Working-day calendars (docs/rules.md, Working days; the 2026 public-holiday lists)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rules.calendar import (
    Correction,
    UnknownCalendar,
    WorkingCalendar,
    is_working_day,
    next_working_day,
    nth_working_day,
    working_days_before,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def weekday_holidays_2026(country: str) -> set[date]:
    day, found = date(2026, 1, 1), set()
    while day.year == 2026:
        if day.weekday() < 5 and not is_working_day(country, day):
            found.add(day)
        day += timedelta(days=1)
    return found


# The 2026 public-holiday lists, reduced to the days that fall Monday-Friday (weekend
# holidays cost no working day). BG additionally has Fri 2 Jan 2026, a
# government non-working day the `holidays` package lists (docs/rules.md, Working days).
RULE_BOOK_2026 = {
    "BG": "01-01 01-02 03-03 04-10 04-13 05-01 05-06 05-25 09-07 09-22 12-24 12-25 12-28",
    "HR": "01-01 01-06 04-06 05-01 06-04 06-22 08-05 11-18 12-25",
    "LT": "01-01 02-16 03-11 04-06 05-01 06-24 07-06 11-02 12-24 12-25",
    "SI": "01-01 01-02 04-06 04-27 05-01 06-25 12-25",
    "SE": "01-01 01-06 04-03 04-06 05-01 05-14 12-25",
}


@pytest.mark.parametrize("country", sorted(RULE_BOOK_2026))
def test_the_2026_weekday_holidays_are_exactly_the_rule_books(country: str) -> None:
    expected = {d(f"2026-{md}") for md in RULE_BOOK_2026[country].split()}
    assert weekday_holidays_2026(country) == expected


def test_croatian_good_friday_and_25_june_are_working_days() -> None:
    assert is_working_day("HR", d("2026-04-03"))
    assert is_working_day("HR", d("2026-06-25"))


def test_croatian_holidays_of_2026_are_not_working_days() -> None:
    for day in ("2026-04-06", "2026-05-01", "2026-06-04", "2026-06-22", "2026-08-05", "2026-11-18", "2026-12-25"):
        assert not is_working_day("HR", d(day)), day


def test_slovenian_uprising_day_27_april_is_not_a_working_day() -> None:
    assert not is_working_day("SI", d("2026-04-27"))


def test_bulgaria_moves_a_weekend_holiday_to_the_next_monday() -> None:
    assert not is_working_day("BG", d("2026-05-25"))  # 24 May is a Sunday
    assert not is_working_day("BG", d("2026-09-07"))  # 6 Sep is a Sunday
    assert not is_working_day("BG", d("2026-12-28"))  # 26 Dec is a Saturday


@pytest.mark.parametrize(
    ("country", "monday"),
    [
        ("HR", "2026-06-01"),  # Statehood Day, Sat 30 May
        ("HR", "2026-08-17"),  # Assumption, Sat 15 Aug
        ("HR", "2026-12-28"),  # St Stephen, Sat 26 Dec
        ("SI", "2026-05-04"),  # Labour Day, Sat 2 May
        ("SI", "2026-11-02"),  # Remembrance Day, Sun 1 Nov
        ("LT", "2026-08-17"),  # Assumption, Sat 15 Aug
    ],
)
def test_croatia_slovenia_and_lithuania_do_not_substitute_weekend_holidays(country: str, monday: str) -> None:
    assert is_working_day(country, d(monday))


def test_slovenian_holidays_that_are_not_work_free_are_working_days() -> None:
    assert is_working_day("SI", d("2026-06-08"))  # Primož Trubar Day
    assert is_working_day("SI", d("2026-11-23"))  # Rudolf Maister Day


def test_swedish_de_facto_days_are_working_days_under_the_public_calendar() -> None:
    for day in ("2026-06-19", "2026-12-24", "2026-12-31"):
        assert is_working_day("SE", d(day)), day


def test_weekends_are_never_working_days() -> None:
    for country in RULE_BOOK_2026:
        assert not is_working_day(country, d("2026-03-07"))
        assert not is_working_day(country, d("2026-03-08"))


def test_ten_croatian_working_days_from_28_april_end_on_12_may() -> None:
    assert nth_working_day("HR", d("2026-04-28"), 10) == d("2026-05-12")


@pytest.mark.parametrize(
    ("start", "tenth"),
    [
        ("2026-04-01", "2026-04-15"),  # Easter Monday; Good Friday counts
        ("2026-06-01", "2026-06-15"),  # Corpus Christi
        ("2026-06-15", "2026-06-29"),  # Anti-Fascist Struggle Day; 25 June counts
        ("2026-08-12", "2026-08-25"),  # Assumption on a Saturday costs nothing
    ],
)
def test_e9_and_tenth_croatian_working_day(start: str, tenth: str) -> None:
    assert nth_working_day("HR", d(start), 10) == d(tenth)


def test_a_start_day_that_is_not_a_working_day_is_not_counted() -> None:
    assert nth_working_day("HR", d("2026-05-01"), 1) == d("2026-05-04")
    assert nth_working_day("HR", d("2026-05-01"), 10) == d("2026-05-15")


def test_a_working_start_day_is_day_one() -> None:
    assert nth_working_day("HR", d("2026-04-28"), 1) == d("2026-04-28")


def test_three_slovenian_working_days_before_tuesday_28_april_is_wednesday_22_april() -> None:
    assert working_days_before("SI", d("2026-04-28"), 3) == d("2026-04-22")
    assert working_days_before("SI", d("2026-04-28"), 1) == d("2026-04-24")


@pytest.mark.parametrize(
    ("after", "report"),
    [
        ("2026-03-13", "2026-03-16"),  # Friday close, Monday report
        ("2026-04-09", "2026-04-14"),  # Orthodox Good Friday to Easter Monday
        ("2026-05-22", "2026-05-26"),  # Monday 25 May is the substitute day off
    ],
)
def test_next_bulgarian_working_day(after: str, report: str) -> None:
    assert next_working_day("BG", d(after)) == d(report)


def test_next_working_day_is_strictly_after_a_working_day() -> None:
    assert next_working_day("HR", d("2026-05-11")) == d("2026-05-12")


def test_counts_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        nth_working_day("HR", d("2026-05-11"), 0)
    with pytest.raises(ValueError):
        working_days_before("SI", d("2026-05-11"), 0)


def test_a_country_without_a_calendar_is_refused() -> None:
    with pytest.raises(UnknownCalendar):
        is_working_day("XX", d("2026-05-11"))


def test_country_codes_are_case_insensitive() -> None:
    assert not is_working_day("si", d("2026-04-27"))


def test_a_correction_adds_a_bridge_day_and_removes_a_wrong_holiday() -> None:
    corrected = WorkingCalendar(
        "HR", Correction(closed=frozenset({d("2026-04-03")}), open=frozenset({d("2026-06-04")}))
    )
    assert not corrected.is_working_day(d("2026-04-03"))
    assert corrected.is_working_day(d("2026-06-04"))
    assert corrected.nth_working_day(d("2026-06-01"), 10) == d("2026-06-12")


def test_calendars_work_for_other_years() -> None:
    assert not is_working_day("HR", d("2027-03-29"))  # Easter Monday 2027
    assert is_working_day("HR", d("2027-03-26"))
