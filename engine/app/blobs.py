"""The bytes of the lots' photos and documents, kept by their SHA-256 in the log's own database.

Content-addressed: a blob's name is the SHA-256 of its bytes, so the same bytes are kept once,
a blob never changes, and anyone holding a file can check it is the one an event names
(``PhotoPublished``, ``DocumentPublished``). The table ``blobs`` sits beside the event log (the
same SQLite file, the same PostgreSQL database), made by this module when it is first used
(``CREATE TABLE IF NOT EXISTS``): a blob is written before the event that publishes it, and a
blob no event names is never served (``api.routes.files`` serves only what an auction's events
published). PostgreSQL refuses to change a kept blob (a trigger, as the log refuses UPDATE).

``memory:`` keeps them in the process, for tests and dry runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine.store import sqlite_path

if TYPE_CHECKING:
    import asyncpg


@dataclass(frozen=True)
class Blob:
    sha256: str
    media_type: str
    data: bytes


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    async def put(self, media_type: str, data: bytes) -> str:
        """Keep ``data`` (once: the same bytes again are already there); returns its SHA-256."""

    async def get(self, sha256: str) -> Blob | None: ...

    async def close(self) -> None: ...


class MemoryBlobs:
    def __init__(self) -> None:
        self._blobs: dict[str, Blob] = {}

    async def put(self, media_type: str, data: bytes) -> str:
        name = sha256_of(data)
        self._blobs.setdefault(name, Blob(name, media_type, bytes(data)))
        return name

    async def get(self, sha256: str) -> Blob | None:
        return self._blobs.get(sha256)

    async def close(self) -> None:
        return None


_SQLITE_TABLE = """
CREATE TABLE IF NOT EXISTS blobs (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    data       BLOB NOT NULL,
    stored_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
_SQLITE_BUSY_SECONDS = 10.0


class SqliteBlobs:
    """A connection of its own per call, in a worker thread: blobs are written and read far less
    often than events, and the log's connection stays the log's."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._made = False

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=_SQLITE_BUSY_SECONDS, isolation_level=None)
        if not self._made:
            connection.execute(_SQLITE_TABLE)
            self._made = True
        return connection

    async def put(self, media_type: str, data: bytes) -> str:
        name = sha256_of(data)

        def write() -> None:
            connection = self._connect()
            try:
                connection.execute(
                    "INSERT INTO blobs (sha256, media_type, size, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (name, media_type, len(data), data),
                )
            finally:
                connection.close()

        await asyncio.to_thread(write)
        return name

    async def get(self, sha256: str) -> Blob | None:
        def read() -> tuple[str, bytes] | None:
            connection = self._connect()
            try:
                row = connection.execute("SELECT media_type, data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
            finally:
                connection.close()
            return None if row is None else (row[0], bytes(row[1]))

        found = await asyncio.to_thread(read)
        return None if found is None else Blob(sha256, found[0], found[1])

    async def close(self) -> None:
        return None


_POSTGRES_TABLE = """
CREATE TABLE IF NOT EXISTS blobs (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    data       BYTEA NOT NULL,
    stored_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION blobs_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a kept blob is never changed or removed';
END $$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'blobs_are_kept') THEN
        CREATE TRIGGER blobs_are_kept BEFORE UPDATE OR DELETE ON blobs
            FOR EACH ROW EXECUTE FUNCTION blobs_are_kept();
    END IF;
END $$;
"""
# Any fixed 64-bit number: processes making the table at once take turns.
_POSTGRES_LOCK = 0x626C_6F62_7374_6F72  # "blobstor"


class PostgresBlobs:
    """A small pool of its own on the log's database, opened at the first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _ready(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                import asyncpg

                pool = await asyncpg.create_pool(self.url, min_size=0, max_size=4)
                try:
                    async with pool.acquire() as connection, connection.transaction():
                        await connection.execute("SELECT pg_advisory_xact_lock($1)", _POSTGRES_LOCK)
                        await connection.execute(_POSTGRES_TABLE)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
            return self._pool

    async def put(self, media_type: str, data: bytes) -> str:
        name = sha256_of(data)
        pool = await self._ready()
        await pool.execute(
            "INSERT INTO blobs (sha256, media_type, size, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            name,
            media_type,
            len(data),
            data,
        )
        return name

    async def get(self, sha256: str) -> Blob | None:
        pool = await self._ready()
        row = await pool.fetchrow("SELECT media_type, data FROM blobs WHERE sha256 = $1", sha256)
        return None if row is None else Blob(sha256, row["media_type"], bytes(row["data"]))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def open_blobs(database_url: str) -> BlobStore:
    """The blob store of the database ``database_url`` names (as ``engine.store.open_store`` reads it)."""
    if database_url == "memory:":
        return MemoryBlobs()
    if database_url.startswith(("postgresql://", "postgres://")):
        return PostgresBlobs(database_url)
    path = sqlite_path(database_url)
    if path is None:
        raise ValueError(f"no blob store for {database_url!r}")
    return SqliteBlobs(str(Path(path).resolve()))  # the working directory may change later
