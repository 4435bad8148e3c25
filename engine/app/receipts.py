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

from projections.audit.receipts import ALGORITHM, ReceiptError, b64, signed_bytes, unb64


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
        }


class ReceiptSigner:
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

    def receipt(self, auction: str, bidder_code: str, amount: str, position: int, received_at: str) -> Receipt:
        fields = {
            "auction": auction,
            "bidder_code": bidder_code,
            "amount": amount,
            "position": position,
            "received_at": received_at,
        }
        signature = b64(self._key.sign(signed_bytes(fields)))
        return Receipt(auction, bidder_code, amount, position, received_at, ALGORITHM, self.public_key_b64, signature)


def new_seed() -> str:
    """A new private key, as the base64url seed :meth:`ReceiptSigner.from_text` reads."""
    key = Ed25519PrivateKey.generate()
    return b64(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()))


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
