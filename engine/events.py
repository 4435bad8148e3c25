"""What happened in an auction. Every event is a fact with the instant it took effect.

Refusals are events too: an auditor must see every bid that was received,
including the ones the rules turned away, with the reason and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Event:
    at: datetime


@dataclass(frozen=True)
class AuctionScheduled(Event):
    auction_id: str
    country: str
    title: str
    asset: str
    value: int
    currency: str
    starting_price: int
    increment: int | None
    opens_at: datetime
    closes_at: datetime
    round: int
    deposit_required: int
    deposit_due: datetime | None
    rules_version: str


@dataclass(frozen=True)
class BidderRegistered(Event):
    bidder_code: str
    subject: str  # identity behind the pseudonym: personal data, never shown publicly


@dataclass(frozen=True)
class DepositRecorded(Event):
    bidder_code: str
    amount: int
    total: int


@dataclass(frozen=True)
class BidderAdmitted(Event):
    bidder_code: str
    rule: str


@dataclass(frozen=True)
class AdmissionRefused(Event):
    bidder_code: str
    reason: str
    rule: str | None


@dataclass(frozen=True)
class BiddingOpened(Event):
    by: str  # "schedule" or "bailiff"


@dataclass(frozen=True)
class BidAccepted(Event):
    bidder_code: str
    amount: int
    automatic: bool = False


@dataclass(frozen=True)
class BidRejected(Event):
    bidder_code: str | None
    amount: int
    reason: str
    rule: str | None = None
    automatic: bool = False


@dataclass(frozen=True)
class ProxySet(Event):
    bidder_code: str
    max_amount: int
    step: int


@dataclass(frozen=True)
class ProxyRejected(Event):
    bidder_code: str | None
    max_amount: int
    step: int
    reason: str
    rule: str | None = None


@dataclass(frozen=True)
class DeadlineExtended(Event):
    previous: datetime
    deadline: datetime
    rule: str
    basis: str
    reading: str


@dataclass(frozen=True)
class BiddingClosed(Event):
    winner: str
    price: int


@dataclass(frozen=True)
class BiddingFailed(Event):
    pass


@dataclass(frozen=True)
class AuctionEnded(Event):
    """The bailiff's act that ends the auction and declares the purchaser (None if it failed)."""

    purchaser: str | None
    price: int | None


@dataclass(frozen=True)
class IncidentRecorded(Event):
    """The bailiff's record of a technical problem with the sale (the platform unreachable,
    a bid that could not be placed), for the report: BG law has the report list them."""

    description: str
    started_at: datetime
    ended_at: datetime | None  # None: not over, or not known


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
    )
}
