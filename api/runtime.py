"""Everything a running server holds, built in one place (:func:`start`) and torn down in reverse.

The lifespan of :func:`api.app.create_app` calls :func:`start`; nothing is
built at import. :meth:`Runtime.execute` is how the routes run commands:
after an append it announces the new head (to other processes through Redis,
when configured) and waits (briefly) until this process's read models
include the new events, so that a client reading right after its own write
sees it. The scheduler's appends are announced the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from api.scheduler import DeadlineScheduler
from api.settings import Settings
from engine.clock import Clock, SystemClock
from engine.commands import Command
from engine.policy import ScheduleWarning, schedule_warnings
from engine.service import AuctionService, Outcome
from engine.store import open_store
from engine.store.base import EventStore
from engine.store.batching import GroupCommitStore
from projections.catalogue import AuctionSummary
from projections.catchup import Projector
from projections.hub import Hub
from projections.readmodel import ReadModel
from rules import load_rules

if TYPE_CHECKING:
    from projections.redis_bridge import RedisWakeups

log = logging.getLogger(__name__)

# How long a write waits for the read models to show it before answering anyway.
READ_YOUR_WRITES_TIMEOUT = 5.0
# Appends of concurrent commands share one durable commit (engine.store.batching).
# benchmarks/serve_without_group_commit.py turns it off to measure what it brings.
GROUP_COMMIT = True


@dataclass
class Runtime:
    settings: Settings
    secret: str
    clock: Clock
    store: EventStore
    service: AuctionService
    model: ReadModel
    hub: Hub
    projector: Projector
    scheduler: DeadlineScheduler
    wakeups: RedisWakeups | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _announcing: set[asyncio.Task[None]] = field(default_factory=set)
    # auction id -> the rules' warnings about its schedule: terms never change once scheduled,
    # so the catalogue need not count working days on every read
    _warnings: dict[str, tuple[ScheduleWarning, ...]] = field(default_factory=dict)

    def schedule_warnings(self, summary: AuctionSummary) -> tuple[ScheduleWarning, ...]:
        found = self._warnings.get(summary.auction_id)
        if found is None:
            rules = self.service.rules_for(summary.country)
            found = self._warnings[summary.auction_id] = schedule_warnings(rules, summary.terms)
        return found

    async def execute(self, auction_id: str, command: Command, idempotency_key: str | None = None) -> Outcome:
        outcome = await self.service.execute(auction_id, command, idempotency_key)
        if outcome.stored and not outcome.duplicate:
            if not self.appended(outcome):
                # Another process wrote to this auction in between: the catch-up folds both in
                # order, and a client reading right after its own write still sees it.
                await self.projector.wait_for(outcome.stored[-1].position, READ_YOUR_WRITES_TIMEOUT)
        elif outcome.stored:
            await self.projector.wait_for(outcome.stored[-1].position, READ_YOUR_WRITES_TIMEOUT)
        return outcome

    def appended(self, outcome: Outcome) -> bool:
        """This process wrote ``outcome``: fold it into our read models as decided (no
        read-back) and tell the other processes. False if it could not be folded directly."""
        folded = self.projector.apply_own(outcome.stored, outcome.events)
        position = outcome.stored[-1].position
        if self.wakeups is not None:
            # Fire and forget: a slow or absent Redis must not delay the answer (the others poll too).
            task = asyncio.create_task(self.wakeups.publish(position))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)
        return folded

    async def stop(self) -> None:
        self.hub.close()
        for task in [*self.tasks, *self._announcing]:
            task.cancel()
        for task in [*self.tasks, *self._announcing]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.wakeups is not None:
            await self.wakeups.stop()
        await self.store.close()


async def start(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    store: EventStore = await open_store(settings.database_url)
    if GROUP_COMMIT:
        store = GroupCommitStore(store)
    runtime: Runtime | None = None
    try:
        service = AuctionService(store, load_rules, clock)
        model = ReadModel()
        hub = Hub(settings.ws_queue_size)
        projector = Projector(store, model, hub, clock)

        async def advance(auction_id: str, command: Command) -> Outcome:
            outcome = await service.execute(auction_id, command)
            if outcome.stored:
                assert runtime is not None  # built below, before the scheduler's task starts
                runtime.appended(outcome)
            return outcome

        scheduler = DeadlineScheduler(advance, clock)
        runtime = Runtime(
            settings=settings,
            secret=settings.jwt_secret(),
            clock=clock,
            store=store,
            service=service,
            model=model,
            hub=hub,
            projector=projector,
            scheduler=scheduler,
        )
        if settings.redis_url:
            from projections.redis_bridge import RedisWakeups  # only when asked for

            runtime.wakeups = RedisWakeups(settings.redis_url, projector.notify)
            await runtime.wakeups.start()
        # Rebuild the read models before serving, then plan every open or scheduled auction.
        await projector.rebuild()
        scheduler.plan_all(model.summaries())
        projector.listeners.append(scheduler.on_summary)
        runtime.tasks = [
            asyncio.create_task(projector.run(), name="projections-catch-up"),
            asyncio.create_task(scheduler.run(), name="deadline-scheduler"),
        ]
    except BaseException:
        if runtime is not None and runtime.wakeups is not None:
            await runtime.wakeups.stop()
        await store.close()
        raise
    log.info("engine ready at position %s with %s auctions", model.checkpoint, len(model.summaries()))
    return runtime
