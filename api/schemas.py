"""Request and response bodies of the HTTP API: pydantic at the edge only.

Money travels as two-decimal strings and is read with
:func:`engine.model.parse_money` into integer cents; times are RFC 3339 with
an offset, read with :func:`engine.model.parse_instant`. A JSON number where
money is expected, a time without an offset or an unknown field is refused
with 422 ``invalid_request`` before anything reaches the engine.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from engine import details as lot
from engine.model import AssetKind, parse_instant, parse_money

# Far enough for any judicial calendar, near enough that date arithmetic never overflows.
EARLIEST_YEAR = 1970
LATEST_YEAR = 9000

MONEY_PATTERN = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"


def _money(value: Any) -> int:
    return parse_money(value, "amount")


def _instant(value: Any) -> datetime:
    try:
        instant = parse_instant(value)
    except OverflowError:
        raise ValueError(f"time {value!r} is out of range") from None
    if not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        raise ValueError(f"time {value!r} is out of range")
    return instant


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("a date must be a string YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date") from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"date {value!r} is out of range")
    return day


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Money = Annotated[
    int,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["80000.00"]}),
]
Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-04-02T10:00:00+02:00"]}),
]
Day = Annotated[
    date,
    BeforeValidator(_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-05-04"]}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _text(where: str, **schema: Any) -> Any:
    """A text of 1 to the engine's limit of characters (``engine.details.TEXT_LIMITS``), stripped as kept."""
    return Field(min_length=1, max_length=lot.TEXT_LIMITS.get(where, lot.REASON_LIMIT), **schema)


def _range(where: str) -> Any:
    low, high = lot.NUMBER_LIMITS[where]
    return Field(strict=True, ge=low, le=high)


Stripped = BeforeValidator(_stripped)
Address = Annotated[str, Stripped, _text("location.address", examples=["Vitosha Blvd 1, fl. 3"])]
Municipality = Annotated[str, Stripped, _text("location.municipality", examples=["Sofia"])]
Region = Annotated[str, Stripped, _text("location.region", examples=["Sofia City"])]
Cadastral = Annotated[str, Stripped, _text("asset_details.cadastral_number")]
Register = Annotated[str, Stripped, _text("asset_details.register_number")]
Vin = Annotated[str, Stripped, _text("asset_details.vin")]
Plate = Annotated[str, Stripped, _text("asset_details.registration")]
HowToBook = Annotated[str, Stripped, _text("viewing.how_to_book", examples=["Call the office"])]
ViewingText = Annotated[str, Stripped, _text("viewing", examples=["By appointment with the office"])]
ContactName = Annotated[str, Stripped, _text("contact.name", examples=["Bailiff's office Sofia 1"])]
Phone = Annotated[str, Stripped, _text("contact.phone", examples=["+359 2 123 4567"])]
Email = Annotated[str, Stripped, _text("contact.email", examples=["office@example.bg"])]
Hours = Annotated[str, Stripped, _text("contact.hours", examples=["Mon-Fri 9:00-12:00"])]
Description = Annotated[str, Stripped, _text("description", description="what the lot is, in the notice's language")]
CaseReference = Annotated[str, Stripped, _text("case_reference", description="the enforcement case")]
Court = Annotated[str, Stripped, _text("court", description="the court or office conducting the sale")]
Conditions = Annotated[
    str, Stripped, _text("conditions", description="conditions and encumbrances the buyer takes over")
]
AmendReason = Annotated[str, Stripped, _text("reason", description="why; required once bidding opened; public")]
Latitude = Annotated[float, _range("location.coordinates.lat")]
Longitude = Annotated[float, _range("location.coordinates.lon")]
Area = Annotated[float, _range("asset_details.area_m2")]
Rooms = Annotated[int, _range("asset_details.rooms")]
Floor = Annotated[int, _range("asset_details.floor")]
YearBuilt = Annotated[int, _range("asset_details.year_built")]
Mileage = Annotated[int, _range("asset_details.mileage_km")]


class CoordinatesIn(Strict):
    lat: Latitude
    lon: Longitude


class LocationIn(Strict):
    """Where the lot is (public)."""

    address: Address | None = None
    municipality: Municipality | None = None
    region: Region | None = None
    coordinates: CoordinatesIn | None = Field(default=None, description="WGS 84: lat -90 to 90, lon -180 to 180")

    def to_details(self) -> lot.Location:
        point = self.coordinates
        where = lot.Coordinates(float(point.lat), float(point.lon)) if point is not None else None
        return lot.Location(self.address, self.municipality, self.region, where)


class AssetFactsIn(Strict):
    """Facts about the lot by its kind: real_estate takes cadastral_number, register_number, area_m2, rooms,
    floor, year_built; vehicle takes register_number, vin, mileage_km, registration, year_built; movable and
    other take register_number, year_built (422 for a fact the kind does not take, or a real_estate lot that
    is not immovable)."""

    kind: Literal["real_estate", "vehicle", "movable", "other"]
    cadastral_number: Cadastral | None = None
    register_number: Register | None = None
    area_m2: Area | None = None
    rooms: Rooms | None = None
    floor: Floor | None = None
    year_built: YearBuilt | None = None
    vin: Vin | None = None
    mileage_km: Mileage | None = None
    registration: Plate | None = None

    def to_details(self) -> lot.AssetFacts:
        values = self.model_dump(exclude={"kind"})
        if values.get("area_m2") is not None:
            values["area_m2"] = float(values["area_m2"])
        return lot.AssetFacts(kind=self.kind, **values)


class ViewingIn(Strict):
    starts_at: Instant
    ends_at: Instant = Field(description="after starts_at; viewings listed in the order they start")
    how_to_book: HowToBook | None = None


class ContactIn(Strict):
    """The office's contact for questions and viewings (public)."""

    name: ContactName | None = None
    phone: Phone | None = None
    email: Email | None = None
    hours: Hours | None = None


class LotDetailsIn(Strict):
    """What is for sale, beside the legal terms: every field optional, all public (no personal data)."""

    description: Description | None = None
    case_reference: CaseReference | None = None
    court: Court | None = None
    location: LocationIn | None = None
    asset_details: AssetFactsIn | None = None
    viewing: list[ViewingIn] | ViewingText | None = Field(
        default=None,
        description=f"a list of 1 to {lot.VIEWINGS_LIMIT} viewings {{starts_at, ends_at, how_to_book}}, or a text",
    )
    conditions: Conditions | None = None
    contact: ContactIn | None = None

    def details_given(self) -> frozenset[str]:
        """The details the body names (with a value or null)."""
        return frozenset(name for name in lot.FIELDS if name in self.model_fields_set)

    def to_details(self) -> lot.LotDetails:
        viewing: tuple[lot.Viewing, ...] | str | None
        if isinstance(self.viewing, list):
            viewing = tuple(lot.Viewing(v.starts_at, v.ends_at, v.how_to_book) for v in self.viewing)
        else:
            viewing = self.viewing
        contact = self.contact
        return lot.LotDetails(
            description=self.description,
            case_reference=self.case_reference,
            court=self.court,
            location=self.location.to_details() if self.location is not None else None,
            asset_details=self.asset_details.to_details() if self.asset_details is not None else None,
            viewing=viewing,
            conditions=self.conditions,
            contact=lot.Contact(contact.name, contact.phone, contact.email, contact.hours) if contact else None,
        )


class DetailsPatchIn(LotDetailsIn):
    """An amendment: each detail given replaces the one there (null clears it); those left out stay."""

    reason: AmendReason | None = None


class AuctionIn(LotDetailsIn):
    """The scenario's ``auction`` object plus ``country`` and ``title``, and the lot's details."""

    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", examples=["HR"])]
    title: Annotated[str, Field(min_length=1, max_length=500)]
    asset: AssetKind
    value: Money
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] = "EUR"
    starting_price: Money | None = None
    increment: Money | None = None
    opens_at: Instant
    closes_at: Instant | None = None
    round: Annotated[int, Field(strict=True, ge=1, le=99)] = 1
    extension_minutes: Annotated[
        int | None,
        Field(strict=True, description="the soft-close interval, where the country leaves it to the notice"),
    ] = None
    deposit: Money | None = Field(default=None, description="the deposit, where the country leaves it to the bailiff")
    zone: str | None = Field(
        default=None, description="the auction's IANA zone, where the country has several", examples=["Atlantic/Azores"]
    )
    payment_days: Annotated[
        int | None,
        Field(
            strict=True,
            description=(
                "the purchaser's payment period in days (1 to 183) from the local date of the declaration; "
                "required except in SE, where the law fixes it"
            ),
            examples=[14],
        ),
    ] = None


class AmountIn(Strict):
    amount: Money


class ProxyIn(Strict):
    max: Money
    step: Money


class IncidentIn(Strict):
    description: Annotated[
        str,
        BeforeValidator(_stripped),  # the limits apply to the text kept, stripped as the engine strips it
        Field(
            min_length=1,
            max_length=2000,
            description="public: watchers of the live feed and every copy of the report see it, so no personal data",
            examples=["The bidding page answered 502."],
        ),
    ]
    started_at: Instant
    ended_at: Instant | None = Field(default=None, description="null while it lasts or when not known")


class RegistrationIn(Strict):
    role: Literal["preemption_holder"] | None = Field(
        default=None, description="preemption_holder: the caller holds a pre-emption right (SI)"
    )


class TransferIn(Strict):
    reference: str = Field(description="the decision's reference (1 to 200 characters)", examples=["I 123/2026"])
    decided_on: Day = Field(description="the decision's date, YYYY-MM-DD, on the auction's clock")


class GraceIn(Strict):
    until: Instant = Field(description="the new payment deadline (SE)")


class ReasonIn(Strict):
    reason: str = Field(description="why (1 to 2000 characters); public", examples=["The bidding page is down."])


class NextRoundIn(Strict):
    opens_at: Instant
    closes_at: Instant | None = Field(default=None, description="where the country's rules do not derive it")
    starting_price: Money | None = Field(default=None, description="where the law leaves it to the bailiff")


class PaymentOut(BaseModel):
    auction: str
    amount: str
    paid: str = Field(description="the deposit credited plus every payment so far")
    price_due: str = Field(description="what is still due of the price")
    sale: str = Field(description="awaiting_payment, or paid once the price is covered")
    position: int
    at: str


class RefundOut(BaseModel):
    auction: str
    bidder_code: str
    amount: str
    position: int
    at: str


class PreemptionOut(BaseModel):
    auction: str
    bidder_code: str = Field(description="the holder, who becomes purchaser at the declaration")
    price: str = Field(description="the best bid, at which the holder buys")
    position: int
    at: str


class DepositLineOut(BaseModel):
    bidder_code: str
    amount: str
    status: str = Field(description="held, credited, refund_due, refunded or forfeited")
    due: str | None = Field(description="the refund's due date where the law sets one")


class IncidentOut(BaseModel):
    auction: str
    position: int
    at: str = Field(description="when it was recorded")
    description: str
    started_at: str
    ended_at: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class WarningOut(BaseModel):
    """A remark of the country's rules on a schedule they accepted: it never blocks."""

    code: str = Field(description="stable snake_case code", examples=["close_date_not_period_end"])
    message: str = Field(description="the remark in words, with the dates involved")
    rule: str = Field(description="the code of the rule it comes from", examples=["HR-duration"])


class AuctionOut(BaseModel):
    id: str
    country: str
    title: str
    asset: str
    value: str
    currency: str
    starting_price: str
    increment: str | None
    deposit_required: str
    deposit_due: str | None
    extension_minutes: int | None = Field(description="the notice's soft-close interval in minutes, if any")
    zone: str | None = Field(description="the auction's own IANA zone where its country has several, else null")
    round: int
    rules_version: str
    scheduled_at: str
    opens_at: str
    scheduled_closes_at: str = Field(description="the close as scheduled, before any extension")
    closes_at: str = Field(description="the deadline in force (after extensions), or when bidding ended")
    status: str = Field(
        description="scheduled, open, suspended, closed (ended with a winner), failed (no valid bid) or cancelled"
    )
    price: str | None
    leader: str | None = Field(description="the leading bidder's code (never an identity)")
    bid_count: int = Field(description="accepted bids")
    bidders: int
    admitted: int
    extensions: int
    opened_at: str | None
    closed_at: str | None
    ended: bool = Field(description="the bailiff declared the result")
    ended_at: str | None
    purchaser: str | None = Field(description="the purchaser's bidder code, once declared")
    sale: str | None = Field(description="after the declaration: awaiting_payment, paid, completed or defaulted")
    payment_due: str | None = Field(description="when the price is due")
    paid: str | None = Field(description="the deposit credited plus every payment so far")
    price_due: str | None = Field(description="what is still due of the price")
    payment_days: int | None = Field(description="the notice's payment period in days")
    preemptor: str | None = Field(description="the pre-emption holder whose declaration won (SI)")
    suspended_at: str | None
    suspension_reason: str | None
    time_left_seconds: float | None = Field(description="while suspended: the bidding time left")
    cancelled_at: str | None
    previous: str | None = Field(description="the auction this round repeats")
    next_round: str | None = Field(description="the auction that repeats this one's failed or defaulted sale")
    outcome: str | None = Field(description="what became of the property after the last round failed")
    language: str | None = Field(description="the language of the notice (BCP 47, from the country): bg, hr, sl ...")
    description: str | None = Field(description="what the lot is")
    case_reference: str | None = Field(description="the enforcement case")
    court: str | None = Field(description="the court or office conducting the sale")
    location: dict[str, Any] | None = Field(description="address, municipality, region, coordinates {lat, lon}")
    asset_details: dict[str, Any] | None = Field(description="facts by kind: real_estate, vehicle, movable, other")
    viewing: list[dict[str, Any]] | str | None = Field(description="[{starts_at, ends_at, how_to_book}] or a text")
    conditions: str | None = Field(description="conditions and encumbrances the buyer takes over")
    contact: dict[str, Any] | None = Field(description="the office's contact: name, phone, email, hours")
    amendments: int = Field(description="how many times the details were amended")
    deposits: list[DepositLineOut] | None = Field(
        default=None, description="bailiffs and auditors only (absent for anyone else): every deposit and its status"
    )
    position: int = Field(description="the auction's event position this view reflects")
    warnings: list[WarningOut] = Field(
        description=(
            "the country rules' non-blocking warnings about the schedule, computed from the scheduled terms "
            "(e.g. BG close_date_not_period_end, close_date_not_working_day; HR close_date_not_period_end); "
            "empty when there is nothing to say"
        ),
    )


class AuctionListOut(BaseModel):
    auctions: list[AuctionOut]
    # With a search (any parameter but ``country`` and ``status``):
    total: int | None = Field(default=None, description="how many lots match in all")
    limit: int | None = Field(default=None, description="the most lots in one page")
    cursor: str | None = Field(default=None, description="give it back as `cursor` for the next page; null on the last")
    next: str | None = Field(default=None, description="the next page's URL, null on the last")


# A filter's text: printable, one line (PostgreSQL refuses NUL in text, and no place name holds a control character).
FILTER_TEXT = r"^[^\x00-\x1f\x7f]{1,100}$"


class SearchQuery(BaseModel):
    """The query parameters of ``GET /auctions``. ``country`` and ``status`` alone (or nothing) give the whole
    catalogue in the order scheduled, as always; any other parameter makes it a search, paged with a cursor."""

    q: str | None = Field(
        default=None,
        max_length=500,
        description="words of the title, description, location, case reference or court; each word matches the "
        "words beginning with it, every word must match; case and diacritics do not count; at most 16 words",
    )
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    status: Literal["scheduled", "open", "suspended", "closed", "failed", "cancelled"] | None = Field(
        default=None, description="only this status; a search without it shows scheduled, open and suspended lots"
    )
    include_ended: bool = Field(default=False, description="a search without status shows ended lots too")
    asset: AssetKind | None = Field(default=None, description="the asset kind the rules read")
    kind: lot.LotKind | None = Field(default=None, description="the lot's kind (asset_details.kind)")
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    price_min: Money | None = Field(default=None, description="the starting price at least this (give a currency)")
    price_max: Money | None = Field(default=None, description="the starting price at most this")
    closes_after: Instant | None = Field(default=None, description="the deadline in force at or after this")
    closes_before: Instant | None = Field(default=None, description="the deadline in force before this")
    region: str | None = Field(
        default=None, pattern=FILTER_TEXT, description="the location's region (case and diacritics do not count)"
    )
    municipality: str | None = Field(default=None, pattern=FILTER_TEXT, description="the location's municipality")
    area_min: float | None = Field(default=None, ge=0, le=1e9, description="asset_details.area_m2 at least this")
    area_max: float | None = Field(default=None, ge=0, le=1e9, description="asset_details.area_m2 at most this")
    rooms_min: int | None = Field(default=None, ge=0, le=10_000, description="asset_details.rooms at least this")
    sort: Literal["closing", "newest", "price_asc", "price_desc"] | None = Field(
        default=None, description="closing (soonest deadline first, the default), newest, price_asc, price_desc"
    )
    limit: int | None = Field(default=None, ge=1, le=100, description="lots in a page (default 20)")
    cursor: str | None = Field(default=None, max_length=400, description="`cursor` of the previous page")

    def is_search(self) -> bool:
        return bool(self.model_fields_set - {"country", "status"})


class RegistrationOut(BaseModel):
    auction: str
    bidder_code: str
    admitted: bool
    deposit: str
    deposit_required: str
    position: int | None = Field(description="position of the registration event (null when already registered)")
    role: str | None = Field(default=None, description="preemption_holder, or null")


class OwnBidOut(BaseModel):
    bidder_code: str
    amount: str
    position: int
    received_at: str
    automatic: bool
    leading: bool = Field(description="whether this bid is the best bid now")


class BidderStateOut(BaseModel):
    """The caller's own registration, admission, deposit and bids: never another bidder's, never the identity."""

    auction: str
    bidder_code: str
    role: str | None = Field(default=None, description="preemption_holder, or null")
    admitted: bool
    refusal: str | None = Field(description="why the bidder is not admitted yet, if not")
    deposit: str = Field(description="the bidder's total deposit")
    deposit_required: str
    deposit_status: str | None = Field(description="where the deposit stands (held, refunded, ...); null: none paid")
    refund_due: str | None
    leading: bool = Field(description="whether the caller holds the best bid now")
    bids: list[OwnBidOut] = Field(description="the caller's accepted bids, in order")


class DepositOut(BaseModel):
    auction: str
    bidder_code: str
    amount: str
    deposit: str = Field(description="the bidder's total deposit")
    admitted: bool
    refusal: str | None = Field(description="why the bidder is not admitted yet, if not")
    position: int


class BidOut(BaseModel):
    auction: str
    bidder_code: str
    amount: str
    position: int
    closes_at: str
    received_at: str
    automatic: bool
    price: str | None = Field(description="the best bid after this bid (and any automatic answers)")
    leader: str | None
    receipt: dict[str, Any] = Field(
        description="signed receipt: auction, bidder_code, amount, position, received_at, algorithm"
        " (Ed25519-log: the signed tree head of the commit that wrote the bid), event (type, data, prev_hash),"
        " log (index, path to the head's root, head), public_key, signature (the head's);"
        " check it offline with `auction verify-receipt`"
    )


class ReceiptKeyOut(BaseModel):
    algorithm: str
    public_key: str = Field(description="base64url of the raw 32-byte Ed25519 public key")


class ProxyOut(BaseModel):
    auction: str
    bidder_code: str
    max: str
    step: str
    position: int
    price: str | None
    leader: str | None
    closes_at: str
    bids: list[dict[str, Any]] = Field(description="the automatic bids this proxy caused at once")


class BidPageOut(BaseModel):
    auction: str
    bids: list[dict[str, Any]] = Field(description="[{bidder_code, amount, position, received_at, automatic}]")
    next_after: int | None


class HealthOut(BaseModel):
    status: str
    checkpoint: int
