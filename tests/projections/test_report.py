"""The report builder is a pure function of the events and the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.commands import Advance, RecordDeposit, RegisterBidder, ScheduleAuction
from engine.model import AssetKind, parse_instant
from engine.policy import Draft
from projections.report import build_report
from rules import load_rules
from tests.projections.support import START, World


async def test_an_auction_without_bids_fails_and_every_deposit_is_refunded() -> None:
    world = World()
    draft = Draft(
        country="HR",
        title="House",
        asset=AssetKind.IMMOVABLE,
        value=100_000_00,
        currency="EUR",
        opens_at=START,
        payment_days=14,
    )
    await world.run("h", ScheduleAuction("h", draft))
    await world.run("h", RegisterBidder("alice"))
    await world.run("h", RecordDeposit("B-1", 10_000_00))
    stored = await world.store.read_stream("auction-h")
    open_report = build_report("h", stored, load_rules("HR"))
    assert open_report["deposits_to_refund"] == []  # nothing is refunded while bidding runs

    world.clock.set(START + timedelta(days=30))
    await world.run("h", Advance())
    stored = await world.store.read_stream("auction-h")
    decoded = await world.service.decode(stored)
    report = build_report("h", stored, load_rules("HR"), decoded=decoded)

    assert report["status"] == "failed" and report["winner"] is None
    assert report["deposits_to_refund"] == [
        {"bidder_code": "B-1", "subject": "alice", "amount": "10000.00", "admitted": True}
    ]
    assert report["closes_at"].endswith(("+01:00", "+02:00"))  # Europe/Zagreb wall clock


async def test_without_opened_identities_the_full_report_shows_none_rather_than_a_sealed_blob() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    stored = await world.store.read_stream("auction-a")
    report = build_report("a", stored, load_rules("SE"))
    assert [b["subject"] for b in report["bidders"]] == [None, None]
    assert "sealed" not in repr(report)


async def test_the_reports_instant_is_the_one_asked_for_else_now_on_the_auctions_clock() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    stored = await world.store.read_stream("auction-a")
    asked = build_report("a", stored, load_rules("SE"), as_of=START)
    assert asked["as_of"] == "2030-05-15T10:00:00+02:00"  # Europe/Stockholm
    before = datetime.now(UTC)
    now = parse_instant(build_report("a", stored, load_rules("SE"))["as_of"])
    assert before <= now <= datetime.now(UTC)
