"""The embedded event store: one SQLite file, no server needed.

The stdlib ``sqlite3`` connection blocks, so it lives on one dedicated worker
thread and every call (reads and writes) runs there: the event loop never
waits on the disk, and the connection is never shared between threads.

Durability: WAL journal with ``synchronous=FULL``, so a committed append
survives a power cut. Ordering: every append takes SQLite's single write lock
with ``BEGIN IMMEDIATE`` before it reads the head position, so positions are
assigned in commit order and a reader can never see position n+1 before n,
even with several processes writing to the same file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson

from engine.merkle import Span, frontier_coordinates
from engine.store.base import (
    AppendRequest,
    AppendResult,
    ConcurrencyConflict,
    EventRow,
    NewEvent,
    StoredEvent,
    StoreError,
    format_recorded_at,
    log_leaf,
    stored_event,
)
from engine.store.migrate import migrate_sqlite
from engine.store.planning import (
    EMPTY_TIP,
    KeyRecord,
    PreparedRequest,
    Row,
    Tip,
    answers,
    duplicates_of,
    keys_of,
    parse_recorded_at,
    plan,
    prepare_all,
    single,
    streams_of,
    tree_span,
)

T = TypeVar("T")

_COLUMNS = "position, stream, version, type, data, recorded_at, prev_hash, hash"
# The events an idempotency key's append wrote (none: the key is unknown on the stream).
_RECORDED = (
    "SELECT e.position, e.stream, e.version, e.type, e.data, e.recorded_at, e.prev_hash, e.hash"
    " FROM idempotency_keys AS k JOIN events AS e ON e.stream = k.stream"
    " AND e.version BETWEEN k.first_version AND k.first_version + k.count - 1"
    " WHERE k.stream = ? AND k.key = ? ORDER BY e.version"
)

# How long an append waits for another process's write lock before giving up.
BUSY_TIMEOUT_SECONDS = 30.0


def _event(row: tuple[Any, ...]) -> StoredEvent:
    position, stream, version, type_, data, recorded_at, prev_hash, hash_ = row
    return stored_event(
        position, stream, version, type_, orjson.loads(data), parse_recorded_at(recorded_at), prev_hash, hash_
    )


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the store's settings (autocommit: transactions are explicit)."""
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=True)
    try:
        _enable_wal(connection)
        connection.execute("PRAGMA synchronous=FULL")
    except BaseException:
        connection.close()
        raise
    return connection


def _enable_wal(connection: sqlite3.Connection) -> None:
    # Switching a new file to WAL needs an exclusive lock, and SQLite answers "database is locked"
    # at once (without its busy handler) when another process is doing the same: retry until the timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    delay = 0.005
    while True:
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
            continue
        if str(mode).lower() not in ("wal", "memory"):  # ":memory:" databases have no journal file
            raise StoreError(f"SQLite refused WAL mode (journal_mode is {mode})")
        return


class SqliteEventStore:
    def __init__(self, executor: ThreadPoolExecutor, connection: sqlite3.Connection, path: str) -> None:
        # Use :meth:`open`: the connection must be made on the executor's thread.
        self._executor = executor
        self._connection = connection
        self.path = path
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path) -> SqliteEventStore:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-event-store")
        loop = asyncio.get_running_loop()

        def start() -> sqlite3.Connection:
            connection = connect(path)
            try:
                migrate_sqlite(connection)
                _complete_tree(connection)
            except BaseException:
                connection.close()
                raise
            return connection

        try:
            connection = await loop.run_in_executor(executor, start)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, connection, str(path))

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        # A cancelled caller does not stop the work already handed to the thread: an append in flight
        # still commits or rolls back as a whole (idempotency keys make the retry safe).
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, self._connection)

    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        requests = prepare_all([AppendRequest(stream, expected_version, events, idempotency_key)])
        return single((await self._run(lambda c: _write(c, requests)))[0])

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        prepared = prepare_all(requests)
        if not prepared:
            return []
        return await self._run(lambda c: _write(c, prepared))

    async def recorded(self, stream: str, idempotency_key: str) -> AppendResult | None:
        def read(c: sqlite3.Connection) -> list[StoredEvent]:
            # One statement, so one snapshot: a key is inserted in the transaction that wrote its events.
            rows = c.execute(_RECORDED, (stream, idempotency_key))
            return [_event(r) for r in rows]

        events = await self._run(read)
        return AppendResult(stream=stream, events=tuple(events), duplicate=True) if events else None

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        def read(c: sqlite3.Connection) -> list[StoredEvent]:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version > ? ORDER BY version",
                (stream, after_version),
            )
            return [_event(r) for r in rows]

        return await self._run(read)

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        if limit < 0:
            raise ValueError("limit must be >= 0")

        def read(c: sqlite3.Connection) -> list[StoredEvent]:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?", (after, limit)
            )
            return [_event(r) for r in rows]

        return await self._run(read)

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        if limit < 0:
            raise ValueError("limit must be >= 0")

        def read(c: sqlite3.Connection) -> list[EventRow]:
            rows = c.execute(
                "SELECT position, stream, version, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?",
                (after, limit),
            )
            loads = orjson.loads
            return [(r[0], r[1], r[2], r[3], loads(r[4])) for r in rows]

        return await self._run(read)

    async def head(self) -> int:
        return await self._run(_head)

    async def stream_version(self, stream: str) -> int:
        return await self._run(lambda c: _tip(c, stream).version)

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        def keep(c: sqlite3.Connection) -> tuple[str, bytes]:
            c.execute(
                "INSERT INTO subject_keys (key_id, owner, key, created_at) VALUES (?, ?, ?, datetime('now'))"
                " ON CONFLICT (owner) DO NOTHING",
                (key_id, owner, key),
            )
            row = c.execute("SELECT key_id, key FROM subject_keys WHERE owner = ?", (owner,)).fetchone()
            return str(row[0]), bytes(row[1])

        return await self._run(keep)

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        ids = list(dict.fromkeys(key_ids))

        def read(c: sqlite3.Connection) -> dict[str, bytes]:
            found: dict[str, bytes] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key_id, key in c.execute(f"SELECT key_id, key FROM subject_keys WHERE key_id IN ({marks})", chunk):
                    found[str(key_id)] = bytes(key)
            return found

        return await self._run(read) if ids else {}

    async def erase_subject_key(self, owner: str) -> int:
        return await self._run(lambda c: c.execute("DELETE FROM subject_keys WHERE owner = ?", (owner,)).rowcount)

    async def tree_size(self) -> int:
        return await self._run(_tree_size)

    async def tree_hashes(self, subtrees: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = list(subtrees)
        return await self._run(lambda c: _tree_hashes(c, wanted))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._connection.close)
        finally:
            self._executor.shutdown(wait=False)


def _head(c: sqlite3.Connection) -> int:
    row = c.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()
    return int(row[0])


def _tree_size(c: sqlite3.Connection) -> int:
    row = c.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM merkle_nodes WHERE level = 0").fetchone()
    return int(row[0])


def _tree_hashes(c: sqlite3.Connection, subtrees: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    found: dict[tuple[int, int], bytes] = {}
    for level, index in subtrees:
        row = c.execute("SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, index)).fetchone()
        if row is not None:
            found[level, index] = bytes(row[0])
    return found


def _frontier(c: sqlite3.Connection, size: int) -> list[bytes]:
    coordinates = frontier_coordinates(size)
    hashes = _tree_hashes(c, coordinates)
    if len(hashes) != len(coordinates):
        raise StoreError(f"the Merkle tree does not hold the frontier of {size} leaves")
    return [hashes[c] for c in coordinates]


def _keep_nodes(c: sqlite3.Connection, span: Span) -> None:
    c.executemany("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", span.nodes)


def _catch_up_tree(c: sqlite3.Connection, head: int) -> None:
    """Inside a write transaction: give the tree the leaves of events written without it (a log
    from before the tree existed), so that it holds ``head`` leaves."""
    size = _tree_size(c)
    while size < head:
        hashes = [
            str(r[0])
            for r in c.execute("SELECT hash FROM events WHERE position > ? ORDER BY position LIMIT 10000", (size,))
        ]
        span = Span(size, _frontier(c, size), [log_leaf(h) for h in hashes])
        _keep_nodes(c, span)
        size = span.size


def _complete_tree(c: sqlite3.Connection) -> None:
    if _tree_size(c) >= _head(c):
        return
    c.execute("BEGIN IMMEDIATE")
    try:
        _catch_up_tree(c, _head(c))
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise


def _tip(c: sqlite3.Connection, stream: str) -> Tip:
    row = c.execute(
        "SELECT version, hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1", (stream,)
    ).fetchone()
    return EMPTY_TIP if row is None else Tip(row[0], row[1])


def _key(c: sqlite3.Connection, stream: str, key: str) -> KeyRecord | None:
    row = c.execute(
        "SELECT first_version, count FROM idempotency_keys WHERE stream = ? AND key = ?", (stream, key)
    ).fetchone()
    return None if row is None else KeyRecord(stream, key, row[0], row[1])


_UNIQUE_VIOLATIONS = {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def _values(row: Row) -> tuple[object, ...]:
    e = row.event
    return (
        e.position,
        e.stream,
        e.version,
        e.type,
        row.data_json,
        format_recorded_at(e.recorded_at),
        e.prev_hash,
        e.hash,
    )


def _write(c: sqlite3.Connection, requests: list[PreparedRequest]) -> list[AppendResult | ConcurrencyConflict]:
    # The write lock first: the state read below cannot change until COMMIT.
    c.execute("BEGIN IMMEDIATE")
    try:
        tips = {stream: _tip(c, stream) for stream in streams_of(requests)}
        known = {k: r for k in keys_of(requests) if (r := _key(c, *k)) is not None}
        head = _head(c)
        decided = plan(requests, head, tips, known)
        span = None
        if decided.rows:
            _catch_up_tree(c, head)
            span = tree_span(decided, _frontier(c, head))
        try:
            c.executemany(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_values(row) for row in decided.rows],
            )
            c.executemany(
                "INSERT INTO idempotency_keys (stream, key, first_version, count) VALUES (?, ?, ?, ?)",
                [(k.stream, k.key, k.first_version, k.count) for k in decided.keys],
            )
            if span is not None:
                _keep_nodes(c, span)
        except sqlite3.IntegrityError as error:
            if error.sqlite_errorname not in _UNIQUE_VIOLATIONS:
                raise
            # Cannot happen while BEGIN IMMEDIATE holds the only write lock; should the state read above
            # ever be stale, the caller gets the conflict it can retry, not a driver error.
            stream = requests[0].stream
            raise ConcurrencyConflict(stream, requests[0].expected_version, _tip(c, stream).version) from error
        originals = {
            (r.stream, r.key): [
                _event(row)
                for row in c.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version BETWEEN ? AND ? ORDER BY version",
                    (r.stream, r.first_version, r.last_version),
                )
            ]
            for r in duplicates_of(decided)
        }
        c.execute("COMMIT")
    except BaseException:
        if c.in_transaction:
            c.execute("ROLLBACK")
        raise
    return answers(decided, requests, originals, span)
