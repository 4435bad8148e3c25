"""``auction serve`` signs tree heads, shows one in every live snapshot, and refuses at its next
start a log that was rewritten (and re-chained) or cut in the database behind its back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect

from engine.store.base import GENESIS_HASH, chain_hash
from projections.audit.heads import parse_head, verify_head
from tests.e2e.support import Server, auth

BAILIFF = auth("bailiff", "bailiff-heads")
BIDDERS = [auth("bidder", f"bidder-{n}@example.test") for n in range(2)]


async def _auction_with_bids(server: Server) -> tuple[str, list[int]]:
    """An open auction with three accepted bids; their global positions."""
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
    async with httpx.AsyncClient(base_url=server.url) as client:
        created = await client.post("/auctions", json=body, headers=BAILIFF)
        assert created.status_code == 201, created.text
        auction_id: str = created.json()["id"]
        for bidder in BIDDERS:
            assert (await client.post(f"/auctions/{auction_id}/registrations", headers=bidder)).status_code in (
                200,
                201,
            )
        positions = []
        for n, amount in enumerate(["600.00", "700.00", "800.00"]):
            answer = await client.post(f"/auctions/{auction_id}/bids", json={"amount": amount}, headers=BIDDERS[n % 2])
            assert answer.status_code == 201, answer.text
            positions.append(answer.json()["receipt"]["log"]["index"] + 1)
    return auction_id, positions


def _rechained(rows: list[tuple[Any, ...]]) -> list[tuple[int, str, str, str]]:
    """The review's attack on one stream's rows (position, stream, version, type, data, recorded_at):
    the bid of 700.00 made 1.00, and every later hash of the stream recomputed to fit."""
    prev, out = GENESIS_HASH, []
    for position, stream, version, type_, data, recorded_at in rows:
        value = json.loads(data)
        if type_ == "BidAccepted" and value["amount"] == "700.00":
            value["amount"] = "1.00"
        at = recorded_at if isinstance(recorded_at, datetime) else datetime.fromisoformat(recorded_at)
        digest = chain_hash(prev, stream, version, type_, at, value)
        out.append((position, json.dumps(value), prev, digest))
        prev = digest
    return out


_ROWS = "SELECT position, stream, version, type, data, recorded_at FROM events WHERE stream = {} ORDER BY version"


async def _tamper(database_url: str, stream: str, how: str) -> None:
    if database_url.startswith("sqlite:///"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute("DROP TRIGGER events_no_delete")
        if how == "cut":
            connection.execute("DELETE FROM events WHERE position = (SELECT MAX(position) FROM events)")
        else:
            rows = connection.execute(_ROWS.format("?"), (stream,)).fetchall()
            for position, data, prev, digest in _rechained(rows):
                connection.execute(
                    "UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?",
                    (data, prev, digest, position),
                )
        connection.commit()
        connection.close()
        return
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete")
        if how == "cut":
            await connection.execute("DELETE FROM events WHERE position = (SELECT MAX(position) FROM events)")
        else:
            rows = await connection.fetch(_ROWS.format("$1"), stream)
            for position, data, prev, digest in _rechained([tuple(r) for r in rows]):
                await connection.execute(
                    "UPDATE events SET data = $1::json, prev_hash = $2, hash = $3 WHERE position = $4",
                    data,
                    prev,
                    digest,
                    position,
                )
    finally:
        await connection.close()


@pytest.mark.parametrize("how", ["rewrite", "cut"])
async def test_a_log_changed_in_the_database_is_refused_at_the_next_start(
    database_url: str, tmp_path: Path, start_server: Callable[..., Server], how: str
) -> None:
    server = start_server()
    auction_id, positions = await _auction_with_bids(server)
    async with httpx.AsyncClient(base_url=server.url) as client:
        key = (await client.get("/transparency/key")).json()["public_key"]
    async with connect(f"{server.ws_url}/ws/auctions/{auction_id}") as socket:
        snapshot = json.loads(await socket.recv())
    head = parse_head(snapshot["tree_head"])
    verify_head(head, key)
    assert head.size >= 6  # the schedule, two registrations (with admissions) and three bids
    assert server.stop() is not None

    await _tamper(database_url, f"auction-{auction_id}", how)

    with pytest.raises(RuntimeError, match="exited with 1") as failed:
        Server(database_url, tmp_path).start()
    refusal = [line for line in str(failed.value).splitlines() if "refusing to serve this log" in line]
    assert len(refusal) == 1, str(failed.value)
    # The rewritten bid (700.00) exactly: the store's own tree still holds the signed leaves.
    expected = f"first bad position {positions[-1]}: " if how == "cut" else f"first bad position {positions[1]}: "
    assert expected in refusal[0], refusal[0]
    assert "Traceback" not in str(failed.value)


async def test_an_untouched_log_is_served_again_after_a_restart(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    await _auction_with_bids(server)
    async with httpx.AsyncClient(base_url=server.url) as client:
        before = parse_head((await client.get("/transparency/head")).json())
    server.stop()

    again = start_server()
    async with httpx.AsyncClient(base_url=again.url) as client:
        after = parse_head((await client.get("/transparency/head")).json())
        proof = (await client.get(f"/transparency/consistency?first={before.size}&second={after.size}")).json()
    assert (after.size, after.root) == (before.size, before.root) and proof["path"] == []
