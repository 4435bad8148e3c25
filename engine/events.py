"""What happened in an auction. Every event is a fact with the instant it took effect.

Refusals are events too: an auditor must see every bid that was received,
including the ones the rules turned away, with the reason and the rule.

Events are frozen ``msgspec`` structs (a copy with a changed field is
``msgspec.structs.replace``), untracked by the cyclic garbage collector. An amount of money is
annotated ``Money``: an int of minor units to Python, written as a two-decimal string by the codec.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from engine.details import LotDetails
from engine.model import Money


class Event(msgspec.Struct, frozen=True, gc=False):
    # gc=False (inherited): an event holds values only and can never be part of a
    # reference cycle, and a server's read models keep one per public change ever made.
    at: datetime


class AuctionScheduled(Event, frozen=True, omit_defaults=True):
    # omit_defaults: the notice-set terms at the end are written only where a country uses
    # them, so that a payload without them (every one stored before they existed) is unchanged.
    auction_id: str
    country: str
    title: str
    asset: str
    value: Money
    currency: str
    starting_price: Money
    increment: Money | None
    opens_at: datetime
    closes_at: datetime
    round: int
    deposit_required: Money
    deposit_due: datetime | None
    rules_version: str
    extension_minutes: int | None = None
    zone: str | None = None
    payment_days: int | None = None  # the notice's payment period, where the law leaves it to it
    previous: str | None = None  # the auction whose failed or defaulted sale this round repeats
    official: str | None = None  # who scheduled it (the official's subject) ...
    office: str | None = None  # ... and their office
    details: LotDetails | None = None  # what is for sale (engine.details), where the notice says


class BidderRegistered(Event, frozen=True, omit_defaults=True):
    bidder_code: str
    subject: str  # identity behind the pseudonym: personal data, never shown publicly
    role: str | None = None  # "preemption_holder": registered as the holder of a pre-emption right


class DepositRecorded(Event, frozen=True):
    bidder_code: str
    amount: Money
    total: Money


class BidderAdmitted(Event, frozen=True):
    bidder_code: str
    rule: str


class AdmissionRefused(Event, frozen=True):
    bidder_code: str
    reason: str
    rule: str | None


class BiddingOpened(Event, frozen=True, omit_defaults=True):
    by: str  # "schedule" or "bailiff"
    official: str | None = None
    office: str | None = None


class BidAccepted(Event, frozen=True):
    bidder_code: str
    amount: Money
    automatic: bool = False


class BidRejected(Event, frozen=True):
    bidder_code: str | None
    amount: Money
    reason: str
    rule: str | None = None
    automatic: bool = False


class ProxySet(Event, frozen=True):
    bidder_code: str
    max_amount: Money
    step: Money


class ProxyRejected(Event, frozen=True):
    bidder_code: str | None
    max_amount: Money
    step: Money
    reason: str
    rule: str | None = None


class DeadlineExtended(Event, frozen=True):
    previous: datetime
    deadline: datetime
    rule: str
    basis: str
    reading: str


class BiddingClosed(Event, frozen=True):
    winner: str
    price: Money


class BiddingFailed(Event, frozen=True):
    pass


class AuctionEnded(Event, frozen=True, omit_defaults=True):
    """The bailiff's act that ends the auction and declares the purchaser (None if it failed).
    With a purchaser the sale begins: the price is due by ``payment_due``."""

    purchaser: str | None
    price: Money | None
    payment_due: datetime | None = None
    rule: str | None = None  # the rule that fixes the payment deadline
    official: str | None = None
    office: str | None = None


class IncidentRecorded(Event, frozen=True, omit_defaults=True):
    """The bailiff's record of a technical problem with the sale (the platform unreachable,
    a bid that could not be placed), for the report: BG law has the report list them."""

    description: str
    started_at: datetime
    ended_at: datetime | None  # None: not over, or not known
    official: str | None = None
    office: str | None = None


class DetailsAmended(Event, frozen=True, omit_defaults=True):
    """The bailiff amended the lot's details: ``fields`` changed from ``before`` to ``after``
    (each holding only those fields; a field ``None`` in ``after`` was cleared). After bidding
    opened, only additions, with a ``reason``."""

    fields: tuple[str, ...]
    before: LotDetails
    after: LotDetails
    reason: str | None = None
    official: str | None = None
    office: str | None = None


# ---------------------------------------------------------------- photos and documents of the lot
# Each names the bytes served by their SHA-256 (kept in the blob store, engine.app.blobs), so the
# log proves which file was public when.


class PhotoPublished(Event, frozen=True, omit_defaults=True):
    """A photo of the lot, as served: re-encoded without its metadata (EXIF, location), with
    two smaller renditions (``thumbnail``, ``preview``: the hashes of their own bytes)."""

    sha256: str
    size: int  # bytes
    media_type: str
    width: int
    height: int
    alt: str  # the text that says what the photo shows, in the auction's language
    thumbnail: str
    preview: str
    official: str | None = None
    office: str | None = None


class DocumentPublished(Event, frozen=True, omit_defaults=True):
    """A document of the sale (a valuation report, the order of sale), byte for byte as uploaded."""

    sha256: str
    size: int
    media_type: str
    title: str
    official: str | None = None
    office: str | None = None


class PhotoWithdrawn(Event, frozen=True, omit_defaults=True):
    sha256: str
    reason: str
    official: str | None = None
    office: str | None = None


class DocumentWithdrawn(Event, frozen=True, omit_defaults=True):
    sha256: str
    reason: str
    official: str | None = None
    office: str | None = None


class PhotosOrdered(Event, frozen=True, omit_defaults=True):
    """The order the lot's public photos are shown in (the first is the lot's picture)."""

    order: tuple[str, ...]
    official: str | None = None
    office: str | None = None


# ---------------------------------------------------------------- after the hammer
# Every official act names the official (their subject) and their office.


class PreemptionDeclared(Event, frozen=True):
    """A holder of a pre-emption right declares to buy at the best price (SI)."""

    bidder_code: str
    price: Money
    rule: str


class DepositCredited(Event, frozen=True):
    """The purchaser's deposit counts towards the price."""

    bidder_code: str
    amount: Money


class RefundDue(Event, frozen=True):
    """A bidder's deposit is to be paid back, by ``due`` where the law sets a date."""

    bidder_code: str
    amount: Money
    due: datetime | None
    rule: str | None = None


class DepositRefunded(Event, frozen=True):
    bidder_code: str
    amount: Money
    official: str | None = None
    office: str | None = None


class DepositForfeited(Event, frozen=True):
    """A defaulting purchaser's deposit is kept."""

    bidder_code: str
    amount: Money
    rule: str | None = None


class PaymentRecorded(Event, frozen=True):
    amount: Money
    paid: Money  # deposit credited plus every payment so far
    official: str | None = None
    office: str | None = None


class SalePaid(Event, frozen=True):
    """The price is covered."""

    purchaser: str
    paid: Money


class TransferDecided(Event, frozen=True):
    """The decision that passes ownership to the purchaser: the sale is completed."""

    reference: str
    decided_on: str  # the decision's date, YYYY-MM-DD
    official: str | None = None
    office: str | None = None


class SaleDefaulted(Event, frozen=True):
    """The payment deadline passed with the price not covered; ``at`` is the deadline itself."""

    purchaser: str
    paid: Money
    rule: str | None = None


class GraceGranted(Event, frozen=True):
    """SE: the payment deadline moved to ``until``."""

    until: datetime
    previous: datetime
    rule: str
    official: str | None = None
    office: str | None = None


class SaleOffered(Event, frozen=True):
    """After a default: the next-best bidder becomes purchaser at their own highest bid."""

    bidder_code: str
    price: Money
    payment_due: datetime
    rule: str
    official: str | None = None
    office: str | None = None


class AuctionSuspended(Event, frozen=True):
    reason: str
    deadline: datetime  # the deadline in force when bidding stopped; the time left is kept
    official: str | None = None
    office: str | None = None


class AuctionResumed(Event, frozen=True):
    deadline: datetime  # resumption + the time that was left
    suspended_at: datetime
    official: str | None = None
    office: str | None = None


class AuctionCancelled(Event, frozen=True):
    reason: str
    official: str | None = None
    office: str | None = None


class NextRoundScheduled(Event, frozen=True):
    """The sale failed or defaulted and the next round was scheduled as auction ``next_auction``."""

    next_auction: str
    round: int
    opens_at: datetime
    closes_at: datetime
    starting_price: Money
    official: str | None = None
    office: str | None = None


class RoundsExhausted(Event, frozen=True):
    """The last round the law allows failed: what becomes of the property."""

    outcome: str
    rule: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        AuctionScheduled,
        BidderRegistered,
        DepositRecorded,
        BidderAdmitted,
        AdmissionRefused,
        BiddingOpened,
        BidAccepted,
        BidRejected,
        ProxySet,
        ProxyRejected,
        DeadlineExtended,
        BiddingClosed,
        BiddingFailed,
        AuctionEnded,
        IncidentRecorded,
        DetailsAmended,
        PhotoPublished,
        DocumentPublished,
        PhotoWithdrawn,
        DocumentWithdrawn,
        PhotosOrdered,
        PreemptionDeclared,
        DepositCredited,
        RefundDue,
        DepositRefunded,
        DepositForfeited,
        PaymentRecorded,
        SalePaid,
        TransferDecided,
        SaleDefaulted,
        GraceGranted,
        SaleOffered,
        AuctionSuspended,
        AuctionResumed,
        AuctionCancelled,
        NextRoundScheduled,
        RoundsExhausted,
    )
}
