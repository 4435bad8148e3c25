"""Bidders' identities are personal data: they are stored encrypted (crypto-shredding).

A ``BidderRegistered`` event keeps the identity sealed with AES-256-GCM under a
key that belongs to that person and is kept outside the append-only log, in a
:class:`engine.store.base.KeyStore`, apart from the log (a file or a schema of its own).
Erasing the key after the retention period (``auction forget``) makes the identity unreadable in every event that holds
it, while the log, its hash chain and every report built from it still verify:
the bidder then appears only by their per-auction code.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.store.base import KeyStore

__all__ = ["SEALED", "KeyStore", "SubjectVault", "is_sealed", "owner_of"]

SEALED = "aes-256-gcm/v1"


def owner_of(subject: str) -> str:
    """A stable handle for a person's key; the identity itself is not kept beside the key."""
    return hashlib.sha256(b"auction-subject\x00" + subject.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and value.get("sealed") == SEALED


class SubjectVault:
    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys
        self._cache: dict[str, bytes] = {}  # key_id -> key, for keys this process has seen

    async def seal(self, subject: str) -> dict[str, str]:
        return await self.seal_for(subject, subject)

    async def seal_for(self, subject: str, text: str) -> dict[str, str]:
        """``text`` sealed with ``subject``'s key (their identity, or other personal data of theirs
        such as an e-mail address): :meth:`open_many` opens it, :meth:`forget` makes it unreadable."""
        key_id, key = await self._keys.keep_subject_key(owner_of(subject), uuid.uuid4().hex, AESGCM.generate_key(256))
        self._cache[key_id] = key
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, text.encode("utf-8"), key_id.encode("ascii"))
        return {"sealed": SEALED, "key_id": key_id, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}

    async def open_many(self, sealed: Sequence[dict[str, str]]) -> list[str | None]:
        """The identities, or ``None`` where the key was erased (or the data is not ours)."""
        missing = [s["key_id"] for s in sealed if s.get("key_id") not in self._cache]
        if missing:
            self._cache.update(await self._keys.subject_keys(missing))
        out: list[str | None] = []
        for item in sealed:
            key = self._cache.get(item.get("key_id", ""))
            if key is None:
                out.append(None)
                continue
            try:
                nonce, ciphertext = base64.b64decode(item["nonce"]), base64.b64decode(item["ciphertext"])
                plain = AESGCM(key).decrypt(nonce, ciphertext, item["key_id"].encode("ascii"))
            except (InvalidTag, KeyError, ValueError):
                out.append(None)
                continue
            out.append(plain.decode("utf-8"))
        return out

    async def forget(self, subject: str) -> int:
        """Erase the person's key for good. Keys cached by running servers die with
        them; run this while the servers are stopped or restart them afterwards."""
        owner = owner_of(subject)
        erased = await self._keys.erase_subject_key(owner)
        self._cache.clear()
        return erased
