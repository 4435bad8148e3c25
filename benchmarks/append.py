"""Append throughput of the event stores, each beside a plain-INSERT baseline.

    python benchmarks/append.py [--postgres URL] [--n N]

For every scenario the baseline writes the same rows into a table of the same
shape (same keys and indexes, no triggers) with the same durability (SQLite:
WAL, synchronous=FULL; PostgreSQL: the server's synchronous_commit) and the
same number of rows per transaction, but without any event-store logic: no
lock, no version or idempotency check, no hashing, no worker thread. The ratio
is store / baseline.

Without --postgres, AUCTION_TEST_POSTGRES_URL is used when set, else only SQLite
runs. PostgreSQL runs in a temporary database created on that server (the URL's
user needs CREATEDB) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.store.base import AppendRequest, EventStore, NewEvent, format_recorded_at
from engine.store.migrate import load, sqlite_statements

BATCH = 100  # events per append, and appends per group commit
WRITERS = 8  # concurrent writers in the concurrency scenario

COLUMNS = "position, stream, version, type, data, recorded_at, prev_hash, hash"
DATA = {"bidder": "B-7", "amount": "81500.00", "proxy": False}
DATA_JSON = '{"bidder":"B-7","amount":"81500.00","proxy":false}'
FAKE_HASH = "f" * 64


@dataclass
class Scenario:
    name: str
    events: int
    store_seconds: float
    baseline_seconds: float


def event(at: datetime) -> NewEvent:
    return NewEvent("BidAccepted", DATA, at)


def rows(
    first_position: int, count: int, streams: int, prefix: str = "s"
) -> list[tuple[int, str, int, str, str, datetime, str, str]]:
    """Baseline rows: ``count`` rows spread over ``streams`` streams, versions per stream."""
    at = datetime.now(UTC)
    out = []
    for i in range(count):
        out.append(
            (
                first_position + i,
                f"{prefix}{i % streams}",
                i // streams + 1,
                "BidAccepted",
                DATA_JSON,
                at,
                FAKE_HASH,
                FAKE_HASH,
            )
        )
    return out


async def timed(work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


# The store side, the same for every adapter.


async def store_single(store: EventStore, n: int) -> None:
    at = datetime.now(UTC)
    for version in range(n):
        await store.append("single", version, [event(at)])


async def store_concurrent(store: EventStore, n: int) -> None:
    at = datetime.now(UTC)

    async def writer(w: int) -> None:
        for version in range(n // WRITERS):
            await store.append(f"writer-{w}", version, [event(at)])

    await asyncio.gather(*(writer(w) for w in range(WRITERS)))


async def store_batched(store: EventStore, commits: int) -> None:
    at = datetime.now(UTC)
    for i in range(commits):
        await store.append("batched", i * BATCH, [event(at)] * BATCH)


async def store_group(store: EventStore, commits: int) -> None:
    at = datetime.now(UTC)
    for i in range(commits):
        results = await store.append_batch([AppendRequest(f"group-{s}", i, [event(at)]) for s in range(BATCH)])
        assert not any(isinstance(r, Exception) for r in results)


# SQLite


def sqlite_baseline_connection(path: Path) -> sqlite3.Connection:
    from engine.store.sqlite import connect

    connection = connect(path)  # the store's own settings: WAL, synchronous=FULL
    # The store's events table and indexes, without the triggers and the idempotency table.
    for statement in sqlite_statements(load("sqlite")[0].sql):
        if "CREATE TABLE events" in statement or "CREATE INDEX" in statement:
            connection.execute(statement)
    return connection


def sqlite_insert(connection: sqlite3.Connection, batch: Sequence[tuple[object, ...]]) -> None:
    connection.execute("BEGIN")
    connection.executemany(f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    connection.execute("COMMIT")


def sqlite_rows(first: int, count: int, streams: int) -> list[tuple[object, ...]]:
    return [(*r[:5], format_recorded_at(r[5]), *r[6:]) for r in rows(first, count, streams)]


async def bench_sqlite(n: int, commits: int, directory: Path) -> list[Scenario]:
    from engine.store.sqlite import SqliteEventStore

    results = []
    scenarios: list[tuple[str, int, Callable[[EventStore], Awaitable[None]], int, int]] = [
        ("1 event per append", n, lambda s: store_single(s, n), 1, 1),
        (f"1 event per append, {WRITERS} writers", n, lambda s: store_concurrent(s, n), 1, WRITERS),
        (f"{BATCH} events per append", commits * BATCH, lambda s: store_batched(s, commits), BATCH, 1),
        (f"append_batch of {BATCH} streams", commits * BATCH, lambda s: store_group(s, commits), BATCH, BATCH),
    ]
    for index, (name, events, run, per_commit, streams) in enumerate(scenarios):
        store = await SqliteEventStore.open(directory / f"store-{index}.db")
        try:
            started = time.perf_counter()
            await run(store)
            store_seconds = time.perf_counter() - started
        finally:
            await store.close()
        connection = sqlite_baseline_connection(directory / f"baseline-{index}.db")
        try:
            all_rows = sqlite_rows(1, events, streams)
            started = time.perf_counter()
            if streams == WRITERS and per_commit == 1:
                # SQLite has one writer at a time: concurrent writers queue for the lock either way.
                for row in all_rows:
                    sqlite_insert(connection, [row])
            else:
                for i in range(0, events, per_commit):
                    sqlite_insert(connection, all_rows[i : i + per_commit])
            baseline_seconds = time.perf_counter() - started
        finally:
            connection.close()
        results.append(Scenario(name, events, store_seconds, baseline_seconds))
    return results


# PostgreSQL


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


PG_INSERT = (
    f"INSERT INTO baseline ({COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[],"
    " $5::json[], $6::timestamptz[], $7::text[], $8::text[])"
)


async def bench_postgres(url: str, n: int, commits: int) -> list[Scenario]:
    import asyncpg

    from engine.store.postgres import PostgresEventStore

    database = f"auction_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    bench_url = with_database(url, database)
    results = []
    try:
        pool = await asyncpg.create_pool(bench_url, min_size=WRITERS, max_size=WRITERS)
        try:
            await pool.execute(
                "CREATE TABLE baseline (position bigint PRIMARY KEY, stream text NOT NULL, version integer NOT NULL,"
                " type text NOT NULL, data json NOT NULL, recorded_at timestamptz NOT NULL, prev_hash text NOT NULL,"
                " hash text NOT NULL, UNIQUE (stream, version))"
            )
            await pool.execute("CREATE INDEX baseline_stream_starts ON baseline (position) WHERE version = 1")
            store = await PostgresEventStore.open(bench_url, min_size=WRITERS, max_size=WRITERS)
            try:
                position = 0

                async def insert(batch: Sequence[tuple[object, ...]]) -> None:
                    columns = list(zip(*batch, strict=True))
                    await pool.execute(PG_INSERT, *[list(c) for c in columns])  # one implicit transaction

                async def baseline(events: int, per_commit: int, streams: int, writers: int) -> float:
                    nonlocal position
                    all_rows = rows(position + 1, events, streams, prefix=f"p{position}-")
                    position += events
                    chunks = [all_rows[i : i + per_commit] for i in range(0, events, per_commit)]

                    async def writer(w: int) -> None:
                        for chunk in chunks[w::writers]:
                            await insert(chunk)

                    started = time.perf_counter()
                    await asyncio.gather(*(writer(w) for w in range(writers)))
                    return time.perf_counter() - started

                scenarios: list[tuple[str, int, Callable[[], Awaitable[None]], int, int, int]] = [
                    ("1 event per append", n, lambda: store_single(store, n), 1, 1, 1),
                    (
                        f"1 event per append, {WRITERS} writers",
                        n,
                        lambda: store_concurrent(store, n),
                        1,
                        WRITERS,
                        WRITERS,
                    ),
                    (f"{BATCH} events per append", commits * BATCH, lambda: store_batched(store, commits), BATCH, 1, 1),
                    (
                        f"append_batch of {BATCH} streams",
                        commits * BATCH,
                        lambda: store_group(store, commits),
                        BATCH,
                        BATCH,
                        1,
                    ),
                ]
                for name, events, run, per_commit, streams, writers in scenarios:
                    store_seconds = await timed(run)
                    baseline_seconds = await baseline(events, per_commit, streams, writers)
                    results.append(Scenario(name, events, store_seconds, baseline_seconds))
            finally:
                await store.close()
        finally:
            await pool.close()
    finally:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()
    return results


def table(backend: str, scenarios: list[Scenario]) -> str:
    lines = [f"{backend:<10} {'scenario':<36} {'events':>7} {'store ev/s':>11} {'plain ev/s':>11} {'ratio':>6}"]
    for s in scenarios:
        store_rate = s.events / s.store_seconds
        baseline_rate = s.events / s.baseline_seconds
        ratio = store_rate / baseline_rate
        lines.append(f"{'':<10} {s.name:<36} {s.events:>7} {store_rate:>11,.0f} {baseline_rate:>11,.0f} {ratio:>6.2f}")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("AUCTION_TEST_POSTGRES_URL"))
    parser.add_argument("--n", type=int, default=800, help="single-event appends per scenario (default 800)")
    parser.add_argument("--commits", type=int, default=100, help=f"commits of {BATCH} events per batched scenario")
    args = parser.parse_args()
    n = max(args.n - args.n % WRITERS, WRITERS)

    with tempfile.TemporaryDirectory(prefix="auction-bench-") as directory:
        print(table("sqlite", await bench_sqlite(n, args.commits, Path(directory))), flush=True)
    if args.postgres:
        print(table("postgres", await bench_postgres(args.postgres, n, args.commits)), flush=True)
    else:
        print("postgres   skipped (no --postgres URL and no AUCTION_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    asyncio.run(main())
