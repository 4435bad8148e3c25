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

The events are planned (versions, hash chain, idempotency answers) without
the lock, on the tips this store last read or wrote; ``append_events`` writes
them only if every stream they were planned on still ends there, else the
writer reads those streams and plans again. The lock is thus held for one
statement inside the server, never across round trips to a client process
that may be busy with other work, and an append costs one round trip when
nobody else wrote to its streams.

Durability: the server's default ``synchronous_commit`` (on) is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson

from engine.store.base import (
    AppendRequest,
    AppendResult,
    ConcurrencyConflict,
    NewEvent,
    StoredEvent,
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
)

_COLUMNS = "position, stream, version, type, data, recorded_at, prev_hash, hash"
# Plans made again because a stream or key moved between the read and the write, before giving up.
_PLAN_ATTEMPTS = 20
# Streams whose tip is remembered (start again from none beyond that).
_KNOWN_STREAMS = 100_000


def _event(row: asyncpg.Record) -> StoredEvent:
    # By index, in _COLUMNS order: a rebuild reads every event ever stored through here,
    # and look-ups by name cost as much as the query. recorded_at is a timestamptz: an
    # aware UTC datetime, microsecond precision.
    return stored_event(row[0], row[1], row[2], row[3], orjson.loads(row[4]), row[5], row[6], row[7])


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        # Use :meth:`open`.
        self._pool = pool
        # The last tip this store read or wrote of each stream, and the head: only a first guess for
        # a plan, which append_events checks under the lock (another process may have written since).
        self._tips: dict[str, Tip] = {}
        self._head = 0

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
        # Planned on what this store last knew of each stream (its own writes keep that current),
        # reading only the streams it does not know; append_events (migrations/postgres/003) writes
        # the plan under the table lock only if none of those streams moved meanwhile. Repeated
        # idempotency keys are looked up only once the key's unique index refused one: a retry
        # is rare, and a first attempt then costs one round trip.
        streams = streams_of(requests)
        tips = {s: tip for s in streams if (tip := self._tips.get(s)) is not None}
        unknown = [s for s in streams if s not in tips]
        known: dict[tuple[str, str], KeyRecord] = {}
        keys_read = False
        async with self._pool.acquire() as c:
            for _ in range(_PLAN_ATTEMPTS):
                if unknown:
                    head, read = await _state(c, unknown)
                    tips.update(read)
                    self._head = max(self._head, head)
                decided = plan(requests, self._head, tips, known)
                if not keys_read and any(
                    isinstance(o, ConcurrencyConflict) and r.idempotency_key is not None
                    for o, r in zip(decided.outcomes, requests, strict=True)
                ):
                    # A retry of an append that was written answers with its events, not a conflict.
                    known, keys_read = await _keys(c, keys_of(requests)), True
                    decided = plan(requests, self._head, tips, known)
                # A conflict is confirmed under the lock too, as what this store knew may be out of date.
                if decided.rows or decided.keys or any(isinstance(o, ConcurrencyConflict) for o in decided.outcomes):
                    try:
                        locked_head = await _append_events(c, decided, tips)
                    except asyncpg.UniqueViolationError:
                        # A key was recorded before: answer as a repeat.
                        known, keys_read = await _keys(c, keys_of(requests)), True
                        continue
                    except BaseException:
                        self._forget(streams)  # written or not: unknown
                        raise
                    if locked_head is None:
                        self._forget(streams)  # a stream moved: read them all again
                        tips, unknown = {}, streams
                        continue
                    if locked_head != self._head:
                        # The same plan, counted from the head it was written at.
                        decided = plan(requests, locked_head, tips, known)
                    self._learn(locked_head, decided)
                originals = {}
                for record in duplicates_of(decided):
                    rows = await c.fetch(
                        f"SELECT {_COLUMNS} FROM events WHERE stream = $1 AND version BETWEEN $2 AND $3 ORDER BY version",
                        record.stream,
                        record.first_version,
                        record.last_version,
                    )
                    originals[record.stream, record.key] = [_event(r) for r in rows]
                return answers(decided, requests, originals)
        stream = requests[0].stream
        raise ConcurrencyConflict(stream, requests[0].expected_version, tips.get(stream, EMPTY_TIP).version)

    def _learn(self, head: int, decided: Plan) -> None:
        """What a write leaves: the head after it and the new tip of every stream it extended."""
        if len(self._tips) > _KNOWN_STREAMS:
            self._tips.clear()
        for row in decided.rows:
            self._tips[row.event.stream] = Tip(row.event.version, row.event.hash)
        self._head = decided.rows[-1].event.position if decided.rows else head

    def _forget(self, streams: Sequence[str]) -> None:
        for stream in streams:
            self._tips.pop(stream, None)

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


async def _append_events(c: asyncpg.Connection, decided: Plan, tips: dict[str, Tip]) -> int | None:
    """Write ``decided`` in one statement (its own transaction); None if a stream it was planned on moved."""
    events = [row.event for row in decided.rows]
    written = list(tips)
    return await c.fetchval(
        "SELECT append_events($1::text[], $2::integer[], $3::text[], $4::text[], $5::integer[], $6::text[],"
        " $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::integer[],"
        " $14::integer[])",
        written,
        [tips.get(s, EMPTY_TIP).version for s in written],
        [tips.get(s, EMPTY_TIP).hash for s in written],
        [e.stream for e in events],
        [e.version for e in events],
        [e.type for e in events],
        [row.data_json for row in decided.rows],
        [e.recorded_at for e in events],
        [e.prev_hash for e in events],
        [e.hash for e in events],
        [k.stream for k in decided.keys],
        [k.key for k in decided.keys],
        [k.first_version for k in decided.keys],
        [k.count for k in decided.keys],
    )


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
