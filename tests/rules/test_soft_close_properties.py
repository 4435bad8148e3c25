"""Property tests of the soft-close rules of every country.

For any deadline in force and any bid time near it: the deadline returned by
``extension_on_bid`` is never earlier than (indeed strictly after) the current
one, never beyond Bulgaria's hard stop, only given for a bid inside the
country's trigger window, and equal to the formula in docs/rules.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import UTC, AuctionState, Terms
from engine.policy import AuctionRules
from rules import bg, cz, ee, gr, hr, lt, lv, pt, se, si
from tests.rules.builders import state, terms

MS = timedelta(milliseconds=1)
MIN = timedelta(minutes=1)
BOOKS: dict[str, AuctionRules] = {
    "BG": bg.RULES,
    "HR": hr.RULES,
    "LT": lt.RULES,
    "SI": si.RULES,
    "SE": se.RULES,
    "EE": ee.RULES,
    "LV": lv.RULES,
    "CZ": cz.RULES,
    "PT": pt.RULES,
    "GR": gr.RULES,
}
# The notice-set interval (extension_minutes) of the countries whose notice sets it, at its bounds and between.
NOTICE_MINUTES = {"EE": 5, "LV": 1, "PT": 60, "GR": 3}
# Scheduled closes chosen so that extensions and the BG cap cross both DST changes.
CLOSES = [
    datetime(2026, 3, 27, 15, 0, tzinfo=UTC),
    datetime(2026, 10, 23, 15, 0, tzinfo=UTC),
    datetime(2026, 6, 10, 8, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 55, tzinfo=UTC),
]
# Remaining time exactly at a window edge, in ms.
EDGES = [0, 60_000, 2 * 60_000, 3 * 60_000, 5 * 60_000, 10 * 60_000, 60 * 60_000]

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def milliseconds(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(low, high), st.sampled_from([e for e in EDGES if low <= e <= high]))


@st.composite
def situations(draw: st.DrawFn, country: str) -> tuple[AuctionState, datetime]:
    """An open auction with at least one accepted bid, its deadline in force, and a bid time near it."""
    book = BOOKS[country]
    close = draw(st.sampled_from(CLOSES))
    t = terms(book, close, starting_price=100, increment=100, extension_minutes=NOTICE_MINUTES.get(country))
    stop = book.hard_stop(t)
    longest = int(((stop - close) if stop is not None else timedelta(hours=60)) / MS)
    extended = draw(st.one_of(st.just(0), st.integers(0, longest)))
    deadline = close + extended * MS
    remaining = draw(milliseconds(-60_000, 70 * 60_000))
    bid_at = deadline - remaining * MS
    return state(t, deadline=deadline, bids=[(100, t.opens_at)]), bid_at


def in_trigger_window(country: str, s: AuctionState, at: datetime) -> bool:
    assert s.deadline is not None and s.terms is not None
    remaining = s.deadline - at
    if country in ("BG", "HR"):
        return timedelta(0) < remaining <= 10 * MIN
    if country == "SI":
        return timedelta(0) < remaining <= 2 * MIN
    if country == "SE":
        return timedelta(0) < remaining < 2 * MIN
    if country == "CZ":
        return timedelta(0) < remaining < 5 * MIN
    if country in NOTICE_MINUTES:
        return timedelta(0) < remaining <= NOTICE_MINUTES[country] * MIN
    return s.terms.closes_at <= at < s.deadline  # LT: overtime only


def part_a_deadline(country: str, s: AuctionState, at: datetime) -> datetime:
    assert s.deadline is not None and s.terms is not None
    if country == "BG":
        return min(max(s.deadline, at + 10 * MIN), s.terms.closes_at + timedelta(hours=48))
    if country == "HR":
        return max(s.deadline, at + 10 * MIN)
    if country in ("LT", "CZ"):
        return max(s.deadline, at + 5 * MIN)
    if country in NOTICE_MINUTES:
        return s.deadline + NOTICE_MINUTES[country] * MIN  # the notice-set soft close: deadline-anchored
    return s.deadline + 2 * MIN  # SI, SE: deadline-anchored


@pytest.mark.parametrize("country", sorted(BOOKS))
@PROPERTY
@given(data=st.data())
def test_an_extension_never_moves_the_deadline_earlier_and_only_comes_from_the_window(
    country: str, data: st.DataObject
) -> None:
    s, bid_at = data.draw(situations(country))
    assert s.deadline is not None
    extension = BOOKS[country].extension_on_bid(s, bid_at)
    if extension is not None:
        assert extension.deadline > s.deadline
        assert in_trigger_window(country, s, bid_at)
        assert extension.rule.code.startswith(f"{country}-")


@pytest.mark.parametrize("country", sorted(BOOKS))
@PROPERTY
@given(data=st.data())
def test_the_new_deadline_is_the_part_a_formula_whenever_the_bid_is_in_the_window(
    country: str, data: st.DataObject
) -> None:
    s, bid_at = data.draw(situations(country))
    assert s.deadline is not None
    extension = BOOKS[country].extension_on_bid(s, bid_at)
    if not in_trigger_window(country, s, bid_at):
        assert extension is None
        return
    expected = part_a_deadline(country, s, bid_at)
    if expected > s.deadline:
        assert extension is not None and extension.deadline == expected
    else:
        assert extension is None


@PROPERTY
@given(data=st.data())
def test_a_bulgarian_extension_never_passes_the_hard_stop(data: st.DataObject) -> None:
    s, bid_at = data.draw(situations("BG"))
    assert s.terms is not None
    extension = bg.RULES.extension_on_bid(s, bid_at)
    stop = bg.RULES.hard_stop(s.terms)
    assert stop is not None and stop - s.terms.closes_at == timedelta(hours=48)
    if extension is not None:
        assert extension.deadline <= stop
        assert extension.rule.code == (
            "BG-cap" if extension.deadline == stop and bid_at + 10 * MIN > stop else "BG-extension"
        )


@PROPERTY
@given(
    close=st.sampled_from(CLOSES),
    extended=st.integers(0, 3_600_000),
    bids=st.integers(0, 3),
)
def test_lithuanian_overtime_starts_only_at_the_scheduled_close_and_only_with_a_bid(
    close: datetime, extended: int, bids: int
) -> None:
    t: Terms = terms(lt.RULES, close, starting_price=100)
    s = state(t, deadline=close + extended * MS, bids=[(100 * (n + 1), t.opens_at) for n in range(bids)])
    extension = lt.RULES.extension_at_deadline(s)
    if extended == 0 and bids:
        assert extension is not None and extension.deadline == close + 5 * MIN
        assert extension.rule.code == "LT-overtime"
    else:
        assert extension is None


@pytest.mark.parametrize("country", sorted(set(BOOKS) - {"LT"}))
@PROPERTY
@given(close=st.sampled_from(CLOSES), bids=st.integers(0, 2))
def test_only_lithuania_extends_at_the_deadline(country: str, close: datetime, bids: int) -> None:
    minutes = NOTICE_MINUTES.get(country)
    t = terms(BOOKS[country], close, starting_price=100, increment=100, extension_minutes=minutes)
    s = state(t, bids=[(100 * (n + 1), t.opens_at) for n in range(bids)])
    assert BOOKS[country].extension_at_deadline(s) is None


@pytest.mark.parametrize("country", ["LV", "PT", "GR"])
@PROPERTY
@given(data=st.data())
def test_without_a_notice_set_interval_no_bid_extends(country: str, data: st.DataObject) -> None:
    s, bid_at = data.draw(situations(country))
    assert s.terms is not None
    plain = msgspec.structs.replace(s, terms=msgspec.structs.replace(s.terms, extension_minutes=None))
    assert BOOKS[country].extension_on_bid(plain, bid_at) is None
