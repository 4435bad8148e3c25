"""auction backup: a consistent copy of a SQLite database taken while the server writes, which
replays and verifies; an existing destination is never overwritten."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api import cli
from engine.clock import ManualClock
from projections.audit.log import export_lines, read_log, verify_log
from tests.api.support import running_api, swedish_auction

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


async def _log(url: str) -> list[bytes]:
    out = io.BytesIO()
    await export_lines(url, None, out)
    return out.getvalue().splitlines()


async def test_a_backup_taken_during_a_stream_of_bids_replays_and_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "auction.sqlite3"
    copy = tmp_path / "backup" / "copy.sqlite3"
    copy.parent.mkdir()
    url = f"sqlite:///{source}"
    async with running_api(url, clock=ManualClock(NOW)) as api:
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        for n in range(3):
            await api.register(auction, f"bidder-{n}@example.test")
        backed_up = asyncio.Event()
        placed = 0

        async def bids() -> None:
            nonlocal placed
            more = 20  # bids after the backup is done, so that it was taken amid them
            while more:
                response = await api.bid(auction, f"bidder-{placed % 3}@example.test", f"{1000 + placed * 10}.00")
                if response.status_code == 429:  # the write limits: wait as told, nothing was written
                    await asyncio.sleep(0.05)
                    continue
                assert response.status_code == 201, response.text
                placed += 1
                if backed_up.is_set():
                    more -= 1
                await asyncio.sleep(0)

        writer = asyncio.create_task(bids())
        while placed < 20:
            await asyncio.sleep(0.001)
        started_at = await api.runtime.store.head()
        code = await asyncio.to_thread(cli.main, ["backup", "--database", url, str(copy)])
        backed_up.set()
        await writer
        final = await api.runtime.store.head()
    assert code == 0, capsys.readouterr().err
    assert "hash chains verified" in capsys.readouterr().out

    copied = await _log(f"sqlite:///{copy}")
    whole = await _log(url)
    assert started_at <= len(copied) < final == len(whole)
    assert copied == whole[: len(copied)]  # a snapshot: the log up to a position, nothing torn
    verify_log(read_log(copied))
    exported = tmp_path / "copy.jsonl"
    exported.write_bytes(b"\n".join(copied) + b"\n")
    assert cli.main(["replay", str(exported)]) == 0
    assert "log verified" in capsys.readouterr().err
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_existing_destination_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "auction.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
    dest = tmp_path / "there.sqlite3"
    dest.write_bytes(b"precious")
    assert cli.main(["backup", "--database", f"sqlite:///{source}", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err == f"auction: {dest} exists: not overwritten\n"
    assert dest.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auction.sqlite3", "there.sqlite3"]


@pytest.mark.parametrize(
    ("database", "message"),
    [
        ("postgresql://db/auction", "auction backup copies SQLite databases, not postgresql: see docs/operations.md"),
        ("sqlite:///{tmp}/missing.sqlite3", "no database file {tmp}/missing.sqlite3"),
    ],
)
def test_what_cannot_be_backed_up_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database: str, message: str
) -> None:
    dest = tmp_path / "copy.sqlite3"
    assert cli.main(["backup", "--database", database.format(tmp=tmp_path), str(dest)]) == 2
    assert capsys.readouterr().err == f"auction: {message.format(tmp=tmp_path)}\n"
    assert not dest.exists()


def test_a_file_that_is_no_auction_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "other.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
    dest = tmp_path / "copy.sqlite3"
    assert cli.main(["backup", "--database", f"sqlite:///{source}", str(dest)]) == 2
    assert capsys.readouterr().err == f"auction: {source} is not an auction database (it holds no event log)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite3"]


async def test_an_empty_engine_database_backs_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'auction.sqlite3'}"
    async with running_api(url):
        pass
    code = await asyncio.to_thread(cli.main, ["backup", "--database", url, str(tmp_path / "copy.sqlite3")])
    assert code == 0, capsys.readouterr().err
    assert ": 0 events, hash chains verified" in capsys.readouterr().out


def test_a_copy_that_does_not_verify_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'auction.sqlite3'}"

    async def some_events() -> None:
        async with running_api(url, clock=ManualClock(NOW)) as api:
            await api.schedule(swedish_auction(NOW))

    asyncio.run(some_events())
    with sqlite3.connect(tmp_path / "auction.sqlite3") as db:
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
        for (name,) in triggers.fetchall():
            db.execute(f'DROP TRIGGER "{name}"')  # as an intruder with the file would
        db.execute("UPDATE events SET data = json_set(data, '$.title', 'Forged') WHERE position = 1")
    assert cli.main(["backup", "--database", url, str(tmp_path / "copy.sqlite3")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"auction: {tmp_path / 'copy.sqlite3'}: log NOT verified: ") and err.count("\n") == 1
