"""The deadline scheduler: opens and closes every auction by itself when its time comes.

It keeps one due instant per auction (``AuctionSummary.due``: the opening
while scheduled, the deadline in force while open), fed by the projections:
at start from every summary, then from each change, so an extension re-plans
the close. When an instant is reached it executes ``Advance()`` through the
service. The decider gives the opening and closing events the instant the
law fixes (the opening time, the deadline), not the moment the timer fired,
and the append's expected-version check lets exactly one writer record them
when several processes run a scheduler: the others find nothing left to do.

After firing, an auction leaves the plan until the projections report its
next due instant; a failure (say, the database is briefly down) is retried
with a growing delay.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from engine.clock import Clock
from engine.commands import Advance, Command
from projections.catalogue import AuctionSummary
from projections.waiting import wait_event

log = logging.getLogger(__name__)

Execute = Callable[[str, Command], Awaitable[object]]

# Wake up at least this often: a wall clock can jump, and a sleep is measured on a monotonic one.
MAX_SLEEP = 30.0
RETRY_FIRST = timedelta(seconds=1)
RETRY_MAX = timedelta(seconds=60)


class DeadlineScheduler:
    def __init__(self, execute: Execute, clock: Clock) -> None:
        self._execute = execute
        self._clock = clock
        self._due: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []
        self._failures: dict[str, int] = {}
        self._wake = asyncio.Event()

    # ------------------------------------------------------------ planning

    def plan(self, auction_id: str, due: datetime | None) -> None:
        if due is None:
            self._due.pop(auction_id, None)
            return
        if self._due.get(auction_id) == due:
            return
        self._due[auction_id] = due
        heapq.heappush(self._heap, (due, auction_id))
        if self._heap[0] == (due, auction_id):
            self._wake.set()

    def on_summary(self, summary: AuctionSummary) -> None:
        """The projections' listener: the auction changed, its due instant may have too."""
        self._failures.pop(summary.auction_id, None)
        self.plan(summary.auction_id, summary.due)

    def plan_all(self, summaries: list[AuctionSummary]) -> None:
        for summary in summaries:
            self.plan(summary.auction_id, summary.due)

    def planned(self, auction_id: str) -> datetime | None:
        return self._due.get(auction_id)

    @property
    def pending(self) -> int:
        """Auctions with a due instant planned (one timer each); read by the server's metrics."""
        return len(self._due)

    def wake(self) -> None:
        """Look at the clock again now (tests that move a manual clock call this)."""
        self._wake.set()

    def _next(self) -> datetime | None:
        # Entries whose auction was re-planned or fired are stale: drop them lazily.
        while self._heap:
            due, auction_id = self._heap[0]
            if self._due.get(auction_id) == due:
                return due
            heapq.heappop(self._heap)
        return None

    def _take_due(self, now: datetime) -> list[str]:
        ready = []
        while (due := self._next()) is not None and due <= now:
            _, auction_id = heapq.heappop(self._heap)
            del self._due[auction_id]
            ready.append(auction_id)
        return ready

    # ------------------------------------------------------------ running

    async def run_due(self) -> int:
        """Advance every auction whose instant has come; returns how many were advanced."""
        ready = self._take_due(self._clock.now())
        for auction_id in ready:
            try:
                await self._execute(auction_id, Advance())
            except asyncio.CancelledError:
                raise
            except Exception:
                failures = self._failures.get(auction_id, 0) + 1
                self._failures[auction_id] = failures
                delay = min(RETRY_FIRST * 2 ** (failures - 1), RETRY_MAX)
                log.exception("advancing auction %s failed; retrying in %s", auction_id, delay)
                if auction_id not in self._due:
                    self.plan(auction_id, self._clock.now() + delay)
        return len(ready)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            if await self.run_due():
                continue
            due = self._next()
            timeout = MAX_SLEEP
            if due is not None:
                # A timer may fire a hair early; run_due then finds nothing and we sleep again.
                timeout = min(max((due - self._clock.now()).total_seconds(), 0.001), MAX_SLEEP)
            await wait_event(self._wake, timeout)
