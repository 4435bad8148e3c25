"""``auction export``: the event log as JSON Lines, in global order.

One line per stored event, ``StoredEvent.to_json()`` (the format
``GET /auctions/{id}/events`` serves and ``auction replay`` reads).
"""

from __future__ import annotations

import os
from typing import BinaryIO

import orjson

from engine.service import stream_of
from engine.store import open_store, sqlite_path
from engine.store.base import EventStore

PAGE = 1000


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
        for event in events:
            out.write(orjson.dumps(event.to_json()) + b"\n")
        out.flush()
        return len(events)
    after = 0
    while page := await store.read_all(after=after, limit=PAGE):
        out.write(b"".join(orjson.dumps(event.to_json()) + b"\n" for event in page))
        count += len(page)
        after = page[-1].position
    out.flush()
    return count
