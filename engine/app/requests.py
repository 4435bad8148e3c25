"""What an entry point asks of the application: one frozen request per use case.

Each request names the result its handler returns (``Request[BidResult]``), so
:meth:`engine.app.handlers.Handlers.handle` is typed end to end. Requests carry
what the caller said (the token's subject, the amount in cents, the raw
Idempotency-Key); turning that into a domain command (the caller's bidder code,
the key scoped to the caller) is the handler's work. An official act carries the
official's ``subject`` and ``office`` from the token, which its events record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from engine.app.results import (
    AuctionResult,
    BidResult,
    DepositResult,
    IncidentResult,
    PaymentResult,
    PreemptionResult,
    ProxyResult,
    RefundResult,
    RegistrationResult,
)
from engine.details import LotDetails
from engine.policy import Draft

R_co = TypeVar("R_co", covariant=True)


class Request(Generic[R_co]):
    """A use case's input; ``R_co`` is what its handler returns."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Schedule(Request[AuctionResult]):
    """A bailiff schedules an auction; fields of the draft left ``None`` are derived by the rules."""

    draft: Draft
    subject: str | None = None  # the official scheduling it
    office: str | None = None
    details: LotDetails | None = None  # what is for sale (engine.details)


@dataclass(frozen=True, slots=True)
class AmendLot(Request[AuctionResult]):
    """A bailiff amends the lot's details: each field of ``fields`` takes its value in ``details``
    (``None`` clears it). After bidding opened only additions, with a ``reason``."""

    auction_id: str
    details: LotDetails
    fields: frozenset[str]
    subject: str
    reason: str | None = None
    office: str | None = None


@dataclass(frozen=True, slots=True)
class Register(Request[RegistrationResult]):
    auction_id: str
    subject: str
    role: str | None = None  # "preemption_holder" where the country knows pre-emption (SI)


@dataclass(frozen=True, slots=True)
class Deposit(Request[DepositResult]):
    auction_id: str
    bidder_code: str
    amount: int


@dataclass(frozen=True, slots=True)
class Open(Request[AuctionResult]):
    """Open bidding now, before the scheduled opening."""

    auction_id: str
    subject: str | None = None
    office: str | None = None


@dataclass(frozen=True, slots=True)
class End(Request[AuctionResult]):
    """End an auction whose bidding has ended and declare the purchaser."""

    auction_id: str
    subject: str | None = None
    office: str | None = None


# A bid above this many times the auction's value needs the bidder's confirmation (a typo guard).
CONFIRMATION_FACTOR = 10


@dataclass(frozen=True, slots=True)
class Bid(Request[BidResult]):
    auction_id: str
    subject: str
    amount: int
    idempotency_key: str | None = None
    confirmed: bool = False  # the bidder confirmed an amount above confirmation_factor x the value
    confirmation_factor: int = CONFIRMATION_FACTOR  # the deployment's setting; 0: never ask


@dataclass(frozen=True, slots=True)
class Proxy(Request[ProxyResult]):
    auction_id: str
    subject: str
    max_amount: int
    step: int
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Incident(Request[IncidentResult]):
    auction_id: str
    subject: str
    description: str
    started_at: datetime
    ended_at: datetime | None
    idempotency_key: str | None = None
    office: str | None = None


# ------------------------------------------------------------------ after the hammer
# Each act of an official below names the official (``subject``) and their ``office``.


@dataclass(frozen=True, slots=True)
class Preempt(Request[PreemptionResult]):
    """A pre-emption holder (the caller, a registered bidder) declares to buy at the best price (SI)."""

    auction_id: str
    subject: str
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Payment(Request[PaymentResult]):
    """A payment by the purchaser, in cents."""

    auction_id: str
    amount: int
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Refund(Request[RefundResult]):
    """A bidder's deposit paid back (the whole deposit, once)."""

    auction_id: str
    bidder_code: str
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer(Request[AuctionResult]):
    """The decision that passes ownership to the purchaser of a paid sale."""

    auction_id: str
    reference: str
    decided_on: date
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class OfferNext(Request[AuctionResult]):
    """After a default: the sale offered to the next-best bidder, where the country allows it."""

    auction_id: str
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Grace(Request[AuctionResult]):
    """SE: the payment deadline moved to ``until``."""

    auction_id: str
    until: datetime
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SuspendBidding(Request[AuctionResult]):
    """Stop an open auction's bidding, keeping the time left."""

    auction_id: str
    reason: str
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ResumeBidding(Request[AuctionResult]):
    """Resume a suspended auction with the time that was left."""

    auction_id: str
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CancelAuction(Request[AuctionResult]):
    """End a scheduled, open or suspended auction without a sale."""

    auction_id: str
    reason: str
    subject: str
    office: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class NextRound(Request[AuctionResult]):
    """Schedule the next round of a failed or defaulted sale; answers with the new auction."""

    auction_id: str
    opens_at: datetime
    subject: str
    closes_at: datetime | None = None
    starting_price: int | None = None
    office: str | None = None
    idempotency_key: str | None = None
