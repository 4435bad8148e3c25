"""Stream names: one stream per auction, named after it."""

from __future__ import annotations

STREAM_PREFIX = "auction-"


def stream_of(auction_id: str) -> str:
    return STREAM_PREFIX + auction_id


def auction_of(stream: str) -> str | None:
    """The auction a stream belongs to; ``None`` for a stream that is not an auction's."""
    return stream[len(STREAM_PREFIX) :] if stream.startswith(STREAM_PREFIX) else None
