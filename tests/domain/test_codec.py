"""The event codec: every event type survives encode/decode, the stored payload of every
type is the one earlier versions wrote (old logs read, hash chains hold), bad payloads are
refused as before, and the fast path (engine.codec_fast) reads and writes exactly what the
plain path (codec.read and codec.write) does, or gives way to it."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import codec
from engine import events as ev
from engine.codec import Kind
from engine.details import Coordinates, Location, LotDetails, Viewing
from engine.model import InvalidValue, Money
from engine.store.base import GENESIS_HASH, chain_hash
from tests.domain.details_support import DETAILS

TYPES = list(ev.EVENT_TYPES.values())
CENTS = st.integers(min_value=0, max_value=10**17 - 1)  # format_money's shape: at most 15 whole digits
IN_UTC = st.just(UTC)
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])
TEXT = st.text(max_size=12)
SHA_A, SHA_B, SHA_C, SHA_D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)  # SHA-256s of a photo, its renditions, a PDF


def _instants(zones: st.SearchStrategy[Any]) -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)


def _strategy(hint: Any, zones: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    optional = type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint) if optional else hint
    kind = codec.kind_of(hint)
    if kind is Kind.MONEY:
        values: st.SearchStrategy[Any] = CENTS
    elif kind is Kind.INSTANT:
        values = _instants(zones)
    elif kind is Kind.NESTED:
        values = DETAILS  # a lot's details, the one nested struct events hold
    elif typing.get_origin(base) is tuple:
        values = st.lists(TEXT, max_size=3).map(tuple)
    elif base is bool:
        values = st.booleans()
    elif base is int:
        values = st.integers(min_value=0, max_value=1000)
    else:
        values = TEXT
    return st.one_of(st.none(), values) if optional else values


def events_of(cls: type[ev.Event], zones: st.SearchStrategy[Any] = IN_UTC) -> st.SearchStrategy[ev.Event]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return st.builds(cls, **{name: _strategy(hints[name], zones) for name in cls.__struct_fields__})


def assert_same(a: ev.Event, b: ev.Event) -> None:
    """The same type and, field by field, equal values of the same types (instants with the
    same tzinfo), not only equal events."""
    assert type(a) is type(b)
    for name in a.__struct_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert type(x) is type(y) and x == y, name
        if isinstance(x, datetime):
            assert x.tzinfo is y.tzinfo, name


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("cls", TYPES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_every_event_type_survives_encode_and_decode(cls: type[ev.Event], data: st.DataObject) -> None:
    event = data.draw(events_of(cls, OFFSETS))
    type_name, payload = codec.encode(event)
    assert type_name == cls.__name__
    optional = codec.PLANS[cls].optional
    assert list(payload) == [
        name for name in cls.__struct_fields__ if name not in optional or getattr(event, name) is not None
    ], "every field in order; a notice-set term only where it is set"
    stored = orjson.loads(orjson.dumps(payload))  # what a store gives back
    decoded = codec.decode(type_name, stored)
    assert decoded == event and hash(decoded) == hash(event)
    assert_same(decoded, codec.decode(type_name, payload))
    for name in cls.__struct_fields__:
        value = getattr(decoded, name)
        if isinstance(value, datetime):
            assert value.tzinfo is UTC
        if codec.kind_of(typing.get_type_hints(cls, include_extras=True)[name]) is Kind.MONEY and value is not None:
            assert type(value) is int


def test_money_is_found_by_its_type() -> None:
    assert codec.kind_of(Money) is Kind.MONEY
    assert codec.kind_of(Money | None) is Kind.MONEY
    assert codec.kind_of(int) is Kind.PLAIN  # a round number is not an amount
    assert codec.kind_of(datetime | None) is Kind.INSTANT
    money = {(cls.__name__, name) for cls, plan in codec.PLANS.items() for name in plan.named(Kind.MONEY)}
    names = {name for _, name in money}
    assert names == {
        "value",
        "starting_price",
        "increment",
        "deposit_required",
        "amount",
        "total",
        "max_amount",
        "step",
        "price",
        "paid",
    }
    assert ("AuctionScheduled", "round") not in money


def test_events_are_frozen_and_hashable() -> None:
    event = ev.BidAccepted(at=datetime(2026, 4, 2, 9, tzinfo=UTC), bidder_code="B-1", amount=150_00)
    with pytest.raises(AttributeError):
        event.amount = 1  # type: ignore[misc]
    assert msgspec.structs.replace(event, automatic=True) == ev.BidAccepted(event.at, "B-1", 150_00, True)
    assert len({event, ev.BidAccepted(event.at, "B-1", 150_00)}) == 1


# ------------------------------------------------------------------ the stored payload

AT = datetime(2026, 4, 2, 9, 0, 2, 250000, tzinfo=UTC)
H = timedelta(hours=1)
OPENS, CLOSES = datetime(2026, 4, 3, 7, tzinfo=UTC), datetime(2026, 4, 10, 14, tzinfo=UTC)

# One event of every type and the payload the codec wrote for it before events were
# structs (its encode of the same event): what every stored log holds.
GOLDEN: list[tuple[ev.Event, dict[str, Any]]] = [
    (
        ev.AuctionScheduled(
            at=AT, auction_id="bg-sofia-1", country="BG", title="Apartment, Sofia", asset="immovable",
            value=100_000_00, currency="EUR", starting_price=80_000_00, increment=500_00, opens_at=OPENS,
            closes_at=CLOSES, round=1, deposit_required=10_000_00,
            deposit_due=datetime(2026, 4, 9, 21, 0, 0, 1, tzinfo=UTC), rules_version="BG-2026-1",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "auction_id": "bg-sofia-1", "country": "BG",
            "title": "Apartment, Sofia", "asset": "immovable", "value": "100000.00", "currency": "EUR",
            "starting_price": "80000.00", "increment": "500.00", "opens_at": "2026-04-03T07:00:00.000000+00:00",
            "closes_at": "2026-04-10T14:00:00.000000+00:00", "round": 1, "deposit_required": "10000.00",
            "deposit_due": "2026-04-09T21:00:00.000001+00:00", "rules_version": "BG-2026-1",
        },
    ),
    (
        ev.BidderRegistered(at=AT, bidder_code="B-1", subject="Ana Ivanova"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "subject": "Ana Ivanova"},
    ),
    (
        ev.DepositRecorded(at=AT, bidder_code="B-1", amount=5_000_05, total=10_000_05),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "amount": "5000.05", "total": "10000.05"},
    ),
    (
        ev.BidderAdmitted(at=AT, bidder_code="B-1", rule="BG-deposit"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "rule": "BG-deposit"},
    ),
    (
        ev.AdmissionRefused(at=AT, bidder_code="B-2", reason="deposit late", rule=None),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-2", "reason": "deposit late", "rule": None},
    ),
    (
        ev.BiddingOpened(at=OPENS, by="schedule"),
        {"at": "2026-04-03T07:00:00.000000+00:00", "by": "schedule"},
    ),
    (
        ev.BidAccepted(at=AT, bidder_code="B-1", amount=80_500_00, automatic=True),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "amount": "80500.00", "automatic": True},
    ),
    (
        ev.BidRejected(
            at=AT, bidder_code=None, amount=7, reason="below the minimum", rule="BG-increment", automatic=False
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": None, "amount": "0.07",
            "reason": "below the minimum", "rule": "BG-increment", "automatic": False,
        },
    ),
    (
        ev.ProxySet(at=AT, bidder_code="B-1", max_amount=90_000_00, step=500_00),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "max_amount": "90000.00", "step": "500.00"},
    ),
    (
        ev.ProxyRejected(at=AT, bidder_code="B-1", max_amount=0, step=1_00, reason="too low", rule=None),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "max_amount": "0.00", "step": "1.00",
            "reason": "too low", "rule": None,
        },
    ),
    (
        ev.DeadlineExtended(
            at=AT, previous=CLOSES, deadline=CLOSES + timedelta(minutes=5), rule="SI-extension",
            basis="bid in the last minutes", reading="five minutes",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "previous": "2026-04-10T14:00:00.000000+00:00",
            "deadline": "2026-04-10T14:05:00.000000+00:00", "rule": "SI-extension",
            "basis": "bid in the last minutes", "reading": "five minutes",
        },
    ),
    (
        ev.BiddingClosed(at=CLOSES + timedelta(minutes=5), winner="B-1", price=80_500_00),
        {"at": "2026-04-10T14:05:00.000000+00:00", "winner": "B-1", "price": "80500.00"},
    ),
    (ev.BiddingFailed(at=CLOSES), {"at": "2026-04-10T14:00:00.000000+00:00"}),
    (
        ev.AuctionEnded(at=AT, purchaser=None, price=None),
        {"at": "2026-04-02T09:00:02.250000+00:00", "purchaser": None, "price": None},
    ),
    (
        ev.IncidentRecorded(
            at=AT, description="Bidding page unreachable (HTTP 502).", started_at=AT - 0.5 * H, ended_at=None
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "description": "Bidding page unreachable (HTTP 502).",
            "started_at": "2026-04-02T08:30:02.250000+00:00", "ended_at": None,
        },
    ),
    # after the hammer
    (
        ev.PreemptionDeclared(at=AT, bidder_code="B-2", price=80_500_00, rule="SI-preemption"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-2", "price": "80500.00", "rule": "SI-preemption"},
    ),
    (
        ev.DepositCredited(at=AT, bidder_code="B-1", amount=10_000_00),
        {"at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-1", "amount": "10000.00"},
    ),
    (
        ev.RefundDue(at=AT, bidder_code="B-2", amount=10_000_00, due=CLOSES + 24 * H, rule="SI-refund"),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-2", "amount": "10000.00", "due":
            "2026-04-11T14:00:00.000000+00:00", "rule": "SI-refund",
        },
    ),
    (
        ev.DepositRefunded(at=AT, bidder_code="B-2", amount=10_000_00, official="bailiff-7", office="Sofia 1"),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-2", "amount": "10000.00", "official":
            "bailiff-7", "office": "Sofia 1",
        },
    ),
    (
        ev.DepositForfeited(at=CLOSES, bidder_code="B-1", amount=10_000_00, rule="BG-forfeit"),
        {"at": "2026-04-10T14:00:00.000000+00:00", "bidder_code": "B-1", "amount": "10000.00", "rule": "BG-forfeit"},
    ),
    (
        ev.PaymentRecorded(at=AT, amount=70_500_00, paid=80_500_00, official="bailiff-7", office=None),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "amount": "70500.00", "paid": "80500.00", "official": "bailiff-7",
            "office": None,
        },
    ),
    (
        ev.SalePaid(at=AT, purchaser="B-1", paid=80_500_00),
        {"at": "2026-04-02T09:00:02.250000+00:00", "purchaser": "B-1", "paid": "80500.00"},
    ),
    (
        ev.TransferDecided(
            at=AT, reference="Decision 12/2026", decided_on="2026-04-02", official="bailiff-7", office="Sofia 1",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "reference": "Decision 12/2026", "decided_on": "2026-04-02",
            "official": "bailiff-7", "office": "Sofia 1",
        },
    ),
    (
        ev.SaleDefaulted(at=CLOSES, purchaser="B-1", paid=10_000_00, rule="BG-payment"),
        {"at": "2026-04-10T14:00:00.000000+00:00", "purchaser": "B-1", "paid": "10000.00", "rule": "BG-payment"},
    ),
    (
        ev.GraceGranted(at=AT, until=CLOSES + 240 * H, previous=CLOSES, rule="SE-grace", official="kfm-1", office=None),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "until": "2026-04-20T14:00:00.000000+00:00", "previous":
            "2026-04-10T14:00:00.000000+00:00", "rule": "SE-grace", "official": "kfm-1", "office": None,
        },
    ),
    (
        ev.SaleOffered(
            at=AT, bidder_code="B-2", price=80_000_00, payment_due=CLOSES, rule="LT-next-best", official="bailiff-7",
            office="Vilnius",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "bidder_code": "B-2", "price": "80000.00", "payment_due":
            "2026-04-10T14:00:00.000000+00:00", "rule": "LT-next-best", "official": "bailiff-7", "office": "Vilnius",
        },
    ),
    (
        ev.AuctionSuspended(at=AT, reason="Platform outage", deadline=CLOSES, official="bailiff-7", office=None),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "reason": "Platform outage", "deadline":
            "2026-04-10T14:00:00.000000+00:00", "official": "bailiff-7", "office": None,
        },
    ),
    (
        ev.AuctionResumed(at=AT + H, deadline=CLOSES + H, suspended_at=AT, official="bailiff-7", office=None),
        {
            "at": "2026-04-02T10:00:02.250000+00:00", "deadline": "2026-04-10T15:00:00.000000+00:00", "suspended_at":
            "2026-04-02T09:00:02.250000+00:00", "official": "bailiff-7", "office": None,
        },
    ),
    (
        ev.AuctionCancelled(at=AT, reason="Debt settled", official="bailiff-7", office=None),
        {"at": "2026-04-02T09:00:02.250000+00:00", "reason": "Debt settled", "official": "bailiff-7", "office": None},
    ),
    (
        ev.NextRoundScheduled(
            at=AT, next_auction="bg-sofia-2", round=2, opens_at=CLOSES + 800 * H, closes_at=CLOSES + 900 * H,
            starting_price=72_000_00, official="bailiff-7", office=None,
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "next_auction": "bg-sofia-2", "round": 2, "opens_at":
            "2026-05-13T22:00:00.000000+00:00", "closes_at": "2026-05-18T02:00:00.000000+00:00", "starting_price":
            "72000.00", "official": "bailiff-7", "office": None,
        },
    ),
    (
        ev.RoundsExhausted(at=AT, outcome="property_leaves_estate", rule="BG-next-round"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "outcome": "property_leaves_estate", "rule": "BG-next-round"},
    ),
    # what is for sale
    (
        ev.DetailsAmended(
            at=AT, fields=("location", "viewing"),
            before=LotDetails(location=Location(address="Vitosha 1", municipality="Sofia")),
            after=LotDetails(
                location=Location(
                    address="Vitosha 1A", municipality="Sofia", region="Sofia City",
                    coordinates=Coordinates(42.69, 23.32),
                ),
                viewing=(Viewing(OPENS - 24 * H, OPENS - 22 * H, "Call the office"),),
            ),
            reason=None, official="bailiff-7", office="Sofia 1",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "fields": ("location", "viewing"),
            "before": {"location": {"address": "Vitosha 1", "municipality": "Sofia"}},
            "after": {
                "location": {
                    "address": "Vitosha 1A", "municipality": "Sofia", "region": "Sofia City",
                    "coordinates": {"lat": 42.69, "lon": 23.32},
                },
                "viewing": (
                    {"starts_at": "2026-04-02T07:00:00Z", "ends_at": "2026-04-02T09:00:00Z",
                     "how_to_book": "Call the office"},
                ),
            },
            "official": "bailiff-7", "office": "Sofia 1",
        },
    ),
    # the lot's photos and documents, by the SHA-256 of the bytes served
    (
        ev.PhotoPublished(
            at=AT, sha256=SHA_A, size=182_311, media_type="image/jpeg", width=2048, height=1536,
            alt="Дворът откъм улицата", thumbnail=SHA_B, preview=SHA_C, official="bailiff-7", office="Sofia 1",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "sha256": SHA_A, "size": 182311, "media_type": "image/jpeg",
            "width": 2048, "height": 1536, "alt": "Дворът откъм улицата", "thumbnail": SHA_B, "preview": SHA_C,
            "official": "bailiff-7", "office": "Sofia 1",
        },
    ),
    (
        ev.DocumentPublished(
            at=AT, sha256=SHA_D, size=48_213, media_type="application/pdf", title="Valuation report",
            official="bailiff-7",
        ),
        {
            "at": "2026-04-02T09:00:02.250000+00:00", "sha256": SHA_D, "size": 48213,
            "media_type": "application/pdf", "title": "Valuation report", "official": "bailiff-7",
        },
    ),
    (
        ev.PhotoWithdrawn(at=AT, sha256=SHA_A, reason="Shows a neighbour's car", official="bailiff-7"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "sha256": SHA_A, "reason": "Shows a neighbour's car",
         "official": "bailiff-7"},
    ),
    (
        ev.DocumentWithdrawn(at=AT, sha256=SHA_D, reason="Superseded by the corrected report"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "sha256": SHA_D, "reason": "Superseded by the corrected report"},
    ),
    (
        ev.PhotosOrdered(at=AT, order=(SHA_C, SHA_A), official="bailiff-7", office="Sofia 1"),
        {"at": "2026-04-02T09:00:02.250000+00:00", "order": (SHA_C, SHA_A), "official": "bailiff-7",
         "office": "Sofia 1"},
    ),

]  # fmt: skip


def test_every_event_type_has_a_golden_payload() -> None:
    assert sorted(type(event).__name__ for event, _ in GOLDEN) == sorted(ev.EVENT_TYPES)


@pytest.mark.parametrize(("event", "golden"), GOLDEN, ids=[type(event).__name__ for event, _ in GOLDEN])
def test_the_stored_payload_is_the_one_earlier_versions_wrote(event: ev.Event, golden: dict[str, Any]) -> None:
    type_name, payload = codec.encode(event)
    assert (type_name, payload) == (type(event).__name__, golden)
    assert list(payload) == list(golden)
    assert [type(v) for v in payload.values()] == [type(v) for v in golden.values()]
    assert_same(codec.decode(type_name, golden), event)


def test_a_notice_set_term_is_written_only_where_it_is_set_and_read_back() -> None:
    scheduled = msgspec.structs.replace(GOLDEN[0][0], extension_minutes=5, zone="Atlantic/Azores")
    type_name, payload = codec.encode(scheduled)
    assert payload == {**GOLDEN[0][1], "extension_minutes": 5, "zone": "Atlantic/Azores"}
    assert payload == codec.write(scheduled)
    assert_same(codec.decode(type_name, payload), scheduled)
    assert "extension_minutes" not in codec.encode(GOLDEN[0][0])[1]


def test_the_lot_details_are_written_only_where_given_and_read_back_from_json() -> None:
    details = LotDetails(
        description="Two-room flat, 54 m2.",
        case_reference="In 123/2026",
        location=Location(address="Vitosha 1", municipality="Sofia", coordinates=Coordinates(42.69, 23.32)),
        viewing="By appointment with the office.",
    )
    scheduled = msgspec.structs.replace(GOLDEN[0][0], details=details)
    type_name, payload = codec.encode(scheduled)
    assert payload == {
        **GOLDEN[0][1],
        "details": {
            "description": "Two-room flat, 54 m2.",
            "case_reference": "In 123/2026",
            "location": {"address": "Vitosha 1", "municipality": "Sofia", "coordinates": {"lat": 42.69, "lon": 23.32}},
            "viewing": "By appointment with the office.",
        },
    }
    assert payload == codec.write(scheduled)
    stored = orjson.loads(orjson.dumps(payload))
    assert_same(codec.decode(type_name, stored), scheduled)
    assert_same(codec.read(ev.AuctionScheduled, stored), scheduled)
    assert "details" not in codec.encode(GOLDEN[0][0])[1]  # a lot without details: the payload as before


@pytest.mark.parametrize(
    "details",
    [
        {"location": {"coordinates": {"lat": "north", "lon": 1}}},
        {"viewing": [{"starts_at": "soon", "ends_at": "2026-04-02T09:00:00Z"}]},
        {"viewing": 5},
        "a text",
    ],
)
def test_details_of_the_wrong_shape_are_refused_with_the_field_named(details: object) -> None:
    payload = {**GOLDEN[0][1], "details": details}
    with pytest.raises(InvalidValue, match="details"):
        codec.decode("AuctionScheduled", payload)


def test_the_hash_chain_over_a_payload_is_the_one_earlier_versions_computed() -> None:
    # Digests computed with the codec before events were structs: stored hashes stay valid.
    scheduled, bid = GOLDEN[0][0], GOLDEN[6][0]
    stream = "auction-bg-sofia-1"
    assert chain_hash(GENESIS_HASH, stream, 1, "AuctionScheduled", AT, codec.encode(scheduled)[1]) == (
        "f693ce7cfbc6701bd9ea6d11e3d20f2b1bf5eb51b8ac4aa8edbf8a1ff86aee21"
    )
    assert chain_hash(GENESIS_HASH, stream, 7, "BidAccepted", AT, codec.encode(bid)[1]) == (
        "c84c811e8b3d4eab2f2ccffa9a912a70a350ccbc0292395119dfaf7ba75fa516"
    )


def test_instants_in_the_shape_of_an_earlier_encoder_are_read() -> None:
    # Before microseconds were always written, instants were as short as they could be.
    for text, at in [
        ("2026-04-02T09:00:02+00:00", datetime(2026, 4, 2, 9, 0, 2, tzinfo=UTC)),
        ("2026-04-02T09:00:02.250+00:00", AT),
        ("2026-04-02T09:00:02.250001+00:00", AT + timedelta(microseconds=1)),
    ]:
        payload = {"at": text, "bidder_code": "B-1", "amount": "80500.00", "automatic": True}
        assert codec._FAST_READERS[ev.BidAccepted](payload) is not None  # read by the fast path
        assert_same(codec.decode("BidAccepted", payload), ev.BidAccepted(at, "B-1", 80_500_00, True))


# ------------------------------------------------------------------ the fast path and the plain path


@pytest.mark.parametrize("cls", TYPES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_the_fast_path_writes_and_reads_what_the_plain_path_does(cls: type[ev.Event], data: st.DataObject) -> None:
    event = data.draw(events_of(cls, OFFSETS))
    plain = codec.write(event)
    fast = codec._FAST_WRITERS[cls](event)
    in_utc = all(
        getattr(event, name) is None or getattr(event, name).tzinfo is UTC
        for name in codec.PLANS[cls].named(Kind.INSTANT)
    )
    assert (fast is not None) == in_utc  # events as the decider makes them take the fast path
    if fast is not None:
        assert fast == plain and list(fast) == list(plain)
        assert [type(v) for v in fast.values()] == [type(v) for v in plain.values()]
    read = codec._FAST_READERS[cls](plain)
    assert read is not None
    assert_same(read, codec.read(cls, plain))


def _instant_like(draw: st.DrawFn) -> str:
    """An instant in one of the shapes written, with a few characters changed or not."""
    text = draw(_instants(IN_UTC)).isoformat(
        timespec=draw(st.sampled_from(["seconds", "milliseconds", "microseconds"]))
    )
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        chars[draw(st.integers(0, len(chars) - 1))] = draw(st.sampled_from("0123456789-:.,+TtZz _\u0661"))
    return "".join(chars)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False),
    TEXT,
    st.from_regex(r"-?[0-9\u0661]{0,17}([.,][0-9]{0,3})?\s?", fullmatch=True),  # amounts of every shape
    st.composite(_instant_like)(),
    st.dictionaries(st.sampled_from(["sealed", "key_id", "nonce", "ciphertext"]), TEXT),  # a sealed identity
)


@pytest.mark.parametrize("cls", TYPES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_the_fast_reader_reads_any_payload_as_the_plain_path_does_or_gives_way(
    cls: type[ev.Event], data: st.DataObject
) -> None:
    _, payload = codec.encode(data.draw(events_of(cls)))
    for name in data.draw(st.lists(st.sampled_from([*cls.__struct_fields__, "extra"]), max_size=4)):
        if data.draw(st.booleans()):
            payload.pop(name, None)
        else:
            payload[name] = data.draw(VALUES)
    before = dict(payload)
    fast = codec._FAST_READERS[cls](payload)
    assert payload == before  # the caller's payload is left as it was
    try:
        plain = codec.read(cls, payload)
    except (ValueError, TypeError):
        assert fast is None
    else:
        if fast is not None:
            assert_same(fast, plain)


# ------------------------------------------------------------------ refusals and other shapes

BID_AT = "2026-04-02T09:00:02.000000+00:00"


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(codec.UnknownEventType):
        codec.decode("BidWithdrawn", {"at": BID_AT})
    assert issubclass(codec.UnknownEventType, ValueError)  # what read models catch


def test_a_missing_field_with_a_default_takes_the_default() -> None:
    payload = {"at": BID_AT, "bidder_code": "B-1", "amount": "150.00"}
    expected = ev.BidAccepted(datetime(2026, 4, 2, 9, 0, 2, tzinfo=UTC), "B-1", 150_00, automatic=False)
    assert_same(codec.decode("BidAccepted", payload), expected)


def test_a_missing_required_field_is_refused() -> None:
    with pytest.raises(TypeError):
        codec.decode("BidAccepted", {"at": BID_AT, "bidder_code": "B-1"})


@pytest.mark.parametrize("amount", ["-5.00", "1,00", "5.001", "", "١٠٠.00", "1e3"])
def test_bad_money_is_refused_with_the_field_named(amount: str) -> None:
    payload = {"at": BID_AT, "bidder_code": "B-1", "amount": amount, "automatic": False}
    with pytest.raises(InvalidValue, match="amount"):
        codec.decode("BidAccepted", payload)


@pytest.mark.parametrize("previous", ["2026-04-02T09:00:02", "2026-04-02T09:00:02.000000", "yesterday", 1775120402])
def test_an_instant_without_an_offset_or_not_a_string_is_refused_with_the_field_named(previous: object) -> None:
    payload = {"at": BID_AT, "previous": previous, "deadline": BID_AT, "rule": "r", "basis": "b", "reading": "x"}
    with pytest.raises(InvalidValue, match="previous"):
        codec.decode("DeadlineExtended", payload)


def test_other_shapes_of_money_and_time_are_read_by_the_general_parsers() -> None:
    payload = {"at": "2026-04-02T11:00:02+02:00", "bidder_code": "B-1", "amount": "150.5", "automatic": True}
    event = codec.decode("BidAccepted", payload)
    assert_same(event, ev.BidAccepted(datetime(2026, 4, 2, 9, 0, 2, tzinfo=UTC), "B-1", 150_50, automatic=True))
    assert payload["amount"] == "150.5"  # the caller's payload is left as it was


def test_none_stays_none_for_optional_money_and_instants() -> None:
    at = datetime(2026, 4, 2, 9, tzinfo=UTC)
    event = ev.AuctionEnded(at, purchaser=None, price=None)
    assert_same(codec.decode(*codec.encode(event)), event)
    scheduled = ev.AuctionScheduled(
        at, "a-1", "SE", "Lot", "movable", 1_000_00, "SEK", 100_00, None,
        at + timedelta(hours=1), at + timedelta(days=1), 1, 0, None, "SE-1",
    )  # fmt: skip
    assert_same(codec.decode(*codec.encode(scheduled)), scheduled)


def test_a_money_string_of_a_str_subclass_is_read_as_money() -> None:
    class Text(str):
        pass

    payload = {"at": BID_AT, "bidder_code": "B-1", "amount": Text("150.00"), "automatic": False}
    event = codec.decode("BidAccepted", payload)
    assert isinstance(event, ev.BidAccepted) and event.amount == 150_00


def test_a_sealed_identity_is_kept_as_stored() -> None:
    sealed = {"sealed": "v1", "key_id": "k", "nonce": "n", "ciphertext": "c"}
    event = codec.decode("BidderRegistered", {"at": BID_AT, "bidder_code": "B-1", "subject": sealed})
    assert isinstance(event, ev.BidderRegistered) and event.subject == sealed  # opened later by the vault


def test_a_payload_of_an_earlier_schema_is_upcast(monkeypatch: pytest.MonkeyPatch) -> None:
    # Say BidAccepted's schema 1 called the amount "bid": schema 2 renames it.
    def rename(payload: dict[str, Any]) -> dict[str, Any]:
        payload["amount"] = payload.pop("bid")
        return payload

    monkeypatch.setitem(codec.UPCASTERS, ("BidAccepted", 1), rename)
    monkeypatch.setitem(codec.CURRENT_SCHEMA, "BidAccepted", 2)
    event = ev.BidAccepted(datetime(2026, 4, 2, 9, 0, 2, tzinfo=UTC), "B-1", 150_00)
    type_name, payload = codec.encode(event)
    assert payload[codec.SCHEMA_KEY] == 2
    assert_same(codec.decode(type_name, payload), event)
    old = {"at": BID_AT, "bidder_code": "B-1", "bid": "150.00", "automatic": False}
    assert_same(codec.decode("BidAccepted", old), event)
    assert "bid" in old  # the caller's payload is left as it was
