"""Signed bid receipts (Ed25519): their format, their offline check, and the log they vouch for.

The answer to an accepted bid carries a signature over the auction, the
bidder code, the amount, the event position and the receipt time, so a bidder
can later prove, offline, that the bid was received and when. The receipt's
bytes are the canonical JSON of those five fields (sorted keys, no white
space). Two algorithms:

``Ed25519``
    the signature is over the receipt's bytes.
``Ed25519-sha256-tree``
    the receipts issued together (the bids of one turn of the server's event
    loop) are the leaves of a Merkle tree as in RFC 6962 / RFC 9162 section 2.1
    (leaf ``SHA-256(0x00 || bytes)``, node ``SHA-256(0x01 || left || right)``),
    and the signature is over :data:`TREE_LABEL`, the tree's size (8 bytes, big
    endian) and its root. The receipt carries ``tree``: its ``index`` among the
    leaves, the ``size``, and the ``path`` of sibling hashes (base64url) from
    its leaf to the root. One signature thus vouches for every receipt of the
    batch, and each receipt is checked on its own, without the others.

``Ed25519-log``
    the receipt is the server's signed tree head after the commit that wrote the
    bid (:mod:`projections.audit.heads`) with the bid's event (``event``: its
    type, data and ``prev_hash``) and the event's inclusion proof in that tree
    (``log``: ``index`` = its global position - 1, ``path`` of hex hashes, and the
    ``head``); ``signature`` is the head's. The check recomputes the event's hash
    from the receipt's fields and ``event``, its leaf, the root its path leads to,
    and the head's signature over that root. One signature per commit thus vouches
    for every bid of the commit and for the whole log before it: the receipt also
    proves, against any later copy of the log, that the copy extends what the
    bidder was shown.

The server signs with ``engine.app.transparency.Transparency`` (``Ed25519-log``);
``engine.app.receipts.ReceiptSigner`` makes the two older kinds, which stay verifiable.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine import codec, merkle
from engine.events import BidAccepted
from engine.model import format_instant, format_money, parse_instant, parse_money
from engine.store.base import StoredEvent, chain_hash, log_leaf
from engine.streams import auction_of, stream_of
from projections.audit.log import LogError

SIGNED_FIELDS = ("auction", "bidder_code", "amount", "position", "received_at")
ALGORITHM = "Ed25519"
TREE_ALGORITHM = "Ed25519-sha256-tree"
TREE_LABEL = b"judicial-auction receipt tree v1\x00"
LOG_ALGORITHM = "Ed25519-log"


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


def leaf_hash(receipt: dict[str, Any]) -> bytes:
    return merkle.leaf_hash(signed_bytes(receipt))


def tree_message(size: int, root: bytes) -> bytes:
    """What a tree receipt's signature is over."""
    return TREE_LABEL + size.to_bytes(8, "big") + root


def _signed_message(receipt: dict[str, Any]) -> bytes:
    """The bytes the receipt's signature must be over, by its algorithm."""
    algorithm = receipt.get("algorithm")
    if algorithm == ALGORITHM:
        return signed_bytes(receipt)
    if algorithm != TREE_ALGORITHM:
        raise ReceiptError(f"unknown algorithm {algorithm!r}")
    tree = receipt.get("tree")
    if not isinstance(tree, dict):
        raise ReceiptError("a tree receipt needs its tree")
    index, size, path = tree.get("index"), tree.get("size"), tree.get("path")
    if type(index) is not int or type(size) is not int or not isinstance(path, list) or len(path) > 64:
        raise ReceiptError("a receipt's tree needs index and size as JSON numbers and path as a list")
    if not all(isinstance(step, str) for step in path):
        raise ReceiptError("a receipt's tree path is a list of base64url hashes")
    steps = [unb64(step) for step in path]
    if any(len(step) != 32 for step in steps):
        raise ReceiptError("a receipt's tree path is a list of SHA-256 hashes")
    root = merkle.root_from_inclusion(leaf_hash(receipt), index, size, steps)
    if root is None:
        raise ReceiptError("the receipt's tree path does not fit its index and size")
    return tree_message(size, root)


def verify_receipt(receipt: dict[str, Any], public_key: str | None = None) -> None:
    """Raise :class:`ReceiptError` unless the signature matches. ``public_key`` is
    the server's key as published (base64url or PEM); without it, the key written
    in the receipt is used, which proves integrity but not who signed."""
    key_text = public_key or receipt.get("public_key")
    if not isinstance(key_text, str):
        raise ReceiptError("no public key")
    if receipt.get("algorithm") == LOG_ALGORITHM:
        _verify_log_receipt(receipt, key_text)
        return
    message = _signed_message(receipt)
    signature = receipt.get("signature")
    if not isinstance(signature, str):
        raise ReceiptError("no signature")
    try:
        load_public_key(key_text).verify(unb64(signature), message)
    except InvalidSignature:
        raise ReceiptError("the signature does not match the receipt") from None


def receipt_event_hash(receipt: dict[str, Any]) -> str:
    """The hash of the event an ``Ed25519-log`` receipt carries, from its own fields: the bid
    its signed fields name, in the auction's stream at its position, at its receipt time."""
    event = receipt.get("event")
    if not isinstance(event, dict):
        raise ReceiptError("an Ed25519-log receipt needs its event")
    type_, data, prev_hash = event.get("type"), event.get("data"), event.get("prev_hash")
    if type_ != "BidAccepted" or not isinstance(data, dict) or not isinstance(prev_hash, str):
        raise ReceiptError("a receipt's event is an accepted bid: type, data and prev_hash")
    try:
        bid = codec.decode(type_, data)
        at = parse_instant(receipt["received_at"])
        signed = (receipt["bidder_code"], parse_money(receipt["amount"]), at)
    except (ValueError, TypeError, KeyError) as exc:
        raise ReceiptError(f"the receipt's event cannot be read: {exc}") from None
    if not isinstance(bid, BidAccepted) or (bid.bidder_code, bid.amount) != signed[:2]:
        raise ReceiptError("the receipt's event is not the bid its fields name")
    # The fields as the server wrote them, byte for byte: another spelling of the same amount or
    # instant is not what was signed.
    if receipt["amount"] != format_money(bid.amount) or receipt["received_at"] != format_instant(at):
        raise ReceiptError("the receipt's amount or time is not written as the server wrote it")
    auction, position = receipt.get("auction"), receipt.get("position")
    if not isinstance(auction, str) or type(position) is not int:
        raise ReceiptError("a receipt needs auction as a string and position as a number")
    return chain_hash(prev_hash, stream_of(auction), position, type_, at, data)


def _verify_log_receipt(receipt: dict[str, Any], public_key: str) -> None:
    from projections.audit.heads import HeadError, hashes_from_hex, parse_head, verify_head

    log = receipt.get("log")
    if not isinstance(log, dict):
        raise ReceiptError("an Ed25519-log receipt needs its log proof")
    try:
        head = parse_head(log.get("head"))
        path = hashes_from_hex(log.get("path"), "a receipt's log path")
    except HeadError as exc:
        raise ReceiptError(str(exc)) from None
    index = log.get("index")
    if type(index) is not int:
        raise ReceiptError("a receipt's log index is a JSON number")
    if receipt.get("signature") != head.signature:
        raise ReceiptError("the receipt's signature is not its head's")
    leaf = log_leaf(receipt_event_hash(receipt))
    if not merkle.verify_inclusion(leaf, index, head.size, path, head.root):
        raise ReceiptError("the bid's event is not in the log its head signs (the path leads elsewhere)")
    try:
        verify_head(head, public_key)
    except HeadError as exc:
        raise ReceiptError(str(exc)) from None


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


def check_receipts(
    events: Sequence[StoredEvent], receipts: Sequence[tuple[str, dict[str, Any]]], public_key: str
) -> None:
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
            raise LogError(
                f"{name}: the receipt for position {position} of auction {auction!r} cannot be read: {exc}"
            ) from None
        if not isinstance(event, BidAccepted) or (event.bidder_code, event.amount, event.at) != signed:
            raise LogError(
                f"{name}: event at position {found.position} (auction {auction!r}, position {position}) is not"
                " the accepted bid its receipt names"
            )
        if receipt.get("algorithm") == LOG_ALGORITHM and (
            found.hash != receipt_event_hash(receipt) or found.position != receipt["log"]["index"] + 1
        ):
            raise LogError(
                f"{name}: event at position {found.position} (auction {auction!r}, position {position}) is not"
                " the event the receipt's signed log holds there"
            )
