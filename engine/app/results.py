"""What the handlers answer: frozen values, in the engine's own units.

Money is in cents and times are aware datetimes; the entry points format them
(two-decimal strings, RFC 3339) and choose the status code. A refused bid or
proxy is a result too (``accepted`` false, with the recorded refusal's reason,
rule and position): refusals are events, recorded like acceptances, except a stranger's
bid and an unconfirmed outsize one (position None, see ``engine.app.handlers``). Commands the
state does not allow at all raise the engine's errors (``engine.errors``,
``engine.policy.RuleViolation``), and nothing is recorded.

``replayed`` marks the first answer given again for a repeated Idempotency-Key:
every field is then as it was first answered, not as the auction is now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.app.receipts import Receipt


@dataclass(frozen=True, slots=True)
class AuctionResult:
    """After scheduling, opening, ending or an act after bidding: the auction's public view
    (as ``GET /auctions/{id}``); ``position`` is the act's own event where it has one."""

    auction_id: str
    view: Mapping[str, Any]
    position: int | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    auction_id: str
    bidder_code: str
    admitted: bool
    deposit: int
    deposit_required: int
    position: int | None  # the registration's position; None when the caller was registered already
    role: str | None = None  # "preemption_holder", or None for an ordinary bidder

    @property
    def created(self) -> bool:
        return self.position is not None


@dataclass(frozen=True, slots=True)
class DepositResult:
    auction_id: str
    bidder_code: str
    amount: int
    total: int  # the bidder's deposit so far
    admitted: bool
    refusal: str | None  # why the bidder is not admitted yet, if not
    position: int


@dataclass(frozen=True, slots=True)
class PlacedBid:
    """An accepted bid, as the bid history shows it."""

    position: int
    bidder_code: str
    amount: int
    received_at: datetime
    automatic: bool


@dataclass(frozen=True, slots=True)
class BidResult:
    auction_id: str
    accepted: bool
    amount: int
    # the stored position of the bid's own event (BidAccepted or BidRejected); None: refused
    # without being recorded (a caller who never registered, an unconfirmed outsize bid)
    position: int | None
    received_at: datetime
    replayed: bool = False
    bidder_code: str | None = None  # None: a caller who never registered
    # Accepted: the auction after the bid and any automatic answers to it, and the signed receipt.
    closes_at: datetime | None = None
    price: int | None = None
    leader: str | None = None
    receipt: Receipt | None = None
    # Refused: why, and the rule that says so.
    reason: str | None = None
    rule: str | None = None
    confirm_above: int | None = None  # confirmation_required: a bid above this needs the bidder's confirmation
    minimum: int | None = None  # bid_too_low, bad_increment: the lowest amount the rules would accept now


@dataclass(frozen=True, slots=True)
class ProxyResult:
    auction_id: str
    accepted: bool
    max_amount: int
    position: int | None  # None: refused without being recorded (a caller who never registered)
    replayed: bool = False
    bidder_code: str | None = None
    step: int | None = None
    price: int | None = None
    leader: str | None = None
    closes_at: datetime | None = None
    bids: tuple[PlacedBid, ...] = ()  # the automatic bids it caused at once
    reason: str | None = None
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentResult:
    auction_id: str
    position: int
    at: datetime
    description: str
    started_at: datetime
    ended_at: datetime | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class PreemptionResult:
    auction_id: str
    bidder_code: str
    price: int  # the best bid, at which the holder buys
    position: int
    at: datetime
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class PaymentResult:
    auction_id: str
    amount: int
    paid: int  # the deposit credited plus every payment so far
    price: int  # the purchase price
    sale: str  # the sale after the payment (awaiting_payment or paid)
    position: int
    at: datetime
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RefundResult:
    auction_id: str
    bidder_code: str
    amount: int
    position: int
    at: datetime
    replayed: bool = False
