"""The lot's details in the pure core: scheduled, checked, amended freely before bidding opens
and only by additions afterwards, and folded to the same details by every read side (the
decider's state, the catalogue, the report, the live feed's messages and the open-data feed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import codec
from engine.commands import Advance, AmendDetails, Official, ScheduleAuction
from engine.decider import DETAILS_LOCKED, decide, fold
from engine.details import (
    EMPTY,
    FIELDS,
    AssetFacts,
    Coordinates,
    Location,
    LotDetails,
    Viewing,
    changed_fields,
    details_json,
    field_json,
    problems,
    with_fields,
)
from engine.errors import CommandRejected
from engine.events import AuctionScheduled, DetailsAmended
from engine.model import AuctionState, Status
from projections.catalogue import summary_json
from projections.feed import items
from projections.readmodel import ReadModel
from projections.report import build_report
from rules import load_rules
from tests.domain.details_support import DETAILS, additions, amendments
from tests.domain.support import COUNTRIES, OPENS, Run, draft_for
from tests.domain.test_read_sides import AUCTION, stored

BAILIFF = Official("bailiff-7", "Office 1")


def lot(country: str, details: LotDetails | None) -> Run:
    rules = load_rules(country)
    run = Run(rules=rules, state=AuctionState(auction_id=AUCTION))
    run.do(ScheduleAuction(AUCTION, draft_for(country), BAILIFF, details=details), OPENS[country] - timedelta(days=10))
    return run


def before_opening(country: str) -> datetime:
    return OPENS[country] - timedelta(days=1)


def after_opening(country: str) -> datetime:
    return OPENS[country] + timedelta(minutes=1)


FLAT = LotDetails(
    description="Two-room flat.",
    location=Location(address="Vitosha 1", municipality="Sofia", region="Sofia City"),
    viewing=(Viewing(datetime(2026, 5, 5, 8, tzinfo=UTC), datetime(2026, 5, 5, 9, tzinfo=UTC)),),
    conditions="A mortgage stays.",
)


# ------------------------------------------------------------------ scheduling and checks


def test_the_details_are_scheduled_with_the_auction_and_kept_in_its_state() -> None:
    run = lot("BG", FLAT)
    (event,) = run.events
    assert isinstance(event, AuctionScheduled) and event.details == FLAT
    assert run.state.details == FLAT and run.state.amendments == 0


def test_no_details_schedule_the_auction_as_before() -> None:
    for details in (None, EMPTY):
        (event,) = lot("BG", details).events
        assert isinstance(event, AuctionScheduled) and event.details is None
        assert "details" not in codec.encode(event)[1]


@pytest.mark.parametrize(
    ("details", "where"),
    [
        (LotDetails(description=""), "description"),
        (LotDetails(description=" padded "), "description"),
        (LotDetails(case_reference="x" * 101), "case_reference"),
        (LotDetails(location=Location(coordinates=Coordinates(91.0, 0.0))), "location.coordinates.lat"),
        (LotDetails(location=Location(coordinates=Coordinates(0.0, float("nan")))), "location.coordinates.lon"),
        (
            LotDetails(viewing=(Viewing(datetime(2026, 5, 5, 9, tzinfo=UTC), datetime(2026, 5, 5, 8, tzinfo=UTC)),)),
            "viewing[0]",
        ),
        (LotDetails(viewing=()), "viewing"),
        (LotDetails(asset_details=AssetFacts(kind="ship")), "asset_details.kind"),
        (LotDetails(asset_details=AssetFacts(kind="real_estate", vin="WVWZZZ1JZXW000001")), "asset_details.vin"),
        (LotDetails(asset_details=AssetFacts(kind="vehicle", vin="IOQ")), "asset_details.vin"),
        (LotDetails(asset_details=AssetFacts(kind="real_estate", floor=400)), "asset_details.floor"),
    ],
)
def test_invalid_details_are_refused_naming_the_field_and_nothing_is_decided(details: LotDetails, where: str) -> None:
    assert any(problem.startswith(where) for problem in problems(details, "immovable")), problems(details)
    rules = load_rules("BG")
    command = ScheduleAuction(AUCTION, draft_for("BG"), details=details)
    with pytest.raises(CommandRejected) as refused:
        decide(AuctionState(auction_id=AUCTION), command, rules, OPENS["BG"] - timedelta(days=10))
    assert refused.value.code == "invalid_request" and where in refused.value.message


def test_a_vehicle_is_not_of_the_legal_kind_immovable() -> None:
    vehicle = LotDetails(asset_details=AssetFacts(kind="vehicle", vin="WVWZZZ1JZXW000001"))
    assert problems(vehicle, "registered_movable") == []
    assert [p for p in problems(vehicle, "immovable") if p.startswith("asset_details.kind")]


@given(details=DETAILS)
def test_generated_details_are_valid_and_shown_as_given(details: LotDetails) -> None:
    assert problems(details, "immovable") == []
    shown = details_json(details)
    assert list(shown) == list(FIELDS)
    assert all(shown[name] == field_json(getattr(details, name)) for name in FIELDS)


# ------------------------------------------------------------------ amendments


def test_before_opening_any_field_changes_and_the_event_says_old_and_new() -> None:
    run = lot("BG", FLAT)
    patch = LotDetails(location=Location(address="Vitosha 1A", municipality="Sofia"), court="District Court Sofia")
    command = AmendDetails(patch, frozenset({"location", "court", "conditions"}), None, BAILIFF)
    (event,) = run.do(command, before_opening("BG"))
    assert isinstance(event, DetailsAmended)
    assert event.fields == ("court", "location", "conditions")
    assert event.before == LotDetails(location=FLAT.location, conditions="A mortgage stays.")
    assert event.after == LotDetails(location=patch.location, court="District Court Sofia")
    assert (event.official, event.office, event.reason) == ("bailiff-7", "Office 1", None)
    assert run.state.details == LotDetails(
        description=FLAT.description, court="District Court Sofia", location=patch.location, viewing=FLAT.viewing
    )
    assert run.state.amendments == 1


def test_clearing_every_detail_leaves_none() -> None:
    run = lot("HR", FLAT)
    run.do(AmendDetails(EMPTY, frozenset(FIELDS)), before_opening("HR"))
    assert run.state.details is None


def test_an_amendment_to_what_is_there_records_nothing() -> None:
    run = lot("BG", FLAT)
    assert run.do(AmendDetails(FLAT, frozenset({"description", "viewing"})), before_opening("BG")) == []


def test_after_opening_only_additions_with_a_reason_and_after_bidding_nothing() -> None:
    run = lot("LT", FLAT)
    at = after_opening("LT")
    run.do(Advance(), at)
    assert run.state.status is Status.OPEN
    for patch, fields in [
        (LotDetails(location=Location(address="Elsewhere")), {"location"}),
        (LotDetails(description="Another flat."), {"description"}),
        (LotDetails(description=None), {"description"}),
        (LotDetails(viewing=()), {"viewing"}),
        (LotDetails(viewing=None), {"viewing"}),
        (LotDetails(conditions="None."), {"conditions"}),
    ]:
        with pytest.raises(CommandRejected) as refused:
            decide(run.state, AmendDetails(patch, frozenset(fields), "Typo"), run.rules, at)
        assert refused.value.code in (DETAILS_LOCKED, "invalid_request"), (patch, refused.value.code)

    assert FLAT.viewing is not None and isinstance(FLAT.viewing, tuple)
    slot = Viewing(datetime(2026, 5, 20, 8, tzinfo=UTC), datetime(2026, 5, 20, 9, tzinfo=UTC), "Call")
    added = LotDetails(description="Two-room flat. Lift repaired.", viewing=(*FLAT.viewing, slot))
    command = AmendDetails(added, frozenset({"description", "viewing"}))
    with pytest.raises(CommandRejected) as refused:
        decide(run.state, command, run.rules, at)
    assert refused.value.code == "invalid_reason"
    (event,) = run.do(AmendDetails(added, command.fields, "Second viewing"), at)
    assert isinstance(event, DetailsAmended) and event.reason == "Second viewing"
    assert run.state.details is not None and run.state.details.viewing == (*FLAT.viewing, slot)

    assert run.state.terms is not None
    run.do(Advance(), run.state.terms.closes_at + timedelta(days=40))
    assert run.state.bidding_over
    with pytest.raises(CommandRejected) as refused:
        decide(run.state, AmendDetails(LotDetails(description="More."), frozenset({"description"}), "x"), run.rules, at)
    assert refused.value.code == "auction_closed"


def test_an_amendment_opens_bidding_on_the_way_and_is_then_held_to_additions() -> None:
    run = lot("BG", FLAT)
    with pytest.raises(CommandRejected) as refused:
        decide(run.state, AmendDetails(LotDetails(court="Court"), frozenset({"court"})), run.rules, after_opening("BG"))
    assert refused.value.code == DETAILS_LOCKED


# ------------------------------------------------------------------ every read side folds the same details


def _harvested(rows: list, model: ReadModel) -> dict[str, object]:
    """The lot as a harvester keeps it from the open-data feed: the scheduled lot, then each amended item."""
    kept: dict[str, object] = {}
    for item in items([(s.position, s.stream, s.version, s.type, s.data) for s in rows], model):
        if "lot" in item:
            kept = {name: item["lot"][name] for name in FIELDS}
        elif item["type"] == "amended":
            kept.update(item["details"])
    return kept


def check_details_agree(run: Run) -> None:
    want = details_json(run.state.details)
    rows = stored(run.events)
    model = ReadModel()
    model.apply_page([(s.position, s.stream, s.version, s.type, s.data) for s in rows])
    summary = model.summary(AUCTION)
    assert summary is not None
    catalogue = summary_json(summary)
    assert {name: catalogue[name] for name in FIELDS} == want, "the catalogue disagrees with the decider"
    assert catalogue["amendments"] == run.state.amendments
    report = build_report(AUCTION, rows, run.rules, decoded=[codec.decode(s.type, s.data) for s in rows])
    assert report["details"] == want, "the report disagrees with the decider"
    assert len(report["amendments"]) == run.state.amendments
    assert _harvested(rows, model) == want, "the open-data feed disagrees with the decider"
    messages = [change.body for change in model.changes(AUCTION) if change.type == "amended"]
    replayed = _initial(run)
    for body in messages:
        assert body["fields"] == [change["field"] for change in body["changes"]]
        replayed.update({change["field"]: change["new"] for change in body["changes"]})
    assert replayed == want, "the live messages disagree with the decider"


def _initial(run: Run) -> dict[str, object]:
    first = run.events[0]
    assert isinstance(first, AuctionScheduled)
    return details_json(first.details)


@pytest.mark.parametrize("country", COUNTRIES)
@settings(max_examples=25, deadline=None)
@given(data=st.data(), start=st.none() | DETAILS, early=st.integers(0, 4), late=st.integers(0, 3))
def test_amendments_fold_to_the_same_details_in_every_read_side(
    country: str, data: st.DataObject, start: LotDetails | None, early: int, late: int
) -> None:
    run = lot(country, start)
    at = before_opening(country)
    for _ in range(early):
        current = run.state.details or EMPTY
        patch, fields = data.draw(amendments(current))
        before = current
        events = run.do(AmendDetails(patch, fields, None, BAILIFF), at)
        expected = with_fields(before, patch, fields)
        assert (run.state.details or EMPTY) == expected
        assert [e.fields for e in events if isinstance(e, DetailsAmended)] == (
            [changed_fields(before, expected)] if changed_fields(before, expected) else []
        )
        at += timedelta(minutes=1)
    at = after_opening(country)
    run.do(Advance(), at)
    for _ in range(late):
        current = run.state.details or EMPTY
        patch, fields = data.draw(additions(current))
        run.do(AmendDetails(patch, fields, "Added", BAILIFF), at)
        assert (run.state.details or EMPTY) == with_fields(current, patch, fields)
        # Anything else than an addition is refused, and nothing changes.
        other = data.draw(amendments(run.state.details or EMPTY))
        try:
            refused_or_not = decide(run.state, AmendDetails(other[0], other[1], "Other"), run.rules, at)
        except CommandRejected as refusal:
            assert refusal.code in (DETAILS_LOCKED, "invalid_request")
        else:
            assert all(
                not isinstance(e, DetailsAmended) or set(e.fields) <= {"description", "viewing"} for e in refused_or_not
            )
        at += timedelta(seconds=1)
    check_details_agree(run)


def test_a_mutated_amendment_meaning_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property is not vacuous: an evolve that forgets what an amendment cleared is caught."""
    from dataclasses import replace as dc_replace

    from msgspec.structs import replace

    from engine.meaning import MEANINGS

    check_details_agree(lot_and_amend())  # as the engine is, it holds
    original = MEANINGS[DetailsAmended]

    def forgetful(state: AuctionState, e: DetailsAmended) -> AuctionState:
        kept = {name: getattr(e.after, name) for name in e.fields if getattr(e.after, name) is not None}
        return replace(state, details=replace(state.details or EMPTY, **kept), amendments=state.amendments + 1)

    monkeypatch.setitem(MEANINGS, DetailsAmended, dc_replace(original, evolve=forgetful))
    with pytest.raises(AssertionError):
        check_details_agree(lot_and_amend())


def lot_and_amend() -> Run:
    run = lot("HR", FLAT)
    run.do(AmendDetails(LotDetails(court="Court"), frozenset({"court", "conditions"})), before_opening("HR"))
    return run


def test_fold_of_the_events_gives_the_state() -> None:
    run = lot_and_amend()
    assert fold(AuctionState(auction_id=AUCTION), run.events) == run.state
