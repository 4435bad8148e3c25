"""The embedded store's disk fills up under a running ``auction serve``, then space comes back.

The SQLite file lives on a tmpfs of a few megabytes; the test fills what is left
with a file of its own. Bids then get 503 ``store_unavailable`` with
``Retry-After`` (SQLITE_FULL, "database or disk is full"), never 500, and the
server stays up; once the filler is removed the same server takes the retried
bids (same Idempotency-Key) and new ones. Nothing is half-written: the log's
hash chain holds, its versions have no gap, every acknowledged bid is in it
exactly once where its answer says, and the server shows what the log replays to.
"""

from __future__ import annotations

import contextlib
import errno
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.crash.test_kill_9 import assert_chain_holds
from tests.e2e.support import Server
from tests.faults.support import small_filesystem
from tests.scale.support import (
    assert_decided_one_after_another,
    bid_events,
    bidder,
    cents,
    event_log,
    money,
    open_auction,
    public_state,
    replayed,
)

pytestmark = pytest.mark.e2e

BIDDERS = 4
# Bids sent on the full disk before giving up on seeing it refused: the WAL may have room
# left from an earlier checkpoint, which a few hundred appends use up.
MAX_BIDS_ON_A_FULL_DISK = 3000
CHUNK = 64 * 1024


@pytest.fixture
def disk() -> Iterator[Path]:
    with small_filesystem("3m") as directory:
        yield directory


def fill(directory: Path) -> Path:
    """Writes ``directory/filler`` until the filesystem has no byte left."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as out:
        block = b"\0" * CHUNK
        while True:
            try:
                out.write(block)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
                break
        for size in (4096, 512, 1):  # the last partial blocks
            with contextlib.suppress(OSError):
                while out.write(b"\0" * size):
                    pass
    return filler


async def test_a_full_disk_answers_503_writes_nothing_half_and_the_server_recovers_when_space_returns(
    disk: Path, tmp_path: Path
) -> None:
    server = Server(f"sqlite:///{disk / 'auction.sqlite3'}", tmp_path).start()
    try:
        await full_disk_and_back(server, disk)
    finally:
        server.stop()


async def full_disk_and_back(server: Server, disk: Path) -> None:
    auction_id = await open_auction(server.url, BIDDERS)
    answers: dict[str, tuple[int, int, dict[str, Any]]] = {}  # key -> (amount, status, body)
    amounts = iter(range(1000_00, 10**9, 100))

    async def bid(http: httpx.AsyncClient, key: str, amount: int, n: int) -> httpx.Response:
        headers = {**bidder(n % BIDDERS), "Idempotency-Key": key}
        response = await http.post(f"/auctions/{auction_id}/bids", json={"amount": money(amount)}, headers=headers)
        assert response.status_code in (201, 409, 503), (response.status_code, response.text)
        if response.status_code != 503:
            answers[key] = (amount, response.status_code, response.json())
        return response

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for n in range(20):
            assert (await bid(http, f"before-{n}", next(amounts), n)).status_code == 201

        filler = fill(disk)
        refused: dict[str, tuple[int, int]] = {}  # key -> (amount, bidder) of bids answered 503
        for n in range(MAX_BIDS_ON_A_FULL_DISK):
            key, amount = f"full-{n}", next(amounts)
            response = await bid(http, key, amount, n)
            if response.status_code == 503:
                assert response.json()["error"]["code"] == "store_unavailable"
                assert int(response.headers["retry-after"]) >= 1
                refused[key] = (amount, n)
                if len(refused) >= 5:
                    break
        assert refused, f"{MAX_BIDS_ON_A_FULL_DISK} bids on a full disk and none refused: the disk was not full"
        assert server.process is not None and server.process.poll() is None
        # Still full: a retry is refused again, and reads are still answered.
        key, (amount, n) = next(iter(refused.items()))
        assert (await bid(http, key, amount, n)).status_code == 503
        assert (await http.get(f"/auctions/{auction_id}")).status_code == 200

        filler.unlink()  # space returns
        for key, (amount, n) in refused.items():  # the refused bids retried as they were
            assert (await bid(http, key, amount, n)).status_code in (201, 409)
        for n in range(20):
            assert (await bid(http, f"after-{n}", next(amounts), n)).status_code == 201

    log = await event_log(server.url, auction_id)
    assert_chain_holds(log)
    assert_decided_one_after_another(log)
    counts = Counter(cents(e["data"]["amount"]) for e in bid_events(log))
    assert [amount for amount, count in counts.items() if count > 1] == [], "a bid was recorded twice"
    assert set(counts) == {amount for amount, _, _ in answers.values()}, "a bid without an answer, or lost"
    by_version = {e["version"]: e for e in log}
    for key, (amount, status, body) in answers.items():
        position = body["position"] if status == 201 else body["error"]["position"]
        event = by_version[position]
        assert cents(event["data"]["amount"]) == amount, key
        assert event["type"] == ("BidAccepted" if status == 201 else "BidRejected"), key

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        shown = (await http.get(f"/auctions/{auction_id}")).json()
    state = public_state(replayed(auction_id, log))
    assert {key: shown[key] for key in state} == state
    lines = server.log.read_text(errors="replace").splitlines()
    assert [line for line in lines if " 500 " in line or "unhandled error" in line] == []
