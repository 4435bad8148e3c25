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


class BidderRegistered(Event, frozen=True):
    bidder_code: str
    subject: str  # identity behind the pseudonym: personal data, never shown publicly


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


class BiddingOpened(Event, frozen=True):
    by: str  # "schedule" or "bailiff"


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


class AuctionEnded(Event, frozen=True):
    """The bailiff's act that ends the auction and declares the purchaser (None if it failed)."""

    purchaser: str | None
    price: Money | None


class IncidentRecorded(Event, frozen=True):
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
