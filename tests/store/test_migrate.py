from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.store.migrate import load, migrate_sqlite, sqlite_statements


def test_each_backend_ships_numbered_migrations_in_order() -> None:
    for backend in ("sqlite", "postgres"):
        migrations = load(backend)
        assert [m.version for m in migrations] == sorted({m.version for m in migrations})
        assert migrations[0].version == 1
        assert "CREATE TABLE events" in migrations[0].sql


def test_a_trigger_body_stays_one_statement_when_a_script_is_split() -> None:
    script = """
    -- a comment
    CREATE TABLE t (x INTEGER);
    CREATE TRIGGER t_no_delete BEFORE DELETE ON t
    BEGIN
        SELECT RAISE(ABORT, 'no; really');
    END;
    """

    statements = sqlite_statements(script)

    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_running_the_sqlite_migrations_again_applies_nothing(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    try:
        first = migrate_sqlite(connection)
        second = migrate_sqlite(connection)
        recorded = connection.execute("SELECT version FROM schema_migrations").fetchall()
    finally:
        connection.close()

    assert first == [m.version for m in load("sqlite")]
    assert second == []
    assert [r[0] for r in recorded] == first
