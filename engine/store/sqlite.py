"""The embedded event store: one SQLite file for the log, one beside it for the identity keys,
no server needed.

The stdlib ``sqlite3`` connections block, so they live on one dedicated worker
thread and every call (reads and writes) runs there: the event loop never
waits on the disk, and a connection is never shared between threads.

The identity keys (:class:`engine.store.base.KeyStore`) are in a file of their own,
``<log>.keys`` unless another is named, so that a copy of the log file (a backup, a
copy given to an auditor, a published log) opens no identity. The keys file has its own
connection, on the same worker thread, rather than being ATTACHed to the log's: in WAL
mode SQLite commits attached files one by one, not atomically together, so one
connection would only pretend to an atomicity the two files do not have; with its own
connection a key written or erased never waits for the log's write lock (nor an append
for a key's), each file records its own migrations, and only the keys file pays for
``secure_delete``. The keys file is opened when a key is first kept, or read while the
file exists: opening a copy of the log alone (``auction export``) makes no keys file.
A log from before the keys file has its keys moved out when it is first opened
(:func:`_move_keys`).

Every file the store creates, database and keys file, is made mode 0600 before SQLite
opens it, and SQLite gives the ``-wal`` and ``-shm`` files the mode of their database
file: private from the start, whatever the umask.

Durability: WAL journal with ``synchronous=FULL``, so a committed append
survives a power cut. Ordering: every append takes SQLite's single write lock
with ``BEGIN IMMEDIATE`` before it reads the head position, so positions are
assigned in commit order and a reader can never see position n+1 before n,
even with several processes writing to the same file.
"""

from __future__ import annotations

import asyncio
import os
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
from engine.store.migrate import load, migrate_sqlite, sqlite_statements
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

# The keys file beside a log file ``F`` when no other is named: ``F.keys``.
KEYS_SUFFIX = ".keys"
# The keys file's own migrations (a directory of migrations/sqlite, not numbered with the log's).
KEYS_MIGRATIONS = "sqlite/keys"
IN_MEMORY = ":memory:"


def keys_path_for(path: str | Path) -> str:
    """The keys file kept beside the log file ``path`` (another database in memory for ``:memory:``)."""
    return IN_MEMORY if str(path) == IN_MEMORY else f"{path}{KEYS_SUFFIX}"


def create_private(path: str | Path) -> None:
    """Create the database file ``path``, empty and mode 0600, unless it exists. SQLite would
    create it 0644 (less the umask), and creates the ``-wal`` and ``-shm`` files with the mode
    of the database file: made here first, all three are private from the start."""
    if str(path) == IN_MEMORY:
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(descriptor, 0o600)  # 0600 exactly, whatever the umask took away
    finally:
        os.close(descriptor)


def _event(row: tuple[Any, ...]) -> StoredEvent:
    position, stream, version, type_, data, recorded_at, prev_hash, hash_ = row
    return stored_event(
        position, stream, version, type_, orjson.loads(data), parse_recorded_at(recorded_at), prev_hash, hash_
    )


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the store's settings (autocommit: transactions are explicit); a new
    file is made private first (:func:`create_private`)."""
    create_private(path)
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
    def __init__(
        self,
        executor: ThreadPoolExecutor,
        connection: sqlite3.Connection,
        path: str,
        keys_path: str,
        keys: sqlite3.Connection | None = None,
    ) -> None:
        # Use :meth:`open`: the connections must be made on the executor's thread.
        self._executor = executor
        self._connection = connection
        self.path = path
        self.keys_path = keys_path
        self._keys = keys  # the keys file's connection, once opened (on the executor's thread)
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, keys_path: str | Path | None = None) -> SqliteEventStore:
        """Open (and migrate) the log file ``path`` and its keys file, ``keys_path`` (default
        ``<path>.keys``, :func:`keys_path_for`)."""
        keys_file = keys_path_for(path) if keys_path is None else str(keys_path)
        if keys_file != IN_MEMORY:
            # Made absolute now: the file may be made long after, when the working directory has changed.
            keys_file = os.path.abspath(keys_file)
            if keys_file == os.path.abspath(path):
                raise ValueError(f"the identity keys need a file of their own, not the log's {path}")
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-event-store")
        loop = asyncio.get_running_loop()

        def start() -> tuple[sqlite3.Connection, sqlite3.Connection | None]:
            connection = connect(path)
            keys: list[sqlite3.Connection] = []

            def open_keys() -> sqlite3.Connection:
                keys.append(open_keys_file(keys_file))
                return keys[0]

            try:
                # The log's rows are never deleted, so this costs appends nothing; what it zeroes is
                # the identity keys' table of a log from before the keys file, as it is moved out.
                connection.execute("PRAGMA secure_delete=ON")
                moved = _move_keys(connection, open_keys, keys_file)
                migrate_sqlite(connection)
                if moved:
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages out of the WAL too
                _complete_tree(connection)
            except BaseException:
                for c in (connection, *keys):
                    c.close()
                raise
            return connection, (keys[0] if keys else None)

        try:
            connection, keys = await loop.run_in_executor(executor, start)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, connection, str(path), keys_file, keys)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        # A cancelled caller does not stop the work already handed to the thread: an append in flight
        # still commits or rolls back as a whole (idempotency keys make the retry safe).
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, self._connection)

    async def _run_on_keys(self, work: Callable[[sqlite3.Connection], T], otherwise: T, create: bool = False) -> T:
        """``work`` on the keys file's connection, on the worker thread; ``otherwise`` when there is
        no keys file and ``create`` is false (nothing to read or erase: none is made for that)."""

        def run(_: sqlite3.Connection) -> T:
            if self._keys is None:
                if not create and self.keys_path != IN_MEMORY and not os.path.exists(self.keys_path):
                    return otherwise
                self._keys = open_keys_file(self.keys_path)
            return work(self._keys)

        return await self._run(run)

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

        return await self._run_on_keys(keep, ("", b""), create=True)

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

        return await self._run_on_keys(read, {}) if ids else {}

    async def erase_subject_key(self, owner: str) -> int:
        def erase(c: sqlite3.Connection) -> int:
            erased = c.execute("DELETE FROM subject_keys WHERE owner = ?", (owner,)).rowcount
            if erased:
                # secure_delete zeroed the key in the page's new version, written to the WAL; the checkpoint
                # copies that over the old one in the file and empties the WAL, so that the key's bytes are
                # nowhere on disk (unless another process is reading the file at this moment: then at the
                # next checkpoint, when it has finished).
                c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return int(erased)

        return await self._run_on_keys(erase, 0)

    async def tree_size(self) -> int:
        return await self._run(_tree_size)

    async def tree_hashes(self, subtrees: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = list(subtrees)
        return await self._run(lambda c: _tree_hashes(c, wanted))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def close_all() -> None:
            try:
                self._connection.close()
            finally:
                if self._keys is not None:
                    self._keys.close()

        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, close_all)
        finally:
            self._executor.shutdown(wait=False)


def open_keys_file(path: str) -> sqlite3.Connection:
    """A connection to the keys file ``path`` (made private, migrated), with ``secure_delete``
    on: an erased key's bytes are overwritten with zeros, not left in a free part of the page."""
    connection = connect(path)
    try:
        connection.execute("PRAGMA secure_delete=ON")
        _migrate_keys(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _migrate_keys(c: sqlite3.Connection) -> None:
    """The keys file's migrations (``migrations/sqlite/keys``), each once, as ``migrate_sqlite``
    applies the log's: one transaction per file with the row that records it."""
    for migration in load(KEYS_MIGRATIONS):
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            if c.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)).fetchone() is None:
                for statement in sqlite_statements(migration.sql):
                    c.execute(statement)
                c.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))",
                    (migration.version, migration.name),
                )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise


_KEY_ROW = "key_id, owner, key, created_at"


def _keys_left_in_log(c: sqlite3.Connection) -> bool:
    table = c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subject_keys'").fetchone()
    return table is not None and c.execute("SELECT 1 FROM subject_keys LIMIT 1").fetchone() is not None


def _move_keys(log: sqlite3.Connection, open_keys: Callable[[], sqlite3.Connection], keys_file: str) -> bool:
    """Move the identity keys a log from before the keys file holds into the keys file, once:
    copied and committed there first, only then deleted from the log (zeroed by secure_delete),
    under the log's write lock all along, so that no key is added to the log's table meanwhile.
    Interrupted anywhere, every key is in one file or both, never in neither, and the next start
    finishes the move. The emptied table is dropped by migration 004. True if keys were moved."""
    if not _keys_left_in_log(log):
        return False
    log.execute("BEGIN IMMEDIATE")
    try:
        # Again under the lock: another process starting at the same moment may have moved them.
        rows = log.execute(f"SELECT {_KEY_ROW} FROM subject_keys").fetchall() if _keys_left_in_log(log) else []
        if rows:
            _keep_moved(open_keys(), rows, keys_file)
            log.execute("DELETE FROM subject_keys")
        log.execute("COMMIT")
    except BaseException:
        if log.in_transaction:
            log.execute("ROLLBACK")
        raise
    return bool(rows)


def _keep_moved(keys: sqlite3.Connection, rows: list[tuple[Any, ...]], keys_file: str) -> None:
    """Write the log's key rows into the keys file and commit (durably: synchronous=FULL); refuse,
    writing nothing, if the keys file holds another key for one of their owners or ids."""
    keys.execute("BEGIN IMMEDIATE")
    try:
        keys.executemany(
            f"INSERT INTO subject_keys ({_KEY_ROW}) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
        )  # a row already there: an earlier move, interrupted before the log's rows were deleted
        for key_id, owner, key, _ in rows:
            held = keys.execute("SELECT owner, key FROM subject_keys WHERE key_id = ?", (key_id,)).fetchone()
            if held is None or (held[0], bytes(held[1])) != (owner, bytes(key)):
                raise StoreError(
                    f"the keys file {keys_file} holds another key for an owner whose key is in the log's file"
                    " (a keys file from another log?): the keys are left in the log, nothing is moved"
                )
        keys.execute("COMMIT")
    except BaseException:
        if keys.in_transaction:
            keys.execute("ROLLBACK")
        raise


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
