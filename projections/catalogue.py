"""The catalogue: one public summary per auction.

A summary is a view of the auction's state (``engine.model.AuctionState``, as
``engine.meaning.evolve`` folds it), not a fold of its own: what the catalogue
shows is what the decider decides on. Nothing here shows an identity: a
summary exposes bidder codes and counts only, so anything built from it is
safe to show publicly. The lot's details (``engine.details``: description, case,
court, location, facts, viewings, conditions, the office's contact) are shown
as scheduled with every amendment, beside the ``language`` they are written in
(the auction's country's), for pages to mark them up for screen readers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.details import details_json
from engine.events import Event
from engine.meaning import evolve, instant, money
from engine.model import AuctionState, Sale, Status, Terms

__all__ = ["LANGUAGES", "AuctionSummary", "fold_event", "instant", "language_of", "money", "summary_json"]

# The language of each country's notices (BCP 47), for the ``lang`` of the title and description.
LANGUAGES = {
    "BG": "bg",
    "CZ": "cs",
    "EE": "et",
    "GR": "el",
    "HR": "hr",
    "LT": "lt",
    "LV": "lv",
    "PT": "pt",
    "SE": "sv",
    "SI": "sl",
}


def language_of(country: str) -> str | None:
    return LANGUAGES.get(country.upper())


class AuctionSummary:
    """The public face of an auction's state after its ``position``-th event."""

    __slots__ = ("state",)

    def __init__(self, state: AuctionState) -> None:
        if state.terms is None or state.scheduled_at is None:
            raise ValueError(f"auction {state.auction_id!r} is not scheduled")
        self.state = state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuctionSummary) and other.state == self.state

    def __hash__(self) -> int:
        return hash((self.state.auction_id, self.state.version))

    def __repr__(self) -> str:
        return f"AuctionSummary({self.auction_id!r}, position={self.position}, status={self.status.value})"

    @property
    def terms(self) -> Terms:
        """The terms as scheduled."""
        terms = self.state.terms
        assert terms is not None  # checked when the summary was made
        return terms

    @property
    def auction_id(self) -> str:
        return self.state.auction_id

    @property
    def position(self) -> int:
        """The stream version of the last event folded in."""
        return self.state.version

    @property
    def country(self) -> str:
        return self.terms.country

    @property
    def title(self) -> str:
        return self.terms.title

    @property
    def asset(self) -> str:
        return self.terms.asset.value

    @property
    def value(self) -> int:
        return self.terms.value

    @property
    def currency(self) -> str:
        return self.terms.currency

    @property
    def starting_price(self) -> int:
        return self.terms.starting_price

    @property
    def increment(self) -> int | None:
        return self.terms.increment

    @property
    def deposit_required(self) -> int:
        return self.terms.deposit_required

    @property
    def deposit_due(self) -> datetime | None:
        return self.terms.deposit_due

    @property
    def round(self) -> int:
        return self.terms.round

    @property
    def rules_version(self) -> str:
        return self.state.rules_version

    @property
    def scheduled_at(self) -> datetime:
        at = self.state.scheduled_at
        assert at is not None
        return at

    @property
    def opens_at(self) -> datetime:
        return self.terms.opens_at

    @property
    def scheduled_close(self) -> datetime:
        """As scheduled, before any extension."""
        return self.terms.closes_at

    @property
    def deadline(self) -> datetime:
        """The deadline in force."""
        deadline = self.state.deadline
        assert deadline is not None  # set when scheduled
        return deadline

    @property
    def closes_at(self) -> datetime:
        """The deadline in force, or the moment bidding ended once it has."""
        closed = self.state.closed_at
        return closed if closed is not None else self.deadline

    @property
    def status(self) -> Status:
        return self.state.status

    @property
    def price(self) -> int | None:
        return self.state.price

    @property
    def leader(self) -> str | None:
        return self.state.leader

    @property
    def bid_count(self) -> int:
        return self.state.bid_count

    @property
    def bidders(self) -> int:
        return len(self.state.bidders)

    @property
    def admitted(self) -> int:
        return self.state.admitted

    @property
    def extensions(self) -> int:
        return self.state.extensions

    @property
    def opened_at(self) -> datetime | None:
        return self.state.opened_at

    @property
    def closed_at(self) -> datetime | None:
        return self.state.closed_at

    @property
    def ended(self) -> bool:
        return self.state.ended

    @property
    def ended_at(self) -> datetime | None:
        return self.state.ended_at

    @property
    def purchaser(self) -> str | None:
        return self.state.purchaser

    @property
    def sale(self) -> Sale | None:
        return self.state.sale

    @property
    def due(self) -> datetime | None:
        """The next instant at which time alone changes this auction (opening, close, default), if any."""
        return self.state.due


def _sale_json(state: AuctionState) -> dict[str, Any]:
    """The sale after bidding, in public terms (bidder codes only; the deposits are not public)."""
    suspension = state.suspension
    terms = state.terms
    return {
        "sale": state.sale.value if state.sale is not None else None,
        "payment_due": instant(state.payment_due),
        "paid": money(state.paid) if state.sale is not None else None,
        "price_due": money(state.purchase_price - state.paid)
        if state.sale is not None and state.purchase_price is not None
        else None,
        "payment_days": terms.payment_days if terms is not None else None,
        "preemptor": state.preemptor,
        "suspended_at": instant(suspension.at) if suspension is not None else None,
        "suspension_reason": suspension.reason if suspension is not None else None,
        "time_left_seconds": (suspension.deadline - suspension.at).total_seconds() if suspension is not None else None,
        "cancelled_at": instant(state.cancelled_at),
        "previous": terms.previous if terms is not None else None,
        "next_round": state.next_round,
        "outcome": state.outcome,
    }


def fold_event(summary: AuctionSummary | None, event: Event, version: int) -> AuctionSummary | None:
    """The summary after ``event`` (the stream's ``version``-th event); ``None`` while there is no auction."""
    state = summary.state if summary is not None else None
    if state is None:
        if version != 1:
            return None
        state = AuctionState(auction_id=getattr(event, "auction_id", ""))
    after = evolve(state, event, version)
    if after.terms is None:
        return None
    return AuctionSummary(after)


def summary_json(summary: AuctionSummary) -> dict[str, Any]:
    """The public view of an auction (GET /auctions/{id}); bidder codes only."""
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
        "extension_minutes": summary.terms.extension_minutes,
        "zone": summary.terms.zone,
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
        **_sale_json(summary.state),
        "language": language_of(summary.country),
        **details_json(summary.state.details),
        "amendments": summary.state.amendments,
        "position": summary.position,
    }
