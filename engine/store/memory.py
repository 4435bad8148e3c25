"""An event store in process memory, for tests and simulations.

It keeps the same rules as the database adapters (versions, idempotency, hash
chains, JSON round trip of the data) so that code tested against it behaves
the same on SQLite or PostgreSQL. Appends run without an ``await`` between
reading the state and writing it, so they are atomic on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

from engine.merkle import frontier_coordinates
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
from engine.store.planning import (
    EMPTY_TIP,
    KeyRecord,
    PreparedRequest,
    Row,
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


class MemoryEventStore:
    def __init__(self) -> None:
        self._rows: list[Row] = []  # position p is at index p - 1
        self._streams: dict[str, list[Row]] = {}
        self._keys: dict[tuple[str, str], KeyRecord] = {}
        self._subject_keys: dict[str, tuple[str, bytes]] = {}  # owner -> (key_id, key)
        self._tree: dict[tuple[int, int], bytes] = {}  # (level, index) -> complete subtree hash
        self._closed = False

    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return single(self._write(prepare_all([AppendRequest(stream, expected_version, events, idempotency_key)]))[0])

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        return self._write(prepare_all(requests))

    def _write(self, requests: list[PreparedRequest]) -> list[AppendResult | ConcurrencyConflict]:
        self._check_open()
        tips = {stream: self._tip(stream) for stream in streams_of(requests)}
        known = {key: self._keys[key] for key in keys_of(requests) if key in self._keys}
        head = len(self._rows)
        decided = plan(requests, head, tips, known)
        span = tree_span(decided, [self._tree[c] for c in frontier_coordinates(head)])
        if span is not None:
            self._tree.update(((level, index), digest) for level, index, digest in span.nodes)
        for row in decided.rows:
            self._rows.append(row)
            self._streams.setdefault(row.event.stream, []).append(row)
        for record in decided.keys:
            self._keys[record.stream, record.key] = record
        originals = {
            (r.stream, r.key): self._read(self._streams.get(r.stream, [])[r.first_version - 1 : r.last_version])
            for r in duplicates_of(decided)
        }
        return answers(decided, requests, originals, span)

    async def recorded(self, stream: str, idempotency_key: str) -> AppendResult | None:
        self._check_open()
        record = self._keys.get((stream, idempotency_key))
        if record is None:
            return None
        rows = self._streams[stream][record.first_version - 1 : record.last_version]
        return AppendResult(stream=stream, events=tuple(self._read(rows)), duplicate=True)

    def _tip(self, stream: str) -> Tip:
        rows = self._streams.get(stream)
        if not rows:
            return EMPTY_TIP
        return Tip(rows[-1].event.version, rows[-1].event.hash)

    @staticmethod
    def _read(rows: Sequence[Row]) -> list[StoredEvent]:
        # Fresh data on every read, as from a database: a caller mutating what it got changes nothing here.
        return [_fresh(row) for row in rows]

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        self._check_open()
        return self._read(self._streams.get(stream, [])[max(after_version, 0) :])

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        self._check_open()
        if limit < 0:
            raise ValueError("limit must be >= 0")
        start = max(after, 0)
        return self._read(self._rows[start : start + limit])

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        self._check_open()
        if limit < 0:
            raise ValueError("limit must be >= 0")
        start = max(after, 0)
        rows = self._rows[start : start + limit]
        # Fresh data, as read_all's.
        return [
            (r.event.position, r.event.stream, r.event.version, r.event.type, orjson.loads(r.data_json)) for r in rows
        ]

    async def head(self) -> int:
        self._check_open()
        return len(self._rows)

    async def stream_version(self, stream: str) -> int:
        self._check_open()
        return self._tip(stream).version

    async def tree_size(self) -> int:
        self._check_open()
        return len(self._rows)

    async def tree_hashes(self, subtrees: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        self._check_open()
        return {c: self._tree[c] for c in subtrees if c in self._tree}

    async def close(self) -> None:
        self._closed = True

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        self._check_open()
        return self._subject_keys.setdefault(owner, (key_id, bytes(key)))

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        self._check_open()
        wanted = set(key_ids)
        return {key_id: key for key_id, key in self._subject_keys.values() if key_id in wanted}

    async def erase_subject_key(self, owner: str) -> int:
        self._check_open()
        return 1 if self._subject_keys.pop(owner, None) is not None else 0

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")


def _fresh(row: Row) -> StoredEvent:
    e = row.event
    data = orjson.loads(row.data_json)
    return stored_event(e.position, e.stream, e.version, e.type, data, e.recorded_at, e.prev_hash, e.hash)
