"""Group commit (engine.store.batching): appends that arrive while a commit runs share the next one,
and every caller is answered on its own, only once its transaction has committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.store import open_store
from engine.store.base import AppendRequest, AppendResult, ConcurrencyConflict, EventStore, NewEvent, StoreError
from engine.store.batching import GroupCommitStore
from engine.store.memory import MemoryEventStore
from tests.e2e.support import fresh_postgres_database

AT = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)


def event(n: int = 0) -> list[NewEvent]:
    return [NewEvent("BidAccepted", {"bidder_code": "B-1", "amount": f"{100 + n}.00"}, AT)]


class GatedStore(MemoryEventStore):
    """A memory store whose group commits wait for the test to open a gate, and are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.batches: list[list[str]] = []
        self.writers: list[asyncio.Task[object] | None] = []  # the task that wrote each batch
        self.failing: dict[str, Exception] = {}  # a commit with an append on one of these streams fails

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        self.batches.append([r.stream for r in requests])
        self.writers.append(asyncio.current_task())
        await self.gate.wait()
        for request in requests:
            if request.stream in self.failing:
                raise self.failing[request.stream]
        return await super().append_batch(requests)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_appends_arriving_while_a_commit_runs_are_written_together_by_the_next_commit() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    inner.gate.clear()
    first = asyncio.create_task(store.append("s-0", 0, event()))
    await settle()
    rest = [asyncio.create_task(store.append(f"s-{n}", 0, event(n))) for n in range(1, 11)]
    await settle()
    assert inner.batches == [["s-0"]], "the first append is written at once, alone"
    inner.gate.set()
    results = await asyncio.gather(first, *rest)
    assert inner.batches == [["s-0"], [f"s-{n}" for n in range(1, 11)]]
    assert [(r.stream, r.events[0].version, r.events[0].position) for r in results] == [
        (f"s-{n}", 1, n + 1) for n in range(11)
    ]
    assert (store.commits, store.appends) == (2, 11)
    # The lone first append is written by its caller's own task (no hand-over, no extra turn of the
    # event loop); the queued ones by the writer task.
    assert inner.writers[0] is first
    assert inner.writers[1] is not None and inner.writers[1].get_name() == "group-commit"


async def test_an_append_is_answered_only_once_its_commit_is_done() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    inner.gate.clear()
    pending = asyncio.create_task(store.append("s", 0, event()))
    await settle()
    assert not pending.done()
    assert await inner.head() == 0
    inner.gate.set()
    result = await pending
    assert [e.position for e in await inner.read_all()] == [result.events[0].position]


async def test_a_conflict_fails_only_its_own_append_in_a_shared_commit() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    await store.append("contested", 0, event())
    inner.gate.clear()
    blocker = asyncio.create_task(store.append("other", 0, event()))
    await settle()
    stale = asyncio.create_task(store.append("contested", 0, event(1)))  # decided on version 0: it is at 1
    fine = asyncio.create_task(store.append("fresh", 0, event(2)))
    await settle()
    inner.gate.set()
    await blocker
    with pytest.raises(ConcurrencyConflict) as conflict:
        await stale
    assert (conflict.value.expected, conflict.value.actual) == (0, 1)
    assert (await fine).events[0].version == 1
    assert inner.batches[-1] == ["contested", "fresh"]
    assert [e.stream for e in await inner.read_all()] == ["contested", "other", "fresh"]


async def test_bad_input_fails_its_own_caller_before_anything_is_queued() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    with pytest.raises(TypeError):
        await store.append("s", 0, [NewEvent("BidAccepted", {"amount": object()}, AT)])
    with pytest.raises(ValueError):
        await store.append("s", -1, event())
    assert inner.batches == []
    assert (await store.append("s", 0, event())).events[0].position == 1


async def test_each_event_is_prepared_once_on_its_way_through_group_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.store import planning

    prepared: list[str] = []
    real = planning.prepare_event

    def counting(new: NewEvent) -> planning.PreparedEvent:
        prepared.append(new.data["amount"])
        return real(new)

    monkeypatch.setattr(planning, "prepare_event", counting)
    inner = GatedStore()
    store = GroupCommitStore(inner)
    inner.gate.clear()
    first = asyncio.create_task(store.append("s-0", 0, event(0)))  # written alone, by its caller
    await settle()
    queued = [asyncio.create_task(store.append(f"s-{n}", 0, event(n))) for n in (1, 2)]  # a shared commit
    await settle()
    inner.gate.set()
    await asyncio.gather(first, *queued)
    assert sorted(prepared) == ["100.00", "101.00", "102.00"]
    assert [e.data["amount"] for e in await inner.read_all()] == ["100.00", "101.00", "102.00"]


def test_a_prepared_request_changed_afterwards_is_checked_again() -> None:
    from dataclasses import replace

    from engine.store import planning

    prepared = planning.prepare(AppendRequest("s", 0, event()))
    assert planning.prepare(prepared) is prepared
    for change in ({"after": -1}, {"after": "x"}, {"stream": ""}, {"expected_version": -2}, {"idempotency_key": ""}):
        with pytest.raises(ValueError):
            planning.prepare(replace(prepared, **change))
    unprepared = replace(prepared, events=(NewEvent("BidAccepted", {"n": 1}, datetime(2026, 4, 2, 10, 0)),))
    with pytest.raises(ValueError):  # a naive time: its event is prepared, and refused
        planning.prepare(unprepared)


async def test_a_failed_commit_fails_every_append_in_it_and_the_next_commit_goes_ahead() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    inner.failing["s-2"] = StoreError("the database went away")
    inner.gate.clear()
    blocker = asyncio.create_task(store.append("s-0", 0, event()))
    await settle()
    doomed = [asyncio.create_task(store.append(f"s-{n}", 0, event(n))) for n in (1, 2)]
    await settle()
    inner.gate.set()
    await blocker
    for task in doomed:
        with pytest.raises(StoreError, match="went away"):
            await task
    assert (await store.append("s-3", 0, event(3))).events[0].position == 2
    assert inner.batches == [["s-0"], ["s-1", "s-2"], ["s-3"]]
    assert [e.stream for e in await inner.read_all()] == ["s-0", "s-3"]


async def test_a_caller_cancelled_while_queued_writes_nothing() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    inner.gate.clear()
    blocker = asyncio.create_task(store.append("s-0", 0, event()))
    await settle()
    abandoned = asyncio.create_task(store.append("s-1", 0, event(1)))
    kept = asyncio.create_task(store.append("s-2", 0, event(2)))
    await settle()
    abandoned.cancel()
    inner.gate.set()
    await asyncio.gather(blocker, kept)
    assert [e.stream for e in await inner.read_all()] == ["s-0", "s-2"]


async def test_closing_waits_for_the_commit_in_flight() -> None:
    inner = GatedStore()
    store = GroupCommitStore(inner)
    inner.gate.clear()
    pending = asyncio.create_task(store.append("s", 0, event()))
    await settle()
    closing = asyncio.create_task(store.close())
    await settle()
    assert not closing.done()
    inner.gate.set()
    await closing
    assert (await pending).events[0].position == 1
    with pytest.raises(StoreError):
        await store.append("s", 1, event())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def real_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    if request.param == "sqlite":
        store = await open_store(f"sqlite:///{tmp_path / 'events.sqlite3'}")
        yield store
        await store.close()
        return
    async with fresh_postgres_database() as url:
        store = await open_store(url)
        yield store
        await store.close()


async def test_concurrent_appends_on_a_real_database_share_commits_and_get_gap_free_positions(
    real_store: EventStore,
) -> None:
    store = GroupCommitStore(real_store)
    results = await asyncio.gather(
        *(store.append(f"auction-{n % 40}", n // 40, event(n), idempotency_key=f"k-{n}") for n in range(120))
    )
    positions = sorted(e.position for r in results for e in r.events)
    assert positions == list(range(1, 121))
    assert store.commits < store.appends == 120
    replay = await store.append("auction-0", 2, event(0), idempotency_key="k-0")
    assert replay.duplicate and replay.events == results[0].events
    assert await real_store.head() == 120
