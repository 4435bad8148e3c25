"""The in-memory read models and the one place events are folded into them.

:class:`ReadModel` holds every auction's state (the catalogue is a view of it),
the bid history and the change log of every auction, all keyed by the
auction's event position. It is synchronous and does no I/O:
:meth:`ReadModel.apply_page` folds stored events with the engine's own
``evolve`` (``engine.meaning``), so the read models show exactly the state the
decider decides on. The asyncio task that feeds it lives in
``projections.catchup``.

Events are folded in global order and each at most once: ``checkpoint`` is
the global position of the last event folded, and an event at or below it
is ignored, so a catch-up may safely re-read a page; an event at or below
the version an auction's state already has is ignored too.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from engine import codec
from engine.events import Event
from engine.meaning import evolve
from engine.model import AuctionState
from engine.store.base import EventRow, StoredEvent, event_row
from engine.streams import auction_of
from projections.catalogue import AuctionSummary
from projections.changes import Change, ChangeRecord, change_record, message, snapshot_message, state_fields
from projections.history import Page, is_bid, page

log = logging.getLogger(__name__)
_UNSEEN = object()
_position = attrgetter("position")


@dataclass(frozen=True)
class Applied:
    """What folding one event changed: the auction's new summary and its change message, if any."""

    summary: AuctionSummary
    change: Change | None


@dataclass(frozen=True)
class Folded:
    """What folding a page changed."""

    summaries: dict[str, AuctionSummary]  # each auction the page changed, as it is after the page, by first change
    records: list[ChangeRecord]  # the page's change messages in order


@dataclass(frozen=True)
class Resume:
    """Where a watcher starts: a snapshot, the changes it missed, and the position it has seen."""

    snapshot: dict[str, Any]
    history: list[Change]
    seen: int


class ReadModel:
    def __init__(self) -> None:
        self.checkpoint = 0
        self._states: dict[str, AuctionState] = {}
        self._bids: dict[str, list[ChangeRecord]] = {}  # the accepted bids' change records
        self._changes: dict[str, list[ChangeRecord]] = {}  # messages are made when asked for
        self._auctions: dict[str, str | None] = {}  # stream name -> auction id, None for other streams

    # ------------------------------------------------------------ folding

    def apply(self, stored: StoredEvent) -> Applied | None:
        """Fold one event; ``None`` when it changed nothing (already folded, not an auction's, not decodable)."""
        folded = self.apply_page([event_row(stored)])
        if not folded.summaries:
            return None
        (summary,) = folded.summaries.values()
        return Applied(summary, message(folded.records[0]) if folded.records else None)

    def apply_own(self, auction_id: str, events: Sequence[tuple[int, int, Event]]) -> Folded | None:
        """Fold the events this process just appended to one auction (``(position, version,
        event)``, already decoded), without reading them back. Only when they follow the
        state held here directly; otherwise (another process wrote in between) ``None``,
        and the catch-up folds them in global order.

        The checkpoint moves past them only when it is right behind them and they are
        consecutive positions (nothing of anyone else's can then hide between); else the
        catch-up still reads those positions and skips these events by version."""
        before = self._states.get(auction_id)
        first = events[0][1] if events else 0
        if not events or (before.version if before is not None else 0) != first - 1:
            return None
        if before is None:
            before = AuctionState(auction_id=auction_id)
        changed: dict[str, AuctionState] = {}
        records: list[ChangeRecord] = []
        for _, version, event in events:
            before = self._fold(auction_id, before, version, event, changed, records)
        positions = [position for position, _, _ in events]
        if positions[0] == self.checkpoint + 1 and positions == list(range(positions[0], positions[-1] + 1)):
            self.checkpoint = positions[-1]
        return Folded({key: AuctionSummary(state) for key, state in changed.items()}, records)

    def _fold(
        self,
        auction_id: str,
        before: AuctionState,
        version: int,
        event: Event,
        changed: dict[str, AuctionState],
        records: list[ChangeRecord],
    ) -> AuctionState:
        after = evolve(before, event, version)
        if after.terms is None:
            return before
        self._states[auction_id] = changed[auction_id] = after
        record = change_record(after, event)
        if record is not None:
            self._changes.setdefault(auction_id, []).append(record)
            records.append(record)
            if is_bid(record):
                self._bids.setdefault(auction_id, []).append(record)
        return after

    def apply_page(self, rows: Iterable[EventRow]) -> Folded:
        """Fold events (as ``store.read_rows`` gives them) in global order. Synchronous: nobody
        sees the model between two of them."""
        changed: dict[str, AuctionState] = {}
        records: list[ChangeRecord] = []
        states, auctions = self._states, self._auctions
        for position, stream, version, type_, data in rows:
            if position <= self.checkpoint:
                continue
            self.checkpoint = position
            auction_id = auctions.get(stream, _UNSEEN)
            if auction_id is _UNSEEN:
                auction_id = auctions[stream] = auction_of(stream)
            if not isinstance(auction_id, str):
                continue
            before = states.get(auction_id)
            if before is None:
                if version != 1:
                    continue  # an auction's stream starts with its schedule
                before = AuctionState(auction_id=auction_id)
            elif version <= before.version:
                continue
            try:
                self._fold(auction_id, before, version, codec.decode(type_, data), changed, records)
            except (ValueError, TypeError):
                # The store verified and accepted it; a reader that cannot decode it
                # must not stall every other auction. The audit log still has it.
                log.exception("cannot fold event at position %s (%s)", position, type_)
        return Folded({key: AuctionSummary(state) for key, state in changed.items()}, records)

    # ------------------------------------------------------------ queries

    def __contains__(self, auction_id: object) -> bool:
        return auction_id in self._states

    def state(self, auction_id: str) -> AuctionState | None:
        """The auction's state as folded here (identities sealed), if it exists."""
        return self._states.get(auction_id)

    def summary(self, auction_id: str) -> AuctionSummary | None:
        state = self._states.get(auction_id)
        return None if state is None else AuctionSummary(state)

    def summaries(self) -> list[AuctionSummary]:
        """Every auction, in the order it was scheduled."""
        return [AuctionSummary(state) for state in self._states.values()]

    def bids(self, auction_id: str, after: int, limit: int) -> Page:
        return page(self._bids.get(auction_id, []), after, limit)

    def changes(self, auction_id: str) -> list[Change]:
        return [message(record) for record in self._changes.get(auction_id, [])]

    def change_at(self, auction_id: str, version: int) -> Change | None:
        """The change message of the auction's ``version``-th event, if it made one (the open-data
        feed, ``projections.feed``, shows it at the event's global position)."""
        changes = self._changes.get(auction_id, [])
        index = bisect_right(changes, version, key=_position) - 1
        if index < 0 or changes[index].position != version:
            return None
        return message(changes[index])

    def resume(self, auction_id: str, after: int | None) -> Resume:
        """A watcher's start: without ``after`` the current state; with it, the
        state at ``after`` and every change after it. Synchronous on purpose: a
        caller that subscribes to the hub and then calls this without awaiting
        in between cannot miss or double a change."""
        state = self._states[auction_id]
        changes = self._changes.get(auction_id, [])
        if after is None or after >= state.version:
            seen = state.version if after is None else after
            return Resume(snapshot_message(auction_id, state.version, state_fields(state)), [], seen)
        start = bisect_right(changes, after, key=_position)
        base = message(changes[start - 1] if start > 0 else changes[0])
        return Resume(snapshot_message(auction_id, after, base.body), [message(r) for r in changes[start:]], after)
