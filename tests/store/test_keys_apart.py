"""The identity keys are kept apart from the log: a copy of the log alone opens no identity.

SQLite: the keys are in a file of their own beside the log (``<log>.keys``), an older log's
keys are moved there once without a key lost wherever the move is interrupted, and an erased
key leaves no byte of itself on disk. PostgreSQL: the keys are in the schema ``identity``,
reachable through a role of their own that the log's role cannot stand in for, with the
GRANTs docs/keys.md gives an operator.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.app.offline import forget
from engine.clock import ManualClock
from engine.commands import RegisterBidder, ScheduleAuction
from engine.service import AuctionService
from engine.store import StoreAdapter, StoreError, open_store
from engine.store import sqlite as sqlite_store
from engine.store.migrate import load, sqlite_statements
from engine.vault import owner_of
from rules import load_rules
from tests.domain.support import draft_for
from tests.store.support import postgres_server_url, with_database
from tests.store.test_contract import _ClosingOpener, _DatabaseKeys

PERSON = "EE-38001010000 Mari Maasikas"
OTHER = "LT-39001010000 Jonas Jonaitis"
ROOT = Path(__file__).resolve().parents[2]


async def register(url: str, *subjects: str, keys_url: str | None = None) -> None:
    """An auction on the store at ``url`` with ``subjects`` registered (their identities sealed in the log)."""
    store = await open_store(url, keys_url)
    try:
        draft = draft_for("HR")
        service = AuctionService(store, load_rules, ManualClock(draft.opens_at - timedelta(days=2)))
        await service.execute("a-1", ScheduleAuction("a-1", draft))
        for subject in subjects:
            await service.execute("a-1", RegisterBidder(subject=subject))
    finally:
        await store.close()


async def identities(url: str, keys_url: str | None = None) -> list[str | None]:
    """The bidders' identities of auction a-1 as the store at ``url`` opens them (None: unreadable)."""
    store = await open_store(url, keys_url)
    try:
        draft = draft_for("HR")
        state = await AuctionService(store, load_rules, ManualClock(draft.opens_at)).load("a-1")
        return [state.bidder(f"B-{n}").subject for n in range(1, len(state.bidders) + 1)]
    finally:
        await store.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def key_rows(path: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT key_id, owner, key, created_at FROM subject_keys ORDER BY key_id").fetchall()
    finally:
        connection.close()


def on_disk(*paths: Path) -> bytes:
    """Every byte of the files (and their -wal and -shm) that exist."""
    found = [Path(f"{p}{suffix}") for p in paths for suffix in ("", "-wal", "-shm", "-journal")]
    return b"".join(p.read_bytes() for p in found if p.exists())


# ---------------------------------------------------------------- SQLite: a file of their own


async def test_a_copy_of_the_log_file_alone_opens_no_identity(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    await register(f"sqlite:///{log}", PERSON, OTHER)
    assert await identities(f"sqlite:///{log}") == [PERSON, OTHER]

    copied = tmp_path / "copy" / "auction.sqlite3"
    copied.parent.mkdir()
    shutil.copyfile(log, copied)  # the log file only, as a backup or an auditor's copy is

    assert await identities(f"sqlite:///{copied}") == [None, None]
    assert not Path(f"{copied}.keys").exists(), "reading a copy makes no keys file"

    shutil.copyfile(f"{log}.keys", f"{copied}.keys")  # with the keys file, the same identities
    assert await identities(f"sqlite:///{copied}") == [PERSON, OTHER]


async def test_the_keys_are_in_the_keys_file_and_in_no_byte_of_the_log_file(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    await register(f"sqlite:///{log}", PERSON)
    keys = key_rows(Path(f"{log}.keys"))

    assert len(keys) == 1 and keys[0][1] == owner_of(PERSON)
    assert "subject_keys" not in tables(log)
    assert keys[0][2] not in on_disk(log)


async def test_a_keys_url_names_the_keys_file(tmp_path: Path) -> None:
    log, elsewhere = tmp_path / "log" / "auction.sqlite3", tmp_path / "vault" / "identities.db"
    log.parent.mkdir()
    elsewhere.parent.mkdir()
    await register(str(log), PERSON, keys_url=f"sqlite:///{elsewhere}")

    assert len(key_rows(elsewhere)) == 1
    assert not Path(f"{log}.keys").exists()
    assert await identities(str(log), keys_url=str(elsewhere)) == [PERSON]
    assert await identities(str(log)) == [None]
    assert await forget(str(log), PERSON, str(elsewhere)) == 1
    assert key_rows(elsewhere) == []


async def test_the_keys_file_cannot_be_the_log_file_nor_elsewhere_than_sqlite(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    with pytest.raises(ValueError, match="file of their own"):
        await open_store(f"sqlite:///{log}", str(log))
    with pytest.raises(ValueError, match="SQLite file"):
        await open_store(f"sqlite:///{log}", "postgresql://keys@db/auction")
    with pytest.raises(ValueError, match="no keys URL"):
        await open_store("memory:", str(log))


async def test_no_keys_file_is_made_until_a_key_is_kept(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    store = await open_store(str(log))
    try:
        assert await store.subject_keys(["missing"]) == {}
        assert await store.erase_subject_key("nobody") == 0
        assert not Path(f"{log}.keys").exists()
        other = await open_store(str(log))  # another process keeps the first key
        try:
            await other.keep_subject_key("owner", "key", b"\x07" * 32)
        finally:
            await other.close()
        assert await store.subject_keys(["key"]) == {"key": b"\x07" * 32}, "a keys file made since is read"
    finally:
        await store.close()


async def test_an_erased_key_leaves_no_byte_of_itself_on_disk(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    secret = bytes(range(100, 132))
    store = await open_store(str(log))
    try:
        await store.keep_subject_key("owner-1", "key-1", secret)
        await store.keep_subject_key("owner-2", "key-2", b"\x09" * 32)
        assert secret in on_disk(log, Path(f"{log}.keys"))

        assert await store.erase_subject_key("owner-1") == 1

        assert secret not in on_disk(log, Path(f"{log}.keys"))  # while the store is open
        assert await store.subject_keys(["key-1", "key-2"]) == {"key-2": b"\x09" * 32}
    finally:
        await store.close()
    assert secret not in on_disk(log, Path(f"{log}.keys"))


# ---------------------------------------------------------------- SQLite: an older log's keys moved out


def make_old_layout(log: Path) -> list[tuple[Any, ...]]:
    """Turn a log made by this version back into one from before the keys file: its keys in the log's
    table ``subject_keys`` (migrations 001-003 only), no keys file. Returns the key rows."""
    keys_file = Path(f"{log}.keys")
    rows = key_rows(keys_file)
    connection = sqlite3.connect(log, isolation_level=None)
    try:
        (old_table,) = [m for m in load("sqlite") if m.version == 2]
        for statement in sqlite_statements(old_table.sql):
            connection.execute(statement)
        connection.executemany("INSERT INTO subject_keys VALUES (?, ?, ?, ?)", rows)
        connection.execute("DELETE FROM schema_migrations WHERE version = 4")  # the move of the keys, undone
    finally:
        connection.close()
    keys_file.unlink()
    return rows


async def test_an_older_logs_keys_are_moved_to_the_keys_file_once_and_forget_still_works(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    await register(str(log), PERSON, OTHER)
    rows = make_old_layout(log)
    assert "subject_keys" in tables(log) and all(r[2] in on_disk(log) for r in rows)

    assert await identities(str(log)) == [PERSON, OTHER]

    assert key_rows(Path(f"{log}.keys")) == rows
    assert "subject_keys" not in tables(log)
    assert not any(r[2] in on_disk(log) for r in rows), "the moved keys are zeroed in the log's file"
    with sqlite3.connect(log) as connection:
        assert [r[0] for r in connection.execute("SELECT version FROM schema_migrations ORDER BY version")] == [
            m.version for m in load("sqlite")
        ]
    assert await forget(str(log), PERSON) == 1
    assert await identities(str(log)) == [None, OTHER]


class Interrupted(Exception):
    """A crash, as far as the store can tell: its start-up stops there."""


def _interrupt_after_keys_committed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sqlite_store._keep_moved

    def keep_then_stop(*args: Any) -> None:
        real(*args)
        raise Interrupted("after the keys file committed, before the log's rows were deleted")

    monkeypatch.setattr(sqlite_store, "_keep_moved", keep_then_stop)


def _interrupt_before_keys_committed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sqlite_store.open_keys_file

    def open_then_stop(path: str) -> sqlite3.Connection:
        connection = real(path)
        connection.close()
        raise Interrupted("with the keys file open, before anything was written to it")

    monkeypatch.setattr(sqlite_store, "open_keys_file", open_then_stop)


def _interrupt_before_the_table_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    def stop(connection: sqlite3.Connection) -> list[int]:
        raise Interrupted("after the log's rows were deleted, before migration 004")

    monkeypatch.setattr(sqlite_store, "migrate_sqlite", stop)


@pytest.mark.parametrize(
    "interrupt",
    [_interrupt_before_keys_committed, _interrupt_after_keys_committed, _interrupt_before_the_table_is_dropped],
)
async def test_a_move_interrupted_anywhere_loses_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: Callable[[pytest.MonkeyPatch], None]
) -> None:
    log = tmp_path / "auction.sqlite3"
    await register(str(log), PERSON, OTHER)
    rows = make_old_layout(log)

    with monkeypatch.context() as patched:
        interrupt(patched)
        with pytest.raises(Interrupted):
            await open_store(str(log))
    held = {r[0] for r in key_rows(Path(f"{log}.keys"))} if Path(f"{log}.keys").exists() else set()
    if "subject_keys" in tables(log):
        held |= {r[0] for r in key_rows(log)}
    assert held == {r[0] for r in rows}, "every key is in one file or the other after the crash"

    assert await identities(str(log)) == [PERSON, OTHER]  # the next start finishes the move
    assert key_rows(Path(f"{log}.keys")) == rows
    assert "subject_keys" not in tables(log)


async def test_a_keys_file_holding_another_key_for_an_owner_stops_the_move_and_keeps_both(tmp_path: Path) -> None:
    log = tmp_path / "auction.sqlite3"
    await register(str(log), PERSON)
    rows = make_old_layout(log)
    foreign = await open_store(str(tmp_path / "other.sqlite3"), f"{log}.keys")  # another log's keys file, here
    try:
        await foreign.keep_subject_key(owner_of(PERSON), "another-key", b"\x01" * 32)
    finally:
        await foreign.close()

    with pytest.raises(StoreError, match="holds another key"):
        await open_store(str(log))

    assert key_rows(log) == rows, "the log keeps its keys"
    assert [r[0] for r in key_rows(Path(f"{log}.keys"))] == ["another-key"]


def test_migration_004_refuses_to_drop_a_table_that_still_holds_keys(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    try:
        for migration in load("sqlite")[:3]:
            for statement in sqlite_statements(migration.sql):
                connection.execute(statement)
        connection.execute("INSERT INTO subject_keys VALUES ('k', 'o', zeroblob(32), 'now')")
        (apart,) = [m for m in load("sqlite") if m.version == 4]
        connection.execute("BEGIN")
        with pytest.raises(sqlite3.IntegrityError, match="must be moved to the keys file"):
            for statement in sqlite_statements(apart.sql):
                connection.execute(statement)
        connection.execute("ROLLBACK")
        assert connection.execute("SELECT key_id FROM subject_keys").fetchall() == [("k",)]
    finally:
        connection.close()


# ---------------------------------------------------------------- PostgreSQL: a schema and a role of their own


def operator_grants(events_role: str, keys_role: str, database: str) -> list[str]:
    """The statements docs/keys.md gives an operator, after the first start, with these names."""
    text = (ROOT / "docs" / "keys.md").read_text()
    block = re.search(r"<!-- grants -->\s*```sql\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/keys.md lost its block of GRANTs"
    sql = "\n".join(line for line in block.group(1).splitlines() if not line.strip().startswith("--"))
    for documented, ours in (("auction_events", events_role), ("auction_keys", keys_role), ("auction", database)):
        sql = re.sub(rf"\b{documented}\b", ours, sql)
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


@asynccontextmanager
async def split_roles() -> AsyncIterator[tuple[str, str, str]]:
    """A database owned by a log role, migrated by it, its identity schema handed to a keys role with
    docs/keys.md's GRANTs; yields (log URL, keys URL, the superuser's URL of the database)."""
    import asyncpg

    server = postgres_server_url()
    tag = uuid.uuid4().hex[:12]
    database, events_role, keys_role = f"auction_keys_test_{tag}", f"auction_events_{tag}", f"auction_keys_{tag}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE ROLE "{events_role}" LOGIN')
        await admin.execute(f'CREATE ROLE "{keys_role}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{database}" OWNER "{events_role}"')
    finally:
        await admin.close()

    def as_role(role: str) -> str:
        url = with_database(server, database)
        return re.sub(r"^(postgres(?:ql)?://)[^@/]*@", rf"\g<1>{role}@", url)

    try:
        events_url, keys_url, admin_url = as_role(events_role), as_role(keys_role), with_database(server, database)
        await (await open_store(events_url)).close()  # the first start: the log's role migrates
        admin = await asyncpg.connect(admin_url)
        try:
            for statement in operator_grants(events_role, keys_role, database):
                await admin.execute(statement)
        finally:
            await admin.close()
        yield events_url, keys_url, admin_url
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.execute(f'DROP ROLE IF EXISTS "{events_role}"')
            await admin.execute(f'DROP ROLE IF EXISTS "{keys_role}"')
        finally:
            await admin.close()


@pytest.mark.postgres
async def test_migration_005_moves_the_keys_into_the_identity_schema(postgres_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(postgres_url)
    try:
        for migration in load("postgres")[:4]:  # a database from before the identity schema
            await connection.execute(migration.sql)
        await connection.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        await connection.executemany(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            [(m.version, m.name) for m in load("postgres")[:4]],
        )
        await connection.execute(
            "INSERT INTO subject_keys (key_id, owner, key) VALUES ('old-key', 'old-owner', $1)", b"\x04" * 32
        )
    finally:
        await connection.close()

    store = await open_store(postgres_url)
    try:
        assert await store.subject_keys(["old-key"]) == {"old-key": b"\x04" * 32}
        assert await store.erase_subject_key("old-owner") == 1
    finally:
        await store.close()
    connection = await asyncpg.connect(postgres_url)
    try:
        where = await connection.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'subject_keys'"
        )
        assert [r[0] for r in where] == ["identity"]
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_with_split_roles_the_server_registers_reads_and_forgets_and_neither_role_reads_the_other() -> None:
    import asyncpg

    from tests.api.support import AUDITOR, running_api, swedish_auction, utc_now

    async with split_roles() as (events_url, keys_url, _):
        async with running_api(database_url=events_url, keys_database_url=keys_url) as api:
            auction = await api.schedule(swedish_auction(utc_now()))
            await api.register(auction["id"], PERSON)
            report = await api.client.get(f"/auctions/{auction['id']}/report", headers=AUDITOR)
            assert report.status_code == 200 and PERSON in report.text, "the auditor reads the identity"

        events_role = await asyncpg.connect(events_url)
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await events_role.fetch("SELECT key FROM identity.subject_keys")
            assert await events_role.fetchval("SELECT count(*) FROM events") > 0
        finally:
            await events_role.close()
        keys_role = await asyncpg.connect(keys_url)
        try:
            for table in ("events", "idempotency_keys", "merkle_nodes", "schema_migrations"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await keys_role.fetch(f"SELECT * FROM public.{table} LIMIT 1")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await keys_role.execute("CREATE TABLE public.planted (x int)")
            assert await keys_role.fetchval("SELECT count(*) FROM identity.subject_keys") == 1
        finally:
            await keys_role.close()

        with pytest.raises(StoreError, match="cannot be used through the log's URL"):
            await open_store(events_url)  # the keys were handed to their role: no keys URL, no start
        assert await forget(events_url, PERSON, keys_url) == 1

        async with running_api(database_url=events_url, keys_database_url=keys_url) as api:
            report = await api.client.get(f"/auctions/{auction['id']}/report", headers=AUDITOR)
            assert report.status_code == 200 and PERSON not in report.text, "forgotten"


@pytest.mark.postgres
async def test_a_keys_url_whose_role_has_no_grants_is_refused_at_start_up(postgres_url: str) -> None:
    import asyncpg

    role = f"auction_nobody_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            await (await open_store(postgres_url)).close()
            nobody = re.sub(r"^(postgres(?:ql)?://)[^@/]*@", rf"\g<1>{role}@", postgres_url)
            with pytest.raises(StoreError, match="AUCTION_KEYS_DATABASE_URL"):
                await open_store(postgres_url, nobody)
        finally:
            await admin.execute(f'DROP OWNED BY "{role}"')
            await admin.execute(f'DROP ROLE "{role}"')
    finally:
        await admin.close()


@pytest.mark.postgres
class TestPostgresKeysThroughTheirOwnRole(_DatabaseKeys):
    """The KeyStore contract, the keys reached through the keys role of docs/keys.md."""

    @pytest.fixture
    async def opener(self) -> AsyncIterator[Callable[[], Awaitable[StoreAdapter]]]:
        async with split_roles() as (events_url, keys_url, _):

            class Opener(_ClosingOpener):
                async def __call__(self) -> Any:
                    store = await open_store(events_url, keys_url)
                    self.opened.append(store)
                    return store

            opener = Opener(events_url)
            yield opener
            await opener.close_all()
