"""The server's two background tasks outlive a store that fails for a while.

The catch-up task (``projections.catchup.Projector.run``) and the deadline
scheduler (``engine.app.scheduler.DeadlineScheduler.run``) run for the whole
life of a process; if either died on the first failed read or append, the read
models would freeze or auctions would never close. Here the store fails the way
a database restart makes it fail (``OSError``, a lost connection), then works
again: both tasks are still running and do their work.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import asyncpg
import pytest

from engine.app.scheduler import RETRY_FIRST, DeadlineScheduler
from engine.clock import ManualClock
from engine.commands import Command, ScheduleAuction
from engine.service import AuctionService
from engine.store.base import EventRow
from engine.store.memory import MemoryEventStore
from projections.catchup import Projector
from projections.hub import Hub
from projections.readmodel import ReadModel
from rules import load_rules
from tests.domain.support import draft_for
from tests.e2e.support import eventually

OUTAGE: list[Exception] = [
    ConnectionRefusedError(111, "Connection refused"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    OSError("network unreachable"),
]


class FlakyStore(MemoryEventStore):
    """A memory store whose reads fail with each of ``failures`` in turn, then work."""

    def __init__(self, failures: list[Exception]) -> None:
        super().__init__()
        self.failures = list(failures)

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        if self.failures:
            raise self.failures.pop(0)
        return await super().read_rows(after, limit)


async def test_the_catch_up_task_survives_failed_reads_and_folds_what_was_written_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="projections.catchup")
    draft = draft_for("SE")
    clock = ManualClock(draft.opens_at - timedelta(days=1))
    store = FlakyStore([])
    service = AuctionService(store, load_rules, clock)
    projector = Projector(store, ReadModel(), Hub(), clock, interval=0.01)
    task = asyncio.create_task(projector.run())
    try:
        store.failures = list(OUTAGE)
        for n in range(3):
            await service.execute(f"a-{n}", ScheduleAuction(f"a-{n}", draft))
            projector.notify()
        head = await store.head()

        async def caught_up() -> bool:
            return projector.checkpoint == head

        await eventually(caught_up, timeout=20)
        assert store.failures == [], "the outage was not met"
        assert not task.done(), "the catch-up task ended"
        assert {s.auction_id for s in projector.model.summaries()} == {"a-0", "a-1", "a-2"}
        assert projector.failures == 0
        # One traceback for the outage, a line for each further failure, and a line when it reads again.
        tracebacks = [r for r in caplog.records if r.name == "projections.catchup" and r.exc_info]
        assert len(tracebacks) == 1
        assert any(f"after {len(OUTAGE)} failed attempts" in r.getMessage() for r in caplog.records)
    finally:
        task.cancel()


async def test_the_deadline_scheduler_retries_an_advance_that_failed_and_keeps_running() -> None:
    draft = draft_for("SE")
    clock = ManualClock(draft.opens_at - timedelta(seconds=1))
    failures = list(OUTAGE)
    done: list[str] = []

    async def execute(auction_id: str, command: Command) -> object:
        if failures:
            raise failures.pop(0)
        done.append(auction_id)
        return None

    scheduler = DeadlineScheduler(execute, clock)
    task = asyncio.create_task(scheduler.run())
    try:
        scheduler.plan("a-1", draft.opens_at)
        for _ in range(len(OUTAGE) + 1):
            clock.advance(timedelta(minutes=2))  # past any retry delay it planned (at most a minute)
            scheduler.wake()

            async def replanned_or_done() -> bool:
                planned = scheduler.planned("a-1")
                return bool(done) or (planned is not None and planned > clock.now())

            await eventually(replanned_or_done, timeout=20)
            if done:
                break
        assert failures == [] and done == ["a-1"], (failures, done)
        assert not task.done(), "the scheduler task ended"
        # And it goes on planning: a later instant is fired too.
        scheduler.plan("a-2", clock.now() + RETRY_FIRST)
        clock.advance(RETRY_FIRST)
        scheduler.wake()

        async def second() -> bool:
            return done == ["a-1", "a-2"]

        await eventually(second, timeout=20)
    finally:
        task.cancel()
