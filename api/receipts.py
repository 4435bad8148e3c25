"""Signed bid receipts (Ed25519).

The answer to an accepted bid carries a signature over the auction, the
bidder code, the amount, the event position and the receipt time, so a bidder
can later prove, offline, that the bid was received and when. The signed bytes
are the canonical JSON of those five fields (sorted keys, no white space).
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNED_FIELDS = ("auction", "bidder_code", "amount", "position", "received_at")
KEY_FILE = ".auction-receipt-key"
ALGORITHM = "Ed25519"


class ReceiptError(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ReceiptError("not valid base64url") from None


def signed_bytes(receipt: dict[str, Any]) -> bytes:
    missing = [name for name in SIGNED_FIELDS if name not in receipt]
    if missing:
        raise ReceiptError(f"receipt lacks {', '.join(missing)}")
    return orjson.dumps({name: receipt[name] for name in SIGNED_FIELDS}, option=orjson.OPT_SORT_KEYS)


class ReceiptSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key_b64 = _b64(raw)

    @classmethod
    def from_setting(cls, value: str | None, directory: Path | None = None) -> ReceiptSigner:
        """``value``: a PEM private key or a base64url 32-byte seed; without one, a key
        generated once and kept in ``.auction-receipt-key`` in the working directory."""
        if value:
            return cls(load_private_key(value))
        path = (directory or Path.cwd()) / KEY_FILE
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            seed = key.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            # The first process to create the file wins; others started at the same moment
            # in the same directory read its key, never a half-written one.
            write_once(path, _b64(seed) + "\n")
        return cls(load_private_key(path.read_text()))

    def sign(self, receipt: dict[str, Any]) -> dict[str, Any]:
        signature = self._key.sign(signed_bytes(receipt))
        return {**receipt, "algorithm": ALGORITHM, "public_key": self.public_key_b64, "signature": _b64(signature)}


def write_once(path: Path, text: str) -> str:
    """Create ``path`` (mode 0600) holding ``text`` unless it exists; return the file's content.

    The text goes to a temporary file first and is linked into place, so the file
    appears whole or not at all, and an existing file is never replaced."""
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        temporary.write_text(text)
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text()


def load_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ReceiptError("the receipt key must be an Ed25519 key")
        return key
    seed = _unb64(text)
    if len(seed) != 32:
        raise ReceiptError("an Ed25519 seed has 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_public_key(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError, UnicodeError):
            raise ReceiptError("not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ReceiptError("not an Ed25519 public key")
        return key
    raw = _unb64(text)
    if len(raw) != 32:
        raise ReceiptError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_receipt(receipt: dict[str, Any], public_key: str | None = None) -> None:
    """Raise :class:`ReceiptError` unless the signature matches. ``public_key`` is
    the server's key as published (base64url or PEM); without it, the key written
    in the receipt is used, which proves integrity but not who signed."""
    if receipt.get("algorithm") != ALGORITHM:
        raise ReceiptError(f"unknown algorithm {receipt.get('algorithm')!r}")
    key_text = public_key or receipt.get("public_key")
    if not isinstance(key_text, str):
        raise ReceiptError("no public key")
    signature = receipt.get("signature")
    if not isinstance(signature, str):
        raise ReceiptError("no signature")
    try:
        load_public_key(key_text).verify(_unb64(signature), signed_bytes(receipt))
    except InvalidSignature:
        raise ReceiptError("the signature does not match the receipt") from None
