"""``auction monitor URL``: follow a server's signed tree heads and check each new one extends the last.

A monitor is how anyone outside the court's IT checks that the log is only ever
appended to: it keeps the last head it accepted (in ``--state``, so a restart
carries on), fetches the server's newest head, checks its signature with the
key it pinned at the start, and asks for the consistency proof from the last
head to the new one. A log that shrank, a second root for the same size, or a
proof that does not verify is a fork: the monitor says so in one line and
exits 1. A server out of reach is only reported; the monitor tries again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from projections.audit.heads import Head, HeadError, consistent, hashes_from_hex, parse_head, verify_head

# How many times in a row a head may come without its consistency proof before that counts as a fork.
PROOF_ATTEMPTS = 3


class Fork(Exception):
    """The server's log is not an extension of what it showed before (exit 1)."""


class MonitorError(Exception):
    """Bad input (a URL, a state file): exit 2."""


@dataclass
class Monitor:
    base: str
    client: httpx.Client
    public_key: str
    last: Head | None = None

    refused_proofs: int = 0  # consecutive checks whose head came without its consistency proof

    def _get(self, path: str) -> object:
        response = self.client.get(f"{self.base}{path}")
        if response.status_code != 200:
            raise httpx.HTTPStatusError(
                f"{path}: HTTP {response.status_code}", request=response.request, response=response
            )
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise httpx.DecodingError(f"{path}: the answer is not JSON", request=response.request) from None

    def check(self) -> Head:
        """Fetch the newest head and check it against the last one accepted; the new one is accepted."""
        try:
            head = parse_head(self._get("/transparency/head"))
            verify_head(head, self.public_key)
        except HeadError as error:
            raise Fork(f"the server's head is not a valid signed head: {error}") from None
        last = self.last
        if last is not None:
            if head.size < last.size:
                raise Fork(f"the log shrank from {last.size} to {head.size} events (head of {head.time})")
            if head.size == last.size and head.root != last.root:
                raise Fork(f"two roots for {head.size} events: {last.root.hex()} and {head.root.hex()}")
            if head.size > last.size > 0:
                try:
                    document = self._get(f"/transparency/consistency?first={last.size}&second={head.size}")
                except httpx.HTTPError:
                    self.refused_proofs += 1
                    if self.refused_proofs >= PROOF_ATTEMPTS:
                        raise Fork(
                            f"the server shows a head of {head.size} events but gave no consistency proof from"
                            f" {last.size} in {PROOF_ATTEMPTS} attempts"
                        ) from None
                    raise
                self.refused_proofs = 0
                path = document.get("path") if isinstance(document, dict) else None
                try:
                    proof = hashes_from_hex(path, "the consistency proof")
                except HeadError as error:
                    raise Fork(str(error)) from None
                if not consistent(last, head, proof):
                    raise Fork(
                        f"the log of {head.size} events (head of {head.time}) does not extend the one of"
                        f" {last.size} events (head of {last.time}): the log was rewritten"
                    )
        self.last = head
        return head


def load_state(path: Path | None) -> tuple[Head, str] | None:
    """The last head a monitor accepted and the key it pinned, kept in ``path``."""
    if path is None or not path.exists():
        return None
    try:
        document = orjson.loads(path.read_bytes())
        if not isinstance(document, dict) or not isinstance(document.get("public_key"), str):
            raise HeadError("no pinned key")
        head = parse_head(document.get("head"))
        verify_head(head, document["public_key"])
        return head, document["public_key"]
    except (OSError, orjson.JSONDecodeError, HeadError) as error:
        raise MonitorError(f"{path}: not the state of a monitor ({error})") from None


def save_state(path: Path | None, head: Head, public_key: str) -> None:
    if path is None:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as out:
        out.write(orjson.dumps({"head": head.to_json(), "public_key": public_key}) + b"\n")
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)


def follow(
    url: str,
    *,
    state: Path | None,
    interval: float,
    count: int | None,
    public_key: str | None,
    say: Callable[[str], None],
) -> None:
    """Follow ``url``'s heads until ``count`` new heads were checked (None: for ever). Raises
    :class:`Fork` on a fork and :class:`MonitorError` on bad input."""
    if not url.startswith(("http://", "https://")):
        raise MonitorError(f"{url}: not an http(s) URL")
    base = url.rstrip("/")
    kept = load_state(state)
    if kept is not None and public_key is not None and kept[1] != public_key:
        raise MonitorError(f"{state}: it pinned another key than --public-key")
    with httpx.Client(timeout=10.0) as client:
        key = public_key or (kept[1] if kept is not None else None)  # pinned at the first run
        if key is None:
            try:
                document = orjson.loads(client.get(f"{base}/transparency/key").content)
                key = str(document["public_key"])
            except (httpx.HTTPError, orjson.JSONDecodeError, KeyError, TypeError) as error:
                raise MonitorError(f"{base}: cannot read the server's key ({error})") from None
            say(f"monitor: pinned key {document.get('key_id', '?')[:16]}… of {base}")
        monitor = Monitor(base, client, key, kept[0] if kept is not None else None)
        checked = 0
        while count is None or checked < count:
            try:
                before = monitor.last
                head = monitor.check()
            except httpx.HTTPError as error:
                say(f"monitor: {base} out of reach ({error}); trying again")
            else:
                save_state(state, head, key)
                checked += 1
                since = "first head" if before is None else f"extends {before.size}"
                say(f"monitor: head of {head.size} events, root {head.root.hex()[:16]}…, {since}, signed {head.time}")
            if count is None or checked < count:
                time.sleep(interval)
