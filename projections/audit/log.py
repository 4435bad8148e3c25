"""The exported event log: JSON Lines, one stored event a line, in global order.

One line per stored event, ``StoredEvent.to_json()``: what ``auction export``
writes, ``GET /auctions/{id}/events`` serves and ``auction replay`` reads. A log
is trusted only once every stream's hash chain verifies (:func:`verify_log`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import BinaryIO

import orjson

from engine.model import InvalidValue, parse_instant
from engine.store import open_store, sqlite_path
from engine.store.base import EventStore, StoredEvent
from engine.store.chain import ChainBroken, verify_chain
from engine.streams import auction_of, stream_of

FIELDS = ("position", "stream", "version", "type", "recorded_at", "data", "prev_hash", "hash")
PAGE = 1000


class LogError(ValueError):
    """The log cannot be trusted; the message names the first bad event or line."""


# ------------------------------------------------------------------ writing


def encode_lines(events: Iterable[StoredEvent]) -> bytes:
    """``events`` as JSON Lines."""
    return b"".join(orjson.dumps(event.to_json()) + b"\n" for event in events)


async def export_lines(database_url: str, auction_id: str | None, out: BinaryIO) -> int:
    """Write the log (all auctions, or ``auction_id``'s) to ``out``; returns the number of lines.

    Raises ``LookupError`` when the auction (or a SQLite database file) does not exist.
    """
    path = sqlite_path(database_url) if database_url != "memory:" else None
    if path is not None and not os.path.exists(path):
        # Opening would create (and migrate) an empty database: not what an export should do.
        raise LookupError(f"no database file {path}")
    store = await open_store(database_url)
    try:
        return await write_lines(store, auction_id, out)
    finally:
        await store.close()


async def write_lines(store: EventStore, auction_id: str | None, out: BinaryIO) -> int:
    count = 0
    if auction_id is not None:
        # One stream's versions are in the same order as its global positions.
        events = await store.read_stream(stream_of(auction_id))
        if not events:
            raise LookupError(f"no auction {auction_id!r} in this database")
        out.write(encode_lines(events))
        out.flush()
        return len(events)
    after = 0
    while page := await store.read_all(after=after, limit=PAGE):
        out.write(encode_lines(page))
        count += len(page)
        after = page[-1].position
    out.flush()
    return count


# ------------------------------------------------------------------ reading


def read_log(lines: Iterable[bytes]) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise LogError(f"line {number}: not valid JSON") from None
        if not isinstance(raw, dict) or any(name not in raw for name in FIELDS):
            raise LogError(f"line {number}: an event needs {', '.join(FIELDS)}")
        try:
            recorded_at = parse_instant(raw["recorded_at"], "recorded_at")
        except InvalidValue as exc:
            raise LogError(f"line {number} (position {raw.get('position')}): {exc}") from None
        if not isinstance(raw["data"], dict) or not all(
            isinstance(raw[k], int) and not isinstance(raw[k], bool) for k in ("position", "version")
        ):
            raise LogError(f"line {number} (position {raw.get('position')}): malformed event")
        events.append(
            StoredEvent(
                position=raw["position"],
                stream=str(raw["stream"]),
                version=raw["version"],
                type=str(raw["type"]),
                data=raw["data"],
                recorded_at=recorded_at,
                prev_hash=str(raw["prev_hash"]),
                hash=str(raw["hash"]),
            )
        )
    if not events:
        raise LogError("the log is empty")
    return events


def verify_log(events: Sequence[StoredEvent]) -> None:
    try:
        verify_chain(events)
    except ChainBroken as exc:
        raise LogError(f"first bad event at position {exc.position}: {exc.reason}") from None
    # Only auction streams can be replayed into reports.
    for event in events:
        if auction_of(event.stream) is None:
            raise LogError(f"event at position {event.position}: unknown stream {event.stream!r}")
