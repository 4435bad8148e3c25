"""What an append writes, decided without I/O: the logic every adapter shares.

An adapter takes its write lock, reads the current state (the head position,
the last version and hash of each stream involved, the idempotency keys
already used), asks :func:`plan` what to write, writes it in one transaction,
and answers duplicates by reading back the events their key recorded. The
adapters differ only in how they lock and how they read and write rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from engine.merkle import Span
from engine.store.base import (
    GENESIS_HASH,
    AppendRequest,
    AppendResult,
    ConcurrencyConflict,
    NewEvent,
    StoredEvent,
    chain_hash,
    log_leaf,
)

# What prepare makes of a request: checked, and normalised as it will be stored. Both are
# the base types' subclasses, so a request prepared once (GroupCommitStore prepares each
# in its caller, so that bad input fails there) is handed to an adapter as it is, and the
# adapter's own prepare takes it without doing the work again.


@dataclass(frozen=True)
class PreparedEvent(NewEvent):
    """Made by :func:`prepare_event` only: ``data`` is exactly what reading ``data_json`` back
    gives, so hashes verify after a round trip, and ``recorded_at`` is in UTC. A copy with one
    of them changed (``dataclasses.replace``) breaks that: prepare a NewEvent instead."""

    data_json: str


@dataclass(frozen=True)
class PreparedRequest(AppendRequest):
    events: tuple[PreparedEvent, ...]


@dataclass(frozen=True)
class Tip:
    """The last event of a stream: what the next event chains onto."""

    version: int
    hash: str


EMPTY_TIP = Tip(0, GENESIS_HASH)


@dataclass(frozen=True)
class KeyRecord:
    """An idempotency key and the versions its append wrote."""

    stream: str
    key: str
    first_version: int
    count: int

    @property
    def last_version(self) -> int:
        return self.first_version + self.count - 1


@dataclass(frozen=True)
class Row:
    event: StoredEvent
    data_json: str


@dataclass(frozen=True)
class Written:
    events: tuple[StoredEvent, ...]


@dataclass(frozen=True)
class Duplicate:
    """A repeated key: the answer is the events the key's first append wrote."""

    record: KeyRecord


Outcome = Written | Duplicate | ConcurrencyConflict


@dataclass(frozen=True)
class Plan:
    outcomes: tuple[Outcome, ...]  # one per request, in request order
    rows: tuple[Row, ...]  # new events in position order
    keys: tuple[KeyRecord, ...]  # new idempotency records


def prepare_event(event: NewEvent) -> PreparedEvent:
    if not isinstance(event.type, str) or not event.type:
        raise ValueError("an event needs a non-empty type")
    if not isinstance(event.data, dict):
        raise TypeError(f"event data must be a dict, not {type(event.data).__name__}")
    recorded_at = event.recorded_at
    if not isinstance(recorded_at, datetime) or recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ValueError("recorded_at must be a timezone-aware datetime")
    data_json = orjson.dumps(event.data).decode()  # TypeError for anything JSON cannot hold
    return PreparedEvent(
        type=event.type,
        data=orjson.loads(data_json),
        data_json=data_json,
        recorded_at=recorded_at.astimezone(UTC),
    )


def prepare(request: AppendRequest) -> PreparedRequest:
    """Validate and normalise a request before any lock is taken: bad input writes nothing.
    The request's own fields are always checked (``dataclasses.replace`` may have changed a
    prepared one: GroupCommitStore sets ``after``); its events are prepared unless they are
    PreparedEvents already, which only :func:`prepare_event` makes."""
    if not isinstance(request.stream, str) or not request.stream:
        raise ValueError("a stream name must be a non-empty string")
    expected = request.expected_version
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
        raise ValueError(f"expected_version must be None or an int >= 0, not {expected!r}")
    key = request.idempotency_key
    if key is not None and (not isinstance(key, str) or not key):
        raise ValueError("an idempotency key must be a non-empty string")
    after = request.after
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
        raise ValueError(f"after must be None or an int >= 0, not {after!r}")
    if not request.events:
        raise ValueError("an append needs at least one event")
    if type(request) is PreparedRequest and all(type(e) is PreparedEvent for e in request.events):
        return request
    return PreparedRequest(
        stream=request.stream,
        expected_version=expected,
        events=tuple(prepare_event(e) for e in request.events),
        idempotency_key=key,
        after=after,
    )


def prepare_all(requests: Iterable[AppendRequest]) -> list[PreparedRequest]:
    prepared = [prepare(r) for r in requests]
    for index, request in enumerate(prepared):
        if request.after is not None and request.after >= index:
            raise ValueError(f"request {index} can only follow an earlier request, not {request.after}")
    return prepared


def streams_of(requests: Sequence[PreparedRequest]) -> list[str]:
    return list(dict.fromkeys(r.stream for r in requests))


def keys_of(requests: Sequence[PreparedRequest]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((r.stream, r.idempotency_key) for r in requests if r.idempotency_key is not None))


def plan(
    requests: Sequence[PreparedRequest],
    head: int,
    tips: Mapping[str, Tip],
    known_keys: Mapping[tuple[str, str], KeyRecord],
) -> Plan:
    """Decide every request in order against the state read under the write lock.

    A known key is answered before the version check, so a retry of an append
    that succeeded gets its answer rather than a conflict. Requests on the same
    stream see the versions the earlier ones in the batch wrote. A request that
    names one it follows (``after``) is refused as a conflict unless that one wrote.
    """
    tips = dict(tips)
    known = dict(known_keys)
    outcomes: list[Outcome] = []
    rows: list[Row] = []
    new_keys: list[KeyRecord] = []
    position = head
    for request in requests:
        key = (request.stream, request.idempotency_key) if request.idempotency_key is not None else None
        if key is not None and key in known:
            outcomes.append(Duplicate(known[key]))
            continue
        tip = tips.get(request.stream, EMPTY_TIP)
        if request.after is not None and not isinstance(outcomes[request.after], Written):
            outcomes.append(ConcurrencyConflict(request.stream, request.expected_version, None))
            continue
        if request.expected_version is not None and request.expected_version != tip.version:
            outcomes.append(ConcurrencyConflict(request.stream, request.expected_version, tip.version))
            continue
        written: list[StoredEvent] = []
        for new in request.events:
            position += 1
            version = tip.version + 1
            digest = chain_hash(tip.hash, request.stream, version, new.type, new.recorded_at, new.data)
            stored = StoredEvent(
                position=position,
                stream=request.stream,
                version=version,
                type=new.type,
                data=new.data,
                recorded_at=new.recorded_at,
                prev_hash=tip.hash,
                hash=digest,
            )
            written.append(stored)
            rows.append(Row(stored, new.data_json))
            tip = Tip(version, digest)
        if key is not None:
            record = KeyRecord(request.stream, key[1], tip.version - len(written) + 1, len(written))
            known[key] = record
            new_keys.append(record)
        tips[request.stream] = tip
        outcomes.append(Written(tuple(written)))
    return Plan(tuple(outcomes), tuple(rows), tuple(new_keys))


def duplicates_of(plan: Plan) -> list[KeyRecord]:
    """The key records whose original events the adapter must read back (after writing the plan's rows)."""
    return [o.record for o in plan.outcomes if isinstance(o, Duplicate)]


def tree_span(plan: Plan, frontier: Sequence[bytes]) -> Span | None:
    """What writing ``plan`` adds to the log's Merkle tree, given the frontier of the tree before
    it (read under the write lock); None when the plan writes no event."""
    if not plan.rows:
        return None
    return Span(plan.rows[0].event.position - 1, frontier, [log_leaf(row.event.hash) for row in plan.rows])


def answers(
    plan: Plan,
    requests: Sequence[PreparedRequest],
    originals: Mapping[tuple[str, str], Sequence[StoredEvent]],
    tree: Span | None = None,
) -> list[AppendResult | ConcurrencyConflict]:
    """One answer per request; ``originals`` holds the events read back for each duplicate's key,
    ``tree`` what the plan's commit added to the Merkle tree (see :func:`tree_span`)."""
    out: list[AppendResult | ConcurrencyConflict] = []
    for request, outcome in zip(requests, plan.outcomes, strict=True):
        if isinstance(outcome, Written):
            out.append(AppendResult(stream=request.stream, events=outcome.events, tree=tree))
        elif isinstance(outcome, Duplicate):
            record = outcome.record
            out.append(
                AppendResult(stream=record.stream, events=tuple(originals[record.stream, record.key]), duplicate=True)
            )
        else:
            out.append(outcome)
    return out


def single(answer: AppendResult | ConcurrencyConflict) -> AppendResult:
    """The answer to a lone ``append``: a conflict is raised."""
    if isinstance(answer, ConcurrencyConflict):
        raise answer
    return answer


def parse_recorded_at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
