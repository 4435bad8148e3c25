"""The verifiable log, the server's side: signed tree heads, proofs, and receipts that carry both.

The store keeps the Merkle tree over every event (:mod:`engine.store.tree`) in
the transaction that writes them; every append answers what its commit added
(:class:`engine.merkle.Span`). :meth:`Transparency.committed` signs a head for
each commit (once, however many appends a group commit answered), and the
receipt of an accepted bid is that head with the bid's inclusion proof and the
event itself (:data:`projections.audit.receipts.LOG_ALGORITHM`): one signature
per commit vouches for every bid in it, and for the whole log up to it.

The format and the offline checks are the auditors' (:mod:`projections.audit.heads`).
The key and the last head kept from an earlier run come from the composition
root (``api.bootstrap``); nothing here touches a file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.app.receipts import Receipt
from engine.clock import Clock
from engine.merkle import EMPTY_ROOT, Frontier, Span, verify_consistency
from engine.model import format_instant
from engine.store import tree
from engine.store.base import EventStore, StoreAdapter, StoredEvent, StoreError, log_leaf
from engine.store.chain import ChainBroken, Chains
from engine.streams import auction_of
from projections.audit.heads import Head, HeadError, LogTree, first_disagreement, key_id, sign_head, verify_head
from projections.audit.receipts import LOG_ALGORITHM, b64

logger = logging.getLogger(__name__)

# How many commits' heads are held for the answers to repeated requests.
RECENT_HEADS = 4096
# How many events the start-up check reads per page.
_PAGE = 5000


@dataclass(frozen=True)
class LogProof:
    """What a receipt carries of the log: the signed head and the event's path to its root."""

    head: Head
    index: int  # the event's leaf: its position - 1
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "path": [step.hex() for step in self.path], "head": self.head.to_json()}


class LogForked(StoreError):
    """The store's tree does not extend the heads this server signed: someone changed the log in the
    database while it ran. Nothing more is signed (answered 503); the operator must investigate."""


class Transparency:
    def __init__(self, store: StoreAdapter, key: Ed25519PrivateKey, clock: Clock) -> None:
        self._store = store
        self._key = key
        self.public_key = key.public_key()
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key_b64 = b64(raw)
        self.key_id = key_id(self.public_key)
        self._clock = clock
        self.latest: Head | None = None  # the largest head signed so far
        self._last: tuple[Span, Head] | None = None
        # The heads of recent commits by size, so that a repeated request is answered with the
        # receipt it first got (the head of the commit that wrote it), as long as it is held.
        self._recent: dict[int, Head] = {}
        self.forked: str | None = None  # why signing stopped, once the store's tree forked

    def _sign(self, size: int, root: bytes) -> Head:
        head = sign_head(self._key.sign, self.public_key, size, root, format_instant(self._clock.now()))
        if self.latest is None or head.size >= self.latest.size:
            self.latest = head
        return head

    def _refuse(self, message: str) -> LogForked:
        """Stop signing for good: the store's tree is not an extension of what this server signed."""
        if self.forked is None:
            self.forked = message
            logger.error("the log's tree no longer extends the last head this server signed: %s", message)
        return LogForked(self.forked)

    def _extends_latest(self, span: Span) -> bool | None:
        """Whether the tree after ``span`` extends the largest head signed so far, when that can be
        told from the span alone (it starts where that head ends); None when it cannot."""
        latest = self.latest
        if latest is None:
            return True
        if span.start == latest.size:
            return span.start_root == latest.root
        return None

    async def _check(self, size: int, root: bytes) -> None:
        """Raise :class:`LogForked` unless the tree of ``size`` leaves with ``root`` and the largest
        head signed so far are one the extension of the other. The proof comes from the store, whose
        subtree hashes anyone who writes to the database can change; checked against the head held
        here in memory, it proves the extension all the same."""
        if self.forked is not None:
            raise LogForked(self.forked)
        latest = self.latest
        if latest is None or (size, root) == (latest.size, latest.root):
            return
        if size == latest.size:
            raise self._refuse(f"two roots for {size} events")
        first, second = sorted([(latest.size, latest.root), (size, root)])
        if first[0] == 0:
            return
        proof = await tree.consistency_proof(self._store, first[0], second[0])
        if not verify_consistency(first[0], second[0], first[1], second[1], proof):
            raise self._refuse(f"the tree of {second[0]} events does not extend the one of {first[0]}")

    def _record(self, span: Span, head: Head) -> Head:
        self._last = (span, head)
        self._recent[span.size] = head
        if len(self._recent) > RECENT_HEADS:
            del self._recent[next(iter(self._recent))]
        return head

    def committed(self, span: Span | None) -> Head | None:
        """The head after the commit ``span`` describes, signed once per commit, when the span shows
        it extends the last head signed (the usual case: this process wrote the commit before);
        None otherwise, and :meth:`signed` checks it against the store first."""
        if span is None or self.forked is not None:
            return None
        if self._last is not None and self._last[0] is span:
            return self._last[1]
        extends = self._extends_latest(span)
        if extends is None:
            return None
        if not extends:
            self._refuse(f"the tree of {span.start} events before a commit is not the one signed last")
            return None
        return self._record(span, self._sign(span.size, span.root()))

    async def signed(self, span: Span) -> Head:
        """The head after the commit ``span`` describes, checked to extend the last head signed."""
        head = self.committed(span)
        if head is not None:
            return head
        await self._check(span.size, span.root())
        return self._record(span, self._sign(span.size, span.root()))

    def _commit_head(self, position: int) -> Head | None:
        """The head of the commit that wrote the event at ``position``, if it is still held: the
        smallest commit head at or after it (a commit's events are all or none)."""
        sizes = [size for size in self._recent if size >= position]
        return self._recent[min(sizes)] if sizes else None

    async def proof(self, span: Span, event: StoredEvent) -> LogProof:
        """The receipt's part of the log for ``event``, one the commit ``span`` describes wrote."""
        head = await self.signed(span)
        index = event.position - 1
        return LogProof(head, index, tuple(span.inclusion_proof(index)))

    async def receipt(self, span: Span | None, event: StoredEvent, amount: str) -> Receipt:
        """The receipt of the accepted bid ``event`` (written by the commit ``span`` describes; None:
        by an earlier one, for a repeated request: the receipt it first got while that commit's head
        is held, else one on the log as it is now, naming the same event)."""
        held = self._commit_head(event.position) if span is None else None
        if span is not None:
            proof = await self.proof(span, event)
        elif held is not None:
            path = await tree.inclusion_proof(self._store, event.position - 1, held.size)
            proof = LogProof(held, event.position - 1, tuple(path))
        else:
            head = await self.head()
            path = await tree.inclusion_proof(self._store, event.position - 1, head.size)
            proof = LogProof(head, event.position - 1, tuple(path))
        auction = auction_of(event.stream)
        assert auction is not None
        return Receipt(
            auction=auction,
            bidder_code=str(event.data["bidder_code"]),
            amount=amount,
            position=event.version,
            received_at=format_instant(event.recorded_at),
            algorithm=LOG_ALGORITHM,
            public_key=self.public_key_b64,
            signature=proof.head.signature,
            proof={
                "event": {"type": event.type, "data": event.data, "prev_hash": event.prev_hash},
                "log": proof.to_json(),
            },
        )

    async def head(self) -> Head:
        """A head over the whole log as the store holds it now (signed anew only when it grew)."""
        if self.forked is not None:
            raise LogForked(self.forked)
        size = await self._store.tree_size()
        events = await self._store.head()  # read after the tree: other writers only add to it meanwhile
        if size > events:
            raise self._refuse(f"the store's tree holds {size} leaves for {events} events")
        latest = self.latest
        if latest is not None and latest.size == size:
            return latest
        root = await tree.root(self._store, size)
        await self._check(size, root)
        return self._sign(size, root)

    async def inclusion(self, position: int, size: int) -> dict[str, Any]:
        """The path of the event at ``position`` to the root of the tree of ``size`` events."""
        path = await tree.inclusion_proof(self._store, position - 1, size)
        return {"position": position, "index": position - 1, "size": size, "path": [p.hex() for p in path]}

    async def consistency(self, first: int, second: int) -> dict[str, Any]:
        """The proof that the tree of ``second`` events extends the tree of the first ``first``."""
        proof = await tree.consistency_proof(self._store, first, second)
        return {"first": first, "second": second, "path": [p.hex() for p in proof]}

    async def check_extends(self, kept: Head, log: EventStore) -> str | None:
        """Why ``log`` does not extend ``kept`` (a head this server signed on an earlier run), or
        None when it does. The events themselves are read and hashed (their chains and the tree
        they make), and every subtree hash the store keeps is compared with the one the events
        make: whoever can write to the database can recompute those as easily as the events, and
        a proof served from a wrong one would not verify."""
        try:
            verify_head(kept, self.public_key)
        except HeadError as error:
            return f"the kept tree head is not this server's: {error}"
        try:
            return await self._check_extends(kept, log)
        except ChainBroken as error:
            return f"first bad position {error.position}: {error.reason}"
        except (StoreError, ValueError) as error:  # a tree with leaves missing, or beyond the events
            return f"the store's Merkle tree does not match its events: {error}"

    async def _check_extends(self, kept: Head, log: EventStore) -> str | None:
        chains, frontier, at_head = Chains(), Frontier(), EMPTY_ROOT
        wrong_node: tuple[int, int] | None = None
        after = 0
        while page := await log.read_all(after, _PAGE):
            made: list[tuple[int, int, bytes]] = []
            for event in page:
                chains.check(event)
                if event.position != frontier.size + 1:
                    return f"first bad position {frontier.size + 1}: missing (the log goes on at {event.position})"
                made.extend(frontier.push(log_leaf(event.hash)))
                if frontier.size == kept.size:
                    at_head = frontier.root()
            if wrong_node is None:
                stored = await self._store.tree_hashes([(level, index) for level, index, _ in made])
                wrong_node = next(((lv, ix) for lv, ix, h in made if stored.get((lv, ix)) != h), None)
            after = page[-1].position
        computed = LogTree(frontier.size, {kept.size: at_head} if kept.size <= frontier.size else {})
        problem = first_disagreement(computed, [("the last head this server signed", kept)])
        if problem is not None and kept.size <= frontier.size:
            exact = await self._first_changed_leaf(kept, log)
            if exact is not None:
                return f"first bad position {exact}: its event is not the one the last head this server signed holds"
        if problem is not None:
            return problem
        held = await self._store.tree_size()
        events_now = await self._store.head()  # other processes may have appended since the scan
        if held < frontier.size or held > events_now:
            return f"the store's Merkle tree holds {held} leaves for {frontier.size} events"
        if wrong_node is not None:
            level, index = wrong_node
            first = index * 2**level + 1
            return (
                f"the store's Merkle tree does not match its events: the subtree of the events from position"
                f" {first} to {first + 2**level - 1} was changed"
            )
        if frontier.size > kept.size:
            logger.warning(
                "the log holds %s events after the last head this server kept (%s): they are taken as they are",
                frontier.size - kept.size,
                kept.size,
            )
        return None

    async def _first_changed_leaf(self, kept: Head, log: EventStore) -> int | None:
        """The position of the first event whose leaf differs from the store's own tree, when that
        tree still has the kept head's root (the events were changed, the subtree hashes not):
        then the signed leaves are known one by one and the change is found exactly."""
        if kept.size == 0 or await tree.root(self._store, kept.size) != kept.root:
            return None
        after = 0
        while after < kept.size and (page := await log.read_all(after, _PAGE)):
            stored = await self._store.tree_hashes([(0, e.position - 1) for e in page])
            for event in page:
                if event.position > kept.size:
                    return None
                if stored.get((0, event.position - 1)) != log_leaf(event.hash):
                    return event.position
            after = page[-1].position
        return None
