"""Signed bid receipts (Ed25519): their format, their offline check, and the log they vouch for.

The answer to an accepted bid carries a signature over the auction, the
bidder code, the amount, the event position and the receipt time, so a bidder
can later prove, offline, that the bid was received and when. The signed bytes
are the canonical JSON of those five fields (sorted keys, no white space). The
server signs with ``engine.app.receipts.ReceiptSigner``, on this format.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine import codec
from engine.events import BidAccepted
from engine.model import parse_instant, parse_money
from engine.store.base import StoredEvent
from engine.streams import auction_of
from projections.audit.log import LogError

SIGNED_FIELDS = ("auction", "bidder_code", "amount", "position", "received_at")
ALGORITHM = "Ed25519"


class ReceiptError(ValueError):
    pass


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ReceiptError("not valid base64url") from None


def signed_bytes(receipt: dict[str, Any]) -> bytes:
    missing = [name for name in SIGNED_FIELDS if name not in receipt]
    if missing:
        raise ReceiptError(f"receipt lacks {', '.join(missing)}")
    return orjson.dumps({name: receipt[name] for name in SIGNED_FIELDS}, option=orjson.OPT_SORT_KEYS)


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
    raw = unb64(text)
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
        load_public_key(key_text).verify(unb64(signature), signed_bytes(receipt))
    except InvalidSignature:
        raise ReceiptError("the signature does not match the receipt") from None


# ------------------------------------------------------------------ receipts against a log


def receipts_in(document: Any) -> list[dict[str, Any]]:
    """The receipts a file holds: one receipt, the answer to a bid (with its ``receipt``), or a list of either."""
    items = document if isinstance(document, list) else [document]
    receipts = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("receipt"), dict):
            item = item["receipt"]
        if not isinstance(item, dict):
            raise LogError("a receipt is a JSON object")
        problem = _receipt_shape(item)
        if problem is not None:
            raise LogError(problem)
        receipts.append(item)
    if not receipts:
        raise LogError("no receipt in it")
    return receipts


# The fields of a receipt (the signed ones, the algorithm and the signature) and their JSON
# types: every one a string but the position.
_RECEIPT_FIELDS: dict[str, type] = {
    name: int if name == "position" else str for name in (*SIGNED_FIELDS, "algorithm", "signature")
}


def _receipt_shape(item: dict[str, Any]) -> str | None:
    """What makes ``item`` not a receipt at all (bad input, not a bad log), if anything."""
    for name, kind in _RECEIPT_FIELDS.items():
        value = item.get(name)
        if type(value) is not kind:  # type(): a JSON true is not a position
            return f"a receipt needs {name} as a JSON {'number' if kind is int else 'string'}"
    return None


def check_receipts(events: Sequence[StoredEvent], receipts: Sequence[tuple[str, dict[str, Any]]], public_key: str) -> None:
    """Raise :class:`LogError` (naming the receipt) unless every receipt is signed by
    ``public_key`` and the log holds the accepted bid it names.

    The hash chains prove a log unaltered up to each stream's last event, but not that
    nothing came after: a copy cut there still verifies. A bidder's receipt, signed when
    the bid was acknowledged, names the bid's auction and position; a log without that
    bid, or with another event there, is not the whole log."""
    at: dict[tuple[str | None, int], StoredEvent] = {(auction_of(e.stream), e.version): e for e in events}
    last: dict[str | None, int] = {auction_of(e.stream): e.version for e in events}
    for name, receipt in receipts:
        try:
            verify_receipt(receipt, public_key)
        except ReceiptError as exc:
            raise LogError(f"{name}: receipt NOT valid: {exc}") from None
        auction, position = receipt["auction"], receipt["position"]
        found = at.get((auction, position))
        if found is None:
            raise LogError(
                f"{name}: the receipt for position {position} of auction {auction!r} has no event in the log,"
                f" whose copy of that auction ends at position {last.get(auction, 0)}: events are missing"
            )
        try:
            event = codec.decode(found.type, found.data)
            signed = (receipt["bidder_code"], parse_money(receipt["amount"]), parse_instant(receipt["received_at"]))
        except (ValueError, TypeError) as exc:
            raise LogError(f"{name}: the receipt for position {position} of auction {auction!r} cannot be read: {exc}") from None
        if not isinstance(event, BidAccepted) or (event.bidder_code, event.amount, event.at) != signed:
            raise LogError(
                f"{name}: event at position {found.position} (auction {auction!r}, position {position}) is not"
                " the accepted bid its receipt names"
            )
