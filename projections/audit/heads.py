"""Signed tree heads: the server's signed statement of how long its log is and what it holds.

A head is ``{"size", "root", "time", "signature", "key_id"}``: the number of
events in the log, the root of the Merkle tree over them (RFC 9162 hashing,
hex), the instant of signing (RFC 3339, UTC), an Ed25519 signature (base64url)
over :func:`head_message`, and the key's id (the hex SHA-256 of its 32 raw
public bytes). One who keeps a head can later ask the server, or any copy of
the log, for a consistency proof: a log rewritten or cut before ``size``
cannot produce one, because its root at ``size`` differs, and a new root needs
the server's key to be signed.

This module is the format and its offline check; the server signs with
:class:`engine.app.transparency.Transparency`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine import merkle
from engine.store.base import StoredEvent, log_leaf
from engine.store.chain import ChainBroken, verify_chain
from projections.audit.receipts import ReceiptError, b64, load_public_key, unb64

HEAD_LABEL = b"judicial-auction tree head v1\x00"
FIELDS = ("size", "root", "time", "signature", "key_id")
_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_PROOF = 128  # two paths of at most 63 hashes each: more is not a proof of a tree this store can hold


class HeadError(ValueError):
    """A head, or a proof about heads, that does not hold."""


@dataclass(frozen=True)
class Head:
    size: int
    root: bytes
    time: str
    signature: str
    key_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": self.root.hex(),
            "time": self.time,
            "signature": self.signature,
            "key_id": self.key_id,
        }


def head_message(size: int, root: bytes, time: str) -> bytes:
    """What a head's signature is over: the label, then the canonical JSON of size, root and time."""
    return HEAD_LABEL + orjson.dumps({"root": root.hex(), "size": size, "time": time}, option=orjson.OPT_SORT_KEYS)


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def parse_head(document: Any) -> Head:
    """A head from its JSON form; :class:`HeadError` naming what is wrong."""
    if not isinstance(document, dict):
        raise HeadError("a tree head is a JSON object")
    missing = [name for name in FIELDS if name not in document]
    if missing:
        raise HeadError(f"a tree head needs {', '.join(missing)}")
    size, root, time = document["size"], document["root"], document["time"]
    signature, kid = document["signature"], document["key_id"]
    if type(size) is not int or size < 0:
        raise HeadError("a tree head's size is a JSON number >= 0")
    if not isinstance(root, str) or not _HEX64.fullmatch(root):
        raise HeadError("a tree head's root is 64 lower-case hex digits")
    if not isinstance(kid, str) or not _HEX64.fullmatch(kid):
        raise HeadError("a tree head's key_id is 64 lower-case hex digits")
    if not isinstance(signature, str) or not isinstance(time, str):
        raise HeadError("a tree head's signature and time are strings")
    try:
        datetime.fromisoformat(time)
    except ValueError:
        raise HeadError(f"a tree head's time is not an RFC 3339 instant: {time[:40]!r}") from None
    if size == 0 and root != merkle.EMPTY_ROOT.hex():
        raise HeadError("a tree head of 0 events has the empty tree's root")
    return Head(size, bytes.fromhex(root), time, signature, kid)


def head_in(document: Any) -> Head:
    """The head a document holds: a head itself, a bid receipt (the head it carries) or the answer to
    a bid (its receipt's head)."""
    if isinstance(document, dict) and isinstance(document.get("receipt"), dict):
        document = document["receipt"]
    if isinstance(document, dict) and "log" in document and "size" not in document:
        log = document["log"]
        if not isinstance(log, dict):
            raise HeadError("a receipt's log is a JSON object with its head")
        document = log.get("head")
    return parse_head(document)


def verify_head(head: Head, public_key: Ed25519PublicKey | str) -> None:
    """Raise :class:`HeadError` unless ``head`` is signed by ``public_key`` (a key or its text)."""
    try:
        key = load_public_key(public_key) if isinstance(public_key, str) else public_key
        signature = unb64(head.signature)
    except ReceiptError as error:
        raise HeadError(str(error)) from None
    if head.key_id != key_id(key):
        raise HeadError(f"the head was signed by key {head.key_id[:16]}…, not by {key_id(key)[:16]}…")
    try:
        key.verify(signature, head_message(head.size, head.root, head.time))
    except InvalidSignature:
        raise HeadError("the head's signature does not match its size, root and time") from None


def sign_head(
    private_sign: Callable[[bytes], bytes], public_key: Ed25519PublicKey, size: int, root: bytes, time: str
) -> Head:
    """A head signed by ``private_sign`` (an Ed25519 private key's ``sign``)."""
    return Head(size, root, time, b64(private_sign(head_message(size, root, time))), key_id(public_key))


def hashes_from_hex(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list) or len(values) > MAX_PROOF or not all(isinstance(v, str) for v in values):
        raise HeadError(f"{what} is a list of hex SHA-256 hashes")
    if not all(_HEX64.fullmatch(v) for v in values):
        raise HeadError(f"{what} is a list of hex SHA-256 hashes")
    return [bytes.fromhex(v) for v in values]


# ------------------------------------------------------------------ a log against heads


@dataclass(frozen=True)
class LogTree:
    """The roots of a log's tree at every size a head asks about, computed from the events."""

    size: int
    roots: dict[int, bytes]


def roots_of(events: Iterable[StoredEvent], sizes: Iterable[int]) -> LogTree:
    """The tree over ``events`` (a whole log, positions 1, 2, … without a gap: the caller has
    checked the chain) and its root at each of ``sizes`` it reaches."""
    wanted = set(sizes)
    frontier = merkle.Frontier()
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if 0 in wanted else {}
    for event in events:
        if event.position != frontier.size + 1:
            raise HeadError(f"first bad position {frontier.size + 1}: missing (the log goes on at {event.position})")
        frontier.push(log_leaf(event.hash))
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    return LogTree(frontier.size, roots)


def first_disagreement(tree: LogTree, heads: Sequence[tuple[str, Head]]) -> str | None:
    """What is wrong with the log against the heads someone holds, naming the first position it
    concerns, or None when the log extends every head.

    A log shorter than a head was cut: the first missing position is named exactly. A log whose
    root at a head's size differs was rewritten at or before that size; the first bad position is
    after the largest head that still matches (the root alone cannot point at the leaf), so both
    bounds are named."""
    ordered = sorted(heads, key=lambda item: item[1].size)
    matched = 0
    for name, head in ordered:
        if head.size > tree.size:
            return (
                f"first bad position {tree.size + 1}: the log ends at position {tree.size}, but {name}"
                f" (signed {head.time}) covers {head.size} events: the log was cut"
            )
        if tree.roots.get(head.size) != head.root:
            where = f"{head.size}" if matched + 1 == head.size else f"between {matched + 1} and {head.size}"
            return (
                f"first bad position {where}: the events up to position {head.size} do not hash to the root"
                f" of {name} (signed {head.time}), and the heads held match up to position {matched}:"
                " the log was rewritten"
            )
        matched = head.size
    return None


def check_log(events: Sequence[StoredEvent], heads: Sequence[tuple[str, Head]]) -> str | None:
    """What is wrong with a whole exported log, alone and against the heads someone holds
    (named), starting with its first bad position; None when it is intact and extends every head.
    The heads' signatures are checked by the caller (:func:`verify_head`)."""
    try:
        verify_chain(events)
    except ChainBroken as error:
        return f"first bad position {error.position}: {error.reason}"
    try:
        tree = roots_of(events, [head.size for _, head in heads])
    except HeadError as error:
        return str(error)
    return first_disagreement(tree, heads)


def consistent(older: Head, newer: Head, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the log ``newer`` signs extends the one ``older`` signs."""
    if older.size == 0:
        return True
    return merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof)
