"""Event stores: the protocol, its data types, and the adapters behind one URL.

``open_store`` understands:

- ``memory:`` a fresh in-process store;
- ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` (three
  slashes, then the path), or a plain file path;
- ``postgresql://…`` or ``postgres://…``;

and, for the identity keys, a second location kept apart from the log (``keys_url``).

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
_POSTGRES = ("postgresql://", "postgres://")


def sqlite_path(url: str) -> str | None:
    """The file path a SQLite URL (or plain path) names; None when ``url`` is not one."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    scheme = _SCHEME.match(url)
    if scheme is None or len(scheme.group(1)) == 1:  # a path, or a Windows drive letter
        return url or None
    return None


async def open_store(url: str, keys_url: str | None = None) -> StoreAdapter:
    """Open (and migrate) the store ``url`` names: the event log and the identity keys
    (:class:`EventStore` and :class:`KeyStore`), closed together. The caller closes it.

    The keys are kept apart from the log, so that a copy of the log opens no identity.
    SQLite: in a file of their own, ``keys_url`` (a path or ``sqlite:///`` URL; default the
    log's file name with ``.keys`` added). PostgreSQL: in the schema ``identity`` of the
    log's database, reached through ``keys_url`` when given (a role that may read the keys
    and nothing else) or else through the log's own connections. ``memory:`` keeps both
    in the process and takes no ``keys_url``."""
    if url == "memory:":
        if keys_url is not None:
            raise ValueError("the memory: store keeps its identity keys in memory: no keys URL")
        from engine.store.memory import MemoryEventStore

        return MemoryEventStore()
    if url.startswith(_POSTGRES):
        if keys_url is not None and not keys_url.startswith(_POSTGRES):
            raise ValueError(f"a PostgreSQL log keeps its identity keys in PostgreSQL, not at {keys_url!r}")
        from engine.store.postgres import PostgresEventStore

        return await PostgresEventStore.open(url, keys_url=keys_url)
    path = sqlite_path(url)
    if path:
        keys_path = None if keys_url is None else sqlite_path(keys_url)
        if keys_url is not None and not keys_path:
            raise ValueError(f"a SQLite log keeps its identity keys in a SQLite file, not at {keys_url!r}")
        from engine.store.sqlite import SqliteEventStore

        return await SqliteEventStore.open(path, keys_path)
    raise ValueError(
        f"unsupported event store URL: {url!r} (use memory:, sqlite:///PATH, a file path, or postgresql://…)"
    )
