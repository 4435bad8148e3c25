"""Restoring a backup taken while bidders bid: a new ``auction serve`` on the copy starts, passes its
start-up check and serves every bid the copy holds, and the copy's log exports and verifies.

The copy is the log at one commit during the storm, so it is shorter than the last head the live
server signed: started with that (newer) head file, the restored server refuses to serve it (the
log was cut, as far as that head knows). With the head file kept with the backup (copied before the
backup was taken), which the copy is first checked against with ``auction verify``, it starts
(docs/operations.md).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api import cli
from tests.e2e.support import Server, auth

pytestmark = pytest.mark.e2e

BAILIFF = auth("bailiff", "bailiff-restore")
BIDDERS = [auth("bidder", f"storm-{n}@example.test") for n in range(4)]
BEFORE, AFTER = 15, 15  # accepted bids before the backup starts, and after it is done


async def auction(capsys: pytest.CaptureFixture[str], command: list[str]) -> tuple[int, str, str]:
    """``auction COMMAND`` in this process (as the operator runs it, without paying its start-up
    again each time): its exit code, stdout and stderr."""
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, command)  # it runs its own event loop
    out, err = capsys.readouterr()
    return code, out, err


async def storm(server: Server, auction_id: str, backup: asyncio.Event, done: asyncio.Event) -> int:
    """Four bidders bidding at once, each the next amount up, until AFTER bids were accepted after
    ``done`` is set; the number of accepted bids. Refused bids (overtaken by another) are fine, 5xx are not."""
    accepted = after = 0
    amount = 500

    async def bidder(headers: dict[str, str]) -> None:
        nonlocal accepted, after, amount
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
            while after < AFTER:
                amount += 10
                answer = await client.post(
                    f"/auctions/{auction_id}/bids", json={"amount": f"{amount}.00"}, headers=headers
                )
                assert answer.status_code < 500, answer.text
                if answer.status_code == 429:
                    await asyncio.sleep(0.05)
                elif answer.status_code == 201:
                    accepted += 1
                    if accepted >= BEFORE:
                        backup.set()
                    if done.is_set():
                        after += 1

    await asyncio.gather(*(bidder(headers) for headers in BIDDERS))
    return accepted


def bids_in(log_lines: list[str], auction_id: str) -> list[int]:
    """The positions of the accepted bids of the auction in an exported log."""
    events = [json.loads(line) for line in log_lines if line.strip()]
    return [
        event["position"]
        for event in events
        if event["type"] == "BidAccepted" and event["stream"] == f"auction-{auction_id}"
    ]


def copy_sqlite(source: Path, target: Path) -> None:
    """One consistent snapshot (SQLite's backup API, as ``sqlite3 FILE ".backup TARGET"`` makes)."""
    with closing(sqlite3.connect(source)) as db, closing(sqlite3.connect(target)) as copy:
        db.backup(copy)


async def test_a_backup_taken_during_a_bid_storm_is_restored_served_and_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live_dir, kept, restored_dir = tmp_path / "live", tmp_path / "backups", tmp_path / "restored"
    for directory in (live_dir, kept, restored_dir):
        directory.mkdir()
    live_db = live_dir / "auction.sqlite3"
    live = Server(f"sqlite:///{live_db}", live_dir).start()
    try:
        now = datetime.now(UTC)
        body = {
            "country": "SE",
            "title": "Rowing boat",
            "asset": "movable",
            "value": "20000.00",
            "currency": "SEK",
            "starting_price": "500.00",
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(),
        }
        async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
            created = await client.post("/auctions", json=body, headers=BAILIFF)
            assert created.status_code == 201, created.text
            auction_id = created.json()["id"]
            for bidder in BIDDERS:
                registered = await client.post(f"/auctions/{auction_id}/registrations", headers=bidder)
                assert registered.status_code in (200, 201), registered.text
            key = (await client.get("/transparency/key")).json()["public_key"]

        backup, done = asyncio.Event(), asyncio.Event()
        bidding = asyncio.create_task(storm(live, auction_id, backup, done))
        await backup.wait()
        # What the operator keeps: the head file first (a head the copy then extends), the keys, the log.
        shutil.copy(f"{live_db}.head.json", kept / "auction.head.json")
        copy_sqlite(Path(f"{live_db}.keys"), kept / "auction.keys")
        backed_up = await asyncio.to_thread(
            cli.main, ["backup", "--database", f"sqlite:///{live_db}", str(kept / "auction.sqlite3")]
        )
        done.set()
        accepted = await bidding
        out, err = capsys.readouterr()
        assert backed_up == 0, err
        assert "hash chains verified" in out
    finally:
        assert live.stop() is not None
    assert live.server_errors() == []

    code, exported, err = await auction(capsys, ["export", "--database", f"sqlite:///{kept / 'auction.sqlite3'}"])
    assert code == 0, err
    copied = exported.splitlines()
    in_copy = bids_in(copied, auction_id)
    assert BEFORE <= len(in_copy) < accepted  # taken amid the bids: some before, the last ones after it

    # The restore: the log, its keys file beside it and the server's keys (its working directory's files).
    restored_db = restored_dir / "auction.sqlite3"
    shutil.copy(kept / "auction.sqlite3", restored_db)
    shutil.copy(kept / "auction.keys", f"{restored_db}.keys")
    for name in (".auction-receipt-key",):
        shutil.copy(live_dir / name, restored_dir / name)
    url = f"sqlite:///{restored_db}"

    # With the live server's last head, newer than the copy: refused, in one line, the log as it was.
    shutil.copy(f"{live_db}.head.json", f"{restored_db}.head.json")
    with pytest.raises(RuntimeError, match="exited with 1") as refused:
        Server(url, restored_dir).start()
    refusal = [line for line in str(refused.value).splitlines() if "refusing to serve this log" in line]
    assert len(refusal) == 1 and "Traceback" not in str(refused.value), str(refused.value)

    # The copy checked against the head kept with the backup, as the operator does before serving it.
    exported_file = restored_dir / "restored.jsonl"
    exported_file.write_text(exported)
    code, _, err = await auction(
        capsys, ["verify", str(exported_file), "--head", str(kept / "auction.head.json"), "--public-key", key]
    )
    assert code == 0, err

    # With the head file kept with the backup: the copy extends it, so the server starts and serves it all.
    shutil.copy(kept / "auction.head.json", f"{restored_db}.head.json")
    restored = Server(url, restored_dir).start()
    try:
        async with httpx.AsyncClient(base_url=restored.url, timeout=20) as client:
            served = await client.get(f"/auctions/{auction_id}/bids", params={"limit": 1000})
            assert served.status_code == 200, served.text
            assert [bid["position"] for bid in served.json()["bids"]] == in_copy
            assert served.json()["next_after"] is None
            head = (await client.get("/transparency/head")).json()
            assert head["size"] == len(copied)  # the head it signs now is over the whole copy
    finally:
        assert restored.stop() is not None
    assert restored.server_errors() == []

    # The restored log (as the restored server left it) exports and verifies, also against the kept head.
    code, again, err = await auction(capsys, ["export", "--database", url])
    assert code == 0, err
    assert again.splitlines() == copied  # serving it appended nothing
    exported_file.write_text(again)
    code, _, err = await auction(
        capsys, ["verify", str(exported_file), "--head", str(kept / "auction.head.json"), "--public-key", key]
    )
    assert code == 0, err
    code, _, err = await auction(capsys, ["replay", str(exported_file)])
    assert code == 0 and "log verified" in err, err
