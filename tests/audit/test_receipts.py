"""Signed bid receipts verify offline, and any change to one is detected."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from api.cli import main
from projections.audit.receipts import ReceiptError, verify_receipt
from tests.audit.support import server_signer

RECEIPT = {
    "auction": "a-1",
    "bidder_code": "B-2",
    "amount": "81500.00",
    "position": 13,
    "received_at": "2026-05-12T10:59:59.123+00:00",
}


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_a_signed_receipt_verifies_with_the_published_key(tmp_path: Path) -> None:
    signer = server_signer(tmp_path)
    signed = signer.sign(RECEIPT)
    verify_receipt(signed, signer.public_key_b64)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "81500.01"),
        ("position", 14),
        ("received_at", "2026-05-12T10:59:58.123+00:00"),
        ("bidder_code", "B-3"),
    ],
)
def test_changing_any_signed_field_breaks_the_receipt(tmp_path: Path, field: str, value: object) -> None:
    signer = server_signer(tmp_path)
    forged = {**signer.sign(RECEIPT), field: value}
    with pytest.raises(ReceiptError):
        verify_receipt(forged, signer.public_key_b64)


def test_a_receipt_signed_by_another_key_fails_against_the_servers_key(tmp_path: Path) -> None:
    (tmp_path / "server").mkdir()
    (tmp_path / "other").mkdir()
    server = server_signer(tmp_path / "server")
    other = server_signer(tmp_path / "other")
    with pytest.raises(ReceiptError):
        verify_receipt(other.sign(RECEIPT), server.public_key_b64)


def test_the_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = server_signer(tmp_path)
    second = server_signer(tmp_path)
    assert first.public_key_b64 == second.public_key_b64


def test_auction_verify_receipt_accepts_a_good_receipt_and_exits_1_on_a_changed_one(tmp_path: Path) -> None:
    signer = server_signer(tmp_path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(signer.sign(RECEIPT)))
    code, out, _ = run_cli("verify-receipt", str(good), "--public-key", signer.public_key_b64)
    assert code == 0 and "receipt valid" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**signer.sign(RECEIPT), "amount": "91500.00"}))
    code, _, err = run_cli("verify-receipt", str(bad), "--public-key", signer.public_key_b64)
    assert code == 1 and "NOT valid" in err and len(err.strip().splitlines()) == 1


def test_processes_starting_together_share_one_key_and_never_read_half_a_file(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: server_signer(tmp_path).public_key_b64, range(32)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".auction-receipt-key"]
