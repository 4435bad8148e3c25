"""Signing bid receipts: the application's acknowledgement of an accepted bid.

The format (which fields, their canonical bytes) and the offline check are the
auditors' (:mod:`projections.audit.receipts`): what is signed here is what they
verify. The key comes from the composition root (``api.bootstrap``), read once
at start-up; nothing here touches a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.merkle import Tree
from projections.audit.receipts import (
    ALGORITHM,
    TREE_ALGORITHM,
    ReceiptError,
    b64,
    leaf_hash,
    signed_bytes,
    tree_message,
    unb64,
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A signed receipt, the fields as the bidder receives them."""

    auction: str
    bidder_code: str
    amount: str
    position: int
    received_at: str
    algorithm: str
    public_key: str
    signature: str
    # What the algorithm proves the signature with: ``tree`` (a receipt tree's index, size and
    # path) or ``event`` and ``log`` (the bid's event, its path in the log and the signed head).
    proof: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "auction": self.auction,
            "bidder_code": self.bidder_code,
            "amount": self.amount,
            "position": self.position,
            "received_at": self.received_at,
            "algorithm": self.algorithm,
            "public_key": self.public_key,
            "signature": self.signature,
            **self.proof,
        }


class ReceiptSigner:
    """Signs receipts of the two older kinds with an Ed25519 key: one receipt alone (``Ed25519``),
    or a batch under one signature over the root of their Merkle tree, each carrying its path
    (``Ed25519-sha256-tree``, see :mod:`projections.audit.receipts`). The server's receipts are
    signed tree heads of the log (:class:`engine.app.transparency.Transparency`); the older
    kinds stay verifiable, and this makes them for tests and tools."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key_b64 = b64(raw)

    @classmethod
    def from_text(cls, text: str) -> ReceiptSigner:
        """``text``: a PEM private key or a base64url 32-byte seed."""
        return cls(load_private_key(text))

    def sign(self, receipt: dict[str, Any]) -> dict[str, Any]:
        """``receipt`` (its signed fields, and any others) with the algorithm, key and signature."""
        signature = self._key.sign(signed_bytes(receipt))
        return {**receipt, "algorithm": ALGORITHM, "public_key": self.public_key_b64, "signature": b64(signature)}

    def sign_together(self, batch: list[dict[str, Any]]) -> list[Receipt]:
        """Tree receipts for ``batch`` (each the five signed fields), under one signature."""
        tree = Tree.of_leaves([leaf_hash(fields) for fields in batch])
        size = len(batch)
        signature = b64(self._key.sign(tree_message(size, tree.root(size))))
        return [
            Receipt(
                fields["auction"],
                fields["bidder_code"],
                fields["amount"],
                fields["position"],
                fields["received_at"],
                TREE_ALGORITHM,
                self.public_key_b64,
                signature,
                {"tree": {"index": index, "size": size, "path": [b64(s) for s in tree.inclusion_proof(index, size)]}},
            )
            for index, fields in enumerate(batch)
        ]


def new_seed() -> str:
    """A new private key, as the base64url seed :meth:`ReceiptSigner.from_text` reads."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return b64(raw)


def load_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ReceiptError("the receipt key must be an Ed25519 key")
        return key
    seed = unb64(text)
    if len(seed) != 32:
        raise ReceiptError("an Ed25519 seed has 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)
