"""``auction verify`` against heads someone kept, and ``auction monitor`` following a server's heads.

The review's attack (rewrite a bid, re-chain its stream so every hash fits) and a
cut log both pass the hash chains; a head signed before either names them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Response

from api.cli import main
from engine import merkle
from engine.model import parse_instant
from engine.store.base import GENESIS_HASH, chain_hash, log_leaf
from projections.audit.heads import sign_head
from projections.audit.log import write_lines
from projections.audit.receipts import b64
from tests.api.support import running_api, served, swedish_auction, utc_now


def run_cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


async def _log_and_heads(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """An exported log of one auction with three bids, the head after the first bid, the head
    at the end, and the server's key."""
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        first = (await api.bid(auction["id"], "alice", "1500.00")).json()
        await api.bid(auction["id"], "bob", "1600.00")
        await api.bid(auction["id"], "alice", "1700.00")
        last = (await api.client.get("/transparency/head")).json()
        key = (await api.client.get("/transparency/key")).json()["public_key"]
        log = tmp_path / "log.jsonl"
        with log.open("wb") as out:  # the whole log, as `auction export` writes it
            await write_lines(api.runtime.store, None, out)
    (tmp_path / "first.json").write_text(json.dumps(first))  # the answer to the bid: its receipt's head
    (tmp_path / "last.json").write_text(json.dumps(last))
    return log, tmp_path / "first.json", tmp_path / "last.json", key


def _rechained(lines: list[dict[str, Any]], amount: str, forged: str) -> list[dict[str, Any]]:
    """The review's attack: one bid's amount changed, and its stream's chain made to fit again."""
    tips: dict[str, str] = {}
    out = []
    for line in lines:
        line = dict(line)
        if line["type"] == "BidAccepted" and line["data"]["amount"] == amount:
            line["data"] = {**line["data"], "amount": forged}
        prev = tips.get(line["stream"], GENESIS_HASH)
        line["prev_hash"] = prev
        line["hash"] = chain_hash(
            prev, line["stream"], line["version"], line["type"], parse_instant(line["recorded_at"]), line["data"]
        )
        tips[line["stream"]] = line["hash"]
        out.append(line)
    return out


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def test_an_intact_log_extends_every_head_kept_of_it(tmp_path: Path) -> None:
    log, first, last, key = await _log_and_heads(tmp_path)

    code, err = run_cli("verify", str(log), "--head", str(first), "--head", str(last), "--public-key", key)

    assert code == 0, err
    assert "extends 2 head(s), signatures checked" in err


async def test_a_rewritten_and_rechained_log_passes_its_chains_but_not_a_head_from_before(tmp_path: Path) -> None:
    log, first, last, key = await _log_and_heads(tmp_path)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    forged = _write(tmp_path / "forged.jsonl", _rechained(lines, "1600.00", "1.00"))

    assert run_cli("verify", str(forged))[0] == 0  # the chains alone cannot tell
    code, err = run_cli("verify", str(forged), "--head", str(first), "--head", str(last), "--public-key", key)

    assert code == 1
    # The first head still matches (the forged bid came after it): the bad position is bounded by both.
    first_size = json.loads(first.read_text())["receipt"]["log"]["head"]["size"]
    assert f"first bad position between {first_size + 1} and" in err, err
    assert "rewritten" in err


async def test_a_log_cut_before_a_head_names_the_first_missing_position(tmp_path: Path) -> None:
    log, _, last, key = await _log_and_heads(tmp_path)
    lines = log.read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-2]))

    assert run_cli("verify", str(cut))[0] == 0  # the chains alone cannot tell
    code, err = run_cli("verify", str(cut), "--head", str(last), "--public-key", key)

    assert code == 1
    assert f"first bad position {len(lines) - 1}" in err and "cut" in err, err


async def test_a_head_signed_by_another_key_exits_1_and_bad_input_exits_2(tmp_path: Path) -> None:
    log, _, last, _ = await _log_and_heads(tmp_path)
    other = b64(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    (tmp_path / "junk.json").write_text('{"size": "ten"}')
    (tmp_path / "junk.jsonl").write_text("not a log\n")

    assert run_cli("verify", str(log), "--head", str(last), "--public-key", other)[0] == 1
    assert run_cli("verify", str(log), "--head", str(tmp_path / "junk.json"))[0] == 2
    assert run_cli("verify", str(tmp_path / "junk.jsonl"))[0] == 2
    assert run_cli("verify", str(tmp_path / "absent.jsonl"))[0] == 2


# ------------------------------------------------------------------ monitor


async def _monitor(*args: str) -> tuple[int, str]:
    return await asyncio.to_thread(run_cli, "monitor", *args)


async def test_the_monitor_follows_a_growing_log_and_keeps_its_last_head(tmp_path: Path) -> None:
    async with running_api() as api:
        async with served(api.app) as where:
            auction = await api.schedule(swedish_auction(utc_now()))
            await api.register(auction["id"], "alice")
            state = tmp_path / "monitor.json"
            assert (await _monitor(f"http://{where}", "--state", str(state), "--count", "1"))[0] == 0
            before = json.loads(state.read_text())["head"]["size"]
            await api.bid(auction["id"], "alice", "1500.00")
            code, err = await _monitor(f"http://{where}", "--state", str(state), "--count", "1")

    assert code == 0, err
    assert json.loads(state.read_text())["head"]["size"] > before
    assert f"extends {before}" in err


class ForkedLog:
    """A server whose heads are signed with its key but whose second log rewrites the first."""

    def __init__(self, key: Ed25519PrivateKey | None = None, consistency: int = 200, body: bytes | None = None) -> None:
        self.key = key or Ed25519PrivateKey.generate()
        self.status, self.body = consistency, body
        honest = [merkle.leaf_hash(bytes([n])) for n in range(6)]
        rewritten = [*honest[:2], merkle.leaf_hash(b"forged"), *honest[3:]]
        self.trees = [merkle.Tree.of_leaves(honest[:4]), merkle.Tree.of_leaves(rewritten)]
        self.sizes = [4, 6]
        self.served = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/transparency/key")
        async def key() -> dict[str, str]:
            return {"public_key": b64(self.key.public_key().public_bytes_raw()), "key_id": "k"}

        @app.get("/transparency/head")
        async def head() -> dict[str, Any]:
            index = min(self.served, 1)
            self.served += 1
            size = self.sizes[index]
            root = self.trees[index].root(size)
            return sign_head(self.key.sign, self.key.public_key(), size, root, "2026-12-04T10:00:00Z").to_json()

        @app.get("/transparency/consistency")
        async def consistency(first: int, second: int) -> Response:
            if self.body is not None:
                return Response(self.body, media_type="text/html")
            path = [p.hex() for p in self.trees[1].consistency_proof(first, second)]
            return Response(json.dumps({"path": path}), self.status, media_type="application/json")

        return app


async def test_the_monitor_exits_1_on_a_log_that_does_not_extend_the_last_head() -> None:
    forked = ForkedLog()
    async with served(forked.app()) as where:
        code, err = await _monitor(f"http://{where}", "--count", "2", "--interval", "0.05")

    assert code == 1
    assert "FORK" in err and "does not extend" in err


async def test_the_monitor_refuses_a_url_that_is_not_one() -> None:
    assert (await _monitor("ftp://example.org", "--count", "1"))[0] == 2


def test_log_leaves_are_the_events_hashes() -> None:
    # The tree the monitor and verify check is over the events' own hashes, so that re-chaining
    # a stream (new hashes) changes the leaves and the root.
    assert log_leaf("00" * 32) == merkle.leaf_hash(bytes(32))


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


async def test_a_restarted_monitor_keeps_its_pinned_key_and_calls_another_a_fork(tmp_path: Path) -> None:
    honest = ForkedLog()
    state = tmp_path / "monitor.json"
    async with served(honest.app()) as where:
        assert (await _monitor(f"http://{where}", "--state", str(state), "--count", "1"))[0] == 0
    impostor = ForkedLog()  # another key, and a log that starts like the first
    impostor.served = 1
    async with served(impostor.app()) as where:
        code, err = await _monitor(f"http://{where}", "--state", str(state), "--count", "1")

    assert code == 1 and "FORK" in err and "signed by key" in err, err


@pytest.mark.parametrize(("status", "body"), [(500, None), (200, b"<html>maintenance</html>")])
async def test_a_head_that_never_comes_with_its_proof_is_a_fork_not_a_hang(status: int, body: bytes | None) -> None:
    log = ForkedLog(consistency=status, body=body)
    async with served(log.app()) as where:
        code, err = await _monitor(f"http://{where}", "--count", "5", "--interval", "0.05")

    assert code == 1 and "no consistency proof" in err, err
    assert "Traceback" not in err


async def test_verify_an_emptied_log_is_a_cut_and_a_malformed_receipt_is_bad_input(tmp_path: Path) -> None:
    _, first, last, key = await _log_and_heads(tmp_path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    (tmp_path / "odd.json").write_text('{"receipt": {"log": 5}}')
    (tmp_path / "zero.json").write_text(json.dumps({**json.loads(last.read_text()), "size": 0}))

    code, err = run_cli("verify", str(empty), "--head", str(last), "--public-key", key)
    assert code == 1 and "first bad position 1" in err and "cut" in err, err
    assert run_cli("verify", str(empty))[0] == 2
    assert run_cli("verify", str(tmp_path / "log.jsonl"), "--head", str(tmp_path / "odd.json"))[0] == 2
    assert run_cli("verify", str(tmp_path / "log.jsonl"), "--head", str(tmp_path / "zero.json"))[0] == 2


async def test_a_receipt_verifies_only_as_the_server_wrote_its_fields(tmp_path: Path) -> None:
    from projections.audit.receipts import ReceiptError, verify_receipt

    _, first, _, key = await _log_and_heads(tmp_path)
    receipt = json.loads(first.read_text())["receipt"]
    verify_receipt(receipt, key)
    for changed in ({"amount": "1500"}, {"amount": "1500.0"}, {"received_at": receipt["received_at"] + "+00:00"}):
        with pytest.raises(ReceiptError):
            verify_receipt({**receipt, **changed}, key)
