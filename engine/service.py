"""Load, decide, append: the one place where the pure core meets the event store.

Each command reads the clock once, decides on the auction's current state and
appends the resulting events with the version it decided on. If another writer
got there first (another request, another process), the append fails with
``ConcurrencyConflict`` and nothing is written; the state is refreshed and the
command decided again. Bids on one auction are therefore decided strictly one
after another, whichever process receives them.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Sequence

from engine import codec
from engine.clock import Clock
from engine.commands import Command, ScheduleAuction
from engine.decider import decide, fold
from engine.errors import AuctionNotFound
from engine.events import BidderRegistered, Event
from engine.model import AuctionState, Status
from engine.policy import AuctionRules
from engine.store.base import ConcurrencyConflict, EventStore, NewEvent, StoredEvent
from engine.vault import SubjectVault, is_sealed

RulesLookup = Callable[[str], AuctionRules]

STREAM_PREFIX = "auction-"
MAX_ATTEMPTS = 50


def stream_of(auction_id: str) -> str:
    return STREAM_PREFIX + auction_id


def auction_of(stream: str) -> str | None:
    return stream[len(STREAM_PREFIX):] if stream.startswith(STREAM_PREFIX) else None


@dataclass(frozen=True)
class Outcome:
    state: AuctionState  # after the command
    events: tuple[Event, ...]  # what the command caused (decoded)
    stored: tuple[StoredEvent, ...]  # the same events as stored, with positions
    duplicate: bool = False  # a repeated idempotency key: nothing new was recorded


def to_new_events(events: Sequence[Event]) -> list[NewEvent]:
    out = []
    for event in events:
        type_name, payload = codec.encode(event)
        out.append(NewEvent(type=type_name, data=payload, recorded_at=event.at))
    return out


def decode_stored(stored: Sequence[StoredEvent]) -> list[Event]:
    """Decode without opening sealed identities (``BidderRegistered.subject`` stays sealed)."""
    return [codec.decode(e.type, e.data) for e in stored]


async def seal_events(events: Sequence[Event], vault: SubjectVault) -> list[NewEvent]:
    """Encode for the store, sealing every identity with its owner's key."""
    out = to_new_events(events)
    for index, event in enumerate(events):
        if isinstance(event, BidderRegistered):
            data = dict(out[index].data)
            data["subject"] = await vault.seal(event.subject)
            out[index] = NewEvent(type=out[index].type, data=data, recorded_at=out[index].recorded_at)
    return out


async def open_events(stored: Sequence[StoredEvent], vault: SubjectVault) -> list[Event]:
    """Decode and open sealed identities; an erased identity comes back as ``None``."""
    events = decode_stored(stored)
    sealed = [(i, e) for i, e in enumerate(events) if isinstance(e, BidderRegistered) and is_sealed(e.subject)]
    if sealed:
        opened = await vault.open_many([e.subject for _, e in sealed])  # type: ignore[misc]
        for (index, event), subject in zip(sealed, opened):
            events[index] = replace(event, subject=subject)  # type: ignore[arg-type]
    return events


class AuctionService:
    def __init__(
        self,
        store: EventStore,
        rules_for: RulesLookup,
        clock: Clock,
        cache_size: int = 10_000,
        vault: SubjectVault | None = None,
    ) -> None:
        self.store = store
        self.vault = vault if vault is not None else SubjectVault(store)
        self.rules_for = rules_for
        self.clock = clock
        self._cache: OrderedDict[str, AuctionState] = OrderedDict()
        self._cache_size = cache_size
        # Only auctions with a command in progress keep a lock: nobody holding it, it goes.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # ------------------------------------------------------------ state

    async def load(self, auction_id: str, refresh: bool = False) -> AuctionState:
        """The auction's state, from the cache topped up with any newer events."""
        state = self._cache.get(auction_id)
        if state is None:
            state = AuctionState(auction_id=auction_id)
        stored = await self.store.read_stream(stream_of(auction_id), after_version=state.version)
        if stored:
            state = fold(state, await self.decode(stored))
        self._remember(state)
        return state

    def cached(self, auction_id: str) -> AuctionState | None:
        return self._cache.get(auction_id)

    async def decode(self, stored: Sequence[StoredEvent]) -> list[Event]:
        return await open_events(stored, self.vault)

    async def apply_stored(self, stored: StoredEvent) -> None:
        """Keep the cache current from an event another process wrote (live feed)."""
        auction_id = auction_of(stored.stream)
        if auction_id is None:
            return
        state = self._cache.get(auction_id)
        if state is not None and state.version == stored.version - 1:
            self._remember(fold(state, await self.decode([stored])))
        elif state is not None and state.version < stored.version:
            self._cache.pop(auction_id, None)  # a gap: rebuild from the store next time

    def _remember(self, state: AuctionState) -> None:
        if state.status is Status.NEW:
            return
        self._cache[state.auction_id] = state
        self._cache.move_to_end(state.auction_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def rules_of(self, state: AuctionState) -> AuctionRules:
        if state.terms is None:
            raise AuctionNotFound(state.auction_id)
        return self.rules_for(state.terms.country)

    # ------------------------------------------------------------ commands

    async def execute(
        self, auction_id: str, command: Command, idempotency_key: str | None = None, now: datetime | None = None
    ) -> Outcome:
        # Two guards keep an auction's commands strictly one after another.
        # Inside this process, one lock per auction queues them, so that they do
        # not fight over the same version. Across processes (several servers on
        # one database) nothing is shared but the store: every append says which
        # version it was decided on, and the store writes it only if the stream is
        # still at that version, atomically with the write (PostgreSQL: under the
        # table lock; SQLite: under BEGIN IMMEDIATE). The loser of a race writes
        # nothing, gets ConcurrencyConflict, re-reads the stream and decides again
        # on the state that now includes the winner's events. Every decision is
        # therefore made on the complete history before it: a bid can never be
        # accepted against a price it did not see.
        lock = self._locks.get(auction_id)
        if lock is None:
            lock = self._locks[auction_id] = asyncio.Lock()
        async with lock:
            return await self._execute(auction_id, command, idempotency_key, now)

    async def _execute(
        self, auction_id: str, command: Command, idempotency_key: str | None, now: datetime | None
    ) -> Outcome:
        stream = stream_of(auction_id)
        # The first attempt decides on the cached state without reading the store: the append's
        # version check catches a cache that another process has left behind, and only then is
        # the stream read again. With one process the cache is always current, so a command
        # costs the append alone. A decision that appends nothing (a refusal raised, nothing to
        # do) has no version check to catch a stale cache, so it is only given on a fresh read.
        state = self._cache.get(auction_id)
        fresh = state is None
        for _ in range(MAX_ATTEMPTS):
            if state is None:
                state = await self.load(auction_id)
                fresh = True
            if isinstance(command, ScheduleAuction):
                rules = self.rules_for(command.draft.country)
            else:
                rules = self.rules_of(state)
            instant = now if now is not None else self.clock.now()
            try:
                events = decide(state, command, rules, instant)
            except Exception:
                if fresh:
                    raise
                state = None
                continue
            if not events:
                if not fresh:
                    state = None
                    continue
                return Outcome(state=state, events=(), stored=())
            try:
                result = await self.store.append(
                    stream, state.version, await seal_events(events, self.vault), idempotency_key
                )
            except ConcurrencyConflict:
                state = None
                continue
            if result.duplicate:
                current = await self.load(auction_id)
                return Outcome(
                    state=current,
                    events=tuple(await self.decode(result.events)),
                    stored=result.events,
                    duplicate=True,
                )
            new_state = fold(state, events)
            self._remember(new_state)
            return Outcome(state=new_state, events=tuple(events), stored=result.events)
        raise ConcurrencyConflict(stream, None, -1)

    async def history(self, auction_id: str) -> list[Event]:
        return await self.decode(await self.store.read_stream(stream_of(auction_id)))
