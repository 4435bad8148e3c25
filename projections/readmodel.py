"""The in-memory read models and the one place events are folded into them.

:class:`ReadModel` holds the catalogue (one summary per auction), the bid
history and the change log of every auction, all keyed by the auction's
event position. It is synchronous and does no I/O: :meth:`ReadModel.apply`
folds one stored event using the pure functions of ``catalogue``,
``history`` and ``changes``. The asyncio task that feeds it lives in
``projections.catchup``.

Events are folded in global order and each at most once: ``checkpoint`` is
the global position of the last event folded, and an event at or below it
is ignored, so a catch-up may safely re-read a page.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from engine import codec
from engine.service import auction_of
from engine.store.base import StoredEvent
from projections.catalogue import AuctionSummary, fold_event
from projections.changes import Change, change_message, snapshot_message, state_fields
from projections.history import BidRow, Page, bid_row, page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    """What folding one event changed: the auction's new summary and its change message, if any."""

    summary: AuctionSummary
    change: Change | None


@dataclass(frozen=True)
class Resume:
    """Where a watcher starts: a snapshot, the changes it missed, and the position it has seen."""

    snapshot: dict[str, Any]
    history: list[Change]
    seen: int


class ReadModel:
    def __init__(self) -> None:
        self.checkpoint = 0
        self._summaries: dict[str, AuctionSummary] = {}
        self._bids: dict[str, list[BidRow]] = {}
        self._changes: dict[str, list[Change]] = {}

    # ------------------------------------------------------------ folding

    def apply(self, stored: StoredEvent) -> Applied | None:
        if stored.position <= self.checkpoint:
            return None
        self.checkpoint = stored.position
        auction_id = auction_of(stored.stream)
        if auction_id is None:
            return None
        before = self._summaries.get(auction_id)
        if before is not None and stored.version <= before.position:
            return None
        try:
            event = codec.decode(stored.type, stored.data)
        except (ValueError, TypeError):
            # The store verified and accepted it; a reader that cannot decode it
            # must not stall every other auction. The audit log still has it.
            log.exception("cannot decode event at position %s (%s)", stored.position, stored.type)
            return None
        summary = fold_event(before, event, stored.version)
        if summary is None:
            return None
        self._summaries[auction_id] = summary
        row = bid_row(event, stored.version)
        if row is not None:
            self._bids.setdefault(auction_id, []).append(row)
        change = change_message(summary, event, stored.version)
        if change is not None:
            self._changes.setdefault(auction_id, []).append(change)
        return Applied(summary, change)

    # ------------------------------------------------------------ queries

    def __contains__(self, auction_id: object) -> bool:
        return auction_id in self._summaries

    def summary(self, auction_id: str) -> AuctionSummary | None:
        return self._summaries.get(auction_id)

    def summaries(self) -> list[AuctionSummary]:
        """Every auction, in the order it was scheduled."""
        return list(self._summaries.values())

    def bids(self, auction_id: str, after: int, limit: int) -> Page:
        return page(self._bids.get(auction_id, []), after, limit)

    def changes(self, auction_id: str) -> list[Change]:
        return list(self._changes.get(auction_id, []))

    def resume(self, auction_id: str, after: int | None) -> Resume:
        """A watcher's start: without ``after`` the current state; with it, the
        state at ``after`` and every change after it. Synchronous on purpose: a
        caller that subscribes to the hub and then calls this without awaiting
        in between cannot miss or double a change."""
        summary = self._summaries[auction_id]
        changes = self._changes.get(auction_id, [])
        if after is None or after >= summary.position:
            seen = summary.position if after is None else after
            return Resume(snapshot_message(auction_id, summary.position, state_fields(summary)), [], seen)
        start = bisect_right(changes, after, key=lambda change: change.position)
        base = changes[start - 1] if start > 0 else changes[0]
        return Resume(snapshot_message(auction_id, after, base.body), changes[start:], after)
