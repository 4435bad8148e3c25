"""What users ask the engine to do. A command may be refused; an event is a fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.policy import Draft


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class ScheduleAuction(Command):
    auction_id: str
    draft: Draft


@dataclass(frozen=True)
class RegisterBidder(Command):
    subject: str


@dataclass(frozen=True)
class RecordDeposit(Command):
    bidder_code: str
    amount: int


@dataclass(frozen=True)
class OpenBidding(Command):
    """The bailiff opens bidding now, before the scheduled opening."""


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


@dataclass(frozen=True)
class RecordIncident(Command):
    """The bailiff records a technical incident; it changes nothing but the report."""

    description: str
    started_at: datetime
    ended_at: datetime | None
