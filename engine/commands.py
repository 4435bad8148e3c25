"""What users ask the engine to do. A command may be refused; an event is a fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.details import LotDetails
from engine.policy import Draft


@dataclass(frozen=True)
class Official:
    """Who performs an official act: the official's subject (from the token) and office."""

    subject: str
    office: str | None = None


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class ScheduleAuction(Command):
    auction_id: str
    draft: Draft
    official: Official | None = None
    # The sale's terms (payment_days) are required, except in a dry run that never reaches a declaration.
    sale_terms_required: bool = True
    details: LotDetails | None = None  # what is for sale (engine.details)


@dataclass(frozen=True)
class RegisterBidder(Command):
    subject: str
    role: str | None = None  # "preemption_holder" where the country knows pre-emption (SI)


@dataclass(frozen=True)
class RecordDeposit(Command):
    bidder_code: str
    amount: int


@dataclass(frozen=True)
class OpenBidding(Command):
    """The bailiff opens bidding now, before the scheduled opening."""

    official: Official | None = None


@dataclass(frozen=True)
class PlaceBid(Command):
    bidder_code: str | None  # None: the caller never registered
    amount: int


@dataclass(frozen=True)
class SetProxy(Command):
    bidder_code: str | None
    max_amount: int
    step: int


@dataclass(frozen=True)
class Advance(Command):
    """Let time pass: open or close bidding when its instant has come."""


@dataclass(frozen=True)
class EndAuction(Command):
    """The bailiff ends an auction whose bidding has ended and declares the purchaser."""

    official: Official | None = None


@dataclass(frozen=True)
class RecordIncident(Command):
    """The bailiff records a technical incident; it changes nothing but the report."""

    description: str
    started_at: datetime
    ended_at: datetime | None
    official: Official | None = None


@dataclass(frozen=True)
class AmendDetails(Command):
    """The bailiff amends the lot's details: each field of ``fields`` takes its value in
    ``details`` (``None`` clears it); the others stay. After bidding opened only additions,
    and a ``reason`` is required."""

    details: LotDetails
    fields: frozenset[str]
    reason: str | None = None
    official: Official | None = None


@dataclass(frozen=True)
class PublishPhoto(Command):
    """The bailiff publishes a photo of the lot, already re-encoded and stored (engine.app.files)."""

    sha256: str
    size: int
    media_type: str
    width: int
    height: int
    alt: str
    thumbnail: str
    preview: str
    official: Official | None = None


@dataclass(frozen=True)
class PublishDocument(Command):
    sha256: str
    size: int
    media_type: str
    title: str
    official: Official | None = None


@dataclass(frozen=True)
class WithdrawFile(Command):
    """A published photo or document (``kind``) is no longer shown; the log keeps it."""

    kind: str
    sha256: str
    reason: str
    official: Official | None = None


@dataclass(frozen=True)
class OrderPhotos(Command):
    """The lot's public photos in a new order: every one of them, each once."""

    order: tuple[str, ...]
    official: Official | None = None


# ---------------------------------------------------------------- after the hammer


@dataclass(frozen=True)
class DeclarePreemption(Command):
    """A pre-emption holder declares to buy at the best price (SI)."""

    bidder_code: str | None


@dataclass(frozen=True)
class RecordPayment(Command):
    amount: int
    official: Official | None = None


@dataclass(frozen=True)
class RecordRefund(Command):
    bidder_code: str
    official: Official | None = None


@dataclass(frozen=True)
class DecideTransfer(Command):
    reference: str
    decided_on: date
    official: Official | None = None


@dataclass(frozen=True)
class OfferNextBest(Command):
    official: Official | None = None


@dataclass(frozen=True)
class GrantGrace(Command):
    until: datetime
    official: Official | None = None


@dataclass(frozen=True)
class Suspend(Command):
    reason: str
    official: Official | None = None


@dataclass(frozen=True)
class Resume(Command):
    official: Official | None = None


@dataclass(frozen=True)
class Cancel(Command):
    reason: str
    official: Official | None = None


@dataclass(frozen=True)
class StartNextRound(Command):
    """Schedule the next round of a failed or defaulted sale as auction ``next_auction``."""

    next_auction: str
    opens_at: datetime
    closes_at: datetime | None = None
    starting_price: int | None = None
    official: Official | None = None
