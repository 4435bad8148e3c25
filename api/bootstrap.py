"""The composition root: everything a running server holds, built in one place and torn down in reverse.

:func:`start` (called by the lifespan of :func:`api.app.create_app`, never at
import) reads the settings, opens the store, builds the service, the read
models, the live hub, the catch-up task, the deadline scheduler, the receipt
signer and the application's handlers and queries, and starts the tasks.
:meth:`Runtime.stop` undoes it.

:meth:`Runtime.execute` is how every command of this process runs (the
handlers' ``execute``, and the scheduler's through :meth:`Runtime.appended`):
after an append it folds the new events into this process's read models,
announces the new head (to other processes through Redis, when configured)
and, when another process wrote in between, waits (briefly) until the read
models include the new events, so that a client reading right after its own
write sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from api.auth import TokenReader
from api.observability import Metrics, Observer, ScrapeTime
from api.oidc import ProviderUnavailable, provider_from_settings
from api.settings import Settings
from engine.app.handlers import Context, Handlers
from engine.app.notifications import Notifications, SmtpMailer
from engine.app.queries import Queries
from engine.app.receipts import ReceiptSigner, load_private_key
from engine.app.retention import Retention
from engine.app.scheduler import DeadlineScheduler
from engine.app.transparency import Transparency
from engine.clock import Clock, SystemClock
from engine.commands import Command
from engine.service import AuctionService, Outcome
from engine.store import open_store, sqlite_path
from engine.store.base import EventStore, StoreAdapter
from engine.store.batching import GroupCommitStore
from engine.vault import SubjectVault
from projections.audit.heads import Head, HeadError, parse_head
from projections.catchup import Projector
from projections.hub import Hub
from projections.readmodel import ReadModel
from projections.search import SearchProjection, cursor_secret, search_tables
from rules import load_rules

if TYPE_CHECKING:
    from projections.redis_bridge import RedisWakeups

log = logging.getLogger(__name__)

# How long a write waits for the read models to show it before answering anyway.
READ_YOUR_WRITES_TIMEOUT = 5.0
# The catch-up reads at most every 5 ms when woken: another process's changes reach this
# one's watchers at most that much later, in fewer and larger reads (benchmark a, two processes).
CATCH_UP_PACE = 0.005
# Appends of concurrent commands share one durable commit (engine.store.batching).
# benchmarks/serve_without_group_commit.py turns it off to measure what it brings.
GROUP_COMMIT = True


@dataclass
class Runtime:
    settings: Settings
    tokens: TokenReader
    clock: Clock
    store: EventStore
    service: AuctionService
    model: ReadModel
    hub: Hub
    projector: Projector
    signer: ReceiptSigner
    transparency: Transparency
    head_file: Path | None = None  # where the last signed tree head is kept between runs
    wakeups: RedisWakeups | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # What an operator watches (api.observability): None when AUCTION_METRICS is off.
    metrics: Metrics | None = None
    scrape: ScrapeTime | None = None
    observer: Observer | None = None
    retention: Retention | None = None  # erases identities after AUCTION_RETENTION_DAYS (engine.app.retention)
    notifications: Notifications | None = None  # each person's notices, live and by e-mail (engine.app.notifications)
    search: SearchProjection | None = None  # the catalogue's search, in the log's database (projections.search)
    # Built from the above by start():
    queries: Queries = field(init=False)
    handlers: Handlers = field(init=False)
    scheduler: DeadlineScheduler = field(init=False)

    async def execute(self, auction_id: str, command: Command, idempotency_key: str | None = None) -> Outcome:
        started = time.perf_counter()
        outcome = await self.service.execute(auction_id, command, idempotency_key)
        if self.observer is not None:
            self.observer.decided(auction_id, command, outcome, time.perf_counter() - started)
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
        self.transparency.committed(outcome.tree)  # a signed head for every commit
        position = outcome.stored[-1].position
        if self.wakeups is not None:
            # Without waiting: a slow or absent Redis must not delay the answer (the others poll too).
            self.wakeups.announce(position)
        return folded

    async def advance(self, auction_id: str, command: Command) -> Outcome:
        """The scheduler's commands: nobody waits to read them, they are only folded and announced."""
        started = time.perf_counter()
        outcome = await self.service.execute(auction_id, command)
        if self.observer is not None:
            self.observer.decided(auction_id, command, outcome, time.perf_counter() - started)
        if outcome.stored:
            self.appended(outcome)
        return outcome

    async def stop(self) -> None:
        self.hub.close()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.wakeups is not None:
            await self.wakeups.stop()
        if self.notifications is not None:
            await self.notifications.book.close()
        if self.search is not None:  # last of the log's other writers: nothing else holds its write lock then
            try:
                await self.search.close()
            except Exception:  # its rows are kept; what it could not write is caught up at the next start
                log.exception("the search's last write failed")
        await self.store.close()


async def start(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    # The keys are read (or made and kept) here, once, before any request: made lazily,
    # concurrent first bids raced each other's half-written key file.
    oidc = provider_from_settings(settings)  # the identity provider's tokens, read through its JWKS (api.oidc)
    tokens = TokenReader(settings.jwt_secret(), settings.jwt_public_key, settings.jwt_audience, oidc)
    if oidc is not None:  # a provider that cannot be asked at start-up would leave the pages without sign-in
        try:
            await asyncio.to_thread(oidc.metadata)
        except ProviderUnavailable as error:
            raise StartupRefused(f"refusing to start: {error} (check AUCTION_OIDC_ISSUER)") from None
    signer = ReceiptSigner.from_text(settings.receipt_key_text())
    # The log (an EventStore) and the identity keys (a KeyStore), kept apart from the log.
    adapter = await open_store(settings.database_url, settings.keys_database_url)
    store: EventStore = GroupCommitStore(adapter) if GROUP_COMMIT else adapter
    runtime: Runtime | None = None
    try:
        transparency = Transparency(adapter, load_private_key(settings.receipt_key_text()), clock)
        head_file = settings.head_path()
        await check_log(transparency, adapter, head_file)
        await transparency.head()  # signed before serving: every snapshot and receipt has a head to show
        service = AuctionService(store, load_rules, clock, vault=SubjectVault(adapter))
        model = ReadModel()
        hub = Hub(settings.ws_queue_size)
        projector = Projector(store, model, hub, clock, pace=CATCH_UP_PACE)
        runtime = Runtime(
            settings=settings,
            tokens=tokens,
            clock=clock,
            store=store,
            service=service,
            model=model,
            hub=hub,
            projector=projector,
            signer=signer,
            transparency=transparency,
            head_file=head_file,
        )
        runtime.queries = Queries(service, store, model, projector, signer)
        runtime.handlers = Handlers(Context(service, runtime.execute, runtime.queries, signer, transparency))
        runtime.scheduler = DeadlineScheduler(runtime.advance, clock)
        observe(runtime)
        if settings.redis_url:
            from projections.redis_bridge import RedisWakeups  # only when asked for

            runtime.wakeups = RedisWakeups(settings.redis_url, projector.notify)
            await runtime.wakeups.start()
        # Rebuild the read models before serving, then plan every open or scheduled auction.
        await projector.rebuild()
        runtime.scheduler.plan_all(model.summaries())
        projector.listeners.append(runtime.scheduler.on_summary)
        runtime.notifications = notifications = await start_notifications(settings, store, service.vault, clock)
        projector.listeners.append(lambda _: notifications.notify())
        tables = search_tables(settings.database_url, sqlite_path(settings.database_url))
        runtime.search = SearchProjection(tables, model, store, cursor_secret(settings.jwt_secret()))
        await runtime.search.start()  # what changed since its checkpoint, or everything into new tables
        projector.listeners.append(runtime.search.changed)
        runtime.queries.search_index = runtime.search
        runtime.tasks = [
            asyncio.create_task(projector.run(), name="projections-catch-up"),
            asyncio.create_task(runtime.scheduler.run(), name="deadline-scheduler"),
            asyncio.create_task(runtime.search.run(), name="search-index"),
        ]
        runtime.tasks.append(asyncio.create_task(notifications.run(), name="notifications"))
        runtime.tasks.append(asyncio.create_task(notifications.run_outbox(), name="notifications-outbox"))
        if head_file is not None:
            runtime.tasks.append(asyncio.create_task(keep_heads(transparency, head_file), name="tree-heads"))
        if oidc is not None:  # the provider's metadata and keys read ahead of the first token, off the loop
            runtime.tasks.append(asyncio.create_task(asyncio.to_thread(oidc.warm_up), name="oidc-warm-up"))
        runtime.queries.retention_days = settings.retention_days
        if settings.retention_days is not None:
            runtime.retention = Retention(store, service.vault, clock, settings.retention_days)
            runtime.tasks.append(asyncio.create_task(runtime.retention.run(), name="retention"))
    except BaseException:
        if runtime is not None and runtime.wakeups is not None:
            await runtime.wakeups.stop()
        if runtime is not None and runtime.notifications is not None:
            await runtime.notifications.book.close()
        if runtime is not None and runtime.search is not None:
            await runtime.search.tables.close()
        await store.close()
        raise
    log.info("engine ready at position %s with %s auctions", model.checkpoint, len(model.summaries()))
    return runtime


async def start_notifications(
    settings: Settings, store: EventStore, vault: SubjectVault, clock: Clock
) -> Notifications:
    """The notifications' projection, folded up to now, with the SMTP relay of ``AUCTION_SMTP_*`` if any."""
    from projections.notifications import NotificationBook

    mailer = None
    if settings.smtp_host:
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            settings.smtp_starttls,
            settings.smtp_username,
            settings.smtp_password,
        )
    book = await NotificationBook.open(settings.database_url)
    notifications = Notifications(store, book, vault, clock, mailer)
    try:
        await notifications.start()
    except BaseException:
        await book.close()
        raise
    return notifications


class StartupRefused(Exception):
    """The log cannot be served as it is: one line says why (``auction serve`` exits 1)."""


async def check_log(transparency: Transparency, store: StoreAdapter, head_file: Path | None) -> None:
    """Refuse a log that does not extend the last head this server signed (kept in ``head_file``,
    outside the database), then sign and keep a head over the log as it is."""
    if head_file is None:
        return
    kept = read_head(head_file)
    if kept is not None:
        problem = await transparency.check_extends(kept, store)
        if problem is not None:
            raise StartupRefused(f"refusing to serve this log: {problem} (the head is kept in {head_file})")
    else:
        log.warning("no signed tree head kept in %s yet: the log is taken as it is, and signed from now on", head_file)
    write_head(head_file, await transparency.head())


def read_head(path: Path) -> Head | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StartupRefused(f"cannot read the kept tree head {path}: {error.strerror}") from None
    try:
        return parse_head(orjson.loads(text))
    except (orjson.JSONDecodeError, HeadError) as error:
        raise StartupRefused(f"the kept tree head {path} is not one: {error}") from None


def write_head(path: Path, head: Head) -> None:
    """Replace the kept head, whole (a temporary file of its own, synced, renamed into place, the
    directory synced; mode 0600), unless the file holds a larger head already (several processes of
    one deployment keep the same file, each the head it signed last)."""
    with contextlib.suppress(StartupRefused):
        kept = read_head(path)
        if kept is not None and kept.size > head.size:
            return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, orjson.dumps(head.to_json()) + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    directory = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# How often the newest signed head is written to its file while serving; at a stop it is written too.
KEEP_HEAD_EVERY = 1.0


async def keep_heads(transparency: Transparency, path: Path) -> None:
    kept = transparency.latest
    try:
        while True:
            await asyncio.sleep(KEEP_HEAD_EVERY)
            latest = transparency.latest
            if latest is not None and latest is not kept:
                await asyncio.to_thread(write_head, path, latest)
                kept = latest
    finally:
        latest = transparency.latest
        if latest is not None and latest is not kept:
            write_head(path, latest)


def observe(runtime: Runtime) -> None:
    """Install what an operator watches: the metrics (unless ``AUCTION_METRICS`` is off), their
    hook in the group commit, and the observer of every command's outcome (counts and logs)."""
    if runtime.settings.metrics:
        runtime.metrics = Metrics()
        runtime.scrape = runtime.metrics.install(runtime)
        if isinstance(runtime.store, GroupCommitStore):
            runtime.store.observe = runtime.metrics.committed
    runtime.observer = Observer(runtime.metrics)
