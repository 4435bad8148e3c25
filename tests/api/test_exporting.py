"""``auction export``: the log as JSON Lines in global order, all auctions or one."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from engine.store import open_store, verify_chain
from engine.store.base import StoredEvent
from projections.audit.log import export_lines
from tests.api.support import running_api, swedish_auction, utc_now


async def two_auctions(url: str) -> tuple[str, str]:
    async with running_api(url) as api:
        first = await api.schedule(swedish_auction(utc_now()))
        second = await api.schedule(swedish_auction(utc_now()))
        for auction in (first, second, first):
            await api.register(auction["id"], f"someone-{auction['id']}-{await api.all_events()}")
        return first["id"], second["id"]


async def test_the_whole_log_is_written_in_global_order_as_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    await two_auctions(url)
    out = io.BytesIO()

    count = await export_lines(url, None, out)

    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == count
    store = await open_store(url)
    try:
        stored = await store.read_all(after=0, limit=10_000)
    finally:
        await store.close()
    assert lines == [event.to_json() for event in stored]
    assert [line["position"] for line in lines] == list(range(1, count + 1))


async def test_one_auctions_log_holds_its_events_only_and_its_chain_verifies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    first, _ = await two_auctions(url)
    out = io.BytesIO()

    await export_lines(url, first, out)

    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert {line["stream"] for line in lines} == {f"auction-{first}"}
    assert [line["version"] for line in lines] == list(range(1, len(lines) + 1))
    positions = [line["position"] for line in lines]
    assert positions == sorted(positions)
    events = [
        StoredEvent(
            position=line["position"],
            stream=line["stream"],
            version=line["version"],
            type=line["type"],
            data=line["data"],
            recorded_at=datetime.fromisoformat(line["recorded_at"]),
            prev_hash=line["prev_hash"],
            hash=line["hash"],
        )
        for line in lines
    ]
    verify_chain(events)


async def test_an_unknown_auction_is_a_lookup_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    await two_auctions(url)
    with pytest.raises(LookupError, match="no auction 'nope' in this database"):
        await export_lines(url, "nope", io.BytesIO())


async def test_a_missing_database_file_is_a_lookup_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    with pytest.raises(LookupError):
        await export_lines(f"sqlite:///{path}", None, io.BytesIO())
    assert not path.exists()


async def test_the_export_command_writes_the_log_and_names_an_unknown_auction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    first, _ = await two_auctions(url)
    auction = [str(Path(sys.executable).with_name("auction")), "export", "--database", url]

    everything = subprocess.run(auction, capture_output=True, timeout=60, check=True)
    one = subprocess.run(auction + ["--auction", first], capture_output=True, timeout=60, check=True)
    unknown = subprocess.run(auction + ["--auction", "nope"], capture_output=True, timeout=60)

    expected = io.BytesIO()
    await export_lines(url, None, expected)
    assert everything.stdout == expected.getvalue()
    assert {orjson.loads(line)["stream"] for line in one.stdout.splitlines()} == {f"auction-{first}"}
    assert unknown.returncode == 2 and unknown.stdout == b""
    assert unknown.stderr.decode().strip() == "auction: no auction 'nope' in this database"
