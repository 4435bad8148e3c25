"""The PostgreSQL event store (asyncpg).

Ordering. A sequence hands out numbers at INSERT time, but transactions commit
in any order: a reader could see position 11 committed while 10 is still in
flight, move its cursor past 10 and never read it. Two remedies exist: readers
stop below the oldest running transaction (``pg_snapshot_xmin``), or writers
take turns. We make writers take turns: every append is a single statement,
the function ``append_events`` (migrations/postgres/003), which takes ``LOCK
TABLE events IN EXCLUSIVE MODE`` and assigns positions as head + 1. The lock
is held until that statement's transaction commits, so positions become
visible strictly in order (and have no gaps, which also lets an auditor spot a
cut log), while plain SELECTs are not blocked: EXCLUSIVE conflicts with writers
only. Because it is a table lock and not an advisory one, even a writer that
does not use this class waits its turn. The cost is one writer at a time;
``append_batch`` (group commit) amortises it by writing many appends under one
lock and one fsync.

An append is usually one round trip: when this store knows the tip of every
stream involved (from its own last read or write of it) and the plan refuses
nothing, the plan (versions, hash chain) is made without the lock and written
by ``append_events``, which checks under the lock that every stream still ends
where the plan expected. Otherwise (a stream it does not know, one another
process moved, a refusal to confirm, a repeated idempotency key) the append
takes the locked path: ``BEGIN; LOCK TABLE``, read the tips and keys, plan,
insert, ``COMMIT``, which always completes. Either way the lock is held only
while nobody can have written meanwhile, and the one-statement path never
holds it across a round trip to a client process busy with other work.

Durability: the server's default ``synchronous_commit`` (on) is left alone.

Identity keys (:class:`engine.store.base.KeyStore`) live in the schema ``identity``
(migrations/postgres/005), apart from the log's tables, and are reached through a
pool of their own when a keys URL is given: a role that owns that schema and nothing
else, while the log's role is refused the keys (docs/keys.md has the GRANTs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
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
    stored_event,
)
from engine.store.migrate import migrate_postgres
from engine.store.planning import (
    EMPTY_TIP,
    KeyRecord,
    Plan,
    PreparedRequest,
    Tip,
    answers,
    duplicates_of,
    keys_of,
    plan,
    prepare_all,
    single,
    streams_of,
    tree_span,
)

_COLUMNS = "position, stream, version, type, data, recorded_at, prev_hash, hash"
# The events an idempotency key's append wrote (none: the key is unknown on the stream).
_RECORDED = (
    "SELECT e.position, e.stream, e.version, e.type, e.data, e.recorded_at, e.prev_hash, e.hash"
    " FROM idempotency_keys AS k JOIN events AS e ON e.stream = k.stream"
    " AND e.version BETWEEN k.first_version AND k.first_version + k.count - 1"
    " WHERE k.stream = $1 AND k.key = $2 ORDER BY e.version"
)
# Streams whose tip is remembered (start again from none beyond that).
_KNOWN_STREAMS = 100_000
# Connections of a keys URL's own pool: a key is kept once per registration, read once per process.
KEYS_POOL_SIZE = 4


def _event(row: asyncpg.Record) -> StoredEvent:
    # By index, in _COLUMNS order: a rebuild reads every event ever stored through here,
    # and look-ups by name cost as much as the query. recorded_at is a timestamptz: an
    # aware UTC datetime, microsecond precision.
    return stored_event(row[0], row[1], row[2], row[3], orjson.loads(row[4]), row[5], row[6], row[7])


# The identity keys' table, in a schema of its own (migrations/postgres/005).
_KEYS_TABLE = "identity.subject_keys"


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool, keys_pool: asyncpg.Pool | None = None) -> None:
        # Use :meth:`open`.
        self._pool = pool
        # The identity keys' connections: their own role's (a keys URL), or the log's.
        self._keys_pool = keys_pool or pool
        # The last tip this store read or wrote of each stream, and the head: only a first guess for
        # a plan, which append_events checks under the lock (another process may have written since).
        self._tips: dict[str, Tip] = {}
        self._head = 0
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        keys_url: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        **connect_kwargs: Any,
    ) -> PostgresEventStore:
        """Open (and migrate) the log at ``url``. The identity keys are read and written through
        ``keys_url`` when given (a role that holds the ``identity`` schema, and nothing of the log),
        else through the log's own connections. The migrations run on ``url``'s role."""
        connect_kwargs.setdefault("reset", _keep_session)
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, **connect_kwargs)
        keys_pool = None
        try:
            async with pool.acquire() as connection:
                await migrate_postgres(connection)
            if keys_url is not None:
                keys_pool = await asyncpg.create_pool(keys_url, min_size=1, max_size=KEYS_POOL_SIZE, **connect_kwargs)
            await _check_keys_reachable(keys_pool or pool, keys_url is not None)
        except BaseException:
            if keys_pool is not None:
                await keys_pool.close()
            await pool.close()
            raise
        return cls(pool, keys_pool)

    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        self._check_open()
        requests = prepare_all([AppendRequest(stream, expected_version, events, idempotency_key)])
        return single((await self._write(requests))[0])

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        self._check_open()
        prepared = prepare_all(requests)
        if not prepared:
            return []
        return await self._write(prepared)

    async def _write(self, requests: list[PreparedRequest]) -> list[AppendResult | ConcurrencyConflict]:
        async with self._pool.acquire() as c:
            written = await self._write_on_known_tips(c, requests)
            if written is None:
                written = await self._write_locked(c, requests)
            decided, span = written
            originals = {}
            for record in duplicates_of(decided):
                rows = await c.fetch(
                    f"SELECT {_COLUMNS} FROM events WHERE stream = $1 AND version BETWEEN $2 AND $3 ORDER BY version",
                    record.stream,
                    record.first_version,
                    record.last_version,
                )
                originals[record.stream, record.key] = [_event(r) for r in rows]
            return answers(decided, requests, originals, span)

    async def _write_on_known_tips(
        self, c: asyncpg.Connection, requests: list[PreparedRequest]
    ) -> tuple[Plan, Span | None] | None:
        """The usual case in one round trip: every stream's tip is known from this store's own
        writes and the plan refuses nothing. None: not written, take the locked path."""
        streams = streams_of(requests)
        tips = {s: tip for s in streams if (tip := self._tips.get(s)) is not None}
        if len(tips) < len(streams):
            return None
        head = self._head
        decided = plan(requests, head, tips, {})
        if any(isinstance(o, ConcurrencyConflict) for o in decided.outcomes):
            return None  # confirmed (or not) under the lock, on a fresh read
        try:
            appended = await _append_events(c, decided, tips)
        except asyncpg.UniqueViolationError:
            appended = None  # a repeated idempotency key: answered on the locked path
        except BaseException:
            self._forget(streams)  # written or not: unknown
            raise
        if appended is None:
            self._forget(streams)
            return None
        locked_head, frontier = appended
        if locked_head != head:
            decided = plan(requests, locked_head, tips, {})  # the same plan, counted from where it was written
        self._learn(decided)
        return decided, tree_span(decided, frontier)

    async def _write_locked(self, c: asyncpg.Connection, requests: list[PreparedRequest]) -> tuple[Plan, Span | None]:
        """Read, plan and write under the table lock: the streams' tips and the keys are current."""
        streams = streams_of(requests)
        span = None
        try:
            async with _append_transaction(c):
                head, tips = await _state(c, streams)
                known = await _keys(c, keys_of(requests))
                decided = plan(requests, head, tips, known)
                if decided.rows:
                    span = tree_span(decided, _checked_frontier(head, await c.fetchval(_FRONTIER, head)))
                if decided.rows or decided.keys:
                    await _insert(c, decided)
            self._tips.update(tips)  # true under the lock: a first guess for the next plan
        except asyncpg.UniqueViolationError as error:
            # Cannot happen while the table lock is held (every INSERT, ours or not, waits for it); should
            # the state read above ever be stale, the caller gets the conflict it can retry, not a driver error.
            self._forget(streams)
            stream = requests[0].stream
            actual = (await _state(c, [stream]))[1][stream].version
            raise ConcurrencyConflict(stream, requests[0].expected_version, actual) from error
        except BaseException:
            self._forget(streams)
            raise
        self._learn(decided)
        return decided, span

    def _learn(self, decided: Plan) -> None:
        """What a write leaves: the new tip of every stream it extended, and the head after it."""
        if len(self._tips) > _KNOWN_STREAMS:
            self._tips.clear()
        for row in decided.rows:
            self._tips[row.event.stream] = Tip(row.event.version, row.event.hash)
        if decided.rows:
            self._head = max(self._head, decided.rows[-1].event.position)

    def _forget(self, streams: Sequence[str]) -> None:
        for stream in streams:
            self._tips.pop(stream, None)

    async def recorded(self, stream: str, idempotency_key: str) -> AppendResult | None:
        self._check_open()
        # One statement, so one snapshot: a key is inserted in the transaction that wrote its events.
        rows = await self._pool.fetch(_RECORDED, stream, idempotency_key)
        if not rows:
            return None
        return AppendResult(stream=stream, events=tuple(_event(r) for r in rows), duplicate=True)

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        self._check_open()
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream = $1 AND version > $2 ORDER BY version", stream, after_version
        )
        return [_event(r) for r in rows]

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        self._check_open()
        if limit < 0:
            raise ValueError("limit must be >= 0")
        # No visibility horizon is needed: positions are assigned under the append lock (module docstring).
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2", after, limit
        )
        return [_event(r) for r in rows]

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        self._check_open()
        if limit < 0:
            raise ValueError("limit must be >= 0")
        rows = await self._pool.fetch(
            "SELECT position, stream, version, type, data FROM events WHERE position > $1 ORDER BY position LIMIT $2",
            after,
            limit,
        )
        loads = orjson.loads
        return [(r[0], r[1], r[2], r[3], loads(r[4])) for r in rows]

    async def head(self) -> int:
        self._check_open()
        return int(await self._pool.fetchval("SELECT COALESCE(MAX(position), 0) FROM events"))

    async def stream_version(self, stream: str) -> int:
        self._check_open()
        return int(await self._pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = $1", stream))

    async def tree_size(self) -> int:
        self._check_open()
        return int(await self._pool.fetchval("SELECT merkle_size()"))

    async def tree_hashes(self, subtrees: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        self._check_open()
        wanted = list(subtrees)
        if not wanted:
            return {}
        rows = await self._pool.fetch(
            "SELECT n.level, n.idx, n.hash FROM merkle_nodes AS n"
            " JOIN unnest($1::integer[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
            [level for level, _ in wanted],
            [index for _, index in wanted],
        )
        return {(r[0], r[1]): bytes(r[2]) for r in rows}

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        self._check_open()
        while True:
            row = await self._keys_pool.fetchrow(
                f"WITH added AS (INSERT INTO {_KEYS_TABLE} (key_id, owner, key) VALUES ($1, $2, $3)"
                " ON CONFLICT (owner) DO NOTHING RETURNING key_id, key)"
                " SELECT key_id, key FROM added"
                f" UNION ALL SELECT key_id, key FROM {_KEYS_TABLE} WHERE owner = $2 LIMIT 1",
                key_id,
                owner,
                key,
            )
            if row is not None:
                return str(row["key_id"]), bytes(row["key"])
            # Another caller's first key for the owner committed while this statement waited on it:
            # the INSERT did nothing, and the SELECT's snapshot, older than that commit, does not
            # show it. A new statement does (unless the key was erased meanwhile: then it is kept).

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        self._check_open()
        if not key_ids:
            return {}
        rows = await self._keys_pool.fetch(
            f"SELECT key_id, key FROM {_KEYS_TABLE} WHERE key_id = ANY($1::text[])", list(key_ids)
        )
        return {str(r["key_id"]): bytes(r["key"]) for r in rows}

    async def erase_subject_key(self, owner: str) -> int:
        self._check_open()
        status = await self._keys_pool.execute(f"DELETE FROM {_KEYS_TABLE} WHERE owner = $1", owner)
        return int(status.split()[-1])

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._pool.close()
        finally:
            if self._keys_pool is not self._pool:
                await self._keys_pool.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")


async def _check_keys_reachable(keys_pool: asyncpg.Pool, own_url: bool) -> None:
    """Refuse, at start-up and in one line, connections whose role cannot use the keys' table (a keys
    URL's role without its GRANTs, or a log's role the keys were taken from with no keys URL given),
    rather than let the first registration fail."""
    try:
        async with keys_pool.acquire() as connection, connection.transaction():
            await connection.execute(f"SELECT key_id, owner, key FROM {_KEYS_TABLE} LIMIT 0")
            await connection.execute(f"DELETE FROM {_KEYS_TABLE} WHERE false")
            await connection.execute(
                f"INSERT INTO {_KEYS_TABLE} (key_id, owner, key)"
                f" SELECT key_id, owner, key FROM {_KEYS_TABLE} WHERE false"
            )
    except (asyncpg.InsufficientPrivilegeError, asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError) as error:
        through = "the keys URL (AUCTION_KEYS_DATABASE_URL)" if own_url else "the log's URL, with no keys URL given,"
        raise StoreError(
            f"the identity keys cannot be used through {through}: {error} (docs/keys.md: the roles and their GRANTs)"
        ) from error


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What the pool does to a connection it gets back, after asyncpg has rolled back any open
    transaction: nothing more. asyncpg's default also sends RESET ALL, UNLISTEN *, CLOSE ALL and
    pg_advisory_unlock_all(), one more round trip per query; this store leaves none of that behind
    (no SET, LISTEN, cursor outside a transaction or session-level advisory lock: the migration
    lock is transaction-level)."""


@asynccontextmanager
async def _append_transaction(c: asyncpg.Connection) -> AsyncIterator[None]:
    # See the module docstring: writers take turns so that positions commit in order.
    # BEGIN and the lock go in one round trip (simple query protocol).
    await c.execute("BEGIN; LOCK TABLE events IN EXCLUSIVE MODE")
    try:
        yield
    except BaseException:
        if not c.is_closed() and c.is_in_transaction():
            with suppress(Exception):  # a broken connection is discarded by the pool anyway
                await c.execute("ROLLBACK")
        raise
    await c.execute("COMMIT")


def _event_arrays(decided: Plan) -> list[list[Any]]:
    """The plan's new events as column arrays: stream, version, type, data, recorded_at, prev_hash, hash."""
    events = [row.event for row in decided.rows]
    return [
        [e.stream for e in events],
        [e.version for e in events],
        [e.type for e in events],
        [row.data_json for row in decided.rows],
        [e.recorded_at for e in events],
        [e.prev_hash for e in events],
        [e.hash for e in events],
    ]


def _key_arrays(decided: Plan) -> list[list[Any]]:
    """The plan's new idempotency keys as column arrays: stream, key, first_version, count."""
    keys = decided.keys
    return [[k.stream for k in keys], [k.key for k in keys], [k.first_version for k in keys], [k.count for k in keys]]


async def _insert(c: asyncpg.Connection, decided: Plan) -> None:
    """The plan's events and idempotency keys, in the transaction that holds the table lock."""
    await c.execute(
        f"INSERT INTO events ({_COLUMNS})"
        " SELECT p, s, v, t, d::json, r, ph, h FROM unnest("
        "$1::bigint[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::timestamptz[],"
        " $7::text[], $8::text[]) AS x(p, s, v, t, d, r, ph, h)",
        [row.event.position for row in decided.rows],
        *_event_arrays(decided),
    )
    await c.execute(
        "INSERT INTO idempotency_keys (stream, key, first_version, count)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[])",
        *_key_arrays(decided),
    )


_FRONTIER = "SELECT merkle_frontier($1)"


def _checked_frontier(size: int, hashes: Sequence[bytes] | None) -> list[bytes]:
    found = [bytes(h) for h in hashes or ()]
    if len(found) != len(frontier_coordinates(size)):
        raise StoreError(f"the Merkle tree does not hold the frontier of {size} leaves")
    return found


async def _append_events(c: asyncpg.Connection, decided: Plan, tips: dict[str, Tip]) -> tuple[int, list[bytes]] | None:
    """Write ``decided`` in one statement (its own transaction): the head it was written after and
    the tree's frontier there; None if a stream it was planned on moved."""
    planned_on = list(tips)
    written = await c.fetchrow(
        "SELECT head, frontier FROM append_events($1::text[], $2::integer[], $3::text[], $4::text[],"
        " $5::integer[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[],"
        " $12::text[], $13::integer[], $14::integer[])",
        planned_on,
        [tips[s].version for s in planned_on],
        [tips[s].hash for s in planned_on],
        *_event_arrays(decided),
        *_key_arrays(decided),
    )
    if written is None or written[0] is None:
        return None
    head = int(written[0])
    return head, _checked_frontier(head, written[1])


async def _state(c: asyncpg.Connection, streams: list[str]) -> tuple[int, dict[str, Tip]]:
    """The head position and the tip of each stream, in one round trip."""
    rows = await c.fetch(
        "SELECT s.stream, e.version, e.hash, (SELECT COALESCE(MAX(position), 0) FROM events) AS head"
        " FROM unnest($1::text[]) AS s(stream)"
        " LEFT JOIN LATERAL (SELECT version, hash FROM events WHERE events.stream = s.stream"
        " ORDER BY version DESC LIMIT 1) AS e ON true",
        streams,
    )
    tips = {r["stream"]: EMPTY_TIP if r["version"] is None else Tip(r["version"], r["hash"]) for r in rows}
    return (rows[0]["head"] if rows else 0), tips


async def _keys(c: asyncpg.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], KeyRecord]:
    if not keys:
        return {}
    rows = await c.fetch(
        "SELECT i.stream, i.key, i.first_version, i.count FROM idempotency_keys AS i"
        " JOIN unnest($1::text[], $2::text[]) AS k(stream, key) ON i.stream = k.stream AND i.key = k.key",
        [s for s, _ in keys],
        [k for _, k in keys],
    )
    return {(r["stream"], r["key"]): KeyRecord(r["stream"], r["key"], r["first_version"], r["count"]) for r in rows}
