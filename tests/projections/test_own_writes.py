"""A process folds its own writes as it decided them, without reading them back."""

from __future__ import annotations

from datetime import timedelta

from engine.commands import PlaceBid, RegisterBidder
from engine.store.base import StoredEvent
from projections.catchup import Projector
from projections.hub import Hub
from projections.readmodel import ReadModel
from tests.projections.support import World


class CountingReads:
    """Counts the projector's reads of the store."""

    def __init__(self, world: World) -> None:
        self.reads = 0
        self._read_rows = world.store.read_rows

        async def read_rows(after: int = 0, limit: int = 1000):  # type: ignore[no-untyped-def]
            self.reads += 1
            return await self._read_rows(after, limit)

        world.store.read_rows = read_rows  # type: ignore[method-assign]


async def test_an_own_write_is_folded_and_published_without_a_read_of_the_store() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    projector = Projector(world.store, ReadModel(), Hub(), world.clock)
    await projector.rebuild()
    counting = CountingReads(world)
    watcher = projector.hub.subscribe("a")

    world.clock.advance(timedelta(seconds=1))
    outcome = await world.service.execute("a", PlaceBid("B-2", 1_600_00))
    assert projector.apply_own(outcome.stored, outcome.events)

    assert counting.reads == 0, "the write was read back"
    summary = projector.model.summary("a")
    assert summary is not None and summary.price == 1_600_00 and summary.position == outcome.stored[-1].version
    assert projector.checkpoint == outcome.stored[-1].position, "nothing else was written: the checkpoint follows"
    assert len(watcher) == 1
    position, text = watcher.get_nowait()
    assert position == outcome.stored[0].version and '"type":"bid"' in text and '"price":"1600.00"' in text
    # The catch-up that follows skips it: one change, one bid row.
    await projector.catch_up()
    assert [c.type for c in projector.model.changes("a")].count("bid") == 2
    assert [r.event.amount for r in projector.model.bids("a", 0, 10).rows] == [1_500_00, 1_600_00]


async def test_an_own_write_behind_another_writer_is_left_to_the_catch_up() -> None:
    world = World()
    await world.auction_with_bids("a", [1_500_00])
    projector = Projector(world.store, ReadModel(), Hub(), world.clock)
    await projector.rebuild()

    world.clock.advance(timedelta(seconds=1))
    await world.service.execute("a", PlaceBid("B-2", 1_600_00))  # "another process": not folded here
    world.clock.advance(timedelta(seconds=1))
    outcome = await world.service.execute("a", PlaceBid("B-1", 1_700_00))
    assert not projector.apply_own(outcome.stored, outcome.events)
    assert projector.model.summary("a").price == 1_500_00  # type: ignore[union-attr]

    await projector.catch_up()
    assert [r.event.amount for r in projector.model.bids("a", 0, 10).rows] == [1_500_00, 1_600_00, 1_700_00]


async def test_an_own_registration_keeps_the_identity_sealed_as_the_catch_up_does() -> None:
    world = World()
    await world.auction_with_bids("a", [])
    direct = Projector(world.store, ReadModel(), Hub(), world.clock)
    await direct.rebuild()
    outcome = await world.service.execute("a", RegisterBidder("carol"))
    assert outcome.events[0].subject == "carol"  # type: ignore[attr-defined]
    assert direct.apply_own(outcome.stored, outcome.events)

    caught_up = Projector(world.store, ReadModel(), Hub(), world.clock)
    await caught_up.rebuild()
    assert direct.model.state("a") == caught_up.model.state("a")
    stored: StoredEvent = outcome.stored[0]
    assert direct.model.state("a").bidders[-1].subject == stored.data["subject"] != "carol"  # type: ignore[union-attr]
