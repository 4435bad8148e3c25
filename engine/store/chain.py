"""Checking a sequence of stored events against their hash chains.

Each stream has its own chain: an event's ``prev_hash`` is the ``hash`` of the
event before it in the same stream (``GENESIS_HASH`` for version 1), and its
``hash`` covers its canonical bytes. Altering, deleting, inserting or
reordering events therefore breaks the chain at the first affected event.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.store.base import GENESIS_HASH, StoredEvent, StoreError, chain_hash


class ChainBroken(StoreError):
    """The log is not what was written: names the first event that does not fit."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"event at position {position}: {reason}")
        self.position = position
        self.reason = reason


def verify_chain(events: Iterable[StoredEvent]) -> None:
    """Raise :class:`ChainBroken` at the first event that breaks the log.

    ``events`` is a whole log (or whole streams) in position order, as
    ``read_all`` or ``read_stream`` return it: every stream must start at
    version 1. Removing events at the very end of a stream cannot be detected
    from the events alone; every other change can.
    """
    chains = Chains()
    for event in events:
        chains.check(event)


class Chains:
    """:func:`verify_chain` one event at a time, for a log read page by page."""

    def __init__(self) -> None:
        self.last_position: int | None = None
        self._tips: dict[str, tuple[int, str]] = {}

    def check(self, event: StoredEvent) -> None:
        last_position = self.last_position
        if last_position is not None and event.position <= last_position:
            raise ChainBroken(event.position, f"position does not increase (follows position {last_position})")
        self.last_position = event.position

        version, prev_hash = self._tips.get(event.stream, (0, GENESIS_HASH))
        if event.version != version + 1:
            problem = "missing" if event.version > version + 1 else "out of order"
            raise ChainBroken(
                event.position,
                f"stream {event.stream!r} version {event.version} follows version {version} (events {problem})",
            )
        if event.prev_hash != prev_hash:
            raise ChainBroken(
                event.position, f"prev_hash does not match the hash of version {version} of {event.stream!r}"
            )
        expected = chain_hash(event.prev_hash, event.stream, event.version, event.type, event.recorded_at, event.data)
        if event.hash != expected:
            raise ChainBroken(event.position, "hash does not match the event's content (altered)")
        self._tips[event.stream] = (event.version, event.hash)
