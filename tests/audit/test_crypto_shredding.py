"""Identities are sealed in the log; erasing a person's key hides them while the log still verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson

from engine.clock import ManualClock
from engine.commands import PlaceBid, RecordDeposit, RegisterBidder, ScheduleAuction
from engine.service import AuctionService, stream_of
from engine.store import open_store, verify_chain
from rules import load_rules
from tests.domain.support import draft_for

PERSON = "EE-38001010000 Mari Maasikas"


async def test_the_identity_is_sealed_in_the_log_and_unreadable_after_forget(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    store = await open_store(url)
    draft = draft_for("HR")
    clock = ManualClock(draft.opens_at - timedelta(days=2))
    service = AuctionService(store, load_rules, clock)
    await service.execute("a-1", ScheduleAuction("a-1", draft))
    await service.execute("a-1", RegisterBidder(subject=PERSON))
    await service.execute("a-1", RegisterBidder(subject="someone else"))
    await service.execute("a-1", RecordDeposit("B-1", 10_000_00))
    clock.set(draft.opens_at + timedelta(hours=1))
    await service.execute("a-1", PlaceBid("B-1", 80_000_00))

    raw = (tmp_path / "log.db").read_bytes()
    assert PERSON.encode() not in raw, "the identity must not be stored in clear"
    stored = await store.read_stream(stream_of("a-1"))
    assert PERSON not in orjson.dumps([e.data for e in stored]).decode()
    assert (await service.load("a-1")).bidder("B-1").subject == PERSON

    assert await service.vault.forget(PERSON) == 1
    await store.close()

    store = await open_store(url)
    fresh = AuctionService(store, load_rules, clock)
    state = await fresh.load("a-1")
    assert state.bidder("B-1").subject is None, "the erased identity is unreadable"
    assert state.bidder("B-2").subject == "someone else", "other people are untouched"
    assert state.leader == "B-1" and state.price == 80_000_00, "the auction itself is intact"
    after = await store.read_stream(stream_of("a-1"))
    assert after == stored, "the log is byte for byte what was written"
    verify_chain(after)
    await store.close()
