"""Receipts issued together share one signature over their Merkle tree (RFC 6962 / 9162): each
verifies on its own, and any change to it, its place in the tree or its path is detected."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.app.receipts import ReceiptSigner, new_seed
from projections.audit.receipts import (
    TREE_ALGORITHM,
    ReceiptError,
    b64,
    signed_bytes,
    unb64,
    verify_receipt,
)

SIGNER = ReceiptSigner.from_text(new_seed())
KEY = SIGNER.public_key_b64


def fields(n: int) -> dict[str, Any]:
    return {
        "auction": f"a-{n % 3}",
        "bidder_code": f"B-{n % 7}",
        "amount": f"{1000 + n}.00",
        "position": n + 1,
        "received_at": f"2026-05-12T10:{n % 60:02d}:00.000+00:00",
    }


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962's MTH, written from its definition (recursion on the largest power of two below n)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70))
def test_every_receipt_of_a_batch_verifies_alone_under_the_one_signature(size: int) -> None:
    batch = [fields(n) for n in range(size)]
    receipts = [r.to_json() for r in SIGNER.sign_together(batch)]
    assert len({r["signature"] for r in receipts}) == 1
    leaves = [hashlib.sha256(b"\x00" + signed_bytes(f)).digest() for f in batch]
    message = b"judicial-auction receipt tree v1\x00" + size.to_bytes(8, "big") + reference_root(leaves)
    SIGNER.public_key.verify(unb64(receipts[0]["signature"]), message)  # the signed root is RFC 6962's
    for index, receipt in enumerate(receipts):
        assert receipt["algorithm"] == TREE_ALGORITHM
        assert receipt["tree"]["index"] == index and receipt["tree"]["size"] == size
        verify_receipt(receipt, KEY)


def forgeries(receipt: dict[str, Any], other: dict[str, Any]) -> list[dict[str, Any]]:
    tree = receipt["tree"]
    out = [
        {**receipt, "amount": "1.00"},
        {**receipt, "position": receipt["position"] + 1},
        {**receipt, "bidder_code": "B-99"},
        {**receipt, "tree": {**tree, "size": tree["size"] + 1}},
        {**receipt, "tree": {**tree, "index": (tree["index"] + 1) % tree["size"]}} if tree["size"] > 1 else None,
        {**receipt, "tree": other["tree"]} if other is not receipt else None,
        {**receipt, "tree": {**tree, "path": tree["path"][:-1]}} if tree["path"] else None,
        {**receipt, "tree": {**tree, "path": [*tree["path"], b64(bytes(32))]}},
        {**receipt, "algorithm": "Ed25519"},
    ]
    if tree["path"]:
        flipped = bytearray(unb64(tree["path"][0]))
        flipped[0] ^= 1
        out.append({**receipt, "tree": {**tree, "path": [b64(bytes(flipped)), *tree["path"][1:]]}})
    return [f for f in out if f is not None]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.data())
def test_a_changed_field_index_size_or_path_is_detected(size: int, data: st.DataObject) -> None:
    receipts = [r.to_json() for r in SIGNER.sign_together([fields(n) for n in range(size)])]
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    other = receipts[data.draw(st.integers(min_value=0, max_value=size - 1))]
    for forged in forgeries(receipts[index], other):
        if forged == receipts[index]:
            continue  # another receipt's tree that is the same (a batch of one)
        with pytest.raises(ReceiptError):
            verify_receipt(forged, KEY)


@pytest.mark.parametrize(
    "tree",
    [
        None,
        "not a tree",
        {"index": True, "size": 1, "path": []},
        {"index": 0, "size": "1", "path": []},
        {"index": 0, "size": 2, "path": "abc"},
        {"index": 0, "size": 2, "path": [1]},
        {"index": 0, "size": 2, "path": ["not base64 !"]},
        {"index": 0, "size": 2, "path": [b64(b"short")]},
        {"index": 3, "size": 2, "path": [b64(bytes(32))]},
        {"index": -1, "size": 2, "path": [b64(bytes(32))]},
        {"index": 0, "size": 2, "path": [b64(bytes(32))] * 65},
    ],
)
def test_a_malformed_tree_is_refused_with_a_reason(tree: Any) -> None:
    (receipt,) = SIGNER.sign_together([fields(0)])
    forged = {**receipt.to_json(), "tree": tree}
    if tree is None:
        del forged["tree"]
    with pytest.raises(ReceiptError):
        verify_receipt(forged, KEY)
