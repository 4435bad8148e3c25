"""Applies the numbered SQL files of ``migrations/<backend>/`` at store start-up.

Each file ``NNN_name.sql`` runs once, in its own transaction together with the
row that records it in ``schema_migrations``; running the migrations again
applies only what is missing. Two processes starting at once are serialised:
SQLite by ``BEGIN IMMEDIATE``, PostgreSQL by a transaction-level advisory lock.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

_FILE_NAME = re.compile(r"^(\d+)_(\w+)\.sql$")

# Any fixed 64-bit number: every process that migrates the database takes the same lock.
POSTGRES_MIGRATION_LOCK = 0x6A75_6469_6369_616C  # "judicial"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load(backend: str) -> list[Migration]:
    """The migrations shipped for ``backend`` ("sqlite" or "postgres"), in order."""
    found: dict[int, Migration] = {}
    for entry in resources.files("migrations").joinpath(backend).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise RuntimeError(f"two {backend} migrations numbered {version}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    if not found:
        raise RuntimeError(f"no migrations found for {backend}")
    return [found[v] for v in sorted(found)]


def sqlite_statements(script: str) -> list[str]:
    """Split a script into statements (a trigger body's semicolons stay inside it).

    ``executescript`` would commit first, and a migration must run inside the
    transaction that records it.
    """
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            if _has_code(statement):
                statements.append(statement)
            pending = ""
    if _has_code(pending):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending.strip()[:80]!r}")
    return statements


def _has_code(sql: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())


def migrate_sqlite(connection: sqlite3.Connection) -> list[int]:
    """Apply the missing SQLite migrations; returns the versions applied now.

    ``connection`` must be in autocommit mode (``isolation_level=None``).
    """
    applied_now: list[int] = []
    for migration in load("sqlite"):
        # One transaction per file; BEGIN IMMEDIATE makes a second process wait, then see the row.
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = connection.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            ).fetchone()
            if done is None:
                for statement in sqlite_statements(migration.sql):
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat()),
                )
                applied_now.append(migration.version)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return applied_now


async def migrate_postgres(connection: asyncpg.Connection) -> list[int]:
    """Apply the missing PostgreSQL migrations in one transaction; returns the versions applied now."""
    migrations = load("postgres")
    async with connection.transaction():
        # Taken before anything else, so that a second process starting at the same moment waits
        # here and then finds the tables made, instead of racing on CREATE TABLE.
        await connection.execute("SELECT pg_advisory_xact_lock($1)", POSTGRES_MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}
        applied_now: list[int] = []
        for migration in migrations:
            if migration.version in done:
                continue
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version, migration.name
            )
            applied_now.append(migration.version)
    return applied_now
