"""What an operator watches: metrics at ``GET /metrics``, readiness at ``GET /ready``, structured logs.

Everything here is installed by the composition root (``api.bootstrap``) and
the application (``api.app``); the engine's modules know nothing of it. They
offer cheap hooks only: the group commit calls a function after each commit
(``engine.store.batching.GroupCommitStore.observe``), the hub counts the
watchers it drops, the scheduler says how many timers it holds, and the
runtime hands every command's outcome to :meth:`Observer.decided`.

* **Metrics** (Prometheus text format, ``prometheus-client``), one registry per
  application (several apps in one test process do not share series). Every
  label has a bounded set of values: outcomes, refusal reasons (codes the
  decider and the rule books name, anything else counted as ``other``), HTTP
  methods, route templates and status codes; never an auction id or an
  identity. What is cheaper read than counted (watchers connected and dropped,
  timers pending, projector lag, pool use) is read when scraped.
* **Readiness**: 200 when the store answers, the read models are caught up within
  ``AUCTION_READY_MAX_LAG`` events, and the catch-up and scheduler tasks run;
  else 503 naming the checks that failed.
* **Logs**: the standard library's ``logging``, one line a record, as JSON
  (:class:`JsonFormatter`, encoded by orjson, which the engine already uses: no
  other dependency, and a record costs a few microseconds) or as text. One line
  per HTTP request (method, route template, status, duration, request id) and
  per notable domain act (an auction scheduled, opened, closed; a bid accepted or
  refused, with the auction id and the bidder's code, never an identity). Every
  line written while a request is answered carries its request id: the
  ``X-Request-ID`` header when it is 1 to 128 safe characters (letters, digits,
  ``.``, ``_``, ``:``, ``-``), else a new one; it is returned in the answer's
  ``X-Request-ID`` header.
"""

from __future__ import annotations

import asyncio
import bisect
import contextvars
import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api.errors import error_response
from engine.commands import Command, PlaceBid
from engine.events import (
    AuctionEnded,
    AuctionScheduled,
    BidAccepted,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    BidRejected,
    Event,
)
from engine.model import format_money

if TYPE_CHECKING:
    from api.bootstrap import Runtime
    from engine.service import Outcome

REQUEST_LOGGER = "auction.requests"
EVENT_LOGGER = "auction.events"
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_LIMIT = 128
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
# The request being answered, for every log line written meanwhile (the domain acts included).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# A refusal reason is a snake_case code; anything else is counted as "other" (a bounded label set).
_REASON = re.compile(r"[a-z][a-z0-9_]{0,47}")
ACCEPTED_REASON = "none"
# How long /ready and /metrics wait for the store before calling it unreachable.
STORE_TIMEOUT = 2.0

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


# ---------------------------------------------------------------- request ids


def checked_request_id(value: str | None) -> str:
    """``value`` when it is a safe request id (1 to 128 letters, digits, ``.``, ``_``, ``:``, ``-``),
    else a new one: a client's id is kept to follow a request across systems, but never one
    that could forge or break a log line."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return f"{_PROCESS}-{next(_SERIAL):x}"


# A made request id: this process's random prefix and a serial number, unique across the processes
# of a deployment, and made in a fraction of a microsecond (no system call per request).
_PROCESS = os.urandom(8).hex()
_SERIAL = itertools.count(1)


# ---------------------------------------------------------------- metrics


class Buckets:
    """A histogram counted in plain integers, observed in well under a microsecond (prometheus_client's
    ``Histogram`` takes a lock and searches its buckets one by one: a few microseconds on every bid).
    Observed and scraped on the event loop's thread only, so it needs no lock."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one: above every bound
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1  # a value equal to a bound is in its bucket
        self.sum += value

    def family(self, name: str, documentation: str) -> HistogramMetricFamily:
        cumulative = list(itertools.accumulate(self.counts))
        buckets = [(floatToGoString(bound), count) for bound, count in zip(self.bounds, cumulative, strict=False)]
        buckets.append(("+Inf", cumulative[-1]))
        return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=self.sum)


class Metrics:
    """The server's metrics: counted as things happen (bids, commits, requests) in plain integers, or
    read when scraped; prometheus_client turns both into its text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.bids: dict[tuple[str, str], int] = {}  # (outcome, reason) -> bids
        self.requests: dict[tuple[str, str, int], int] = {}  # (method, route, status) -> requests
        self.decision_seconds = Buckets(LATENCY_BUCKETS)
        self.commit_seconds = Buckets(LATENCY_BUCKETS)
        self.commit_appends = Buckets(BATCH_BUCKETS)

    def bid(self, accepted: bool, reason: str | None) -> None:
        key = _ACCEPTED if accepted else ("refused", bounded_reason(reason))
        self.bids[key] = self.bids.get(key, 0) + 1

    def committed(self, appends: int, seconds: float) -> None:
        """``GroupCommitStore.observe``: one commit of ``appends`` appends took ``seconds``."""
        self.commit_appends.observe(appends)
        self.commit_seconds.observe(seconds)

    def answered(self, method: str, route: str, status: int) -> None:
        key = (method if method in _METHODS else "other", route, status)
        self.requests[key] = self.requests.get(key, 0) + 1

    def install(self, runtime: Runtime) -> ScrapeTime:
        self.registry.register(Counted(self))
        collector = ScrapeTime(runtime)
        self.registry.register(collector)
        return collector


_ACCEPTED = ("accepted", ACCEPTED_REASON)
# Any other method a client sends is counted as "other": a label never takes unbounded values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Counted(Collector):
    """What :class:`Metrics` counted, as Prometheus metric families."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        metrics = self.metrics
        bids = CounterMetricFamily(
            "auction_bids",
            "Bids decided, by outcome (accepted, refused) and refusal reason (none when accepted).",
            labels=("outcome", "reason"),
        )
        for (outcome, reason), count in sorted(metrics.bids.items()):
            bids.add_metric((outcome, reason), count)
        yield bids
        yield metrics.decision_seconds.family(
            "auction_bid_decision_seconds",
            "Time to decide a bid and make it durable (the service's execute: load, decide, append).",
        )
        yield metrics.commit_seconds.family(
            "auction_store_commit_seconds",
            "Time one append transaction took, commit included (the group commit's appends).",
        )
        yield metrics.commit_appends.family(
            "auction_store_commit_appends", "Appends written by one commit (group commit batch size)."
        )
        requests = CounterMetricFamily(
            "auction_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            labels=("method", "route", "status"),
        )
        for (method, route, status), count in sorted(metrics.requests.items()):
            requests.add_metric((method, route, str(status)), count)
        yield requests


def bounded_reason(reason: str | None) -> str:
    if reason is not None and _REASON.fullmatch(reason):
        return reason
    return "other"


def _pool_of(store: object) -> Any:
    """The asyncpg pool behind a store, where the adapter has one (PostgreSQL), else None."""
    adapter = getattr(store, "store", store)  # through the group commit to its adapter
    pool = getattr(adapter, "pool", None) or getattr(adapter, "_pool", None)
    return pool if callable(getattr(pool, "get_size", None)) else None


class ScrapeTime(Collector):
    """What is read when scraped: watchers, timers, projector lag, database pool use."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.head: int | None = None  # the store's head, read (asynchronously) just before each scrape
        self.pending_mail: int | None = None  # e-mails in the notifications' outbox, read likewise

    async def refresh(self) -> None:
        notifications = self.runtime.notifications
        self.pending_mail = None
        if notifications is not None:
            try:
                async with asyncio.timeout(STORE_TIMEOUT):
                    self.pending_mail = await notifications.book.pending_mail()
            except Exception:  # noqa: BLE001 (as the head's: no figure when the database does not answer)
                self.pending_mail = None
        try:  # the head last, right before the checkpoint is read beside it
            async with asyncio.timeout(STORE_TIMEOUT):
                self.head = await self.runtime.store.head()
        except Exception:  # noqa: BLE001 (an unreachable store shows as no lag figure, and on /ready)
            self.head = None

    def describe(self) -> list[Metric]:
        return []  # not known until scraped (the pool's figures only on PostgreSQL)

    def collect(self) -> Iterator[Metric]:
        runtime = self.runtime
        yield GaugeMetricFamily(
            "auction_watchers_connected", "WebSocket watchers fed by this process.", value=runtime.hub.connected()
        )
        yield CounterMetricFamily(
            "auction_watchers_dropped",
            "WebSocket watchers dropped for falling behind (they resume with ?after=), since start.",
            value=runtime.hub.dropped,
        )
        yield GaugeMetricFamily(
            "auction_scheduler_timers_pending",
            "Auctions whose next opening or closing the deadline scheduler holds a timer for.",
            value=runtime.scheduler.pending,
        )
        checkpoint = runtime.model.checkpoint
        yield GaugeMetricFamily(
            "auction_projection_checkpoint", "Global position the read models reached.", value=checkpoint
        )
        if self.head is not None:
            yield GaugeMetricFamily(
                "auction_store_head", "Global position of the last event in the store.", value=self.head
            )
            yield GaugeMetricFamily(
                "auction_projection_lag_events",
                "Events in the store the read models have not folded yet (store head minus checkpoint).",
                value=max(self.head - checkpoint, 0),
            )
        if self.pending_mail is not None:
            yield GaugeMetricFamily(
                "auction_notifications_pending",
                "E-mail notifications in the outbox not delivered yet (retried until the relay takes them).",
                value=self.pending_mail,
            )
        pool = _pool_of(runtime.store)
        if pool is not None:
            yield GaugeMetricFamily("auction_db_pool_size", "Connections the pool holds.", value=pool.get_size())
            yield GaugeMetricFamily(
                "auction_db_pool_idle", "Connections of the pool not in use.", value=pool.get_idle_size()
            )
            yield GaugeMetricFamily(
                "auction_db_pool_max", "Connections the pool may hold at most.", value=pool.get_max_size()
            )


# ---------------------------------------------------------------- the outcome of every command


class Observer:
    """Told of every command's outcome by ``Runtime.execute`` and ``Runtime.advance``: counts the
    bids, times their decision, and logs the notable domain acts."""

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics
        self.log = logging.getLogger(EVENT_LOGGER)

    def decided(self, auction_id: str, command: Command, outcome: Outcome, seconds: float) -> None:
        if outcome.duplicate:
            return  # a repeated idempotency key: decided before, and counted then
        metrics = self.metrics
        if metrics is not None and type(command) is PlaceBid:
            metrics.decision_seconds.observe(seconds)
        logging_acts = self.log.isEnabledFor(logging.INFO)
        for event in outcome.events:
            kind = type(event)
            if kind is BidAccepted or kind is BidRejected:
                if metrics is not None:
                    metrics.bid(kind is BidAccepted, getattr(event, "reason", None))
            elif kind not in _ACTS:
                continue
            if logging_acts:
                message, fields = describe(auction_id, event)
                rid = request_id.get()
                if rid is not None:
                    fields["request_id"] = rid
                write(self.log, message, fields)


_ACTS = (AuctionScheduled, BiddingOpened, BiddingClosed, BiddingFailed, AuctionEnded)


def describe(auction_id: str, event: Event) -> tuple[str, dict[str, object]]:
    """The log line of a notable domain act: never an identity (bidders by their code, no officials)."""
    fields: dict[str, object] = {"auction": auction_id}
    if isinstance(event, BidAccepted | BidRejected):
        fields["bidder_code"] = event.bidder_code
        fields["amount"] = format_money(event.amount)
        if event.automatic:
            fields["automatic"] = True
        if isinstance(event, BidRejected):
            fields["reason"] = event.reason
            return "bid refused", fields
        return "bid accepted", fields
    if isinstance(event, AuctionScheduled):
        fields.update(country=event.country, round=event.round, opens_at=event.opens_at.isoformat())
        return "auction scheduled", fields
    if isinstance(event, BiddingOpened):
        fields["by"] = event.by
        return "auction opened", fields
    if isinstance(event, BiddingClosed):
        fields.update(winner=event.winner, price=format_money(event.price))
        return "auction closed", fields
    if isinstance(event, BiddingFailed):
        fields["outcome"] = "failed"
        return "auction closed", fields
    if isinstance(event, AuctionEnded):
        fields["purchaser"] = event.purchaser
        return "auction ended", fields
    return type(event).__name__, fields


# ---------------------------------------------------------------- requests

Dispatch = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestLog:
    """Wraps the application for every HTTP request: takes or makes its request id, returns it
    in the ``X-Request-ID`` header, and once answered writes its log line and counts it.
    ``api.app.AuctionApp`` calls it before anything else, the bid route's shortcut included."""

    def __init__(self, metrics: Metrics | None, log_requests: bool) -> None:
        self.metrics = metrics
        self.log = logging.getLogger(REQUEST_LOGGER) if log_requests else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, dispatch: Dispatch) -> None:
        given = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_KEY:
                given = value.decode("latin-1")
                break
        rid = checked_request_id(given)
        header = (_REQUEST_ID_KEY, rid.encode())
        status = 500  # unless an answer starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            await dispatch(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            if self.metrics is not None:
                self.metrics.answered(scope["method"], route, status)
            log = self.log
            if log is not None and log.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": rid,
                    "method": scope["method"],
                    "path": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                }
                write(log, "request", fields)
            request_id.reset(token)


BID_ROUTE = "/auctions/{auction_id}/bids"  # api.routes.bids.PATH (which imports this module's importers)


def route_template(scope: Scope) -> str:
    """The path template the request matched (``/auctions/{auction_id}``), never the path itself,
    so that the request counter's labels stay bounded; ``unmatched`` for a request no route took
    (an unknown path, or one refused before routing, as over a write limit)."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched")) or "unmatched"
    path: str = scope["path"]
    if scope["method"] == "POST" and path.startswith("/auctions/") and path.endswith("/bids") and path.count("/") == 3:
        return BID_ROUTE  # the bid route's shortcut (api.app.AuctionApp) sets no route
    return "unmatched"


# ---------------------------------------------------------------- routes

router = APIRouter(tags=["service"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request) -> Response:
    """The server's metrics in the Prometheus text format (404 when ``AUCTION_METRICS`` is off)."""
    runtime: Runtime = request.app.state.runtime
    if runtime.metrics is None or runtime.scrape is None:
        return error_response(404, "not_found", "metrics are off (AUCTION_METRICS)")
    await runtime.scrape.refresh()
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/ready", responses={503: {"description": "Not ready: the checks that failed"}})
async def ready(request: Request) -> Response:
    """200 when the store answers, the read models are caught up (within ``AUCTION_READY_MAX_LAG``
    events) and the catch-up and scheduler tasks run; else 503 with the checks that failed."""
    runtime: Runtime = request.app.state.runtime
    checks = await readiness(runtime)
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "not_ready" if failed else "ready", "failed": failed, "checks": checks}
    return Response(orjson.dumps(body), 503 if failed else 200, media_type="application/json")


async def readiness(runtime: Runtime) -> dict[str, dict[str, object]]:
    checks: dict[str, dict[str, object]] = {}
    head: int | None = None
    try:
        async with asyncio.timeout(STORE_TIMEOUT):
            head = await runtime.store.head()
        checks["store"] = {"ok": True, "head": head}
    except TimeoutError:
        checks["store"] = {"ok": False, "error": f"no answer within {STORE_TIMEOUT:g} s"}
    except Exception as error:  # noqa: BLE001 (reported, not raised: that is what /ready is for)
        checks["store"] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:200]}
    checkpoint = runtime.model.checkpoint
    bound = runtime.settings.ready_max_lag
    catch_up = _running(runtime, "projections-catch-up")
    if head is None:
        checks["projections"] = {"ok": False, "checkpoint": checkpoint, "error": "the store's head is unknown"}
    else:
        lag = max(head - checkpoint, 0)
        projections: dict[str, object] = {"ok": lag <= bound and catch_up, "checkpoint": checkpoint, "lag": lag}
        if lag > bound:
            projections["error"] = f"{lag} events behind (at most {bound})"
        elif not catch_up:
            projections["error"] = "the catch-up task is not running"
        checks["projections"] = projections
    if _running(runtime, "deadline-scheduler"):
        checks["scheduler"] = {"ok": True, "pending": runtime.scheduler.pending}
    else:
        checks["scheduler"] = {"ok": False, "error": "the scheduler task is not running"}
    return checks


def _running(runtime: Runtime, name: str) -> bool:
    return any(task.get_name() == name and not task.done() for task in runtime.tasks)


# ---------------------------------------------------------------- log lines


def write(log: logging.Logger, message: str, fields: dict[str, object]) -> None:
    """An INFO line of ``message`` and ``fields``, for the lines written on every request: as
    ``log.info(message, extra={"fields": fields})`` gives to the same handlers and filters, less
    the search for the caller's source line and the thread and process names, which are never
    shown and cost more than the rest (measured: about 15 µs of a line's 20)."""
    if log.isEnabledFor(logging.INFO):
        log.handle(_Line(log.name, message, fields))


_STARTED = time.time()


class _Line(logging.LogRecord):
    """A record made with the attributes a handler or formatter reads, without ``LogRecord``'s
    look-ups of the caller, the thread and the process (None here, as when logging is told not
    to record them)."""

    def __init__(self, name: str, message: str, fields: dict[str, object]) -> None:
        created = time.time()
        self.name = name
        self.msg = message
        self.args = ()
        self.levelname = "INFO"
        self.levelno = logging.INFO
        self.pathname = self.filename = self.module = ""
        self.lineno = 0
        self.funcName = ""
        self.exc_info = self.exc_text = self.stack_info = None
        self.created = created
        self.msecs = (created - int(created)) * 1000
        self.relativeCreated = (created - _STARTED) * 1000
        self.thread = self.threadName = self.process = self.processName = self.taskName = None
        self.fields = fields


def _fields(record: logging.LogRecord) -> dict[str, object] | None:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else None


_second: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    """RFC 3339 in UTC to the millisecond; the text of the second is kept, lines come many a second."""
    global _second
    whole = int(record.created)
    if _second[0] != whole:
        _second = (whole, datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{_second[1]}.{int((record.created - whole) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, the request id when
    written while a request was answered, the record's ``fields``, and ``exception`` (the
    traceback as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = _fields(record)
        if fields:
            line.update(fields)
        if "request_id" not in line and (rid := request_id.get()) is not None:
            line["request_id"] = rid  # a line of another logger, written while a request is answered
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...``: the same content, for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname.lower(), record.name, record.getMessage()]
        fields = _fields(record)
        if fields:
            parts.extend(f"{key}={value}" for key, value in fields.items())
        if not (fields and "request_id" in fields) and (rid := request_id.get()) is not None:
            parts.append(f"request_id={rid}")
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


FORMATTERS: dict[str, type[logging.Formatter]] = {"json": JsonFormatter, "text": TextFormatter}

# How long an INFO line may wait in the buffer before it is flushed.
FLUSH_EVERY = 0.05


class LineHandler(logging.StreamHandler):
    """Lines to stderr, written at once but flushed at most every :data:`FLUSH_EVERY` seconds while
    the event loop runs: a flush is a system call, which cost a line as much as its formatting
    (measured in the server: 6 µs of a line's 16). A warning or worse is flushed at once, as is
    every line written outside the event loop's thread; everything is flushed when the process
    exits (``logging.shutdown``). A process killed outright loses at most the last
    :data:`FLUSH_EVERY` seconds of INFO lines; the event log holds every act in any case."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        # The bytes under a text stream (stderr's is line-buffered: every line would be a flush).
        self.raw = getattr(self.stream, "buffer", None)
        self.unflushed_since: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            if self.raw is not None:
                self.raw.write(line.encode("utf-8", "backslashreplace"))
            else:
                self.stream.write(line)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 (as logging's handlers: reported by handleError, never raised)
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()  # not on an event loop: nothing would flush it later
            return
        now = loop.time()
        if self.unflushed_since is None:
            self.unflushed_since = now
            loop.call_later(FLUSH_EVERY, self.flush)
        elif now - self.unflushed_since > 10 * FLUSH_EVERY:
            self.flush()  # the flush planned on a loop that has since stopped never ran

    def flush(self) -> None:
        self.unflushed_since = None
        super().flush()  # the text stream's flush flushes the bytes under it


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` configuration ``auction serve`` hands to uvicorn: every
    record (the engine's, uvicorn's) as one line on stderr in ``fmt``, from ``level`` up.
    uvicorn's own access log is off: :class:`RequestLog` writes the request lines."""
    level_name = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": FORMATTERS[fmt]}},
        "handlers": {"stderr": {"()": LineHandler, "formatter": "structured", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level_name},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level_name, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level_name, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
