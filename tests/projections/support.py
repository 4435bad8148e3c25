"""Stored events for projection tests: a few commands run through the service on a memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.clock import ManualClock
from engine.commands import Command, PlaceBid, RegisterBidder, ScheduleAuction
from engine.model import AssetKind
from engine.policy import Draft
from engine.service import AuctionService
from engine.store.memory import MemoryEventStore
from rules import load_rules

START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)


def swedish_draft(opens: datetime = START, hours: int = 1) -> Draft:
    return Draft(
        country="SE",
        title="Boat",
        asset=AssetKind.MOVABLE,
        value=50_000_00,
        currency="SEK",
        opens_at=opens,
        starting_price=1_000_00,
        closes_at=opens + timedelta(hours=hours),
    )


class World:
    def __init__(self) -> None:
        self.store = MemoryEventStore()
        self.clock = ManualClock(START)
        self.service = AuctionService(self.store, load_rules, self.clock)

    async def run(self, auction_id: str, command: Command) -> None:
        await self.service.execute(auction_id, command)

    async def auction_with_bids(self, auction_id: str, amounts: list[int]) -> None:
        await self.run(auction_id, ScheduleAuction(auction_id, swedish_draft()))
        await self.run(auction_id, RegisterBidder("alice"))
        await self.run(auction_id, RegisterBidder("bob"))
        for n, amount in enumerate(amounts):
            self.clock.advance(timedelta(seconds=1))
            await self.run(auction_id, PlaceBid(f"B-{n % 2 + 1}", amount))
