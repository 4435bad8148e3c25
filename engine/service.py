"""Load, decide, append: the one place where the pure core meets the event store.

Each command reads the clock once, decides on the auction's current state and
appends the resulting events with the version it decided on. If another writer
got there first (another request, another process), the append fails with
``ConcurrencyConflict`` and nothing is written; the state is refreshed and the
command decided again. Bids on one auction are therefore decided strictly one
after another, whichever process receives them.

The clock is read once per command, and never trusted to run forwards: a
decision is taken at the stream's last instant when the clock reads earlier
(stepped back, or another process's clock ahead of this one's), so that no
event is recorded before the one it follows (:func:`engine.clock.not_before`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from msgspec.structs import replace

from engine import codec
from engine.clock import Clock, not_before
from engine.commands import Command, ScheduleAuction
from engine.decider import decide, fold
from engine.errors import AuctionNotFound, DomainError
from engine.events import BidderRegistered, Event
from engine.merkle import Span
from engine.model import AuctionState, Status
from engine.policy import AuctionRules, RuleViolation
from engine.store.base import AppendResult, ConcurrencyConflict, EventStore, KeyStore, NewEvent, StoredEvent
from engine.streams import auction_of, stream_of
from engine.vault import SubjectVault, is_sealed

RulesLookup = Callable[[str], AuctionRules]
# GroupCommitStore.submit: queue an append in order, answer later; it follows an earlier answer.
Submit = Callable[
    [str, int | None, Sequence[NewEvent], str | None, "asyncio.Future[AppendResult] | None"],
    "asyncio.Future[AppendResult]",
]

MAX_ATTEMPTS = 50
# What a decision raises to refuse a command (a programming error is not answered from a key).
REFUSALS = (DomainError, RuleViolation)
# A decision taken at its stream's last instant because the clock is behind it by more than this
# is logged: the wall clock was stepped back (less is the usual skew between processes).
CLOCK_BEHIND_WARNING = timedelta(seconds=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Tip:
    """An auction's state after the last append submitted and not yet answered (see
    AuctionService.execute). ``chain`` identifies the appends decided one on another since
    the last decision on the stored state: the first one's answer."""

    state: AuctionState
    answer: asyncio.Future[AppendResult]
    chain: asyncio.Future[AppendResult]


@dataclass(frozen=True)
class Outcome:
    state: AuctionState  # after the command
    events: tuple[Event, ...]  # what the command caused (decoded)
    stored: tuple[StoredEvent, ...]  # the same events as stored, with positions
    duplicate: bool = False  # a repeated idempotency key: nothing new was recorded
    # What the commit that wrote ``stored`` added to the log's Merkle tree (None for a repeat).
    tree: Span | None = field(default=None, compare=False, repr=False)


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
        # A sealed subject is the vault's dict, held where the event's type says str.
        opened = await vault.open_many([e.subject for _, e in sealed])  # type: ignore[misc]
        for (index, event), subject in zip(sealed, opened, strict=True):
            events[index] = replace(event, subject=subject)
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
        # Without a vault of its own, the service keeps identity keys in the store: every adapter
        # (and a GroupCommitStore over one) is a KeyStore as well as an EventStore.
        self.vault = vault if vault is not None else SubjectVault(cast(KeyStore, store))
        self.rules_for = rules_for
        self.clock = clock
        self._cache: OrderedDict[str, AuctionState] = OrderedDict()
        self._cache_size = cache_size
        # Only auctions with a command in progress keep a lock: nobody holding it, it goes.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Where the store takes appends without waiting for them (see execute): per auction, the
        # state after the last append submitted, with that append's answer to come.
        self._submit: Submit | None = getattr(store, "submit", None)
        self._tips: dict[str, _Tip] = {}
        # Per auction, the latest instant on its stream that this service decided or read: no
        # decision is taken at an earlier one, whatever the clock says (see _decide).
        self._last_at: dict[str, datetime] = {}

    # ------------------------------------------------------------ state

    async def load(self, auction_id: str, refresh: bool = False) -> AuctionState:
        """The auction's state, from the cache topped up with any newer events."""
        state = self._cache.get(auction_id)
        if state is None:
            state = AuctionState(auction_id=auction_id)
        stored = await self.store.read_stream(stream_of(auction_id), after_version=state.version)
        if stored:
            state = fold(state, await self.decode(stored))
            self._saw(auction_id, max(event.recorded_at for event in stored))
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
            self._saw(auction_id, stored.recorded_at)
        elif state is not None and state.version < stored.version:
            self._cache.pop(auction_id, None)  # a gap: rebuild from the store next time

    def _remember(self, state: AuctionState) -> None:
        if state.status is Status.NEW:
            return
        self._cache[state.auction_id] = state
        self._cache.move_to_end(state.auction_id)
        while len(self._cache) > self._cache_size:
            evicted, _ = self._cache.popitem(last=False)
            if evicted not in self._tips:
                self._last_at.pop(evicted, None)  # read again with the whole stream next time

    def rules_of(self, state: AuctionState) -> AuctionRules:
        if state.terms is None:
            raise AuctionNotFound(state.auction_id)
        return self.rules_for(state.terms.country)

    # ------------------------------------------------------------ commands

    async def _replayed(self, auction_id: str, result: AppendResult) -> Outcome:
        """The outcome of a repeated idempotency key: the events its first append recorded,
        and the state as they left it (its first answer), not the auction's state now."""
        return Outcome(
            state=await self._state_at(auction_id, result.events[-1].version if result.events else 0),
            events=tuple(await self.decode(result.events)),
            stored=result.events,
            duplicate=True,
        )

    async def _state_at(self, auction_id: str, version: int) -> AuctionState:
        """The auction as its first ``version`` events left it: the current state when nothing
        came after them (a retry right after its first try), else folded from the stream.
        Identities stay sealed: the state answers a retry, it is not kept."""
        current = await self.load(auction_id)
        if current.version == version:
            return current
        history = await self.store.read_stream(stream_of(auction_id))
        return fold(AuctionState(auction_id=auction_id), decode_stored(history[:version]))

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
        #
        # With a store that takes appends in order without waiting for them
        # (GroupCommitStore.submit), the lock covers the decision only: the next
        # command on the auction is decided on the state the previous one leaves
        # (its "tip") while that one is being written, and its append follows it,
        # so that it is written only if the previous one was. A hot auction's bids
        # then share commits like those of different auctions do.
        stream = stream_of(auction_id)
        lock = self._locks.get(auction_id)
        if lock is None:
            lock = self._locks[auction_id] = asyncio.Lock()
        fresh = False
        for _ in range(MAX_ATTEMPTS):
            async with lock:
                # What the state counts on is taken with it: the append that left the tip (none: the
                # stored state). Sealing below may wait, and that append may fail meanwhile.
                base = None if fresh else self._tips.get(auction_id)
                if base is not None:
                    state = base.state
                elif fresh or (cached := self._cache.get(auction_id)) is None:
                    state = await self._fresh_state(auction_id)
                    fresh = True
                else:
                    state = cached
                try:
                    events = self._decide(state, command, now)
                except Exception as refusal:
                    if not fresh:
                        fresh = True  # the cache may be behind another process: decide again on a fresh read
                        continue
                    if idempotency_key is None or state.version == 0 or not isinstance(refusal, REFUSALS):
                        raise
                    # A retry may be refused where its first try was not (an incident recorded
                    # before the auction ended): the key's first answer stands.
                    first = await self.store.recorded(stream, idempotency_key)
                    if first is None:
                        raise
                    return await self._replayed(auction_id, first)
                if not events:
                    # Nothing to append, so no version check catches a stale cache: only on a fresh read.
                    if not fresh:
                        fresh = True
                        continue
                    return Outcome(state=state, events=(), stored=())
                sealed = await seal_events(events, self.vault)
                after = fold(state, events)
                if self._submit is None:
                    answer: asyncio.Future[AppendResult] | None = None
                    try:
                        result = await self.store.append(stream, state.version, sealed, idempotency_key)
                    except ConcurrencyConflict:
                        fresh = True
                        continue
                else:
                    answer = self._submit(
                        stream, state.version, sealed, idempotency_key, base.answer if base else None
                    )
                    chain = base.chain if base else answer
                    self._tips[auction_id] = _Tip(after, answer, chain)
            if answer is not None:
                try:
                    result = await answer
                except ConcurrencyConflict:
                    self._forget_tip(auction_id, chain)
                    fresh = True
                    continue
                except BaseException:
                    self._forget_tip(auction_id, chain)
                    raise
                if result.duplicate:
                    self._forget_tip(auction_id, chain)
                else:
                    self._written(auction_id, answer)
            if result.duplicate:
                return await self._replayed(auction_id, result)
            if after.version > self._cached_version(auction_id):
                self._remember(after)
            return Outcome(state=after, events=tuple(events), stored=result.events, tree=result.tree)
        raise ConcurrencyConflict(stream, None, -1)

    async def _fresh_state(self, auction_id: str) -> AuctionState:
        """The auction as the store holds it now. Appends of this process still in flight land
        first (the lock is held: no new one starts), so that the read includes them."""
        tip = self._tips.pop(auction_id, None)
        if tip is not None:
            await asyncio.wait([tip.answer])
        return await self.load(auction_id)

    def _decide(self, state: AuctionState, command: Command, now: datetime | None) -> list[Event]:
        if isinstance(command, ScheduleAuction):
            rules = self.rules_for(command.draft.country)
        else:
            rules = self.rules_of(state)
        instant = self._not_before_last(state.auction_id, now if now is not None else self.clock.now())
        events = decide(state, command, rules, instant)
        if events:
            self._saw(state.auction_id, max(event.at for event in events))
        return events

    def _not_before_last(self, auction_id: str, now: datetime) -> datetime:
        last = self._last_at.get(auction_id)
        instant = not_before(now, last)
        if last is not None and last - now > CLOCK_BEHIND_WARNING:
            log.warning("the clock is %s behind auction %s's last event: deciding at %s", last - now, auction_id, last)
        return instant

    def _saw(self, auction_id: str, instant: datetime) -> None:
        last = self._last_at.get(auction_id)
        if last is None or instant > last:
            self._last_at[auction_id] = instant

    def _cached_version(self, auction_id: str) -> int:
        state = self._cache.get(auction_id)
        return -1 if state is None else state.version

    def _written(self, auction_id: str, answer: asyncio.Future[AppendResult]) -> None:
        """The append behind ``answer`` is in the store: if it was the last one submitted,
        the tip is the stored state again (kept in the cache) and is dropped."""
        tip = self._tips.get(auction_id)
        if tip is not None and tip.answer is answer:
            del self._tips[auction_id]

    def _forget_tip(self, auction_id: str, chain: asyncio.Future[AppendResult]) -> None:
        """An append of ``chain`` wrote nothing. The tip counted on it, as did every append
        of the chain after it (the store refuses those): unless a new chain has started
        since, the next command is decided on the stored state and starts one. Safe
        whatever is dropped: the stored state (the cache) only holds written events, so
        every append carries the version of a state that includes everything it counted on."""
        tip = self._tips.get(auction_id)
        if tip is not None and tip.chain is chain:
            del self._tips[auction_id]

    async def history(self, auction_id: str) -> list[Event]:
        return await self.decode(await self.store.read_stream(stream_of(auction_id)))
