"""Working-day calendars per country.

docs/rules.md, Working days: a working day is Monday to Friday minus the country's public
holidays as the ``holidays`` package lists them. Only the package's *public*
category is used: Slovenia's "workday" holidays (days of remembrance that are
not work-free) and Sweden's "de facto" days (Midsummer Eve, Christmas Eve,
New Year's Eve) are working days under that reading. Weekend substitution is
whatever the package applies with ``observed=True``: Bulgaria moves a holiday
that falls at the weekend to the next working day (Mon 25 May 2026); Croatia,
Slovenia and Lithuania have no substitution rule in the package, which matches
docs/rules.md.

The holiday lists are outside knowledge, not part of the law: anything the
package gets wrong is corrected in :data:`CORRECTIONS` below, as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays

WEEKEND = frozenset({5, 6})  # Saturday, Sunday in all five countries
PUBLIC = "public"
NAMES_LANGUAGE = "en_US"  # for messages only; which days are holidays never depends on it
ONE_DAY = timedelta(days=1)
# English names for messages, independent of the process's locale (strftime's %A is not).
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class UnknownCalendar(LookupError):
    """No working-day calendar exists for the country code."""


@dataclass(frozen=True)
class Correction:
    """Where a country's calendar departs from the package: ``closed`` days are
    added as non-working, ``open`` days are removed from the package's holidays."""

    closed: frozenset[date] = frozenset()
    open: frozenset[date] = frozenset()
    note: str = ""


# Corrections to the package's public holidays. Checked against the 2026
# lists in tests/rules/test_calendar.py (holidays 0.109): HR, LT and SI agree
# day for day. BG agrees and additionally lists Fri 2 Jan 2026, the non-working
# day declared by Council of Ministers Resolution 808 of 19 Nov 2025; the
# package is binding (docs/rules.md, Working days), so it stays. SE's public
# list agrees; its de facto days are not public holidays (see module docstring).
# To add a government bridge day or undo a wrong entry, add it here.
CORRECTIONS: Mapping[str, Correction] = MappingProxyType({})


@lru_cache(maxsize=256)
def _package_holidays(country: str, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays(country, years=year, categories=(PUBLIC,), observed=True)
    except NotImplementedError:
        raise UnknownCalendar(f"no public-holiday calendar for country {country!r}") from None
    return frozenset(calendar.keys())


@lru_cache(maxsize=256)
def _package_names(country: str, year: int) -> Mapping[date, str]:
    calendar = holidays.country_holidays(
        country, years=year, categories=(PUBLIC,), observed=True, language=NAMES_LANGUAGE
    )
    return MappingProxyType(dict(calendar.items()))


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday-Friday minus public holidays, with corrections applied."""

    country: str
    correction: Correction = field(default_factory=Correction)

    def public_holidays(self, year: int) -> frozenset[date]:
        """The public holidays of ``year`` (weekend days included where the package lists them)."""
        days = _package_holidays(self.country, year)
        closed = {d for d in self.correction.closed if d.year == year}
        return (days | closed) - self.correction.open

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in WEEKEND and day not in self.public_holidays(day.year)

    def why_not_working(self, day: date) -> str | None:
        """Why ``day`` is not a working day, in words ("a Saturday and a public holiday
        (Holy Saturday)"); ``None`` when it is one."""
        reasons = []
        if day.weekday() in WEEKEND:
            reasons.append(f"a {DAY_NAMES[day.weekday()]}")
        if day in self.public_holidays(day.year):
            name = None if day in self.correction.closed else _package_names(self.country, day.year).get(day)
            reasons.append(f"a public holiday ({name})" if name else "a public holiday")
        return " and ".join(reasons) or None

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie from ``start`` to ``end``, both included (0 when ``end`` is earlier)."""
        count = 0
        day = start
        while day <= end:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count

    def nth_working_day(self, start: date, n: int) -> date:
        """The ``n``-th working day from ``start``, which is day 1 when it is a working day."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day = start
        count = 0
        while True:
            if self.is_working_day(day):
                count += 1
                if count == n:
                    return day
            day += ONE_DAY

    def working_days_before(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly before ``day`` (``day`` itself never counts)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        count = 0
        while True:
            day -= ONE_DAY
            if self.is_working_day(day):
                count += 1
                if count == n:
                    return day

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day


def day_label(day: date) -> str:
    """``"Fri 2026-04-10"``: a date as messages show it."""
    return f"{DAY_NAMES[day.weekday()][:3]} {day.isoformat()}"


def calendar_for(country: str) -> WorkingCalendar:
    code = country.upper()
    return WorkingCalendar(code, CORRECTIONS.get(code, Correction()))


def is_working_day(country: str, day: date) -> bool:
    return calendar_for(country).is_working_day(day)


def nth_working_day(country: str, start_date: date, n: int) -> date:
    return calendar_for(country).nth_working_day(start_date, n)


def working_days_before(country: str, day: date, n: int) -> date:
    return calendar_for(country).working_days_before(day, n)


def next_working_day(country: str, day: date) -> date:
    return calendar_for(country).next_working_day(day)
