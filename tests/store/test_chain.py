"""verify_chain on hand-made logs: what each kind of tampering looks like."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from engine.store.base import GENESIS_HASH, StoredEvent, StoreError, chain_hash
from engine.store.chain import ChainBroken, verify_chain

T0 = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)


def chained(*streams: str) -> list[StoredEvent]:
    """A valid log with one event per argument, in that order."""
    tips: dict[str, tuple[int, str]] = {}
    log = []
    for position, stream in enumerate(streams, start=1):
        version, prev = tips.get(stream, (0, GENESIS_HASH))
        data = {"position": position}
        digest = chain_hash(prev, stream, version + 1, "Happened", T0, data)
        log.append(StoredEvent(position, stream, version + 1, "Happened", data, T0, prev, digest))
        tips[stream] = (version + 1, digest)
    return log


def test_an_untouched_log_verifies() -> None:
    verify_chain(chained("a", "b", "a", "a", "b"))


def test_an_empty_log_verifies() -> None:
    verify_chain([])


def test_a_changed_payload_is_named_by_position() -> None:
    log = chained("a", "a", "a")
    log[1] = dataclasses.replace(log[1], data={"position": 99})

    with pytest.raises(ChainBroken) as broken:
        verify_chain(log)

    assert broken.value.position == 2
    assert "altered" in broken.value.reason


def test_a_change_with_a_recomputed_hash_breaks_the_next_link() -> None:
    log = chained("a", "a", "a")
    forged = dataclasses.replace(log[1], data={"position": 99})
    log[1] = dataclasses.replace(
        forged,
        hash=chain_hash(forged.prev_hash, forged.stream, forged.version, forged.type, forged.recorded_at, forged.data),
    )

    with pytest.raises(ChainBroken) as broken:
        verify_chain(log)

    assert broken.value.position == 3
    assert "prev_hash" in broken.value.reason


def test_a_stream_that_does_not_start_at_version_one_is_cut() -> None:
    with pytest.raises(ChainBroken) as broken:
        verify_chain(chained("a", "a")[1:])

    assert broken.value.position == 2
    assert "missing" in broken.value.reason


def test_a_repeated_position_is_refused() -> None:
    log = chained("a", "b")
    log[1] = dataclasses.replace(log[1], position=1)

    with pytest.raises(ChainBroken, match="position does not increase"):
        verify_chain(log)


def test_a_broken_chain_is_a_store_error() -> None:
    assert issubclass(ChainBroken, StoreError)
