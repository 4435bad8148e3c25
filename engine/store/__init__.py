"""Event stores: the protocol, its data types, and the adapters behind one URL.

``open_store`` understands:

- ``memory:`` a fresh in-process store;
- ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` (three
  slashes, then the path), or a plain file path;
- ``postgresql://…`` or ``postgres://…``.

Adapters are imported when a URL asks for them, so that opening a SQLite file
never loads the PostgreSQL driver.
"""

from __future__ import annotations

import re

from engine.store.base import (
    GENESIS_HASH,
    AppendRequest,
    AppendResult,
    ConcurrencyConflict,
    EventStore,
    KeyStore,
    NewEvent,
    StoreAdapter,
    StoredEvent,
    StoreError,
    chain_hash,
)
from engine.store.chain import ChainBroken, verify_chain

__all__ = [
    "GENESIS_HASH",
    "AppendRequest",
    "AppendResult",
    "ChainBroken",
    "ConcurrencyConflict",
    "EventStore",
    "KeyStore",
    "NewEvent",
    "StoreAdapter",
    "StoreError",
    "StoredEvent",
    "chain_hash",
    "open_store",
    "sqlite_path",
    "verify_chain",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def sqlite_path(url: str) -> str | None:
    """The file path a SQLite URL (or plain path) names; None when ``url`` is not one."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    scheme = _SCHEME.match(url)
    if scheme is None or len(scheme.group(1)) == 1:  # a path, or a Windows drive letter
        return url or None
    return None


async def open_store(url: str) -> StoreAdapter:
    """Open (and migrate) the store ``url`` names: the event log and the identity keys
    (:class:`EventStore` and :class:`KeyStore` over one database). The caller closes it."""
    if url == "memory:":
        from engine.store.memory import MemoryEventStore

        return MemoryEventStore()
    if url.startswith(("postgresql://", "postgres://")):
        from engine.store.postgres import PostgresEventStore

        return await PostgresEventStore.open(url)
    path = sqlite_path(url)
    if path:
        from engine.store.sqlite import SqliteEventStore

        return await SqliteEventStore.open(path)
    raise ValueError(
        f"unsupported event store URL: {url!r} (use memory:, sqlite:///PATH, a file path, or postgresql://…)"
    )
