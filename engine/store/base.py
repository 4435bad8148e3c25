"""The store's ports and their data types: :class:`EventStore` (the log) and :class:`KeyStore`
(identity keys), both implemented by every adapter (:class:`StoreAdapter`).

Events are appended to a stream (one auction = one stream) with an expected
version; every stored event also gets a global position. Each stored event
carries a SHA-256 hash over its canonical bytes and the hash of the previous
event of its stream, so that altering, deleting or reordering events breaks
the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from engine.merkle import Span, leaf_hash

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
    # What the commit that wrote these events added to the log's Merkle tree (shared by every
    # append of a group commit); None for a duplicate, whose events an earlier commit wrote.
    tree: Span | None = field(default=None, compare=False, repr=False)

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
    return value.astimezone(UTC).isoformat(timespec="microseconds")


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


def chain_hash(
    prev_hash: str, stream: str, version: int, type_: str, recorded_at: datetime, data: dict[str, Any]
) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_bytes(stream, version, type_, recorded_at, data))
    return digest.hexdigest()


class EventStore(Protocol):
    """The event log port: appends, their idempotency keys, and reads. Nothing else.

    Every adapter (``engine.store.memory``, ``.sqlite``, ``.postgres``) and
    :class:`engine.store.batching.GroupCommitStore` in front of any of them keep
    these guarantees; ``tests/store/test_contract.py`` holds them to it.

    - An append writes all of its events or none, each at the next version of its
      stream and the next global position, chained to the stream's previous event.
    - An acknowledged append is durable (committed) before its answer is returned.
    - Positions become readable in order: a reader never sees position n+1 before n.
    - An idempotency key belongs to its stream. An append under a key some earlier
      append on the stream wrote events with is answered with that append's events and
      ``duplicate=True``, whatever its expected version or events, writing nothing; a
      key whose append was refused (a conflict) stays free.
    """

    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append ``events`` (at least one) to ``stream``, all or nothing.

        ``expected_version``: the version the caller decided on (0: the stream must not
        exist yet; None: no check). Raises :class:`ConcurrencyConflict`, writing nothing,
        when the stream is elsewhere; ``ValueError``/``TypeError`` for malformed input
        (no events, a naive ``recorded_at``, data JSON cannot hold), before any write.
        A repeated ``idempotency_key`` is answered as the class docstring says."""
        ...

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        """Group commit: several appends in one durable transaction, one answer per request
        in request order. Each succeeds or fails on its own, as :meth:`append` would in
        that order: a conflicting one writes nothing and is answered with its
        :class:`ConcurrencyConflict`; later requests see the versions and keys earlier ones
        of the batch wrote; one that names the earlier request it follows (``after``) is
        refused unless that one wrote its events. Malformed input raises before anything
        of the batch is written."""
        ...

    async def recorded(self, stream: str, idempotency_key: str) -> AppendResult | None:
        """The answer an append with ``idempotency_key`` got on ``stream`` when it wrote its
        events: those events, with ``duplicate=True``, as a repeat of that append is answered.
        None when no append on ``stream`` wrote events under that key. Writes nothing."""
        ...

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        """The stream's events with version > ``after_version``, in version order ([] for an
        unknown stream). Every event an acknowledged append wrote is included."""
        ...

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """At most ``limit`` events with position > ``after`` in position order. Never skips an
        event that becomes visible later (positions below the returned ones are final)."""
        ...

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        """The events :meth:`read_all` returns, as :data:`EventRow` tuples (no hashes, no
        recording time): what a projection folds."""
        ...

    async def head(self) -> int:
        """The highest position readable by :meth:`read_all` without a gap (0: an empty log)."""
        ...

    async def stream_version(self, stream: str) -> int:
        """The version of the stream's last event (0: the stream does not exist)."""
        ...

    async def close(self) -> None:
        """Release the store; later calls raise :class:`StoreError`, and closing again does nothing.
        What was acknowledged stays written; an append still in flight is written whole or not
        at all (a GroupCommitStore writes every append it took before it closes)."""
        ...


def log_leaf(event_hash: str) -> bytes:
    """The leaf hash of an event in the log's Merkle tree: the leaf is the event's own hash
    (32 bytes), which covers its content and, through ``prev_hash``, its stream before it. The
    leaf's index is the event's position minus one."""
    return leaf_hash(bytes.fromhex(event_hash))


class TreeStore(Protocol):
    """The log's Merkle tree (RFC 9162 hashing, :mod:`engine.merkle`) over every event in
    position order, kept by the adapter in the transaction that writes the events: the tree
    always has exactly :meth:`EventStore.head` leaves once an append is acknowledged."""

    async def tree_size(self) -> int:
        """How many leaves the tree holds (the head position)."""
        ...

    async def tree_hashes(self, subtrees: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The hashes of the complete subtrees (level, index) asked for that the tree holds."""
        ...


class KeyStore(Protocol):
    """The identity key port (crypto-shredding, ``engine.vault``): one key per owner, kept
    outside the append-only log so that erasing it is possible, and apart from it, so that
    whoever holds a copy of the log (a backup, an auditor, a published log) cannot open the
    identities sealed in it. SQLite keeps the keys in a file of their own beside the log's
    (``<log>.keys``), PostgreSQL in the schema ``identity``, optionally through a role of its
    own that cannot read the log, while the log's role cannot read the keys (docs/keys.md);
    the memory adapter keeps them in the process. What uses keys never needs the log and the
    other way round."""

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        """Store ``key`` as ``key_id`` for ``owner`` unless the owner has a key already (or
        two callers race: one wins); return the owner's (key_id, key), durable."""
        ...

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """The keys still held for ``key_ids`` (unknown and erased ones are absent)."""
        ...

    async def erase_subject_key(self, owner: str) -> int:
        """Delete the owner's key for good; returns how many keys were erased (0 or 1)."""
        ...


class StoreAdapter(EventStore, TreeStore, KeyStore, Protocol):
    """What :func:`engine.store.open_store` opens: the ports over one store (the log, and the keys
    apart from it), closed together.
    The composition root hands it on as an :class:`EventStore` to what writes and reads the log
    and as a :class:`KeyStore` to the vault."""
