"""The catch-up task: keeps the read models current from the global event order.

One task reads ``store.read_rows(after=checkpoint)`` page by page, folds each
event into the :class:`~projections.readmodel.ReadModel`, publishes the
change messages to the hub and tells listeners (the deadline scheduler)
which auctions changed. It runs when woken by :meth:`Projector.notify`
(called right after this process appends, and by any cross-process wake-up
such as a Redis subscription) and at least every ``interval`` seconds as a
safety net for writes it was not told about. Reads are at least ``pace``
seconds apart: under a stream of wake-ups (another busy process) each read
then takes what arrived meanwhile in one page, instead of one read per
wake-up, each with its round trip and fixed cost.

The checkpoint is the global position of the last event folded. The read
models live in memory, so a process starts at 0 and rebuilds them before it
serves (the store guarantees that ``read_rows``, like ``read_all``, never skips
an event that becomes visible later, so following the checkpoint misses nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
from msgspec.structs import replace

from engine.clock import Clock
from engine.events import BidderRegistered, Event
from engine.model import format_instant
from engine.store.base import EventRow, EventStore, StoredEvent
from engine.streams import auction_of
from projections.catalogue import AuctionSummary
from projections.changes import message
from projections.hub import Hub
from projections.readmodel import Folded, ReadModel
from projections.waiting import wait_event

log = logging.getLogger(__name__)

Listener = Callable[[AuctionSummary], None]


def _as_stored(stored: StoredEvent, event: Event) -> Event:
    """The event as the store holds it: a registration's identity sealed."""
    if isinstance(event, BidderRegistered) and event.subject != stored.data.get("subject"):
        return replace(event, subject=stored.data["subject"])
    return event


def encode_message(body: dict[str, object], now: datetime) -> str:
    """One message as JSON text, stamped with the server's time."""
    return orjson.dumps({**body, "server_time": format_instant(now)}).decode()


class Projector:
    def __init__(
        self,
        store: EventStore,
        model: ReadModel,
        hub: Hub,
        clock: Clock,
        interval: float = 1.0,
        page_size: int = 1000,
        pace: float = 0.0,
    ) -> None:
        self.store = store
        self.model = model
        self.hub = hub
        self.clock = clock
        self.interval = interval
        self.page_size = page_size
        self.pace = pace
        self.listeners: list[Listener] = []
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._lock = asyncio.Lock()
        self.failures = 0  # catch-ups failed in a row (the store out of reach): 0 when it reads

    @property
    def checkpoint(self) -> int:
        return self.model.checkpoint

    def notify(self) -> None:
        """Something was appended: catch up now rather than at the next tick."""
        self._wake.set()

    async def catch_up(self) -> int:
        """Fold every event visible now; returns the checkpoint reached."""
        async with self._lock:
            page = await self.store.read_rows(after=self.model.checkpoint, limit=self.page_size)
            while page:
                if len(page) < self.page_size:
                    self._fold(page)
                    break
                # A full page: ask for the next one (after this page's last position, where
                # folding it leaves the checkpoint) before folding this one, so that the
                # database finds and sends it meanwhile; sleep(0) lets the request go out.
                following = asyncio.create_task(self.store.read_rows(after=page[-1][0], limit=self.page_size))
                try:
                    await asyncio.sleep(0)
                    self._fold(page)
                except BaseException:
                    following.cancel()
                    raise
                page = await following
            return self.model.checkpoint

    async def rebuild(self) -> int:
        """:meth:`catch_up` from wherever the model is: the rebuild at start-up, which reads
        every event ever stored before the server takes requests."""
        return await self.catch_up()

    def apply_own(self, stored: Sequence[StoredEvent], events: Sequence[Event]) -> bool:
        """Fold what this process just appended (the events as decided, with their stored
        versions) without reading it back or decoding it again, and tell watchers and
        listeners. False when the read model is not right behind the first of them
        (another process wrote to the auction since): the catch-up, woken here, folds
        them in order instead (see ``ReadModel.apply_own``). Identities stay sealed in the read models, as the
        catch-up leaves them: a registration takes its sealed subject from the stored data."""
        if not stored:
            return True
        auction_id = auction_of(stored[0].stream)
        if auction_id is None:
            return False
        own = [(s.position, s.version, _as_stored(s, e)) for s, e in zip(stored, events, strict=True)]
        folded = self.model.apply_own(auction_id, own)
        if folded is None:
            self.notify()
            return False
        self._publish(folded)
        return True

    def _fold(self, page: Sequence[EventRow]) -> None:
        # No await from here to the end: watchers subscribing meanwhile see
        # either none or all of this page (see ReadModel.resume).
        self._publish(self.model.apply_page(page))

    def _publish(self, folded: Folded) -> None:
        now = self.clock.now()
        if self.hub.watched():  # a rebuild at start-up has no watchers
            for record in folded.records:
                auction_id = record.auction
                if self.hub.watchers(auction_id):
                    # Made and encoded only for an auction someone watches.
                    change = message(record)
                    self.hub.publish(auction_id, change.position, encode_message(change.body, now))
        for summary in folded.summaries.values():
            for listener in self.listeners:
                try:
                    listener(summary)
                except Exception:  # a listener's bug must not stop the read models
                    log.exception("projection listener failed for auction %s", summary.auction_id)
        progress, self._progress = self._progress, asyncio.Event()
        progress.set()

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until the event at global ``position`` is folded in (read-your-writes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.model.checkpoint < position:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.notify()
            await wait_event(self._progress, remaining)
        return True

    async def refresh(self, timeout: float = 1.0) -> None:
        """Catch up with everything the store holds now (e.g. another process's new auction)."""
        head = await self.store.head()
        await self.wait_for(head, timeout)

    async def run(self) -> None:
        """The task body: catch up whenever woken, and every ``interval`` seconds anyway."""
        loop = asyncio.get_running_loop()
        last_read = -self.pace
        while True:
            await wait_event(self._wake, self.interval)
            if (early := last_read + self.pace - loop.time()) > 0:
                await asyncio.sleep(early)
            last_read = loop.time()
            self._wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The store may be briefly unavailable; the next tick retries from the checkpoint. The
                # first failure is logged with its traceback, the next ones (a database restarting) in a line.
                self.failures += 1
                if self.failures == 1:
                    log.exception("projection catch-up failed at position %s", self.model.checkpoint)
                else:
                    log.warning("projection catch-up failed %s times in a row: %r", self.failures, error)
                await asyncio.sleep(self.interval)
            else:
                if self.failures:
                    log.info("projection catch-up reads again after %s failed attempts", self.failures)
                self.failures = 0
