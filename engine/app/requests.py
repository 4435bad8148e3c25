"""What an entry point asks of the application: one frozen request per use case.

Each request names the result its handler returns (``Request[BidResult]``), so
:meth:`engine.app.handlers.Handlers.handle` is typed end to end. Requests carry
what the caller said (the token's subject, the amount in cents, the raw
Idempotency-Key); turning that into a domain command (the caller's bidder code,
the key scoped to the caller) is the handler's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from engine.app.results import (
    AuctionResult,
    BidResult,
    DepositResult,
    IncidentResult,
    ProxyResult,
    RegistrationResult,
)
from engine.policy import Draft

R_co = TypeVar("R_co", covariant=True)


class Request(Generic[R_co]):
    """A use case's input; ``R_co`` is what its handler returns."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Schedule(Request[AuctionResult]):
    """A bailiff schedules an auction; fields of the draft left ``None`` are derived by the rules."""

    draft: Draft


@dataclass(frozen=True, slots=True)
class Register(Request[RegistrationResult]):
    auction_id: str
    subject: str


@dataclass(frozen=True, slots=True)
class Deposit(Request[DepositResult]):
    auction_id: str
    bidder_code: str
    amount: int


@dataclass(frozen=True, slots=True)
class Open(Request[AuctionResult]):
    """Open bidding now, before the scheduled opening."""

    auction_id: str


@dataclass(frozen=True, slots=True)
class End(Request[AuctionResult]):
    """End an auction whose bidding has ended and declare the purchaser."""

    auction_id: str


@dataclass(frozen=True, slots=True)
class Bid(Request[BidResult]):
    auction_id: str
    subject: str
    amount: int
    idempotency_key: str | None = None


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
