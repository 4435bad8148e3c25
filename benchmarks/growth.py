"""Growth: the cost per unit of work as the work grows, each figure beside a baseline from the same run.

    benchmarks/growth.sh [--quick] [--events 100000,1000000] [--auctions 1,100,10000]
                         [--stores postgres,sqlite] [--only startup,parts,auctions]
                         [--seconds S] [--rounds N] [--no-serve]
    .venv/bin/python benchmarks/growth.py --postgres URL [--pg-bin DIR] ...

``benchmarks/growth.sh`` starts a throw-away PostgreSQL (scripts/servers.sh) and runs
this file; on its own it takes --postgres (default AUCTION_TEST_POSTGRES_URL) and finds
pgbench under --pg-bin (default AUCTION_TEST_PG_BIN, else /usr/lib/postgresql/*/bin or
the PATH). Every database is a fresh one on that server (or a fresh SQLite file in a
temporary directory), dropped afterwards.

1. Start-up, for each event count N and store: a log of N events of realistic shape
   (auctions of 1,000 events each, made by the real decider in memory: the schedule,
   10 registrations and admissions, the opening and 978 accepted bids; written through
   the store's own ``append_batch``, so the hash chains are the store's) and then,
   in fresh processes taking turns for --rounds rounds (medians shown):

   - the raw scan: every row, every column, paged by 1,000 as the projector pages
     (asyncpg / sqlite3, no decoding): seconds, rows/s and the process's peak RSS;
   - the rebuild: ``Projector(store, ReadModel(), Hub(), clock).rebuild()`` on
     ``open_store(url)``: seconds, events/s and its ratio to the raw scan of the same
     round; the process's resident memory (VmRSS) before and after, the bytes held
     per event beside the log's own bytes per event on disk (indexes included);
   - ``auction serve`` on that database: seconds from launch to its first answer to
     /health (it rebuilds before it serves), and its RSS then.

2. Where the rebuild's time goes (``parts``), in one process per store at the smallest N:
   the raw scan, ``store.read_rows`` alone, and, on rows already in memory, the
   decode, the engine's ``evolve`` and the whole in-memory fold (``ReadModel.apply_page``),
   in microseconds per event.

3. Auctions: decided bids/s through a real ``auction serve`` on PostgreSQL with 1, 100
   and 10,000 open auctions (each with a bidder registered and admitted beforehand),
   32 keep-alive connections bidding on random auctions among them (benchmarks/suite.py's
   load generator), each beside pgbench's single-row INSERT rate with 32 clients on the
   same PostgreSQL, measured just before it.

--quick is a smoke check (10,000 and 50,000 events, SQLite at 10,000 only; 1, 100 and
1,000 auctions; 3 s loads; one round): every table, in about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

EVENTS_PER_AUCTION = 1000  # template_auction(978): 1 + 10 + 10 + 1 + 978
AUCTIONS_PER_APPEND = 10  # 10,000 events per append_batch while filling
PAGE = 1000  # the projector's page size
SCAN = "SELECT position, stream, version, type, data, recorded_at, prev_hash, hash FROM events"
SCAN_PAGE = {  # the raw scan's page on each store: every row, every column, no decoding
    "postgres": SCAN + " WHERE position > $1 ORDER BY position LIMIT $2",
    "sqlite": SCAN + " WHERE position > ? ORDER BY position LIMIT ?",
}


def counts(text: str) -> list[int]:
    """An argparse type: a comma-separated list of whole numbers of at least 1 (``1e6`` and ``_`` allowed)."""
    out = []
    for part in text.split(","):
        try:
            value = int(float(part.replace("_", ""))) if part.strip() else 0
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a number") from None
        if value < 1:
            raise argparse.ArgumentTypeError("every count must be at least 1")
        out.append(value)
    return out


def status_kib(name: str) -> int:
    """A ``/proc/self/status`` figure in KiB (VmRSS: resident now, VmHWM: the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/self/status")


def mib(value_bytes: float) -> str:
    return f"{value_bytes / 2**20:,.0f}"


def sqlite_file(url: str) -> str | None:
    from engine.store import sqlite_path

    return None if url.startswith(("postgresql://", "postgres://")) else sqlite_path(url)


# ---------------------------------------------------------------- measurements in a fresh process
#
# ``growth.py --measure KIND --url URL --expect N`` prints one JSON line. KIND is scan,
# rebuild or parts. Each runs on uvloop, as ``auction serve`` does.


async def raw_scan(url: str) -> tuple[int, float]:
    """Every row of the log, every column, a page at a time as the projector pages: (rows, seconds).

    The seconds count the scan only: the connection is open and has answered once before."""
    path = sqlite_file(url)
    if path is None:
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            await connection.fetchval("SELECT 1")
            gc.collect()
            started = time.perf_counter()
            after, rows = 0, 0
            while True:
                page = await connection.fetch(SCAN_PAGE["postgres"], after, PAGE)
                if not page:
                    return rows, time.perf_counter() - started
                rows += len(page)
                after = page[-1]["position"]
        finally:
            await connection.close()
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        connection.execute("SELECT 1").fetchall()
        gc.collect()
        started = time.perf_counter()
        after, rows = 0, 0
        while True:
            page = connection.execute(SCAN_PAGE["sqlite"], (after, PAGE)).fetchall()
            if not page:
                return rows, time.perf_counter() - started
            rows += len(page)
            after = page[-1][0]
    finally:
        connection.close()


async def measure_scan(url: str, expect: int) -> dict[str, Any]:
    rows, seconds = await raw_scan(url)
    if rows != expect:
        raise RuntimeError(f"the raw scan read {rows} rows, expected {expect}")
    return {"seconds": seconds, "hwm": status_kib("VmHWM") * 1024}


async def measure_rebuild(url: str, expect: int) -> dict[str, Any]:
    from engine.clock import SystemClock
    from engine.store import open_store
    from projections.catchup import Projector
    from projections.hub import Hub
    from projections.readmodel import ReadModel

    store = await open_store(url)
    try:
        model = ReadModel()
        projector = Projector(store, model, Hub(), SystemClock())
        gc.collect()
        rss_before = status_kib("VmRSS")
        started = time.perf_counter()
        checkpoint = await projector.rebuild()  # as auction serve does before it serves
        seconds = time.perf_counter() - started
        rss_after = status_kib("VmRSS")
        if checkpoint != expect:
            raise RuntimeError(f"the rebuild reached {checkpoint}, expected {expect}")
        auctions = len(model.summaries())
    finally:
        await store.close()
    return {
        "seconds": seconds,
        "rss_before": rss_before * 1024,
        "rss_after": rss_after * 1024,
        "hwm": status_kib("VmHWM") * 1024,
        "auctions": auctions,
    }


IN_MEMORY = 200_000  # rows held in memory for the CPU-only parts


async def measure_parts(url: str, expect: int) -> dict[str, Any]:
    """What each step of the rebuild costs, per event: read (I/O and JSON), decode, evolve, the rest of the fold."""
    from engine import codec
    from engine.clock import SystemClock
    from engine.meaning import evolve
    from engine.model import AuctionState
    from engine.store import open_store
    from engine.store.base import EventRow
    from engine.streams import auction_of
    from projections.catchup import Projector
    from projections.hub import Hub
    from projections.readmodel import ReadModel

    out: dict[str, Any] = {}
    rows_read, seconds = await raw_scan(url)
    assert rows_read == expect
    out["scan"] = seconds / expect

    store = await open_store(url)
    try:
        gc.collect()
        started = time.perf_counter()
        after, held = 0, list[EventRow]()
        while page := await store.read_rows(after=after, limit=PAGE):
            after = page[-1][0]
            if len(held) < IN_MEMORY:
                held.extend(page)
        out["read_rows"] = (time.perf_counter() - started) / expect
        assert after == expect

        rows = held[:IN_MEMORY]
        n = len(rows)
        out["in_memory_rows"] = n
        gc.collect()
        started = time.perf_counter()
        events = [codec.decode(type_, data) for _, _, _, type_, data in rows]
        out["decode"] = (time.perf_counter() - started) / n

        gc.collect()
        states: dict[str, AuctionState] = {}
        auctions: dict[str, str] = {}
        started = time.perf_counter()
        for (_, stream, version, _, _), event in zip(rows, events, strict=True):
            auction_id = auctions.get(stream)
            if auction_id is None:
                auction_id = auctions[stream] = auction_of(stream) or stream  # every stream here is an auction's
            before = states.get(auction_id)
            if before is None:
                before = AuctionState(auction_id=auction_id)
            states[auction_id] = evolve(before, event, version)
        out["evolve"] = (time.perf_counter() - started) / n
        del events, states

        gc.collect()
        model = ReadModel()
        started = time.perf_counter()
        for first in range(0, n, PAGE):
            model.apply_page(rows[first : first + PAGE])
        out["fold"] = (time.perf_counter() - started) / n
        del model, rows, held

        model = ReadModel()
        projector = Projector(store, model, Hub(), SystemClock())
        gc.collect()
        started = time.perf_counter()
        assert await projector.rebuild() == expect
        out["rebuild"] = (time.perf_counter() - started) / expect
        del model, projector

    finally:
        await store.close()
    return out


def run_measure(args: argparse.Namespace) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.measure == "scan":
        result = asyncio.run(measure_scan(args.url, args.expect))
    elif args.measure == "rebuild":
        result = asyncio.run(measure_rebuild(args.url, args.expect))
    else:
        result = asyncio.run(measure_parts(args.url, args.expect))
    print(json.dumps(result))


def in_fresh_process(kind: str, url: str, expect: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", kind, "--url", url, "--expect", str(expect)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} measurement failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- 1. start-up


async def template_auction(bids: int) -> list[tuple[str, dict[str, Any], datetime]]:
    """The events of one realistic auction, made by the engine's own decider in memory: scheduled,
    10 bidders registered and admitted, opened, ``bids`` accepted bids a second apart.

    As benchmarks/suite.py's template, but in the present: it opened an hour ago (the bids are
    all in the past) and closes in 30 days, so an ``auction serve`` started on the log finds
    every auction open and writes nothing (suite.py's template closed in May 2026)."""
    from engine.clock import ManualClock
    from engine.commands import PlaceBid, RegisterBidder, ScheduleAuction
    from engine.events import BidderRegistered
    from engine.model import AssetKind
    from engine.policy import Draft
    from engine.service import AuctionService, stream_of
    from engine.store.memory import MemoryEventStore
    from rules import load_rules

    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=2)
    opens = start + timedelta(hours=1)
    if opens + timedelta(seconds=bids + 2) > now:
        raise ValueError(f"{bids} bids a second apart do not fit in the hour before now")
    clock = ManualClock(start)
    store = MemoryEventStore()
    service = AuctionService(store, load_rules, clock)
    draft = Draft(
        country="SE",
        title="Template lot",
        asset=AssetKind("movable"),
        value=1_000_000_00,
        currency="SEK",
        opens_at=opens,
        starting_price=100_00,
        closes_at=now + timedelta(days=30),
    )
    await service.execute("template", ScheduleAuction("template", draft))
    codes = []
    for n in range(10):
        outcome = await service.execute("template", RegisterBidder(subject=f"person-{n}@example.test"))
        registered = outcome.events[0]
        assert isinstance(registered, BidderRegistered)
        codes.append(registered.bidder_code)
    clock.set(opens + timedelta(seconds=1))
    for n in range(bids):
        clock.set(clock.now() + timedelta(seconds=1))
        await service.execute("template", PlaceBid(codes[n % len(codes)], 100_00 + n * 10_00))
    return [(e.type, e.data, e.recorded_at) for e in await store.read_stream(stream_of("template"))]


async def fill(url: str, events: int) -> tuple[int, float]:
    """``events`` events of realistic shape through the store's own append_batch; (auctions, seconds)."""

    from engine.store import open_store
    from engine.store.base import AppendRequest, NewEvent

    template = await template_auction(EVENTS_PER_AUCTION - 22)
    assert len(template) == EVENTS_PER_AUCTION, len(template)
    auctions = -(-events // EVENTS_PER_AUCTION)
    store = await open_store(url)
    try:
        started = time.perf_counter()
        left = events
        for first in range(0, auctions, AUCTIONS_PER_APPEND):
            requests = []
            for n in range(first, min(first + AUCTIONS_PER_APPEND, auctions)):
                auction = f"growth-{n:07d}"
                batch = []
                for type_, data, at in template[: min(left, EVENTS_PER_AUCTION)]:
                    if type_ == "AuctionScheduled":
                        data = {**data, "auction_id": auction, "title": f"Lot {n}"}
                    batch.append(NewEvent(type_, data, at))
                left -= len(batch)
                requests.append(AppendRequest(f"auction-{auction}", 0, batch))
            await store.append_batch(requests)
        seconds = time.perf_counter() - started
        head = await store.head()
    finally:
        await store.close()
    if head != events:
        raise RuntimeError(f"filled {head} events, expected {events}")
    return auctions, seconds


async def log_bytes(url: str) -> int:
    """The events table on disk with its indexes (SQLite: the database file and its WAL)."""
    path = sqlite_file(url)
    if path is not None:
        return sum(Path(path + suffix).stat().st_size for suffix in ("", "-wal") if Path(path + suffix).exists())
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT pg_total_relation_size('events')"))
    finally:
        await connection.close()


async def head(url: str) -> int:
    from engine.store import open_store

    store = await open_store(url)
    try:
        return await store.head()
    finally:
        await store.close()


@dataclass
class Startup:
    store: str
    events: int
    auctions: int = 0
    fill_seconds: float = 0.0
    log_bytes: int = 0  # the events table on disk, indexes included (SQLite: the file)
    scan: list[dict[str, Any]] = field(default_factory=list)
    rebuild: list[dict[str, Any]] = field(default_factory=list)
    serve_seconds: float | None = None
    serve_rss: int | None = None
    parts: dict[str, Any] | None = None
    serve_appended: int = 0  # events the server wrote on start (closing auctions past their deadline): 0 here

    def ratios(self) -> list[float]:
        """Each round's rebuild rate over its raw scan rate."""
        return [s["seconds"] / r["seconds"] for s, r in zip(self.scan, self.rebuild, strict=True)]

    def scan_seconds(self) -> float:
        return statistics.median(s["seconds"] for s in self.scan)

    def rebuild_seconds(self) -> float:
        return statistics.median(r["seconds"] for r in self.rebuild)

    def rss(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rebuild)


@dataclass
class Database:
    """A fresh PostgreSQL database or SQLite file; ``drop`` removes it."""

    url: str
    server_url: str | None = None
    name: str | None = None

    @classmethod
    async def create(cls, store: str, postgres: str, directory: Path) -> Database:
        from processes import create_database, with_database

        if store == "postgres":
            name = await create_database(postgres, "auction_growth")
            return cls(with_database(postgres, name), postgres, name)
        path = directory / f"growth-{time.monotonic_ns()}.db"
        return cls(f"sqlite:///{path}")

    async def drop(self) -> None:
        from processes import drop_database

        if self.server_url and self.name:
            await drop_database(self.server_url, self.name)
            return
        path = sqlite_file(self.url)
        if path:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)


async def startup(
    store: str, events: int, rounds: int, postgres: str, directory: Path, serve: bool, parts: bool
) -> Startup:
    from processes import ServerProcess, rss_bytes

    result = Startup(store, events)
    database = await Database.create(store, postgres, directory)
    try:
        result.auctions, result.fill_seconds = await fill(database.url, events)
        if store == "postgres":
            import asyncpg

            connection = await asyncpg.connect(database.url)
            try:
                await connection.execute("VACUUM ANALYZE events")  # as autovacuum would leave it after a bulk load
            finally:
                await connection.close()
        result.log_bytes = await log_bytes(database.url)
        await raw_scan(database.url)  # warm the caches for every reader alike (and the sequence's first use)
        for _ in range(rounds):
            result.scan.append(await asyncio.to_thread(in_fresh_process, "scan", database.url, events))
            result.rebuild.append(await asyncio.to_thread(in_fresh_process, "rebuild", database.url, events))
        if parts:
            result.parts = await asyncio.to_thread(in_fresh_process, "parts", database.url, events)
        if serve:
            server = ServerProcess(database.url, directory)
            started = time.perf_counter()
            await asyncio.to_thread(server.start)
            result.serve_seconds = time.perf_counter() - started
            try:
                result.serve_rss = rss_bytes(server.pid)
            finally:
                server.stop()
            result.serve_appended = await head(database.url) - events
    finally:
        await database.drop()
    return result


def startup_table(results: Sequence[Startup], rounds: int) -> None:
    rows = []
    for r in results:
        scan, rebuild = r.scan_seconds(), r.rebuild_seconds()
        rows.append(
            [
                r.store,
                f"{r.events:,}",
                f"{r.auctions:,}",
                f"{scan:.2f} ({r.events / scan:,.0f}/s)",
                f"{rebuild:.2f} ({r.events / rebuild:,.0f}/s)",
                f"{statistics.median(r.ratios()):.2f}",
                "" if r.serve_seconds is None else f"{r.serve_seconds:.2f}",
                f"{r.events / r.fill_seconds:,.0f}",
            ]
        )
    header = ["store", "events", "auctions", "raw scan s (rows/s)", "rebuild s (events/s)", "ratio"]
    print_table(
        f"Start-up: the rebuild beside the raw scan of the same rows (fresh processes, median of {rounds} round(s);"
        " ratio: rebuild rate / raw scan rate)",
        header + ["serve start-up s", "fill events/s"],
        rows,
    )
    for r in results:
        print(f"  {r.store} {r.events:,}: rounds' own ratios {', '.join(f'{x:.2f}' for x in r.ratios())}")
    rows = []
    for r in results:
        before, after = r.rss("rss_before"), r.rss("rss_after")
        scan = statistics.median(s["hwm"] for s in r.scan)
        rows.append(
            [
                r.store,
                f"{r.events:,}",
                mib(scan),
                mib(after),
                f"{after / scan:.1f}",
                f"{(after - before) / r.events:,.0f}",
                f"{mib(r.log_bytes)} ({r.log_bytes / r.events:,.0f} B/event)",
                f"{(after - before) / r.log_bytes:.2f}",
                f"{mib(r.rss('hwm'))}",
                "" if r.serve_rss is None else mib(r.serve_rss),
            ]
        )
    print_table(
        "Memory: resident set after the rebuild beside the raw scan's, and what the read model holds per event"
        " beside the log's own size on disk (MiB)",
        [
            "store",
            "events",
            "raw scan peak RSS",
            "rebuild RSS",
            "ratio",
            "held B/event",
            "log on disk",
            "held/disk",
            "rebuild peak RSS",
            "serve RSS",
        ],
        rows,
    )
    for r in results:
        if r.serve_appended:
            print(f"  {r.store} {r.events:,}: the server appended {r.serve_appended} events on start")
    print(flush=True)


# ---------------------------------------------------------------- 2. where the rebuild's time goes


def parts_table(store: str, events: int, p: dict[str, Any]) -> None:
    steps = [
        ("raw scan (every column, no decoding)", p["scan"]),
        ("store.read_rows alone (5 columns + orjson)", p["read_rows"]),
        ("codec.decode (rows in memory)", p["decode"]),
        ("meaning.evolve (decoded events in memory)", p["evolve"]),
        ("ReadModel.apply_page, whole fold (rows in memory)", p["fold"]),
        ("  of which neither decode nor evolve", p["fold"] - p["decode"] - p["evolve"]),
        ("read_rows + fold (sum of the two)", p["read_rows"] + p["fold"]),
        ("Projector.rebuild (measured)", p["rebuild"]),
    ]
    rows = [[name, f"{t * 1e6:.2f}", f"{1 / t:,.0f}", f"{p['scan'] / t:.2f}"] for name, t in steps]
    print_table(
        f"Where the rebuild's time goes: {store}, {events:,} events"
        f" (in-memory parts on the first {p['in_memory_rows']:,} rows; one process, one pass each)",
        ["step", "µs/event", "per second", "rate vs raw scan"],
        rows,
    )


# ---------------------------------------------------------------- 3. bids/s as open auctions grow


async def schedule_many(server: Any, count: int, concurrency: int = 16) -> list[tuple[str, str]]:
    """``count`` open Swedish auctions, each with one bidder registered (and so admitted: no deposit),
    ``concurrency`` at a time through the API on keep-alive connections (benchmarks/wire.py's client,
    lighter than httpx on a shared machine): [(auction id, bidder token)]."""
    import orjson
    from suite import bearer, swedish
    from wire import HttpConnection

    bailiff = bearer("bailiff", "growth-bailiff")
    out: list[tuple[str, str] | None] = [None] * count
    next_index = 0

    async def call(connection: HttpConnection, path: str, token: str, body: dict[str, Any] | None) -> Any:
        headers = {"Authorization": token, "Content-Type": "application/json"}
        raw = connection.request_bytes("POST", path, headers, b"" if body is None else orjson.dumps(body))
        status, answer = await connection.send(raw)
        if status not in (200, 201):
            raise RuntimeError(f"POST {path}: {status} {answer[:300]!r}")
        return orjson.loads(answer)

    async def worker() -> None:
        nonlocal next_index
        connection = await HttpConnection.open("127.0.0.1", server.port)
        try:
            while next_index < count:
                n, next_index = next_index, next_index + 1
                auction = (await call(connection, "/auctions", bailiff, swedish(f"Lot {n}")))["id"]
                token = bearer("bidder", f"growth-bidder-{n}@example.test")
                await call(connection, f"/auctions/{auction}/registrations", token, None)
                out[n] = (auction, token)
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    assert all(x is not None for x in out)
    return [x for x in out if x is not None]


@dataclass
class AuctionsRun:
    auctions: int
    schedule_seconds: float
    load: Any  # suite.Load
    bench: Any  # suite.Pgbench, run just before the load
    rss_before: int
    rss_after: int


async def auctions_run(
    postgres: str, pgbench_url: str, pg_bin: str, directory: Path, count: int, seconds: float
) -> AuctionsRun:
    """``count`` open auctions on a fresh database under ``auction serve``; pgbench on the same
    PostgreSQL (its own database) right before the bids, so each row has a baseline of its own."""
    from urllib.parse import urlsplit

    from processes import ServerProcess, create_database, drop_database, rss_bytes, with_database
    from suite import CONNECTIONS, bid_storm, pgbench

    name = await create_database(postgres, "auction_growth")
    server = ServerProcess(with_database(postgres, name), directory).start()
    try:
        started = time.perf_counter()
        auctions = await schedule_many(server, count)
        schedule_seconds = time.perf_counter() - started
        bench = await asyncio.to_thread(pgbench, pg_bin, pgbench_url, CONNECTIONS, seconds, directory)
        await asyncio.sleep(1.0)
        rss_before = rss_bytes(server.pid)
        load = await bid_storm([server], auctions, CONNECTIONS, seconds, 2.0, urlsplit(postgres).port or 5432)
        rss_after = rss_bytes(server.pid)
    finally:
        server.stop()
        await drop_database(postgres, name)
    return AuctionsRun(count, schedule_seconds, load, bench, rss_before, rss_after)


def auctions_table(runs: Sequence[AuctionsRun], seconds: float) -> None:
    from suite import CONNECTIONS, ms

    header = [
        "open auctions",
        "decided bids/s",
        "pgbench INSERT tx/s",
        "ratio",
        "ratio vs 1 auction's",
        "p50/p99 ms",
        "201/409",
        "CPU s/s server/loadgen/PG",
        "server RSS MiB",
        "scheduling s",
    ]
    first = runs[0].load.rate / runs[0].bench.tps
    rows = []
    for r in runs:
        load, tps = r.load, r.bench.tps
        rows.append(
            [
                f"{r.auctions:,}",
                f"{load.rate:,.0f}",
                f"{tps:,.0f}",
                f"{load.rate / tps:.2f}",
                f"{load.rate / tps / first:.2f}",
                f"{ms(load.latencies, 50)}/{ms(load.latencies, 99)}",
                f"{load.statuses.get(201, 0)}/{load.statuses.get(409, 0)}",
                (
                    f"{load.server_cpu / load.seconds:.2f}/{load.client_cpu / load.seconds:.2f}"
                    f"/{load.postgres_cpu / load.seconds:.2f}"
                ),
                f"{mib(r.rss_before)} -> {mib(r.rss_after)}",
                f"{r.schedule_seconds:.1f}",
            ]
        )
    print_table(
        f"Auctions: decided bids/s as open auctions grow ({CONNECTIONS} connections, 1 `auction serve` process,"
        f" PostgreSQL, {seconds:g} s each), beside pgbench's single-row INSERT rate ({CONNECTIONS} clients)"
        " measured just before each",
        header,
        rows,
    )
    for r in runs:
        print(
            f"  {r.auctions:,} auction(s): pgbench CPU s/s: machine {r.bench.busy:.2f}, pgbench itself"
            f" {r.bench.client_cpu:.2f}"
        )
    print(flush=True)


# ---------------------------------------------------------------- the run


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    print()
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(
            "  ".join(
                str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    sys.stdout.flush()


def find_pg_bin(given: str | None) -> str | None:
    candidates = [given] if given else []
    candidates += sorted(
        (str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")),
        key=lambda p: [int(x) for x in p.split("/")[-2].split(".") if x.isdigit()],
        reverse=True,
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "pgbench").exists():
            return candidate
    found = shutil.which("pgbench")
    return str(Path(found).parent) if found else None


async def run(args: argparse.Namespace) -> None:

    postgres = args.postgres
    only = set(args.only.split(","))
    stores = args.stores.split(",")
    started = time.perf_counter()
    print(
        f"growth: load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores;"
        f" events {', '.join(f'{n:,}' for n in args.events)}; auctions {', '.join(f'{n:,}' for n in args.auctions)};"
        f" stores {', '.join(stores)}; {args.rounds} round(s); {args.seconds:g} s per load",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="auction-growth-") as tmp:
        directory = Path(tmp)
        if only & {"startup", "parts"}:
            results = []
            smallest = min(args.events)
            for store in stores:
                for events in args.events if "startup" in only else [smallest]:
                    if store == "sqlite" and events > args.sqlite_max:
                        print(f"  (sqlite {events:,}: skipped, above --sqlite-max {args.sqlite_max:,})", flush=True)
                        continue
                    t0 = time.perf_counter()
                    results.append(
                        await startup(
                            store,
                            events,
                            args.rounds if "startup" in only else 1,
                            postgres,
                            directory,
                            "startup" in only and not args.no_serve,
                            "parts" in only and events == smallest,
                        )
                    )
                    print(f"  {store} {events:,}: filled and measured in {time.perf_counter() - t0:.0f} s", flush=True)
            if "startup" in only:
                startup_table(results, args.rounds)
            for result in results:
                if result.parts is not None:
                    parts_table(result.store, result.events, result.parts)
        if "auctions" in only:
            from processes import create_database, drop_database, with_database
            from suite import create_pgbench_table

            pg_bin = find_pg_bin(args.pg_bin)
            if pg_bin is None:
                sys.exit("no pgbench found: give --pg-bin or set AUCTION_TEST_PG_BIN")
            name = await create_database(postgres, "auction_growth_pgbench")
            try:
                pgbench_url = with_database(postgres, name)
                await create_pgbench_table(pgbench_url)
                runs = []
                for count in args.auctions:
                    runs.append(await auctions_run(postgres, pgbench_url, pg_bin, directory, count, args.seconds))
                    print(f"  {count:,} auction(s): {runs[-1].load.rate:,.0f} decided bids/s", flush=True)
            finally:
                await drop_database(postgres, name)
            auctions_table(runs, args.seconds)
    print(
        f"growth: whole run {time.perf_counter() - started:.0f} s;"
        f" load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("AUCTION_TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL whose user may CREATE DATABASE (default AUCTION_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--pg-bin", default=os.environ.get("AUCTION_TEST_PG_BIN"), help="where pgbench is")
    parser.add_argument(
        "--events",
        type=counts,
        default=None,
        help="event counts for start-up (default 100000,1000000; --quick 10000,50000)",
    )
    parser.add_argument(
        "--auctions",
        type=counts,
        default=None,
        help="open auctions for bids/s (default 1,100,10000; --quick 1,100,1000)",
    )
    parser.add_argument("--stores", default="postgres,sqlite", help="stores for start-up and parts (default both)")
    parser.add_argument("--only", default="startup,parts,auctions", help="which tables (default all three)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="measured seconds of each load (default 10, --quick 3)"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="scan/rebuild rounds per log, medians (default 3, --quick 1)"
    )
    parser.add_argument(
        "--sqlite-max",
        type=int,
        default=None,
        help="largest log also built on SQLite (default 1000000, --quick 10000)",
    )
    parser.add_argument("--no-serve", action="store_true", help="skip timing `auction serve` start-up on each log")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke check: smaller logs, fewer auctions, rounds and seconds"
    )
    # Internal: one measurement in a fresh process (see in_fresh_process).
    parser.add_argument("--measure", choices=("scan", "rebuild", "parts"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        run_measure(args)
        return
    args.events = args.events or ([10_000, 50_000] if args.quick else [100_000, 1_000_000])
    args.auctions = args.auctions or ([1, 100, 1_000] if args.quick else [1, 100, 10_000])
    args.seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 10.0)
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.sqlite_max = args.sqlite_max if args.sqlite_max is not None else (10_000 if args.quick else 1_000_000)
    if not args.postgres:
        parser.error("no PostgreSQL: give --postgres URL or set AUCTION_TEST_POSTGRES_URL (benchmarks/growth.sh does)")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
