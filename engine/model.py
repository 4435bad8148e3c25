"""Value types shared by the domain: money, instants, identifiers, auction state.

The state types are frozen ``msgspec`` structs: an auction's state is replaced with
every event it folds (a server's read models fold every event ever stored), and
a struct is copied with a changed field in a fraction of a microsecond. They hold
only values (numbers, text, instants, tuples of other such structs), so they can
never be part of a reference cycle: ``gc=False`` keeps them out of the cyclic
garbage collector, whose passes would otherwise grow with every state kept.

Money is kept in integer minor units (cents) so that no arithmetic ever goes
through a float; it is parsed from and formatted to the contract's two-decimal
strings only at the edges.
"""

from __future__ import annotations

import re
from datetime import UTC as UTC  # re-exported: every instant is kept in UTC
from datetime import datetime, timedelta, tzinfo
from enum import Enum
from typing import Annotated, NewType

import msgspec

from engine.details import LotDetails

AuctionId = NewType("AuctionId", str)
BidderCode = NewType("BidderCode", str)


class _Cents:
    """The mark ``Money`` carries (``CENTS``): the codec finds an event's amounts by it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CENTS"


CENTS = _Cents()
# An amount of money in minor units: an int to Python code, a two-decimal string
# ("80000.00") in the stored log and at the API.
Money = Annotated[int, CENTS]

_MONEY = re.compile(r"^(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,2}))?$")


class InvalidValue(ValueError):
    """A value from outside (scenario file, request body) that cannot be read."""


def parse_money(text: object, what: str = "amount") -> int:
    """Read a decimal string such as ``"80000.00"`` into cents; refuse floats and junk."""
    if not isinstance(text, str):
        raise InvalidValue(f"{what} must be a decimal string such as \"1000.00\"")
    match = _MONEY.match(text.strip())
    if match is None:
        raise InvalidValue(f"{what} {text!r} is not a non-negative amount with at most two decimals")
    whole, frac = match.group(1), (match.group(2) or "")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def format_money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def parse_instant(text: object, what: str = "time") -> datetime:
    """Read an RFC 3339 instant; an offset is required so that no DST guess is ever made."""
    if not isinstance(text, str):
        raise InvalidValue(f"{what} must be an RFC 3339 string with an offset")
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"{what} {text!r} is not an RFC 3339 time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{what} {text!r} has no UTC offset")
    return value.astimezone(UTC)


def format_instant(value: datetime, tz: tzinfo | None = None) -> str:
    """RFC 3339 with the fraction of a second only where there is one; ``tz`` gives the local offset shown."""
    local = value.astimezone(tz) if tz is not None else value.astimezone(UTC)
    # As short as possible, never lossy: an instant read back must be the instant written.
    if local.microsecond % 1000:
        return local.isoformat(timespec="microseconds")
    if local.microsecond:
        return local.isoformat(timespec="milliseconds")
    return local.isoformat(timespec="seconds")


class Status(str, Enum):
    NEW = "new"  # nothing scheduled yet (an empty stream)
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"
    SUSPENDED = "suspended"  # bidding stopped by the bailiff, the time left kept
    CANCELLED = "cancelled"  # ended by the bailiff before bidding ended: no sale


class Sale(str, Enum):
    """The sale after the purchaser's declaration (docs/rules.md, After bidding)."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    COMPLETED = "completed"  # the transfer decision is recorded
    DEFAULTED = "defaulted"


class Ledger(str, Enum):
    """Where a bidder's deposit stands."""

    HELD = "held"
    CREDITED = "credited"  # counted towards the price (the purchaser's)
    REFUND_DUE = "refund_due"
    REFUNDED = "refunded"
    FORFEITED = "forfeited"


class AssetKind(str, Enum):
    IMMOVABLE = "immovable"
    MOVABLE = "movable"
    REGISTERED_MOVABLE = "registered_movable"
    RIGHTS = "rights"


class Terms(msgspec.Struct, frozen=True, gc=False):
    """Everything fixed when the auction is scheduled, after the rules derived what the law fixes."""

    country: str
    title: str
    asset: AssetKind
    value: int
    currency: str
    starting_price: int
    increment: int | None
    opens_at: datetime
    closes_at: datetime  # the scheduled close, before any extension
    round: int
    deposit_required: int
    deposit_due: datetime | None = None  # exclusive: a deposit recorded at or after it is late (SI)
    extension_minutes: int | None = None  # the notice's soft-close interval, where the country uses one
    zone: str | None = None  # the auction's IANA zone where the country has several (PT), else None
    payment_days: int | None = None  # the notice's payment period, where the country uses one
    previous: str | None = None  # the auction this round repeats


PREEMPTION_HOLDER = "preemption_holder"


class Bidder(msgspec.Struct, frozen=True, gc=False):
    code: str
    subject: str  # the identity behind the pseudonym (personal data)
    deposit: int = 0
    admitted: bool = False
    refusal: str | None = None
    role: str | None = None  # PREEMPTION_HOLDER, or None for an ordinary bidder
    ledger: Ledger = Ledger.HELD  # meaningful where ``deposit`` > 0
    refund_due: datetime | None = None
    best_bid: int | None = None  # this bidder's highest accepted bid


class Suspension(msgspec.Struct, frozen=True, gc=False):
    at: datetime
    deadline: datetime  # the deadline in force when bidding stopped
    reason: str


class Proxy(msgspec.Struct, frozen=True, gc=False):
    bidder_code: str
    max_amount: int
    step: int


class AcceptedBid(msgspec.Struct, frozen=True, gc=False):
    bidder_code: str
    amount: int
    at: datetime
    position_in_auction: int  # 1 for the first accepted bid, 2 for the next, ...
    automatic: bool = False


PHOTO = "photo"
DOCUMENT = "document"


class LotFile(msgspec.Struct, frozen=True, gc=False):
    """A photo or document published with the lot (``PhotoPublished``, ``DocumentPublished``),
    named by the SHA-256 of the bytes served. A withdrawn file stays listed, with when and why:
    the record of what was public when is the log's."""

    kind: str  # PHOTO or DOCUMENT
    sha256: str
    size: int
    media_type: str
    label: str  # a photo's alt text, a document's title
    published_at: datetime
    width: int | None = None  # a photo's, in pixels
    height: int | None = None
    thumbnail: str | None = None  # a photo's smaller renditions, by their own hashes
    preview: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    @property
    def public(self) -> bool:
        return self.withdrawn_at is None


class AuctionState(msgspec.Struct, frozen=True, gc=False):
    """An auction as its events left it: what the decider decides on, and what every read
    side shows (the catalogue, the live feed and the report take their status, price,
    leader, deadline and counts from here, so they cannot disagree with the decider).
    ``bidders`` holds identities: public views show codes only."""

    auction_id: str
    version: int = 0
    status: Status = Status.NEW
    terms: Terms | None = None
    rules_version: str = ""
    scheduled_at: datetime | None = None
    deadline: datetime | None = None  # the deadline in force (after extensions)
    bidders: tuple[Bidder, ...] = ()
    proxies: tuple[Proxy, ...] = ()
    best: AcceptedBid | None = None  # the best accepted bid
    bid_count: int = 0  # accepted bids
    opened_at: datetime | None = None
    opened_by: str | None = None
    closed_at: datetime | None = None
    purchaser: str | None = None
    purchase_price: int | None = None
    ended: bool = False  # the bailiff declared the result
    ended_at: datetime | None = None
    extensions: int = 0
    # -- after the hammer (docs/rules.md, After bidding)
    suspension: Suspension | None = None  # while suspended
    suspended_for: timedelta = timedelta(0)  # every suspension so far, which moves a cap
    cancelled_at: datetime | None = None
    preemptor: str | None = None  # the holder whose declaration won (SI)
    sale: Sale | None = None
    payment_due: datetime | None = None
    credited: int = 0  # the purchaser's deposit counted towards the price
    payments: int = 0  # the purchaser's payments
    defaulters: tuple[str, ...] = ()  # purchasers who defaulted, in order
    defaulted_at: datetime | None = None  # the last default's instant (a payment deadline)
    offers: int = 0  # offers to a next-best bidder so far
    graced: bool = False
    next_round: str | None = None  # the auction that repeats this sale
    outcome: str | None = None  # what became of the property after the last round failed
    # -- what is for sale (engine.details): as scheduled, with every amendment
    details: LotDetails | None = None
    amendments: int = 0
    # -- photos and documents of the lot, in the order shown (photos: as last ordered)
    files: tuple[LotFile, ...] = ()

    @property
    def price(self) -> int | None:
        return self.best.amount if self.best is not None else None

    @property
    def leader(self) -> str | None:
        return self.best.bidder_code if self.best is not None else None

    @property
    def closes_at(self) -> datetime | None:
        """The deadline in force, or the moment bidding ended once it has."""
        return self.closed_at if self.closed_at is not None else self.deadline

    @property
    def paid(self) -> int:
        """The purchaser's deposit plus their payments, counted towards the price."""
        return self.credited + self.payments

    @property
    def bidding_over(self) -> bool:
        return self.status in (Status.CLOSED, Status.FAILED)

    @property
    def admitted(self) -> int:
        return sum(1 for bidder in self.bidders if bidder.admitted)

    @property
    def due(self) -> datetime | None:
        """The next instant at which time alone changes this auction (open or close), if any."""
        if self.status is Status.SCHEDULED and self.terms is not None:
            return self.terms.opens_at
        if self.status is Status.OPEN:
            return self.deadline
        if self.sale is Sale.AWAITING_PAYMENT:
            return self.payment_due
        return None

    def file(self, kind: str, sha256: str) -> LotFile | None:
        for found in self.files:
            if found.kind == kind and found.sha256 == sha256:
                return found
        return None

    def bidder(self, code: str) -> Bidder | None:
        for bidder in self.bidders:
            if bidder.code == code:
                return bidder
        return None

    def bidder_by_subject(self, subject: str) -> Bidder | None:
        for bidder in self.bidders:
            if bidder.subject == subject:
                return bidder
        return None


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def percent_of(cents: int, percent: int) -> int:
    """``percent`` % of an amount, rounded up to the cent so a floor is never undercut."""
    return ceil_div(cents * percent, 100)


ZERO = timedelta(0)
