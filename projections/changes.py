"""Per-auction change messages for the WebSocket feed (contract: ``/ws/auctions/{id}``).

Pure: :func:`change_message` turns one event and the summary after it into the
message watchers receive, or ``None`` for facts that are not public (a
registration's identity, a proxy's maximum). Every message carries the state
after the change (status, price, leader, closes_at), so a watcher never has
to fold anything and the state at any position can be read off the last
change at or before it (:func:`snapshot_message`).

``server_time`` is added when a message is encoded, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.events import (
    AuctionEnded,
    AuctionScheduled,
    BidAccepted,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    DeadlineExtended,
    Event,
)
from engine.model import format_instant, format_money
from projections.catalogue import AuctionSummary, instant, money

# The state fields every message carries; a snapshot is made of exactly these.
STATE_FIELDS = ("status", "price", "leader", "closes_at", "bid_count", "ended")


@dataclass(frozen=True)
class Change:
    position: int
    body: dict[str, Any]  # JSON-ready, without server_time

    @property
    def type(self) -> str:
        return str(self.body["type"])


def state_fields(summary: AuctionSummary) -> dict[str, Any]:
    return {
        "status": summary.status.value,
        "price": money(summary.price),
        "leader": summary.leader,
        "closes_at": instant(summary.closes_at),
        "bid_count": summary.bid_count,
        "ended": summary.ended,
    }


def _details(event: Event) -> tuple[str, dict[str, Any]] | None:
    if isinstance(event, BidAccepted):
        return "bid", {
            "bidder_code": event.bidder_code,
            "amount": format_money(event.amount),
            "received_at": format_instant(event.at),
            "automatic": event.automatic,
        }
    if isinstance(event, DeadlineExtended):
        return "extended", {
            "previous": format_instant(event.previous),
            "deadline": format_instant(event.deadline),
            "rule": event.rule,
        }
    if isinstance(event, BiddingOpened):
        return "opened", {"at": format_instant(event.at), "by": event.by}
    if isinstance(event, BiddingClosed):
        return "closed", {"at": format_instant(event.at), "winner": event.winner}
    if isinstance(event, BiddingFailed):
        return "failed", {"at": format_instant(event.at)}
    if isinstance(event, AuctionEnded):
        return "ended", {"at": format_instant(event.at), "purchaser": event.purchaser}
    if isinstance(event, AuctionScheduled):
        return "scheduled", {"opens_at": format_instant(event.opens_at)}
    return None


def change_message(summary: AuctionSummary, event: Event, version: int) -> Change | None:
    """The message for ``event`` (the stream's ``version``-th), given the summary after it."""
    details = _details(event)
    if details is None:
        return None
    kind, extra = details
    body: dict[str, Any] = {"type": kind, "auction": summary.auction_id, "position": version}
    body.update(state_fields(summary))
    body.update(extra)
    return Change(version, body)


def snapshot_message(auction_id: str, position: int, state: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "snapshot", "auction": auction_id, "position": position}
    body.update({name: state[name] for name in STATE_FIELDS})
    return body
