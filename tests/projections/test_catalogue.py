"""The catalogue summary is a pure fold of an auction's events."""

from __future__ import annotations

from datetime import timedelta

from engine.commands import Advance, EndAuction
from engine.model import Sale, Status
from engine.service import decode_stored
from projections.catalogue import AuctionSummary, fold_event, summary_json
from tests.projections.support import START, World


async def summary_after(world: World, auction_id: str) -> AuctionSummary | None:
    stored = await world.store.read_stream(f"auction-{auction_id}")
    summary = None
    for one, event in zip(stored, decode_stored(stored), strict=True):
        summary = fold_event(summary, event, one.version)
    return summary


async def test_a_summary_follows_bids_and_the_close() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00, 1_400_00, 1_600_00])
    world.clock.set(START + timedelta(hours=2))
    await world.run("a", Advance())
    await world.run("a", EndAuction())

    summary = await summary_after(world, "a")

    assert summary is not None
    assert summary.status is Status.CLOSED
    assert (summary.price, summary.leader, summary.bid_count) == (1_600_00, "B-1", 2)
    assert summary.closed_at == START + timedelta(hours=1)
    assert summary.ended and summary.purchaser == "B-1"
    assert summary.position == len(await world.store.read_all())
    # Once the purchaser is declared, time next changes the sale at the payment deadline.
    assert summary.sale is Sale.AWAITING_PAYMENT
    assert summary.due == summary.state.payment_due is not None


async def test_the_due_instant_is_the_opening_then_the_deadline() -> None:
    world = World()
    await world.auction_with_bids("a", [])
    summary = await summary_after(world, "a")
    assert summary is not None
    assert summary.status is Status.OPEN and summary.due == START + timedelta(hours=1)


async def test_events_before_a_schedule_make_no_summary() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    stored = await world.store.read_all()
    events = decode_stored(stored)
    assert fold_event(None, events[2], 3) is None


async def test_the_public_view_holds_no_identity() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    summary = await summary_after(world, "a")
    assert summary is not None
    text = repr(summary_json(summary)) + repr(summary)
    assert "alice" not in text and "bob" not in text
