"""The event store contract shared by every adapter.

Events are appended to a stream (one auction = one stream) with an expected
version; every stored event also gets a global position. Each stored event
carries a SHA-256 hash over its canonical bytes and the hash of the previous
event of its stream, so that altering, deleting or reordering events breaks
the chain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol, Sequence

import orjson

GENESIS_HASH = "0" * 64


class StoreError(Exception):
    """Base of every error an event store raises."""


class ConcurrencyConflict(StoreError):
    """The stream's version was not the one the caller expected; nothing was written."""

    def __init__(self, stream: str, expected: int | None, actual: int | None) -> None:
        # ``actual`` None: the append counted on an earlier one that was not written.
        message = f"stream {stream!r} is at version {actual}, expected {expected}"
        if actual is None:
            message = f"stream {stream!r}: the append it followed was not written"
        super().__init__(message)
        self.stream = stream
        self.expected = expected
        self.actual = actual


class IdempotencyMismatch(StoreError):
    """An idempotency key was reused for a different stream."""


@dataclass(frozen=True)
class NewEvent:
    type: str
    data: dict[str, Any]
    recorded_at: datetime  # the domain instant (UTC) the event happened at


@dataclass(frozen=True)
class StoredEvent:
    position: int
    stream: str
    version: int
    type: str
    data: dict[str, Any]
    recorded_at: datetime
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "recorded_at": format_recorded_at(self.recorded_at),
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


# What a projection folds of a stored event: (position, stream, version, type, data), a
# plain tuple. ``read_rows`` gives these without the hash chain and the time of recording,
# which a fold never looks at: a rebuild reads every event ever stored, and reading those
# three columns cost as much as reading the rest.
EventRow = tuple[int, str, int, str, dict[str, Any]]


def event_row(event: StoredEvent) -> EventRow:
    return (event.position, event.stream, event.version, event.type, event.data)


def stored_event(
    position: int,
    stream: str,
    version: int,
    type_: str,
    data: dict[str, Any],
    recorded_at: datetime,
    prev_hash: str,
    hash_: str,
) -> StoredEvent:
    """``StoredEvent(...)`` for the adapters' read paths: the same value, made the way unpickling
    makes one (the fields set as its attributes) rather than by the frozen ``__init__``, whose
    object.__setattr__ per field costs more than decoding the row's JSON. A projection rebuild
    makes one for every event ever stored. StoredEvent has no ``__post_init__`` to skip."""
    event = object.__new__(StoredEvent)
    fields = event.__dict__
    fields["position"] = position
    fields["stream"] = stream
    fields["version"] = version
    fields["type"] = type_
    fields["data"] = data
    fields["recorded_at"] = recorded_at
    fields["prev_hash"] = prev_hash
    fields["hash"] = hash_
    return event


@dataclass(frozen=True)
class AppendResult:
    stream: str
    events: tuple[StoredEvent, ...]
    duplicate: bool = False  # True when an idempotency key was repeated: nothing new was written

    @property
    def last_version(self) -> int:
        return self.events[-1].version if self.events else 0


@dataclass(frozen=True)
class AppendRequest:
    stream: str
    expected_version: int | None  # None: no check; 0: the stream must not exist yet
    events: Sequence[NewEvent]
    idempotency_key: str | None = None
    # Only in append_batch: the index of an earlier request of the same batch that this one
    # was decided after, counting on its events. Unless that request wrote its events, this
    # one is refused as a conflict, even if its expected version happens to match.
    after: int | None = None


def format_recorded_at(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical_bytes(stream: str, version: int, type_: str, recorded_at: datetime, data: dict[str, Any]) -> bytes:
    """The bytes the hash covers: a fixed key order, no insignificant white space."""
    return orjson.dumps(
        {
            "data": data,
            "recorded_at": format_recorded_at(recorded_at),
            "stream": stream,
            "type": type_,
            "version": version,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def chain_hash(prev_hash: str, stream: str, version: int, type_: str, recorded_at: datetime, data: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_bytes(stream, version, type_, recorded_at, data))
    return digest.hexdigest()


class EventStore(Protocol):
    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """All-or-nothing append. Raises :class:`ConcurrencyConflict` when the
        stream is not at ``expected_version``. A repeated ``idempotency_key``
        on the same stream returns the original result with ``duplicate=True``."""
        ...

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        """Group commit: several independent appends in one durable transaction.
        Each request succeeds or fails on its own (a conflicting one writes nothing
        and is answered with its :class:`ConcurrencyConflict`); requests on the same
        stream are applied in the given order."""
        ...

    async def recorded(self, stream: str, idempotency_key: str) -> AppendResult | None:
        """The answer an append with ``idempotency_key`` got on ``stream`` when it wrote its
        events: those events, with ``duplicate=True``, as a repeat of that append is answered.
        None when no append on ``stream`` wrote events under that key. Writes nothing."""
        ...

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]: ...

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Events with position > ``after`` in position order. Never skips an event
        that becomes visible later (positions below the returned ones are final)."""
        ...

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        """The events :meth:`read_all` returns, as :data:`EventRow` tuples (no hashes, no
        recording time): what a projection folds."""
        ...

    async def head(self) -> int:
        """The highest position readable by :meth:`read_all` without a gap."""
        ...

    async def stream_version(self, stream: str) -> int: ...

    async def streams(self) -> list[str]: ...

    async def close(self) -> None: ...

    # Keys for identities kept outside the log (crypto-shredding, engine.vault).

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        """Store ``key`` for ``owner`` unless the owner has one; return the owner's (key_id, key)."""
        ...

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """The keys still held for ``key_ids`` (erased ones are absent)."""
        ...

    async def erase_subject_key(self, owner: str) -> int:
        """Delete the owner's key for good; returns how many keys were erased (0 or 1)."""
        ...
