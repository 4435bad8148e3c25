"""Retention: bidders' identities erased by themselves a set time after their auctions are over.

An identity (the subject a bidder signed in with: often an e-mail address or a national
identifier) is personal data, kept only as long as the law requires after the sale. It is sealed
in every ``BidderRegistered`` event under that person's one key (``engine.vault``); erasing the key
(crypto-shredding, as ``auction forget`` does) makes it unreadable in every event at once while
the log and its hash chains stay whole.

An auction is **over** once it holds an event that ends it: the transfer decision (the sale
completed), a failure (no bid, or no purchaser declared), a cancellation, the next round scheduled
or the rounds exhausted. Its period runs from its latest event: an act after the end (a refund, a
next round) is still the court's business and restarts it. :func:`erase_after` is that instant plus
the retention period.

A person's key serves all their registrations, in every auction: it is erased once every auction
they registered for is past its date (:meth:`Retention.due_keys`). :class:`Retention` follows the
log from where it last read (every process may run it; erasing twice erases nothing the second
time) and :meth:`Retention.run_once` erases what is due at the clock's instant. The report says
when an auction's period ends and how many of its identities are erased
(:func:`retention_status`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.clock import Clock
from engine.events import BidderRegistered, Event
from engine.store.base import EventStore, StoredEvent
from engine.streams import auction_of
from engine.vault import SubjectVault, is_sealed

log = logging.getLogger(__name__)

# The events after which an auction is over (its sale completed, failed or called off).
ENDING = frozenset({"TransferDecided", "BiddingFailed", "AuctionCancelled", "NextRoundScheduled", "RoundsExhausted"})
RUN_EVERY = 3600.0  # seconds between two passes of the job while serving
PAGE = 1000


def ends(event_type: str, data: dict[str, Any]) -> bool:
    """Whether an event of this type and data ends its auction (a declaration without a purchaser does)."""
    return event_type in ENDING or (event_type == "AuctionEnded" and data.get("purchaser", "") is None)


def erase_after(events: Iterable[tuple[str, dict[str, Any], datetime]], days: int) -> datetime | None:
    """When an auction's identities may go: its latest event's instant plus ``days``, once one of its
    events (type, data, instant) ended it; None while it is not over."""
    over = False
    latest: datetime | None = None
    for event_type, data, at in events:
        over = over or ends(event_type, data)
        latest = at if latest is None or at > latest else latest
    if not over or latest is None:
        return None
    return latest + timedelta(days=days)


def retention_status(
    stored: Sequence[StoredEvent], days: int | None, decoded: Sequence[Event] | None, now: datetime
) -> dict[str, Any]:
    """The report's ``retention``: the period in days, when this auction's period ends (None: not over
    yet, or no period set), whether it has, and how many of its registered identities are erased
    (``decoded``: the events with identities opened; None for an anonymised report)."""
    until = None if days is None else erase_after(((s.type, s.data, s.recorded_at) for s in stored), days)
    status: dict[str, Any] = {
        "days": days,
        "erase_after": until.isoformat() if until is not None else None,
        "due": until is not None and until <= now,
    }
    if decoded is not None:
        registered = [event for event in decoded if isinstance(event, BidderRegistered)]
        status["identities"] = len(registered)
        status["erased"] = sum(1 for event in registered if event.subject is None)
    return status


@dataclass
class _Auction:
    latest: datetime | None = None
    over: bool = False
    keys: set[str] = field(default_factory=set)

    def until(self, days: int) -> datetime | None:
        return self.latest + timedelta(days=days) if self.over and self.latest is not None else None


class Retention:
    """The job: follows the log's registrations and endings, and erases the keys that are due."""

    def __init__(self, store: EventStore, vault: SubjectVault, clock: Clock, days: int) -> None:
        self._store = store
        self._vault = vault
        self._clock = clock
        self.days = days
        self._after = 0
        self._auctions: dict[str, _Auction] = {}
        self._key_auctions: dict[str, set[str]] = {}  # key id -> the auctions where it sealed a registration
        self._sealed: dict[str, dict[str, str]] = {}  # key id -> one sealed identity (to name the person)
        self._erased: set[str] = set()

    def _fold(self, stored: StoredEvent) -> None:
        auction_id = auction_of(stored.stream)
        if auction_id is None:
            return
        auction = self._auctions.setdefault(auction_id, _Auction())
        if auction.latest is None or stored.recorded_at > auction.latest:
            auction.latest = stored.recorded_at
        auction.over = auction.over or ends(stored.type, stored.data)
        if stored.type == "BidderRegistered" and is_sealed(stored.data.get("subject")):
            sealed = stored.data["subject"]
            key_id = str(sealed["key_id"])
            auction.keys.add(key_id)
            self._key_auctions.setdefault(key_id, set()).add(auction_id)
            self._sealed.setdefault(key_id, sealed)

    async def catch_up(self) -> None:
        """Read the log from where the last pass stopped."""
        while True:
            page = await self._store.read_all(after=self._after, limit=PAGE)
            for stored in page:
                self._fold(stored)
                self._after = stored.position
            if len(page) < PAGE:
                return

    def due_keys(self, now: datetime) -> list[str]:
        """The keys whose every auction is past its date at ``now`` (and not erased by this job yet)."""
        due = []
        for key_id, auctions in self._key_auctions.items():
            if key_id in self._erased:
                continue
            dates = [self._auctions[auction_id].until(self.days) for auction_id in auctions]
            if all(date is not None and date <= now for date in dates):
                due.append(key_id)
        return sorted(due)

    async def run_once(self) -> int:
        """One pass: catch up with the log, then erase every key due now; how many keys were erased."""
        await self.catch_up()
        erased = 0
        for key_id in self.due_keys(self._clock.now()):
            [subject] = await self._vault.open_many([self._sealed[key_id]])
            if subject is not None:
                erased += await self._vault.forget(subject)
            self._erased.add(key_id)
        if erased:
            log.info("retention: erased %s identity keys whose auctions ended over %s days ago", erased, self.days)
        return erased

    async def run(self, every: float = RUN_EVERY) -> None:
        """While serving: a pass now, then every ``every`` seconds; a failure is logged and retried."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the retention pass failed; retrying in %s s", every)
            await asyncio.sleep(every)
