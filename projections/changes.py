"""Per-auction change messages for the WebSocket feed (``/ws/auctions/{id}``).

Pure. Which events make a message, its ``type`` and the event's public fields
are the event's meaning (``engine.meaning``); every message also carries the
state after the change (:data:`STATE_FIELDS`, from the auction's state), so a
watcher never has to fold anything and the state at any position can be read
off the last change at or before it (:func:`snapshot_message`).

A read model keeps a :class:`ChangeRecord` for every public change (the event
and the few state values after it) and makes the message from it only when
it is asked for: a rebuild at start-up folds every change ever made, while
few are ever sent. The message is the same whenever it is made.

``server_time`` is added when a message is encoded, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from engine.events import Event
from engine.meaning import MEANINGS, instant, money, public_change
from engine.model import AcceptedBid, AuctionState, Sale, Status

# The state fields every message carries; a snapshot is made of exactly these.
STATE_FIELDS = (
    "status", "price", "leader", "closes_at", "bid_count", "ended", "sale", "purchaser", "payment_due", "paid"
)


class SaleAfter(msgspec.Struct, frozen=True, gc=False):
    """The sale's state after a change, once a purchaser has been declared (else no object at all)."""

    sale: Sale
    purchaser: str | None
    payment_due: datetime | None
    paid: int


def _sale_after(state: AuctionState) -> SaleAfter | None:
    if state.sale is None:
        return None
    return SaleAfter(state.sale, state.purchaser, state.payment_due, state.paid)


@dataclass(frozen=True)
class Change:
    position: int
    body: dict[str, Any]  # JSON-ready, without server_time

    @property
    def type(self) -> str:
        return str(self.body["type"])


class ChangeRecord(msgspec.Struct, frozen=True, gc=False):
    """What one change message is made of: the event and the state values after it. A read
    model keeps one for every public change ever made, so it is one small object: the
    best bid is the state's own (shared, not copied), and it holds values only (never a
    cycle), so the cyclic collector need not track it (as ``engine.model``'s state types)."""

    position: int  # the event's stream version
    auction: str
    event: Event
    status: Status
    best: AcceptedBid | None
    closes_at: datetime | None
    bid_count: int
    ended: bool
    sale: SaleAfter | None = None

    def state_json(self) -> dict[str, Any]:
        """The state after the change, as every message shows it (:data:`STATE_FIELDS`)."""
        return _state_json(self.status, self.best, self.closes_at, self.bid_count, self.ended, self.sale)


def _state_json(
    status: Status,
    best: AcceptedBid | None,
    closes_at: datetime | None,
    bid_count: int,
    ended: bool,
    sale: SaleAfter | None,
) -> dict[str, Any]:
    return {
        "status": status.value,
        "price": None if best is None else money(best.amount),
        "leader": None if best is None else best.bidder_code,
        "closes_at": instant(closes_at),
        "bid_count": bid_count,
        "ended": ended,
        "sale": None if sale is None else sale.sale.value,
        "purchaser": None if sale is None else sale.purchaser,
        "payment_due": None if sale is None else instant(sale.payment_due),
        "paid": None if sale is None else money(sale.paid),
    }


def state_fields(state: AuctionState) -> dict[str, Any]:
    return _state_json(
        state.status, state.best, state.closes_at, state.bid_count, state.ended, _sale_after(state)
    )


def change_record(state: AuctionState, event: Event) -> ChangeRecord | None:
    """The record for ``event``, given the auction's state after it; ``None`` if watchers are not told."""
    found = MEANINGS.get(type(event))
    if found is None or found.change is None:
        return None
    return ChangeRecord(
        state.version,
        state.auction_id,
        event,
        state.status,
        state.best,
        state.closes_at,
        state.bid_count,
        state.ended,
        _sale_after(state),
    )


def message(record: ChangeRecord) -> Change:
    """The message a record was taken for."""
    found = public_change(record.event)
    assert found is not None  # a record is only taken for a public change
    kind, details = found
    body: dict[str, Any] = {"type": kind, "auction": record.auction, "position": record.position}
    body.update(record.state_json())
    body.update(details)
    return Change(record.position, body)


def change_message(state: AuctionState, event: Event) -> Change | None:
    """The message for ``event``, given the auction's state after it."""
    record = change_record(state, event)
    return None if record is None else message(record)


def snapshot_message(auction_id: str, position: int, state: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "snapshot", "auction": auction_id, "position": position}
    body.update({name: state[name] for name in STATE_FIELDS})
    return body
