"""Hypothesis strategies for a lot's details (engine.details): valid ones, and amendments of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from engine.details import (
    FIELDS,
    AssetFacts,
    Contact,
    Coordinates,
    Location,
    LotDetails,
    LotKind,
    Viewing,
)

WORDS = st.text(alphabet="abcdefghij ĐđŠšČčŽžĄąĖėЖж", min_size=1, max_size=20).map(str.strip).filter(bool)
START = datetime(2027, 1, 4, 8, tzinfo=UTC)


@st.composite
def viewings(draw: st.DrawFn, max_size: int = 4) -> tuple[Viewing, ...]:
    count = draw(st.integers(1, max_size))
    at, slots = START, []
    for _ in range(count):
        at += timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))
        length = timedelta(minutes=draw(st.integers(15, 240)))
        slots.append(Viewing(at, at + length, draw(st.none() | WORDS)))
    return tuple(slots)


def _optional(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.none() | strategy


LOCATIONS = st.builds(
    Location,
    address=_optional(WORDS),
    municipality=_optional(WORDS),
    region=_optional(WORDS),
    coordinates=_optional(
        st.builds(
            Coordinates,
            lat=st.floats(-90, 90, allow_nan=False),
            lon=st.floats(-180, 180, allow_nan=False),
        )
    ),
)
REAL_ESTATE = st.builds(
    AssetFacts,
    kind=st.just(LotKind.REAL_ESTATE.value),
    cadastral_number=_optional(WORDS),
    area_m2=_optional(st.floats(0.01, 100_000, allow_nan=False)),
    rooms=_optional(st.integers(0, 20)),
    floor=_optional(st.integers(-2, 40)),
    year_built=_optional(st.integers(1800, 2030)),
)
CONTACTS = st.builds(
    Contact, name=_optional(WORDS), phone=_optional(st.just("+386 1 234 5678")), hours=_optional(WORDS)
)

# Valid details of an immovable lot.
DETAILS = st.builds(
    LotDetails,
    description=_optional(WORDS),
    case_reference=_optional(st.from_regex(r"In [0-9]{1,4}/20[0-9]{2}", fullmatch=True)),
    court=_optional(WORDS),
    location=_optional(LOCATIONS),
    asset_details=_optional(REAL_ESTATE),
    viewing=_optional(viewings() | WORDS),
    conditions=_optional(WORDS),
    contact=_optional(CONTACTS),
)


@st.composite
def amendments(draw: st.DrawFn, current: LotDetails) -> tuple[LotDetails, frozenset[str]]:
    """A patch: some fields, each with a new value (maybe None: cleared), and the fields named."""
    fields = frozenset(draw(st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3)))
    values = draw(DETAILS)
    return values, fields


@st.composite
def additions(draw: st.DrawFn, current: LotDetails) -> tuple[LotDetails, frozenset[str]]:
    """A patch that only adds: text after the description, viewings after the listed ones."""
    fields: set[str] = set()
    description = current.description
    viewing = current.viewing
    if draw(st.booleans()):
        fields.add("description")
        description = (description or "") + " " + draw(WORDS) if description else draw(WORDS)
    if draw(st.booleans()) or not fields:
        fields.add("viewing")
        if isinstance(viewing, str):
            viewing = viewing + " " + draw(WORDS)
        else:
            listed = viewing or ()
            last = listed[-1].starts_at if listed else START
            extra = Viewing(last + timedelta(days=1), last + timedelta(days=1, hours=1), None)
            viewing = (*listed, extra)
    return LotDetails(description=description, viewing=viewing), frozenset(fields)
