"""The command line against bad input: a short token secret, a file that is not a log, the whole
answer to a bid given as a receipt. Bad input exits 2 with one line; a log or receipt that does
not verify exits 1."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from api.cli import main
from api.settings import MIN_SECRET_BYTES, Settings, local_secret
from tests.api.support import running_api, swedish_auction, utc_now

LONG_SECRET = "a-secret-of-more-than-thirty-two-bytes-0123456789"


def run_cli(*args: str) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    wrapper = io.TextIOWrapper(out, encoding="utf-8")
    with contextlib.redirect_stdout(wrapper), contextlib.redirect_stderr(err):
        code = main(list(args))
        wrapper.flush()
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# ------------------------------------------------------------------ 7. the token secret


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory and no AUCTION_SECRET."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUCTION_SECRET", raising=False)
    return tmp_path


@pytest.mark.parametrize("secret", ["x", "s" * (MIN_SECRET_BYTES - 1), "é" * 15])
def test_a_secret_under_32_bytes_is_refused_by_token_and_serve(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    import api.server

    started: list[object] = []
    monkeypatch.setattr(api.server, "run", started.append)
    code, out, err = run_cli("token", "--role", "bidder", "--subject", "alice", "--secret", secret)
    assert (code, out) == (2, b"")
    assert "--secret must be at least 32 bytes" in one_line(err)
    monkeypatch.setenv("AUCTION_SECRET", secret)
    for args in (["token", "--role", "bidder", "--subject", "alice"], ["serve"]):
        code, out, err = run_cli(*args)
        assert (code, out) == (2, b"")
        assert "AUCTION_SECRET must be at least 32 bytes" in one_line(err)
    assert started == []
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Settings(secret=secret)


def test_a_short_secret_file_is_refused_too_and_the_generated_one_is_long_enough(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.server

    started: list[object] = []
    monkeypatch.setattr(api.server, "run", started.append)
    generated = local_secret(elsewhere)
    assert len(generated.encode()) >= MIN_SECRET_BYTES
    (elsewhere / ".auction-secret").write_text("short\n")
    for args in (["token", "--role", "bidder", "--subject", "alice"], ["serve"]):
        code, _, err = run_cli(*args)
        assert code == 2
        assert ".auction-secret must be at least 32 bytes" in one_line(err)
    assert started == []


def test_a_long_enough_secret_signs_a_token_the_server_accepts(elsewhere: Path) -> None:
    from api.auth import read_token

    code, out, _ = run_cli("token", "--role", "bidder", "--subject", "alice", "--secret", LONG_SECRET)
    assert code == 0
    assert read_token(out.decode().strip(), LONG_SECRET).subject == "alice"


# ------------------------------------------------------------------ 15. replay and verify-receipt


async def _exported_log(tmp_path: Path) -> Path:
    """The event log of an auction with a bid, as GET /auctions/{id}/events serves it."""
    from tests.api.support import AUDITOR

    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "1500.00")).status_code == 201
        events = await api.client.get(f"/auctions/{auction['id']}/events", headers=AUDITOR)
    log = tmp_path / "log.jsonl"
    log.write_bytes(events.content)
    return log


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n", b'{"a": 1}\n', b"\x89PNG\r\n\x1a\n\x00\x00", b"id,amount\n1,2\n", b'[{"position": 1}]\n'],
    ids=["empty", "blank", "json-object", "binary", "csv", "json-list"],
)
def test_replaying_a_file_that_is_not_a_log_exits_2_with_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-log.jsonl"
    path.write_bytes(content)
    code, out, err = run_cli("replay", str(path))
    assert (code, out) == (2, b"")
    assert one_line(err).startswith(f"auction: {path}: ")


async def test_a_log_with_a_damaged_line_still_does_not_verify_exit_1(tmp_path: Path) -> None:
    log = await _exported_log(tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(b"".join(lines[:2]) + b"{not json\n" + b"".join(lines[2:]))
    code, out, err = run_cli("replay", str(damaged))
    assert (code, out) == (1, b"")
    assert "log NOT verified: line 3" in one_line(err)
    code, out, _ = run_cli("replay", str(log))
    assert code == 0 and out


async def test_verify_receipt_takes_the_whole_answer_to_a_bid(tmp_path: Path) -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        answer = (await api.bid(auction["id"], "alice", "1500.00")).json()
        key = (await api.client.get("/receipts/public-key")).json()["public_key"]
    whole = tmp_path / "answer.json"
    whole.write_text(json.dumps(answer))
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(answer["receipt"]))
    for path in (whole, receipt):
        code, out, err = run_cli("verify-receipt", str(path), "--public-key", key)
        assert code == 0, err
        assert f"receipt valid: auction {auction['id']}" in out.decode()
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps({**answer, "receipt": {**answer["receipt"], "amount": "9999.00"}}))
    code, _, err = run_cli("verify-receipt", str(altered), "--public-key", key)
    assert code == 1 and "NOT valid" in one_line(err)
    for name, document in [("list.json", [1, 2]), ("other.json", {"auction": "a", "receipt": "no"})]:
        (tmp_path / name).write_text(json.dumps(document))
        code, _, err = run_cli("verify-receipt", str(tmp_path / name), "--public-key", key)
        assert code == 2, err
        one_line(err)


def test_the_help_of_verify_receipt_names_the_answer_it_takes() -> None:
    code, out, _ = run_cli("verify-receipt", "--help")
    assert code == 0 and b"answer to an accepted bid" in out


def test_a_token_made_in_another_directory_is_refused_saying_how_to_share_the_secret(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.auth import InvalidToken, read_token

    code, out, _ = run_cli("token", "--role", "bidder", "--subject", "alice")  # this directory's secret
    assert code == 0
    with pytest.raises(InvalidToken) as refused:
        read_token(out.decode().strip(), LONG_SECRET)  # a server started in another directory
    assert "does not match this server's secret" in str(refused.value)
    assert "AUCTION_SECRET" in str(refused.value) and ".auction-secret" in str(refused.value)
