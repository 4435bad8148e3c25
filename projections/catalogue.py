"""The catalogue read model: one public summary per auction, folded from its events.

Pure: :func:`fold_event` takes a summary (or ``None`` before the auction
exists) and one decoded event with its stream version, and returns the next
summary. Nothing here knows a bidder's identity: a summary holds bidder codes
only, so anything built from it is safe to show publicly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine.events import (
    AuctionEnded,
    AuctionScheduled,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    DeadlineExtended,
    Event,
)
from engine.model import AssetKind, Status, Terms, format_instant, format_money


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
    def terms(self) -> Terms:
        """The terms as scheduled (a summary keeps every one of them)."""
        return Terms(
            country=self.country,
            title=self.title,
            asset=AssetKind(self.asset),
            value=self.value,
            currency=self.currency,
            starting_price=self.starting_price,
            increment=self.increment,
            opens_at=self.opens_at,
            closes_at=self.scheduled_close,
            round=self.round,
            deposit_required=self.deposit_required,
            deposit_due=self.deposit_due,
        )

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
    fields = draft.__dict__
    fold = _FOLDS.get(type(event))
    if fold is not None:
        fold(event, fields)
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


# What an event changes in a draft's fields (its __dict__), by event type. Types not
# listed change nothing the catalogue shows: a second AuctionScheduled never reaches
# the store (auction_exists), deposits, refusals and a proxy's maximum (a bidder's
# secret) are not shown.
Fold = Callable[[Any, dict[str, Any]], None]


def _registered(event: BidderRegistered, fields: dict[str, Any]) -> None:
    fields["bidders"] += 1


def _admitted(event: BidderAdmitted, fields: dict[str, Any]) -> None:
    fields["admitted"] += 1


def _opened(event: BiddingOpened, fields: dict[str, Any]) -> None:
    fields["status"] = Status.OPEN
    fields["opened_at"] = event.at


def _bid(event: BidAccepted, fields: dict[str, Any]) -> None:
    fields["price"] = event.amount
    fields["leader"] = event.bidder_code
    fields["bid_count"] += 1


def _extended(event: DeadlineExtended, fields: dict[str, Any]) -> None:
    fields["deadline"] = event.deadline
    fields["extensions"] += 1


def _closed(event: BiddingClosed, fields: dict[str, Any]) -> None:
    fields["status"] = Status.CLOSED
    fields["closed_at"] = event.at
    fields["price"] = event.price
    fields["leader"] = event.winner


def _failed(event: BiddingFailed, fields: dict[str, Any]) -> None:
    fields["status"] = Status.FAILED
    fields["closed_at"] = event.at


def _ended(event: AuctionEnded, fields: dict[str, Any]) -> None:
    fields["ended"] = True
    fields["ended_at"] = event.at
    fields["purchaser"] = event.purchaser


_FOLDS: dict[type, Fold] = {
    BidderRegistered: _registered,
    BidderAdmitted: _admitted,
    BiddingOpened: _opened,
    BidAccepted: _bid,
    DeadlineExtended: _extended,
    BiddingClosed: _closed,
    BiddingFailed: _failed,
    AuctionEnded: _ended,
}


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
