"""Request and response bodies of the HTTP API: pydantic at the edge only.

Money travels as two-decimal strings and is read with
:func:`engine.model.parse_money` into integer cents; times are RFC 3339 with
an offset, read with :func:`engine.model.parse_instant`. A JSON number where
money is expected, a time without an offset or an unknown field is refused
with 422 ``invalid_request`` before anything reaches the engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuctionIn(Strict):
    """The scenario's ``auction`` object plus ``country`` and ``title``."""

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
    status: str = Field(description="scheduled, open, closed (ended with a winner) or failed (no valid bid)")
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


class RegistrationOut(BaseModel):
    auction: str
    bidder_code: str
    admitted: bool
    deposit: str
    deposit_required: str
    position: int | None = Field(description="position of the registration event (null when already registered)")


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
        " (Ed25519-sha256-tree: the bids answered together share one signature over a Merkle tree of their"
        " receipts), tree (index, size, path to the signed root), public_key, signature;"
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
