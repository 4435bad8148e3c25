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

A rebuild at start-up folds every event ever stored, so the catch-up task
folds a page at a time (:meth:`ReadModel.apply_page`): one draft summary per
auction for the whole page (``catalogue.draft_of``), bid rows and change
records as plain tuples (``history``, ``changes``), change messages made only
when asked for.
"""

from __future__ import annotations

import gc
import logging
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from engine import codec
from engine.service import auction_of
from engine.store.base import EventRow, StoredEvent, event_row
from projections.catalogue import AuctionSummary, fold_event, fold_into
from projections.changes import Change, Record, change_record, message, snapshot_message, state_fields
from projections.history import Page, RowValues, bid_values, page

log = logging.getLogger(__name__)
_UNSEEN = object()


@dataclass(frozen=True)
class Applied:
    """What folding one event changed: the auction's new summary and its change message, if any."""

    summary: AuctionSummary
    change: Change | None


@dataclass(frozen=True)
class Folded:
    """What folding a page changed."""

    summaries: dict[str, AuctionSummary]  # each auction the page changed, as it is after the page, by first change
    records: list[Record]  # the page's change messages in order, as records (see projections.changes)


@dataclass(frozen=True)
class Resume:
    """Where a watcher starts: a snapshot, the changes it missed, and the position it has seen."""

    snapshot: dict[str, Any]
    history: list[Change]
    seen: int


@contextmanager
def cyclic_collector_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector; reference counting still frees everything
    at once. Reading and folding a page allocate several container objects per event, and
    the collector starts a pass every 700 such allocations, yet a fold makes no cycles:
    what it keeps (summaries, tuples, lists of tuples) and what it drops (payloads, events)
    are acyclic, so those passes find nothing. Collection resumes at the end."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class ReadModel:
    def __init__(self) -> None:
        self.checkpoint = 0
        self._summaries: dict[str, AuctionSummary] = {}
        self._bids: dict[str, list[RowValues]] = {}
        self._changes: dict[str, list[Record]] = {}  # messages are made when asked for (projections.changes)
        self._auctions: dict[str, str | None] = {}  # stream name -> auction id, None for other streams

    # ------------------------------------------------------------ folding

    def apply(self, stored: StoredEvent) -> Applied | None:
        """Fold one event; ``None`` when it changed nothing (already folded, not an auction's, not decodable)."""
        folded = self.apply_page([event_row(stored)])
        if not folded.summaries:
            return None
        (summary,) = folded.summaries.values()
        return Applied(summary, message(folded.records[0]) if folded.records else None)

    def apply_page(self, page: Iterable[EventRow]) -> Folded:
        """Fold events (as ``store.read_rows`` gives them) in global order. Synchronous: nobody
        sees the model between two of them."""
        drafts: dict[str, AuctionSummary] = {}  # the summaries this page changed, not handed out until it ends
        records: list[Record] = []
        summaries, bids, changes, auctions = self._summaries, self._bids, self._changes, self._auctions
        with cyclic_collector_paused():
            for position, stream, version, type_, data in page:
                if position <= self.checkpoint:
                    continue
                self.checkpoint = position
                auction_id = auctions.get(stream, _UNSEEN)
                if auction_id is _UNSEEN:
                    auction_id = auctions[stream] = auction_of(stream)
                if auction_id is None:
                    continue
                draft = drafts.get(auction_id)
                before = draft if draft is not None else summaries.get(auction_id)
                if before is not None and version <= before.position:
                    continue
                try:
                    event = codec.decode(type_, data)
                except (ValueError, TypeError):
                    # The store verified and accepted it; a reader that cannot decode it
                    # must not stall every other auction. The audit log still has it.
                    log.exception("cannot decode event at position %s (%s)", position, type_)
                    continue
                if draft is not None:
                    fold_into(draft, event, version)
                else:
                    # The first of this auction's events in the page: a fresh summary to fold the rest into.
                    first = fold_event(before, event, version)
                    if first is None:
                        continue
                    draft = drafts[auction_id] = summaries[auction_id] = first
                row = bid_values(event, version)
                if row is not None:
                    bids.setdefault(auction_id, []).append(row)
                record = change_record(draft, event, version)
                if record is not None:
                    changes.setdefault(auction_id, []).append(record)
                    records.append(record)
        return Folded(drafts, records)

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
        return [message(record) for record in self._changes.get(auction_id, [])]

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
        start = bisect_right(changes, after, key=itemgetter(0))  # a record starts with its position
        base = message(changes[start - 1] if start > 0 else changes[0])
        return Resume(snapshot_message(auction_id, after, base.body), [message(r) for r in changes[start:]], after)


