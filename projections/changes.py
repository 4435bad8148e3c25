"""Per-auction change messages for the WebSocket feed (contract: ``/ws/auctions/{id}``).

Pure: :func:`change_message` turns one event and the summary after it into the
message watchers receive, or ``None`` for facts that are not public (a
registration's identity, a proxy's maximum). Every message carries the state
after the change (status, price, leader, closes_at), so a watcher never has
to fold anything and the state at any position can be read off the last
change at or before it (:func:`snapshot_message`).

A read model keeps every change of every auction, and a rebuild at start-up
folds them all while few are ever sent, so it keeps a ``Record`` (the plain
values a message is made of, taken when the event is folded) and makes the
message from it with :func:`message` only when it is asked for.
The message is the same whenever it is made: a record is immutable.

``server_time`` is added when a message is encoded, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine.events import (
    AuctionEnded,
    AuctionScheduled,
    BidAccepted,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    DeadlineExtended,
    Event,
    IncidentRecorded,
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


# What one change message is made of, as a plain tuple (which the garbage collector
# stops tracking: a read model keeps one for every public change ever made):
# (position, auction, kind, facts, status, price, leader, closes_at, bid_count, ended)
# where position is the event's stream version, facts the event's public fields as
# _FACTS takes them, and the rest the state after the event (STATE_FIELDS, unformatted;
# status as its text).
Record = tuple[int, str, str, tuple[Any, ...], str, int | None, str | None, datetime, int, bool]


def record_auction(record: Record) -> str:
    return record[1]


def state_fields(summary: AuctionSummary) -> dict[str, Any]:
    return {
        "status": summary.status.value,
        "price": money(summary.price),
        "leader": summary.leader,
        "closes_at": instant(summary.closes_at),
        "bid_count": summary.bid_count,
        "ended": summary.ended,
    }


# The message kind and the public fields of each event type that makes a message, as
# _details reads them; the other types are not public (a registration's identity, a
# proxy's maximum) or not news to a watcher.
_FACTS: dict[type, Callable[[Any], tuple[str, tuple[Any, ...]]]] = {
    BidAccepted: lambda e: ("bid", (e.bidder_code, e.amount, e.at, e.automatic)),
    DeadlineExtended: lambda e: ("extended", (e.previous, e.deadline, e.rule)),
    BiddingOpened: lambda e: ("opened", (e.at, e.by)),
    BiddingClosed: lambda e: ("closed", (e.at, e.winner)),
    BiddingFailed: lambda e: ("failed", (e.at,)),
    AuctionEnded: lambda e: ("ended", (e.at, e.purchaser)),
    AuctionScheduled: lambda e: ("scheduled", (e.opens_at,)),
    IncidentRecorded: lambda e: ("incident", (e.at, e.description, e.started_at, e.ended_at)),
}


def _details(kind: str, facts: tuple[Any, ...]) -> dict[str, Any]:
    """The JSON of what ``_FACTS`` took, by message kind."""
    if kind == "bid":
        bidder_code, amount, at, automatic = facts
        return {
            "bidder_code": bidder_code,
            "amount": format_money(amount),
            "received_at": format_instant(at),
            "automatic": automatic,
        }
    if kind == "extended":
        previous, deadline, rule = facts
        return {"previous": format_instant(previous), "deadline": format_instant(deadline), "rule": rule}
    if kind == "opened":
        at, by = facts
        return {"at": format_instant(at), "by": by}
    if kind == "closed":
        at, winner = facts
        return {"at": format_instant(at), "winner": winner}
    if kind == "failed":
        (at,) = facts
        return {"at": format_instant(at)}
    if kind == "ended":
        at, purchaser = facts
        return {"at": format_instant(at), "purchaser": purchaser}
    if kind == "scheduled":
        (opens_at,) = facts
        return {"opens_at": format_instant(opens_at)}
    if kind == "incident":
        at, description, started_at, ended_at = facts
        return {
            "at": format_instant(at),
            "description": description,
            "started_at": format_instant(started_at),
            "ended_at": instant(ended_at),
        }
    raise ValueError(f"unknown change kind {kind!r}")


def change_record(summary: AuctionSummary, event: Event, version: int) -> Record | None:
    """What the message for ``event`` (the stream's ``version``-th) is made of, given the summary after it."""
    facts = _FACTS.get(type(event))
    if facts is None:
        return None
    kind, shown = facts(event)
    closed_at = summary.closed_at
    return (
        version,
        summary.auction_id,
        kind,
        shown,
        # The text, not the member (the collector would keep tracking the tuple for it), read
        # as _value_: the .value property costs more than the rest of the record.
        summary.status._value_,
        summary.price,
        summary.leader,
        summary.deadline if closed_at is None else closed_at,  # summary.closes_at, without the property's call
        summary.bid_count,
        summary.ended,
    )


def message(record: Record) -> Change:
    """The message a record was taken for."""
    position, auction, kind, facts, status, price, leader, closes_at, bid_count, ended = record
    body: dict[str, Any] = {
        "type": kind,
        "auction": auction,
        "position": position,
        "status": status,
        "price": money(price),
        "leader": leader,
        "closes_at": instant(closes_at),
        "bid_count": bid_count,
        "ended": ended,
    }
    body.update(_details(kind, facts))
    return Change(position, body)


def change_message(summary: AuctionSummary, event: Event, version: int) -> Change | None:
    """The message for ``event`` (the stream's ``version``-th), given the summary after it."""
    record = change_record(summary, event, version)
    return None if record is None else message(record)


def snapshot_message(auction_id: str, position: int, state: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "snapshot", "auction": auction_id, "position": position}
    body.update({name: state[name] for name in STATE_FIELDS})
    return body
