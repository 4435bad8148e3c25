"""The service keeps no per-auction bookkeeping once an auction's command is done."""

from __future__ import annotations

import gc
from datetime import timedelta

from engine.clock import ManualClock
from engine.commands import ScheduleAuction
from engine.service import AuctionService
from engine.store.memory import MemoryEventStore
from rules import load_rules
from tests.domain.support import draft_for


async def test_locks_of_auctions_with_no_command_in_progress_are_not_kept() -> None:
    draft = draft_for("SE")
    service = AuctionService(MemoryEventStore(), load_rules, ManualClock(draft.opens_at - timedelta(days=1)))
    for n in range(50):
        await service.execute(f"a-{n}", ScheduleAuction(f"a-{n}", draft))
    gc.collect()
    assert len(service._locks) == 0
