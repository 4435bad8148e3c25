"""The PostgreSQL event store (asyncpg).

Ordering. A sequence hands out numbers at INSERT time, but transactions commit
in any order: a reader could see position 11 committed while 10 is still in
flight, move its cursor past 10 and never read it. Two remedies exist: readers
stop below the oldest running transaction (``pg_snapshot_xmin``), or writers
take turns. We make writers take turns: every append transaction starts with
``LOCK TABLE events IN EXCLUSIVE MODE`` and assigns positions as head + 1.
The lock is held until COMMIT, so positions become visible strictly in order
(and have no gaps, which also lets an auditor spot a cut log), while plain
SELECTs are not blocked: EXCLUSIVE conflicts with writers only. Because it
is a table lock and not an advisory one, even a writer that does not use this
class waits its turn. The cost is one writer at a time; ``append_batch`` (group
commit) amortises it by writing many appends under one lock and one fsync.

Durability: the server's default ``synchronous_commit`` (on) is left alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
import orjson

from engine.store.base import (
    AppendRequest,
    AppendResult,
    ConcurrencyConflict,
    NewEvent,
    StoredEvent,
)
from engine.store.migrate import migrate_postgres
from engine.store.planning import (
    EMPTY_TIP,
    KeyRecord,
    PreparedRequest,
    Tip,
    answers,
    duplicates_of,
    keys_of,
    plan,
    prepare_all,
    single,
    streams_of,
)

_COLUMNS = "position, stream, version, type, data, recorded_at, prev_hash, hash"


def _event(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        position=row["position"],
        stream=row["stream"],
        version=row["version"],
        type=row["type"],
        data=orjson.loads(row["data"]),
        recorded_at=row["recorded_at"],  # timestamptz: an aware UTC datetime, microsecond precision
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        # Use :meth:`open`.
        self._pool = pool

    @classmethod
    async def open(
        cls, url: str, *, min_size: int = 1, max_size: int = 10, **connect_kwargs: Any
    ) -> PostgresEventStore:
        connect_kwargs.setdefault("reset", _keep_session)
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, **connect_kwargs)
        try:
            async with pool.acquire() as connection:
                await migrate_postgres(connection)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        requests = prepare_all([AppendRequest(stream, expected_version, events, idempotency_key)])
        return single((await self._write(requests))[0])

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        prepared = prepare_all(requests)
        if not prepared:
            return []
        return await self._write(prepared)

    async def _write(self, requests: list[PreparedRequest]) -> list[AppendResult | ConcurrencyConflict]:
        async with self._pool.acquire() as c:
            try:
                async with _append_transaction(c):
                    head, tips = await _state(c, streams_of(requests))
                    known = await _keys(c, keys_of(requests))
                    decided = plan(requests, head, tips, known)
                    if decided.rows:
                        events = [row.event for row in decided.rows]
                        await c.execute(
                            f"INSERT INTO events ({_COLUMNS})"
                            " SELECT p, s, v, t, d::json, r, ph, h FROM unnest("
                            "$1::bigint[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::timestamptz[],"
                            " $7::text[], $8::text[]) AS x(p, s, v, t, d, r, ph, h)",
                            [e.position for e in events],
                            [e.stream for e in events],
                            [e.version for e in events],
                            [e.type for e in events],
                            [row.data_json for row in decided.rows],
                            [e.recorded_at for e in events],
                            [e.prev_hash for e in events],
                            [e.hash for e in events],
                        )
                    if decided.keys:
                        await c.execute(
                            "INSERT INTO idempotency_keys (stream, key, first_version, count)"
                            " SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[])",
                            [k.stream for k in decided.keys],
                            [k.key for k in decided.keys],
                            [k.first_version for k in decided.keys],
                            [k.count for k in decided.keys],
                        )
                    originals = {}
                    for record in duplicates_of(decided):
                        rows = await c.fetch(
                            f"SELECT {_COLUMNS} FROM events WHERE stream = $1 AND version BETWEEN $2 AND $3 ORDER BY version",
                            record.stream,
                            record.first_version,
                            record.last_version,
                        )
                        originals[record.stream, record.key] = [_event(r) for r in rows]
            except asyncpg.UniqueViolationError as error:
                # Cannot happen while the table lock is held (every INSERT, ours or not, waits for it); should
                # the state read above ever be stale, the caller gets the conflict it can retry, not a driver error.
                stream = requests[0].stream
                actual = (await _state(c, [stream]))[1][stream].version
                raise ConcurrencyConflict(stream, requests[0].expected_version, actual) from error
        return answers(decided, requests, originals)

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream = $1 AND version > $2 ORDER BY version", stream, after_version
        )
        return [_event(r) for r in rows]

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        if limit < 0:
            raise ValueError("limit must be >= 0")
        # No visibility horizon is needed: positions are assigned under the append lock (module docstring).
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2", after, limit
        )
        return [_event(r) for r in rows]

    async def head(self) -> int:
        return int(await self._pool.fetchval("SELECT COALESCE(MAX(position), 0) FROM events"))

    async def stream_version(self, stream: str) -> int:
        return int(await self._pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = $1", stream))

    async def streams(self) -> list[str]:
        rows = await self._pool.fetch("SELECT stream FROM events WHERE version = 1 ORDER BY position")
        return [r["stream"] for r in rows]

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        row = await self._pool.fetchrow(
            "WITH added AS (INSERT INTO subject_keys (key_id, owner, key) VALUES ($1, $2, $3)"
            " ON CONFLICT (owner) DO NOTHING RETURNING key_id, key)"
            " SELECT key_id, key FROM added UNION ALL SELECT key_id, key FROM subject_keys WHERE owner = $2 LIMIT 1",
            key_id,
            owner,
            key,
        )
        return str(row["key_id"]), bytes(row["key"])

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        if not key_ids:
            return {}
        rows = await self._pool.fetch("SELECT key_id, key FROM subject_keys WHERE key_id = ANY($1::text[])", list(key_ids))
        return {str(r["key_id"]): bytes(r["key"]) for r in rows}

    async def erase_subject_key(self, owner: str) -> int:
        status = await self._pool.execute("DELETE FROM subject_keys WHERE owner = $1", owner)
        return int(status.split()[-1])

    async def close(self) -> None:
        await self._pool.close()


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
