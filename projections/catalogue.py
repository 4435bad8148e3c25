"""The catalogue read model: one public summary per auction, folded from its events.

Pure: :func:`fold_event` takes a summary (or ``None`` before the auction
exists) and one decoded event with its stream version, and returns the next
summary. Nothing here knows a bidder's identity: a summary holds bidder codes
only, so anything built from it is safe to show publicly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch
from typing import Any

from engine.events import (
    AdmissionRefused,
    AuctionEnded,
    AuctionScheduled,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    BidRejected,
    DeadlineExtended,
    DepositRecorded,
    Event,
    ProxyRejected,
    ProxySet,
)
from engine.model import Status, format_instant, format_money


@dataclass(frozen=True)
class AuctionSummary:
    auction_id: str
    country: str
    title: str
    asset: str
    value: int
    currency: str
    starting_price: int
    increment: int | None
    deposit_required: int
    deposit_due: datetime | None
    round: int
    rules_version: str
    scheduled_at: datetime
    opens_at: datetime
    scheduled_close: datetime  # as scheduled, before any extension
    deadline: datetime  # the deadline in force
    status: Status = Status.SCHEDULED
    position: int = 1  # stream version of the last event folded in
    price: int | None = None
    leader: str | None = None  # a bidder code
    bid_count: int = 0  # accepted bids
    bidders: int = 0
    admitted: int = 0
    extensions: int = 0
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    ended: bool = False
    ended_at: datetime | None = None
    purchaser: str | None = None  # a bidder code

    @property
    def closes_at(self) -> datetime:
        """The deadline in force, or the moment bidding ended once it has."""
        return self.closed_at if self.closed_at is not None else self.deadline

    @property
    def due(self) -> datetime | None:
        """The next instant at which time alone changes this auction (open or close), if any."""
        if self.status is Status.SCHEDULED:
            return self.opens_at
        if self.status is Status.OPEN:
            return self.deadline
        return None


def fold_event(summary: AuctionSummary | None, event: Event, version: int) -> AuctionSummary | None:
    """The summary after ``event`` (the stream's ``version``-th event); ``None`` while there is no auction."""
    if summary is None:
        if isinstance(event, AuctionScheduled):
            return _scheduled(event, version)
        return None
    draft = draft_of(summary)
    fold_into(draft, event, version)
    return draft


# A summary is frozen once it is handed out. Until then it is a draft, which
# fold_into updates in place: a read model folding a page of events makes one
# draft per auction for the whole page (see ReadModel.apply_page) instead of a
# copy of every field for every event, which cost more than the rest of the fold.


def draft_of(summary: AuctionSummary) -> AuctionSummary:
    """A copy of ``summary`` for :func:`fold_into` to update; ``summary`` itself stays as it was."""
    draft = object.__new__(AuctionSummary)
    draft.__dict__.update(summary.__dict__)  # the fields are the instance's attributes: no __init__ to run again
    return draft


def fold_into(draft: AuctionSummary, event: Event, version: int) -> None:
    """Fold ``event`` (the stream's ``version``-th) into a draft nobody else holds yet."""
    cls = type(event)
    changes = _changes.registry.get(cls) or _changes.dispatch(cls)  # the registry first: singledispatch's call costs
    fields = draft.__dict__
    fields.update(changes(event, draft))
    fields["position"] = version


def _scheduled(event: AuctionScheduled, version: int) -> AuctionSummary:
    return AuctionSummary(
        auction_id=event.auction_id,
        country=event.country,
        title=event.title,
        asset=event.asset,
        value=event.value,
        currency=event.currency,
        starting_price=event.starting_price,
        increment=event.increment,
        deposit_required=event.deposit_required,
        deposit_due=event.deposit_due,
        round=event.round,
        rules_version=event.rules_version,
        scheduled_at=event.at,
        opens_at=event.opens_at,
        scheduled_close=event.closes_at,
        deadline=event.closes_at,
        position=version,
    )


# What an event changes in the summary: a fresh dict of field names to new values.
@singledispatch
def _changes(event: Event, summary: AuctionSummary) -> dict[str, Any]:
    return {}  # an event type the catalogue does not show


@_changes.register
def _(event: AuctionScheduled, summary: AuctionSummary) -> dict[str, Any]:
    return {}  # a second schedule never reaches the store (auction_exists)


@_changes.register
def _(event: BidderRegistered, summary: AuctionSummary) -> dict[str, Any]:
    return {"bidders": summary.bidders + 1}


@_changes.register
def _(event: BidderAdmitted, summary: AuctionSummary) -> dict[str, Any]:
    return {"admitted": summary.admitted + 1}


@_changes.register
def _(event: BiddingOpened, summary: AuctionSummary) -> dict[str, Any]:
    return {"status": Status.OPEN, "opened_at": event.at}


@_changes.register
def _(event: BidAccepted, summary: AuctionSummary) -> dict[str, Any]:
    return {"price": event.amount, "leader": event.bidder_code, "bid_count": summary.bid_count + 1}


@_changes.register
def _(event: DeadlineExtended, summary: AuctionSummary) -> dict[str, Any]:
    return {"deadline": event.deadline, "extensions": summary.extensions + 1}


@_changes.register
def _(event: BiddingClosed, summary: AuctionSummary) -> dict[str, Any]:
    return {"status": Status.CLOSED, "closed_at": event.at, "price": event.price, "leader": event.winner}


@_changes.register
def _(event: BiddingFailed, summary: AuctionSummary) -> dict[str, Any]:
    return {"status": Status.FAILED, "closed_at": event.at}


@_changes.register
def _(event: AuctionEnded, summary: AuctionSummary) -> dict[str, Any]:
    return {"ended": True, "ended_at": event.at, "purchaser": event.purchaser}


# Facts that change nothing the catalogue shows (a proxy's maximum is a bidder's secret).
for _quiet in (DepositRecorded, AdmissionRefused, BidRejected, ProxySet, ProxyRejected):
    _changes.register(_quiet)(lambda event, summary: {})


def money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


def instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def summary_json(summary: AuctionSummary) -> dict[str, Any]:
    """The public view of an auction (contract: GET /auctions/{id}); bidder codes only."""
    return {
        "id": summary.auction_id,
        "country": summary.country,
        "title": summary.title,
        "asset": summary.asset,
        "value": money(summary.value),
        "currency": summary.currency,
        "starting_price": money(summary.starting_price),
        "increment": money(summary.increment),
        "deposit_required": money(summary.deposit_required),
        "deposit_due": instant(summary.deposit_due),
        "round": summary.round,
        "rules_version": summary.rules_version,
        "scheduled_at": instant(summary.scheduled_at),
        "opens_at": instant(summary.opens_at),
        "scheduled_closes_at": instant(summary.scheduled_close),
        "closes_at": instant(summary.closes_at),
        "status": summary.status.value,
        "price": money(summary.price),
        "leader": summary.leader,
        "bid_count": summary.bid_count,
        "bidders": summary.bidders,
        "admitted": summary.admitted,
        "extensions": summary.extensions,
        "opened_at": instant(summary.opened_at),
        "closed_at": instant(summary.closed_at),
        "ended": summary.ended,
        "ended_at": instant(summary.ended_at),
        "purchaser": summary.purchaser,
        "position": summary.position,
    }
