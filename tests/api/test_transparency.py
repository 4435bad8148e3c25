"""The verifiable log over HTTP: signed heads, inclusion and consistency proofs, and receipts
that carry the head of the commit that wrote the bid."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from engine import merkle
from engine.store.base import chain_hash, log_leaf
from projections.audit.heads import HeadError, hashes_from_hex, parse_head, verify_head
from projections.audit.receipts import LOG_ALGORITHM, ReceiptError, receipt_event_hash, verify_receipt
from tests.api.support import Api, running_api, swedish_auction, utc_now


async def _bids(api: Api, amounts: list[str]) -> tuple[str, list[dict[str, Any]]]:
    auction = await api.schedule(swedish_auction(utc_now()))
    await api.register(auction["id"], "alice")
    await api.register(auction["id"], "bob")
    answers = []
    for n, amount in enumerate(amounts):
        response = await api.bid(auction["id"], "alice" if n % 2 == 0 else "bob", amount)
        assert response.status_code == 201, response.text
        answers.append(response.json())
    return auction["id"], answers


async def test_the_head_is_signed_over_the_whole_log_and_grows_with_it() -> None:
    async with running_api() as api:
        key = (await api.client.get("/transparency/key")).json()
        before = parse_head((await api.client.get("/transparency/head")).json())
        await _bids(api, ["1500.00"])
        after = parse_head((await api.client.get("/transparency/head")).json())

        verify_head(before, key["public_key"])
        verify_head(after, key["public_key"])
        assert after.size > before.size
        assert after.key_id == key["key_id"]
        forged = parse_head({**after.to_json(), "size": after.size + 1})
        with pytest.raises(HeadError):
            verify_head(forged, key["public_key"])


async def test_a_bid_receipt_carries_the_head_of_its_commit_and_the_bids_path_to_it() -> None:
    async with running_api() as api:
        _, answers = await _bids(api, ["1500.00", "1600.00"])
        key = (await api.client.get("/receipts/public-key")).json()["public_key"]
        for answer in answers:
            receipt = answer["receipt"]
            assert receipt["algorithm"] == LOG_ALGORITHM
            verify_receipt(receipt, key)
            head = parse_head(receipt["log"]["head"])
            assert receipt["signature"] == head.signature
            assert "alice" not in str(receipt) and "bob" not in str(receipt)
        for changed in (
            {"amount": "15000.00"},
            {"bidder_code": "X-9999"},
            {"position": answers[0]["receipt"]["position"] + 1},
            {"received_at": "2000-01-01T00:00:00+00:00"},
        ):
            with pytest.raises(ReceiptError):
                verify_receipt({**answers[0]["receipt"], **changed}, key)
        other = answers[1]["receipt"]
        with pytest.raises(ReceiptError):  # another receipt's path does not lead this bid to a root
            verify_receipt(
                {**answers[0]["receipt"], "log": {**answers[0]["receipt"]["log"], "path": other["log"]["path"]}}, key
            )


async def test_inclusion_and_consistency_proofs_verify_against_heads() -> None:
    async with running_api() as api:
        _, answers = await _bids(api, ["1500.00", "1600.00", "1700.00"])
        first = parse_head(answers[0]["receipt"]["log"]["head"])
        latest = parse_head((await api.client.get("/transparency/head")).json())

        proof = (await api.client.get(f"/transparency/consistency?first={first.size}&second={latest.size}")).json()
        assert merkle.verify_consistency(
            first.size, latest.size, first.root, latest.root, hashes_from_hex(proof["path"], "path")
        )
        receipt = answers[0]["receipt"]
        position = receipt["log"]["index"] + 1
        path = (await api.client.get(f"/transparency/inclusion?position={position}&size={latest.size}")).json()
        leaf = log_leaf(receipt_event_hash(receipt))
        assert merkle.verify_inclusion(leaf, position - 1, latest.size, hashes_from_hex(path["path"], "p"), latest.root)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("inclusion?position=0&size=1", 422),
        ("inclusion?position=3&size=2", 422),
        ("inclusion?position=1&size=999999", 404),
        ("inclusion?position=x&size=1", 422),
        ("consistency?first=2&second=1", 422),
        ("consistency?first=1&second=999999", 404),
        ("consistency?first=0&second=1", 422),
    ],
)
async def test_a_proof_outside_the_log_is_refused_with_a_4xx(query: str, status: int) -> None:
    async with running_api() as api:
        await _bids(api, ["1500.00"])
        response = await api.client.get(f"/transparency/{query}")
        assert response.status_code == status, response.text
        assert "error" in response.json()


async def test_a_server_refuses_to_start_on_a_log_rewritten_after_the_head_it_signed(tmp_path: Path) -> None:
    from api.bootstrap import StartupRefused

    database = tmp_path / "log.sqlite3"
    async with running_api(f"sqlite:///{database}", head_file=str(tmp_path / "head.json")) as api:
        auction_id, _ = await _bids(api, ["1500.00", "1600.00"])
    # The review's attack: change a bid's amount, then re-chain the stream so every hash fits again.
    connection = sqlite3.connect(database)
    connection.execute("DROP TRIGGER events_no_update")
    rows = connection.execute(
        "SELECT position, stream, version, type, data, recorded_at FROM events WHERE stream = ? ORDER BY version",
        (f"auction-{auction_id}",),
    ).fetchall()
    prev, changed = "0" * 64, 0
    for position, stream, version, type_, data, recorded_at in rows:
        value = json.loads(data)
        if type_ == "BidAccepted" and value["amount"] == "1600.00":
            value["amount"], changed = "1.00", changed + 1
            data = json.dumps(value)
        digest = chain_hash(prev, stream, version, type_, datetime.fromisoformat(recorded_at), json.loads(data))
        connection.execute(
            "UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?", (data, prev, digest, position)
        )
        prev = digest
    connection.commit()
    connection.close()
    assert changed == 1

    with pytest.raises(StartupRefused, match="first bad position"):
        async with running_api(f"sqlite:///{database}", head_file=str(tmp_path / "head.json")):
            pass


async def test_a_repeated_bid_whose_commit_head_is_no_longer_held_gets_a_receipt_on_the_log_now() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        first = (await api.bid(auction["id"], "alice", "1500.00", key="k")).json()["receipt"]
        await api.bid(auction["id"], "alice", "1600.00")
        api.runtime.transparency._recent.clear()  # as after a restart, or in another process
        again = (await api.bid(auction["id"], "alice", "1500.00", key="k")).json()["receipt"]
        key = (await api.client.get("/transparency/key")).json()["public_key"]

        verify_receipt(again, key)
        assert again["event"] == first["event"] and again["log"]["index"] == first["log"]["index"]
        assert again["log"]["head"]["size"] > first["log"]["head"]["size"]


def _forge_while_serving(database: Path, auction_id: str) -> None:
    """The review's attack on a running server: a bid's amount changed, its stream re-chained, and
    the whole Merkle tree rebuilt from the forged events, through the database file alone."""
    connection = sqlite3.connect(database)
    for trigger in ("events_no_update", "merkle_nodes_no_delete"):
        connection.execute(f"DROP TRIGGER {trigger}")
    rows = connection.execute(
        "SELECT position, stream, version, type, data, recorded_at FROM events WHERE stream = ? ORDER BY version",
        (f"auction-{auction_id}",),
    ).fetchall()
    prev = "0" * 64
    for position, stream, version, type_, data, recorded_at in rows:
        value = json.loads(data)
        if type_ == "BidAccepted" and value["amount"] == "1600.00":
            value["amount"] = "1.00"
        data = json.dumps(value)
        prev_hash, prev = prev, chain_hash(prev, stream, version, type_, datetime.fromisoformat(recorded_at), value)
        connection.execute(
            "UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?", (data, prev_hash, prev, position)
        )
    hashes = [bytes.fromhex(h) for (h,) in connection.execute("SELECT hash FROM events ORDER BY position")]
    frontier, nodes = merkle.Frontier(), []
    for digest in hashes:
        nodes += frontier.push(merkle.leaf_hash(digest))
    connection.execute("DELETE FROM merkle_nodes")
    connection.executemany("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
    connection.commit()
    connection.close()


async def test_a_log_forged_under_a_running_server_is_not_signed_and_not_served_again(tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    settings = {"head_file": str(tmp_path / "head.json")}
    async with running_api(f"sqlite:///{database}", **settings) as api:
        auction_id, _ = await _bids(api, ["1500.00", "1600.00"])
        signed = parse_head((await api.client.get("/transparency/head")).json())
        _forge_while_serving(database, auction_id)

        bid = await api.bid(auction_id, "alice", "1700.00")
        head = await api.client.get("/transparency/head")

        assert bid.status_code == 503 and bid.json()["error"]["code"] == "log_integrity", bid.text
        assert head.status_code == 503 and head.json()["error"]["code"] == "log_integrity"
        assert api.runtime.transparency.latest is not None and api.runtime.transparency.latest.size == signed.size

    from api.bootstrap import StartupRefused

    with pytest.raises(StartupRefused, match="first bad position"):
        async with running_api(f"sqlite:///{database}", **settings):
            pass


async def test_a_leaf_inserted_without_an_event_or_a_changed_subtree_is_refused(tmp_path: Path) -> None:
    from api.bootstrap import StartupRefused

    for damage, expected in (
        (
            "INSERT INTO merkle_nodes (level, idx, hash) SELECT 0, MAX(idx) + 1, zeroblob(32) FROM merkle_nodes"
            " WHERE level = 0",
            "leaves for",
        ),
        ("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0", "subtree of the events from"),
    ):
        database = tmp_path / f"log-{len(expected)}.sqlite3"
        settings = {"head_file": str(tmp_path / f"head-{len(expected)}.json")}
        async with running_api(f"sqlite:///{database}", **settings) as api:
            await _bids(api, ["1500.00", "1600.00"])
        connection = sqlite3.connect(database)
        connection.execute("DROP TRIGGER merkle_nodes_no_update")
        connection.execute(damage)
        connection.commit()
        connection.close()

        with pytest.raises(StartupRefused, match=expected):
            async with running_api(f"sqlite:///{database}", **settings):
                pass
