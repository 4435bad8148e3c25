"""One contract, every store: the same tests run against six configurations, memory, SQLite
and PostgreSQL, each on its own and behind a :class:`GroupCommitStore` (as the server runs it).

``StoreContract`` holds what every :class:`EventStore` must do; ``DatabaseStoreContract`` adds
what only a database can (triggers, persistence, migrations). Each adapter's class provides
``opener``: a factory of stores that all share one location, so that concurrency tests can
race several instances (several connections, threads or processes' worth of state) on the same
log; the ``grouped`` parameter puts each instance behind a GroupCommitStore of its own.
``KeyStoreContract`` holds what every adapter's :class:`KeyStore` must do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from engine import merkle
from engine.store import (
    AppendRequest,
    AppendResult,
    ChainBroken,
    ConcurrencyConflict,
    EventStore,
    KeyStore,
    NewEvent,
    StoreAdapter,
    StoredEvent,
    StoreError,
    chain_hash,
    open_store,
    tree,
    verify_chain,
)
from engine.store.base import GENESIS_HASH, event_row, format_recorded_at, log_leaf
from engine.store.batching import GroupCommitStore
from engine.store.memory import MemoryEventStore
from engine.store.migrate import load
from tests.store.support import fresh_postgres_database

Opener = Callable[[], Awaitable[EventStore]]
Query = Callable[[str], Awaitable[list[tuple[Any, ...]]]]

T0 = datetime(2026, 4, 2, 8, 0, 0, 123456, tzinfo=UTC)


def new(n: int = 0, type_: str = "Happened", at: datetime = T0) -> NewEvent:
    return NewEvent(type=type_, data={"n": n}, recorded_at=at)


def positions(events: Sequence[StoredEvent]) -> list[int]:
    return [e.position for e in events]


@pytest.fixture(params=[False, True], ids=["direct", "group-commit"])
def grouped(request: pytest.FixtureRequest) -> bool:
    """Whether each store a test opens is put behind a GroupCommitStore of its own."""
    return bool(request.param)


def in_front(adapter: StoreAdapter, grouped: bool) -> EventStore:
    return GroupCommitStore(adapter) if grouped else adapter


def adapter_of(store: EventStore) -> Any:
    """The adapter itself, for the tests of one adapter's particulars."""
    return store.store if isinstance(store, GroupCommitStore) else store


class StoreContract:
    @pytest.fixture
    async def opener(self) -> AsyncIterator[Opener]:
        raise NotImplementedError("each adapter's test class provides opener")
        yield  # pragma: no cover

    @pytest.fixture
    async def store(self, opener: Opener) -> EventStore:
        return await opener()

    async def test_appended_events_read_back_exactly_as_written(self, store: EventStore) -> None:
        at = datetime(2026, 4, 2, 10, 0, 0, 654321, tzinfo=timezone(timedelta(hours=2)))
        data = {
            "amount": "80000.00",
            "nested": {"list": [1, 2.5, None, True], "text": "Šibenik – Kaunas ✓"},
            "big": 1e20,
        }
        result = await store.append("auction-1", 0, [NewEvent("Scheduled", data, at), new(1)])

        assert result.duplicate is False
        assert result.stream == "auction-1"
        read = await store.read_stream("auction-1")
        assert read == list(result.events)
        assert await store.read_all() == read
        first = read[0]
        assert first.type == "Scheduled"
        assert first.data == data
        assert first.recorded_at == at
        assert first.recorded_at.utcoffset() == timedelta(0)
        assert first.recorded_at.microsecond == 654321

    async def test_versions_start_at_one_per_stream_and_positions_increase_across_streams(
        self, store: EventStore
    ) -> None:
        await store.append("a", 0, [new(1), new(2)])
        await store.append("b", 0, [new(3)])
        await store.append("a", 2, [new(4)])

        log = await store.read_all()
        assert [(e.stream, e.version, e.position) for e in log] == [("a", 1, 1), ("a", 2, 2), ("b", 1, 3), ("a", 3, 4)]
        assert [e.version for e in await store.read_stream("a")] == [1, 2, 3]
        assert [e.version for e in await store.read_stream("a", after_version=1)] == [2, 3]

    async def test_an_append_at_the_wrong_expected_version_raises_and_writes_nothing(self, store: EventStore) -> None:
        await store.append("a", 0, [new(1)])

        with pytest.raises(ConcurrencyConflict) as stale:
            await store.append("a", 0, [new(2)])
        with pytest.raises(ConcurrencyConflict) as ahead:
            await store.append("a", 5, [new(3)])

        assert (stale.value.stream, stale.value.expected, stale.value.actual) == ("a", 0, 1)
        assert (ahead.value.expected, ahead.value.actual) == (5, 1)
        assert isinstance(stale.value, StoreError)
        assert await store.head() == 1
        assert [e.data for e in await store.read_all()] == [{"n": 1}]

    async def test_expected_version_none_appends_without_a_check(self, store: EventStore) -> None:
        await store.append("a", None, [new(1)])
        await store.append("a", None, [new(2)])

        assert await store.stream_version("a") == 2

    async def test_a_batch_of_events_is_written_whole_or_not_at_all(self, store: EventStore) -> None:
        await store.append("a", 0, [new(1)])

        with pytest.raises(ConcurrencyConflict):
            await store.append("a", 0, [new(2), new(3), new(4)])
        with pytest.raises(TypeError):
            await store.append("a", 1, [new(5), NewEvent("Bad", {"x": object()}, T0)])
        await store.append("a", 1, [new(6), new(7), new(8)])

        assert [e.data["n"] for e in await store.read_stream("a")] == [1, 6, 7, 8]
        assert positions(await store.read_all()) == [1, 2, 3, 4]

    async def test_an_event_without_a_time_zone_is_refused(self, store: EventStore) -> None:
        with pytest.raises(ValueError):
            await store.append("a", 0, [new(1, at=datetime(2026, 4, 2, 8, 0))])

        assert await store.head() == 0

    async def test_repeating_an_idempotency_key_returns_the_original_result_and_writes_nothing(
        self, store: EventStore
    ) -> None:
        first = await store.append("a", 0, [new(1), new(2)], idempotency_key="bid-17")
        await store.append("a", 2, [new(3)])

        # A retry after success: stale expected version, even different events; it is answered, not refused.
        again = await store.append("a", 0, [new(99)], idempotency_key="bid-17")

        assert again.duplicate is True
        assert again.events == first.events
        assert again.last_version == 2
        assert await store.head() == 3
        assert [e.data["n"] for e in await store.read_stream("a")] == [1, 2, 3]

    async def test_recorded_answers_a_key_as_a_repeat_would_without_writing(self, store: EventStore) -> None:
        # How the service finds a key's first answer when a retry is refused.
        first = await store.append("a", 0, [new(1), new(2)], idempotency_key="k")
        await store.append("a", 2, [new(3)])
        await store.append("b", 0, [new(4)], idempotency_key="other")

        known = await store.recorded("a", "k")
        assert known == AppendResult("a", first.events, duplicate=True)
        assert known == await store.append("a", 0, [new(99)], idempotency_key="k")
        assert await store.recorded("a", "unknown") is None
        assert await store.recorded("a", "other") is None, "a key is scoped to its stream"
        assert await store.recorded("nothing", "k") is None
        assert await store.head() == 4
        fresh = await store.append("a", 3, [new(5)], idempotency_key="unknown")  # the lookup took no key
        assert fresh.duplicate is False and fresh.last_version == 4
        assert (await store.recorded("a", "unknown")) == AppendResult("a", fresh.events, duplicate=True)

    async def test_an_append_without_events_is_refused_before_anything_is_written(self, store: EventStore) -> None:
        await store.append("a", 0, [new(1)], idempotency_key="k")

        with pytest.raises(ValueError):
            await store.append("a", 1, [])
        with pytest.raises(ValueError):
            await store.append("a", 0, (), idempotency_key="k")
        with pytest.raises(ValueError):
            await store.append_batch([AppendRequest("b", 0, [new(2)]), AppendRequest("a", 1, [])])

        assert await store.head() == 1

    async def test_an_idempotency_key_is_scoped_to_its_stream(self, store: EventStore) -> None:
        await store.append("a", 0, [new(1)], idempotency_key="k")
        other = await store.append("b", 0, [new(2)], idempotency_key="k")

        assert other.duplicate is False
        assert [e.stream for e in await store.read_all()] == ["a", "b"]
        assert (await store.recorded("b", "k")) == AppendResult("b", other.events, duplicate=True)

    async def test_a_key_whose_append_conflicted_can_be_used_again(self, store: EventStore) -> None:
        await store.append("a", 0, [new(1)])
        with pytest.raises(ConcurrencyConflict):
            await store.append("a", 0, [new(2)], idempotency_key="k")

        result = await store.append("a", 1, [new(2)], idempotency_key="k")

        assert result.duplicate is False
        assert result.last_version == 2

    async def test_append_batch_answers_each_request_on_its_own(self, store: EventStore) -> None:
        earlier = await store.append("old", 0, [new(0)], idempotency_key="done")

        results = await store.append_batch(
            [
                AppendRequest("x", 0, [new(1), new(2)]),
                AppendRequest("x", 0, [new(3)]),  # conflicts: the first request made x version 2
                AppendRequest("x", 2, [new(4)], idempotency_key="k"),  # sees the first request's version
                AppendRequest("old", 0, [new(5)], idempotency_key="done"),  # repeat of an earlier append
                AppendRequest("x", 0, [new(6)], idempotency_key="k"),  # repeat of a key from this same batch
                AppendRequest("y", 0, [new(7)]),
                AppendRequest("y", 7, [new(8)]),
            ]
        )

        ok_x, conflict, keyed, old_again, keyed_again, ok_y, conflict_y = results
        assert isinstance(ok_x, AppendResult) and [e.version for e in ok_x.events] == [1, 2]
        assert isinstance(conflict, ConcurrencyConflict) and (conflict.expected, conflict.actual) == (0, 2)
        assert isinstance(keyed, AppendResult) and keyed.last_version == 3 and not keyed.duplicate
        assert isinstance(old_again, AppendResult) and old_again.duplicate and old_again.events == earlier.events
        assert isinstance(keyed_again, AppendResult) and keyed_again.duplicate and keyed_again.events == keyed.events
        assert isinstance(ok_y, AppendResult) and ok_y.last_version == 1
        assert isinstance(conflict_y, ConcurrencyConflict) and conflict_y.stream == "y"
        log = await store.read_all()
        assert [e.data["n"] for e in log] == [0, 1, 2, 4, 7]
        assert positions(log) == [1, 2, 3, 4, 5]
        verify_chain(log)

    async def test_a_request_that_follows_one_that_wrote_nothing_is_refused(self, store: EventStore) -> None:
        await store.append("x", 0, [new(0)], idempotency_key="seen")

        results = await store.append_batch(
            [
                AppendRequest("x", 0, [new(1)]),  # conflicts: x is at version 1
                AppendRequest("x", 1, [new(2)], after=0),  # its version matches, but it counted on the first
                AppendRequest("x", 1, [new(3)], idempotency_key="seen"),  # a repeat: writes nothing
                AppendRequest("x", 1, [new(4)], after=2),  # counted on the repeat
                AppendRequest("x", 1, [new(5)]),  # on its own: written
                AppendRequest("x", 2, [new(6)], after=4),  # follows a written one: written
            ]
        )

        kinds = [type(r).__name__ if isinstance(r, ConcurrencyConflict) else r.duplicate for r in results]
        assert kinds == ["ConcurrencyConflict", "ConcurrencyConflict", True, "ConcurrencyConflict", False, False]
        assert [e.data["n"] for e in await store.read_all()] == [0, 5, 6]
        for bad in (1, 2, -1, True):
            with pytest.raises(ValueError):
                await store.append_batch([AppendRequest("x", 3, [new(7)]), AppendRequest("x", 4, [new(8)], after=bad)])
        assert await store.head() == 3

    async def test_concurrent_appends_on_one_store_are_answered_with_their_own_positions(
        self, store: EventStore
    ) -> None:
        for k in range(20):
            await store.append(f"s{k}", 0, [new(k)])

        results = await asyncio.gather(*(store.append(f"s{k}", 1, [new(100 + k)]) for k in range(20)))
        results += await asyncio.gather(*(store.append(f"s{k}", 2, [new(200 + k), new(300 + k)]) for k in range(20)))

        stored = {e.data["n"]: e.position for e in await store.read_all(limit=1000)}
        answered = {e.data["n"]: e.position for r in results for e in r.events}
        assert answered == {n: stored[n] for n in answered} and len(answered) == 60

    async def test_concurrent_appends_at_one_version_of_a_stream_have_one_winner(self, store: EventStore) -> None:
        await store.append("other", 0, [new(0)])

        # Started together: behind a GroupCommitStore the first is written alone and the rest in one batch.
        answers = await asyncio.gather(*(store.append("a", 0, [new(n)]) for n in range(10)), return_exceptions=True)

        won = [a for a in answers if isinstance(a, AppendResult)]
        lost = [a for a in answers if not isinstance(a, AppendResult)]
        assert len(won) == 1 and won[0].last_version == 1
        assert all(isinstance(a, ConcurrencyConflict) and (a.expected, a.actual) == (0, 1) for a in lost), lost
        assert await store.read_stream("a") == list(won[0].events)
        assert await store.head() == 2

    async def test_concurrent_appends_under_one_key_write_once_and_answer_alike(self, store: EventStore) -> None:
        # The first keeps the store busy so that, behind a GroupCommitStore, the five repeats share one batch.
        busy = store.append("other", 0, [new(0)])
        keyed = [store.append("a", 0, [new(n)], idempotency_key="k") for n in range(5)]
        free = [store.append("b", None, [new(10 + n)], idempotency_key=f"b-{n}") for n in range(3)]

        answers = await asyncio.gather(busy, *keyed, *free)

        repeats = answers[1:6]
        (first,) = [a for a in repeats if not a.duplicate]
        assert all(a.duplicate and a.events == first.events for a in repeats if a is not first)
        assert [e.data["n"] for e in first.events] in ([0], [1], [2], [3], [4])
        assert all(not a.duplicate and len(a.events) == 1 for a in answers[6:])
        assert await store.stream_version("a") == 1 and await store.stream_version("b") == 3
        assert await store.recorded("a", "k") == AppendResult("a", first.events, duplicate=True)
        verify_chain(await store.read_all())

    async def test_closing_keeps_what_was_acknowledged_and_then_refuses_to_work(self, store: EventStore) -> None:
        written = await store.append("a", 0, [new(1)])
        in_flight = [asyncio.create_task(store.append(f"s{k}", 0, [new(k)])) for k in range(8)]
        await asyncio.sleep(0)

        await store.close()
        answers = await asyncio.gather(*in_flight, return_exceptions=True)

        # In flight when the store was closed: written or not (GroupCommitStore writes what it queued).
        assert all(isinstance(a, (AppendResult, Exception)) for a in answers)
        if isinstance(store, GroupCommitStore):
            assert all(isinstance(a, AppendResult) for a in answers), answers
        for call in (
            lambda: store.append("a", 1, [new(2)]),
            lambda: store.append_batch([AppendRequest("a", 1, [new(2)])]),
            lambda: store.read_all(),
            lambda: store.read_stream("a"),
            lambda: store.recorded("a", "k"),
            lambda: store.head(),
        ):
            with pytest.raises(StoreError):
                await call()
        await store.close()  # a second time: nothing happens
        assert written.last_version == 1

    async def test_append_batch_with_no_requests_writes_nothing(self, store: EventStore) -> None:
        assert await store.append_batch([]) == []
        assert await store.head() == 0

    async def test_read_all_pages_through_the_log_in_position_order(self, store: EventStore) -> None:
        for i in range(7):
            await store.append(f"s{i % 3}", None, [new(i)])

        pages: list[list[int]] = []
        after = 0
        while page := await store.read_all(after, limit=3):
            pages.append(positions(page))
            after = page[-1].position

        assert pages == [[1, 2, 3], [4, 5, 6], [7]]
        assert await store.read_all(7) == []

    async def test_read_rows_gives_read_alls_events_as_plain_tuples(self, store: EventStore) -> None:
        await store.append("a", 0, [NewEvent("X", {"n": 1, "nested": {"list": [1, "two"]}}, T0), new(2)])
        await store.append("b", None, [new(3)])
        await store.append("a", 2, [new(4)])

        for after, limit in [(0, 1000), (0, 2), (1, 2), (3, 1000), (4, 10), (9, 10), (0, 0)]:
            rows = await store.read_rows(after, limit)
            assert all(type(row) is tuple for row in rows)
            assert rows == [event_row(e) for e in await store.read_all(after, limit)]
        assert [row[:4] for row in await store.read_rows()] == [
            (1, "a", 1, "X"),
            (2, "a", 2, "Happened"),
            (3, "b", 1, "Happened"),
            (4, "a", 3, "Happened"),
        ]
        with pytest.raises(ValueError):
            await store.read_rows(0, -1)

        (await store.read_rows())[0][4]["nested"]["list"].append(3)  # fresh data, as read_all's
        assert (await store.read_rows())[0][4] == {"n": 1, "nested": {"list": [1, "two"]}}

    async def test_head_and_versions_describe_the_log(self, store: EventStore) -> None:
        assert (await store.head(), await store.stream_version("b"), await store.read_stream("b")) == (0, 0, [])

        await store.append("b", 0, [new(1), new(2)])
        await store.append("a", 0, [new(3)])

        assert await store.head() == 3
        assert await store.stream_version("b") == 2
        assert await store.stream_version("nothing") == 0

    async def test_each_stream_carries_its_own_hash_chain(self, store: EventStore) -> None:
        await store.append("a", 0, [new(1), new(2)])
        await store.append("b", 0, [new(3)])
        await store.append("a", 2, [new(4)])

        log = await store.read_all()
        verify_chain(log)
        a = [e for e in log if e.stream == "a"]
        assert a[0].prev_hash == GENESIS_HASH
        assert [e.prev_hash for e in a[1:]] == [e.hash for e in a[:-1]]
        assert log[2].prev_hash == GENESIS_HASH  # b starts its own chain
        for e in log:
            assert e.hash == chain_hash(e.prev_hash, e.stream, e.version, e.type, e.recorded_at, e.data)

    @staticmethod
    def _changed_payload(log: list[StoredEvent]) -> list[StoredEvent]:
        log[2] = dataclasses.replace(log[2], data={"n": 9999})
        return log

    @staticmethod
    def _deleted_event(log: list[StoredEvent]) -> list[StoredEvent]:
        del log[2]
        return log

    @staticmethod
    def _swapped_events(log: list[StoredEvent]) -> list[StoredEvent]:
        log[2], log[4] = log[4], log[2]
        return log

    @staticmethod
    def _swapped_and_renumbered(log: list[StoredEvent]) -> list[StoredEvent]:
        a2, a3 = log[2], log[4]
        log[2] = dataclasses.replace(a3, position=a2.position)
        log[4] = dataclasses.replace(a2, position=a3.position)
        return log

    @staticmethod
    def _shifted_timestamp(log: list[StoredEvent]) -> list[StoredEvent]:
        log[1] = dataclasses.replace(log[1], recorded_at=log[1].recorded_at + timedelta(seconds=1))
        return log

    @pytest.mark.parametrize(
        ("tamper", "first_bad_position"),
        [
            ("_changed_payload", 3),
            ("_deleted_event", 5),
            ("_swapped_events", 5),
            ("_swapped_and_renumbered", 3),
            ("_shifted_timestamp", 2),
        ],
    )
    async def test_verify_chain_names_the_first_event_of_a_tampered_log(
        self, store: EventStore, tamper: str, first_bad_position: int
    ) -> None:
        # a1 b1 a2 b2 a3 at positions 1..5
        for stream, n in [("a", 1), ("b", 2), ("a", 3), ("b", 4), ("a", 5)]:
            await store.append(stream, None, [new(n)])
        log = await store.read_all()
        verify_chain(log)

        with pytest.raises(ChainBroken) as broken:
            verify_chain(getattr(self, tamper)(log))

        assert broken.value.position == first_bad_position
        assert str(first_bad_position) in str(broken.value)

    async def test_concurrent_writers_racing_on_one_stream_win_each_version_exactly_once(self, opener: Opener) -> None:
        stores = [await opener() for _ in range(4)]
        rounds, contenders = 5, 20

        async def attempt(version: int, contender: int) -> bool:
            try:
                await stores[contender % len(stores)].append("race", version, [new(contender, "Attempt")])
            except ConcurrencyConflict:
                return False
            return True

        for version in range(rounds):
            wins = await asyncio.gather(*(attempt(version, c) for c in range(contenders)))
            assert wins.count(True) == 1, f"round {version}: {wins.count(True)} winners"

        events = await stores[0].read_stream("race")
        assert [e.version for e in events] == list(range(1, rounds + 1))
        assert await stores[-1].head() == rounds
        verify_chain(events)

    async def test_a_reader_polling_during_concurrent_appends_sees_every_event_once_and_in_order(
        self, opener: Opener
    ) -> None:
        writers = [await opener() for _ in range(3)]
        reader = await opener()
        per_stream = 24
        finished = asyncio.Event()

        async def write_stream(index: int) -> None:
            store, stream, version = writers[index % len(writers)], f"single-{index}", 0
            while version < per_stream:
                size = 1 if version % 2 else 3  # single events and multi-event appends, interleaved
                await store.append(stream, version, [new(version + k) for k in range(size)])
                version += size
                await asyncio.sleep(0)

        async def write_groups() -> None:
            for version in range(per_stream):
                results = await writers[0].append_batch(
                    [AppendRequest(f"group-{g}", version, [new(version)]) for g in range(3)]
                )
                assert all(isinstance(r, AppendResult) for r in results)
                await asyncio.sleep(0)

        seen: list[StoredEvent] = []

        async def read() -> None:
            after = 0
            while True:
                last_round = finished.is_set()  # decided before reading, so the last read sees everything
                page = await reader.read_all(after, limit=10)
                seen.extend(page)
                if page:
                    after = page[-1].position
                elif last_round:
                    return
                await asyncio.sleep(0)

        reading = asyncio.create_task(read())
        await asyncio.gather(*(write_stream(i) for i in range(4)), write_groups())
        finished.set()
        await asyncio.wait_for(reading, timeout=30)

        everything = await reader.read_all(0, limit=100_000)
        assert len(everything) == 7 * per_stream
        assert positions(seen) == positions(everything)  # each event once, none skipped, in position order
        assert positions(seen) == sorted(set(positions(seen)))
        by_stream: dict[str, list[int]] = {}
        for e in seen:
            by_stream.setdefault(e.stream, []).append(e.version)
        assert all(v == list(range(1, per_stream + 1)) for v in by_stream.values()), by_stream
        verify_chain(seen)

    # The Merkle tree over the log (engine.store.base.TreeStore), kept by every adapter.

    async def test_the_tree_holds_every_event_as_a_leaf_in_position_order(self, opener: Opener) -> None:
        stores = [await opener() for _ in range(3)]
        rng = random.Random(7)
        answers: list[AppendResult] = []
        for round_ in range(40):
            store = stores[round_ % len(stores)]
            if rng.random() < 0.3:
                batch = [
                    AppendRequest(f"s{rng.randrange(5)}", None, [new(round_)] * rng.randint(1, 3))
                    for _ in range(rng.randint(1, 4))
                ]
                answers += [r for r in await store.append_batch(batch) if isinstance(r, AppendResult)]
            else:
                answers.append(await store.append(f"s{rng.randrange(5)}", None, [new(round_)] * rng.randint(1, 5)))

        await assert_tree_matches_log(stores[-1])
        for answer in answers:
            assert answer.tree is not None
            root = answer.tree.root()
            assert root == await tree.root(adapter_of(stores[0]), answer.tree.size)
            for event in answer.events:
                path = answer.tree.inclusion_proof(event.position - 1)
                assert merkle.verify_inclusion(log_leaf(event.hash), event.position - 1, answer.tree.size, path, root)

    async def test_proofs_read_from_the_tree_verify_and_name_their_leaves(self, store: EventStore) -> None:
        for n in range(1, 12):
            await store.append(f"s{n % 3}", None, [new(n)])
        adapter = adapter_of(store)
        log = await store.read_all()
        leaves = [log_leaf(e.hash) for e in log]
        roots = {size: await tree.root(adapter, size) for size in range(1, 12)}
        for size in range(1, 12):
            for index in range(size):
                path = await tree.inclusion_proof(adapter, index, size)
                assert merkle.verify_inclusion(leaves[index], index, size, path, roots[size])
                if size > 1:  # another event's leaf does not fit that path
                    assert not merkle.verify_inclusion(leaves[(index + 1) % size], index, size, path, roots[size])
            for first in range(1, size + 1):
                proof = await tree.consistency_proof(adapter, first, size)
                assert merkle.verify_consistency(first, size, roots[first], roots[size], proof)
        with pytest.raises(tree.TreeTooSmall):
            await tree.root(adapter, 12)

    async def test_a_repeated_key_and_a_conflict_add_no_leaf(self, store: EventStore) -> None:
        first = await store.append("a", 0, [new(1)], idempotency_key="k")
        again = await store.append("a", 0, [new(1)], idempotency_key="k")
        with pytest.raises(ConcurrencyConflict):
            await store.append("a", 0, [new(2)])

        assert again.duplicate and again.tree is None
        assert first.tree is not None and first.tree.size == 1
        assert await adapter_of(store).tree_size() == 1
        await assert_tree_matches_log(store)


async def assert_tree_matches_log(store: EventStore) -> None:
    """The store's tree has one leaf per event, in position order, and the root they make."""
    adapter = adapter_of(store)
    log = await store.read_all(0, limit=100_000)
    assert await adapter.tree_size() == len(log) == await store.head()
    expected = merkle.Tree.of_leaves([log_leaf(e.hash) for e in log]).root(len(log))
    assert await tree.root(adapter, len(log)) == expected


class DatabaseStoreContract(StoreContract):
    """What only a store backed by a database can promise."""

    backend: str  # the migrations directory
    disable_update_guard: str  # SQL that switches the append-only trigger off, to simulate tampering

    @pytest.fixture
    async def query(self) -> AsyncIterator[Query]:
        """Runs raw SQL on its own connection, outside the store."""
        raise NotImplementedError
        yield  # pragma: no cover

    @pytest.fixture
    async def fresh_location(self) -> AsyncIterator[str]:
        """The URL of a location where no store was opened yet."""
        raise NotImplementedError
        yield  # pragma: no cover

    @pytest.fixture
    def query_at(self) -> Callable[[str], Query]:
        """Raw SQL runner for another location."""
        raise NotImplementedError

    async def test_the_database_refuses_to_update_an_event(self, store: EventStore, query: Query) -> None:
        await store.append("a", 0, [new(1)])

        with pytest.raises(Exception, match="append-only"):
            await query("UPDATE events SET type = 'Forged' WHERE position = 1")

        assert (await store.read_all())[0].type == "Happened"

    async def test_the_database_refuses_to_delete_an_event(self, store: EventStore, query: Query) -> None:
        await store.append("a", 0, [new(1)])

        with pytest.raises(Exception, match="append-only"):
            await query("DELETE FROM events")

        assert await store.head() == 1

    async def test_a_payload_changed_behind_the_stores_back_is_detected_on_read(
        self, store: EventStore, query: Query
    ) -> None:
        await store.append("a", 0, [new(1), new(2), new(3)])
        await query(self.disable_update_guard)
        await query("UPDATE events SET data = '{\"n\": 200}' WHERE position = 2")

        log = await store.read_all()

        assert log[1].data == {"n": 200}
        with pytest.raises(ChainBroken) as broken:
            verify_chain(log)
        assert broken.value.position == 2

    async def test_events_survive_closing_and_reopening_the_store(self, opener: Opener) -> None:
        first = await opener()
        written = await first.append("a", 0, [new(1), new(2)], idempotency_key="k")
        await first.close()

        reopened = await opener()

        assert await reopened.read_all() == list(written.events)
        assert (await reopened.append("a", 0, [new(3)], idempotency_key="k")).duplicate
        assert (await reopened.append("a", 2, [new(4)])).last_version == 3

    async def test_appends_answered_while_the_store_closes_are_in_the_log(self, opener: Opener) -> None:
        first = await opener()
        await first.append("a", 0, [new(0)])
        in_flight = [asyncio.create_task(first.append(f"s{k}", 0, [new(k)])) for k in range(8)]
        await asyncio.sleep(0)
        await first.close()
        answers = await asyncio.gather(*in_flight, return_exceptions=True)

        reopened = await opener()

        log = await reopened.read_all()
        written = [e for a in answers if isinstance(a, AppendResult) for e in a.events]
        assert all(e in log for e in written)
        verify_chain(log)

    async def test_opening_a_store_twice_applies_each_migration_once(self, opener: Opener, query: Query) -> None:
        first = await opener()
        await first.append("a", 0, [new(1)])
        await first.close()
        second = await opener()

        rows = await query("SELECT version FROM schema_migrations ORDER BY version")

        assert [r[0] for r in rows] == [m.version for m in load(self.backend)]
        assert await second.head() == 1

    async def test_stores_opened_at_the_same_moment_on_a_new_database_migrate_once(
        self, fresh_location: str, query_at: Callable[[str], Query]
    ) -> None:
        stores = await asyncio.gather(*(open_store(fresh_location) for _ in range(4)))
        try:
            rows = await query_at(fresh_location)("SELECT version FROM schema_migrations")
            assert sorted(r[0] for r in rows) == [m.version for m in load(self.backend)]
            await stores[0].append("a", 0, [new(1)])
            assert await stores[3].head() == 1
        finally:
            for s in stores:
                await s.close()

    async def test_a_unique_violation_in_the_database_becomes_a_concurrency_conflict(
        self, store: EventStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await store.append("a", 0, [new(1)])
        self.make_tip_lookup_stale(monkeypatch)  # as if a writer had slipped past the lock

        with pytest.raises(ConcurrencyConflict) as conflict:
            await store.append("a", None, [new(2)])

        assert conflict.value.__cause__ is not None
        assert conflict.value.stream == "a"
        assert await store.head() == 1

    def make_tip_lookup_stale(self, monkeypatch: pytest.MonkeyPatch) -> None:
        raise NotImplementedError


class TestMemoryStore(StoreContract):
    @pytest.fixture
    async def opener(self, grouped: bool) -> AsyncIterator[Opener]:
        # One process, one log: every "instance" is the same store (behind a group commit of its own).
        shared = MemoryEventStore()
        opened: list[EventStore] = []

        async def same() -> EventStore:
            store = in_front(shared, grouped)
            opened.append(store)
            return store

        yield same
        for store in opened:
            await store.close()

    async def test_changing_what_was_read_does_not_change_the_log(self, store: EventStore) -> None:
        await store.append("a", 0, [NewEvent("X", {"list": [1]}, T0)])

        (await store.read_all())[0].data["list"].append(2)

        assert (await store.read_all())[0].data == {"list": [1]}


class _ClosingOpener:
    def __init__(self, url: str, grouped: bool = False) -> None:
        self.url = url
        self.grouped = grouped
        self.opened: list[EventStore] = []

    async def __call__(self) -> EventStore:
        store = in_front(await open_store(self.url), self.grouped)
        self.opened.append(store)
        return store

    async def close_all(self) -> None:
        for store in self.opened:
            await store.close()


def _sqlite_query(path: Path) -> Query:
    async def run(sql: str) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    return run


class TestSqliteStore(DatabaseStoreContract):
    backend = "sqlite"
    disable_update_guard = "DROP TRIGGER events_no_update"

    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "events.db"

    @pytest.fixture
    async def opener(self, path: Path, grouped: bool) -> AsyncIterator[Opener]:
        opener = _ClosingOpener(f"sqlite:///{path}", grouped)
        yield opener
        await opener.close_all()

    @pytest.fixture
    async def query(self, path: Path) -> AsyncIterator[Query]:
        yield _sqlite_query(path)

    @pytest.fixture
    async def fresh_location(self, tmp_path: Path) -> AsyncIterator[str]:
        yield str(tmp_path / "fresh.db")

    @pytest.fixture
    def query_at(self) -> Callable[[str], Query]:
        return lambda location: _sqlite_query(Path(location))

    def make_tip_lookup_stale(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from engine.store import planning, sqlite

        monkeypatch.setattr(sqlite, "_tip", lambda c, stream: planning.EMPTY_TIP)

    async def test_a_log_from_before_the_tree_gets_its_tree_when_opened(self, opener: Opener, query: Query) -> None:
        first = await opener()
        for n in range(1, 8):
            await first.append(f"s{n % 2}", None, [new(n)])
        expected = await tree.root(adapter_of(first), 7)
        await adapter_of(first).close()
        await query("DROP TRIGGER merkle_nodes_no_delete")
        await query("DELETE FROM merkle_nodes")  # as if written before the tree existed

        reopened = await opener()

        assert await adapter_of(reopened).tree_size() == 7
        assert await tree.root(adapter_of(reopened), 7) == expected
        await reopened.append("s0", None, [new(8)])
        await assert_tree_matches_log(reopened)

    async def test_the_file_is_in_wal_mode_with_full_synchronous_commits(self, store: EventStore, query: Query) -> None:
        assert await query("PRAGMA journal_mode") == [("wal",)]
        # synchronous is a per-connection setting: ask the store's own connection.
        assert await adapter_of(store)._run(lambda c: c.execute("PRAGMA synchronous").fetchone()) == (2,)

    async def test_an_append_waiting_for_the_write_lock_does_not_block_the_event_loop(
        self, store: EventStore, path: Path
    ) -> None:
        other_process = sqlite3.connect(path, isolation_level=None)
        try:
            other_process.execute("BEGIN IMMEDIATE")
            appending = asyncio.create_task(store.append("a", 0, [new(1)]))
            ticks = 0
            for _ in range(20):
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 20
            assert not appending.done()
            other_process.execute("COMMIT")
            result = await asyncio.wait_for(appending, timeout=10)
        finally:
            other_process.close()

        assert result.last_version == 1

    async def test_a_plain_file_path_and_a_sqlite_url_open_the_same_log(self, path: Path) -> None:
        by_url = await open_store(f"sqlite:///{path}")
        try:
            await by_url.append("a", 0, [new(1)])
        finally:
            await by_url.close()
        by_path = await open_store(str(path))
        try:
            assert await by_path.head() == 1
        finally:
            await by_path.close()


def _postgres_query(url: str) -> Query:
    async def run(sql: str) -> list[tuple[Any, ...]]:
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await connection.fetch(sql)]
        finally:
            await connection.close()

    return run


@pytest.mark.postgres
class TestPostgresStore(DatabaseStoreContract):
    backend = "postgres"
    disable_update_guard = "ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete"

    @pytest.fixture
    async def opener(self, postgres_url: str, grouped: bool) -> AsyncIterator[Opener]:
        opener = _ClosingOpener(postgres_url, grouped)
        yield opener
        await opener.close_all()

    @pytest.fixture
    async def query(self, postgres_url: str) -> AsyncIterator[Query]:
        yield _postgres_query(postgres_url)

    @pytest.fixture
    async def fresh_location(self) -> AsyncIterator[str]:
        async with fresh_postgres_database() as url:
            yield url

    @pytest.fixture
    def query_at(self) -> Callable[[str], Query]:
        return _postgres_query

    def make_tip_lookup_stale(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from engine.store import planning, postgres

        async def stale(c: object, streams: list[str]) -> tuple[int, dict[str, planning.Tip]]:
            return 0, {s: planning.EMPTY_TIP for s in streams}

        monkeypatch.setattr(postgres, "_state", stale)

    async def test_a_unique_violation_in_the_database_becomes_a_concurrency_conflict(
        self, opener: Opener, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store, other = await opener(), await opener()
        await store.append("a", 0, [new(1)])
        await other.append("a", 1, [new(2)])  # another process: what ``store`` knows of "a" is now stale
        self.make_tip_lookup_stale(monkeypatch)  # and the read under the lock is stale too

        with pytest.raises(ConcurrencyConflict) as conflict:
            await store.append("a", None, [new(3)])

        assert conflict.value.__cause__ is not None
        assert conflict.value.stream == "a"
        assert await store.head() == 2

    async def test_a_stream_another_process_extended_is_read_and_planned_again(self, opener: Opener) -> None:
        store, other = await opener(), await opener()
        await store.append("a", 0, [new(1)])
        await store.append("b", 0, [new(2)])
        await other.append("a", 1, [new(3)])  # ``store`` still believes "a" ends at version 1

        result = await store.append("a", 2, [new(4)])  # planned on version 1: refused, read again, written
        stale = await store.append_batch([AppendRequest("a", 2, [new(5)]), AppendRequest("b", 1, [new(6)])])
        with pytest.raises(ConcurrencyConflict):
            await other.append("a", 2, [new(7)])  # ``other`` still believes "a" ends at 2: checked under the lock

        assert [e.version for e in result.events] == [3]
        assert isinstance(stale[0], ConcurrencyConflict) and stale[0].actual == 3
        assert isinstance(stale[1], AppendResult) and stale[1].last_version == 2
        log = await other.read_all()
        assert [e.data["n"] for e in log] == [1, 2, 3, 4, 6]
        assert positions(log) == [1, 2, 3, 4, 5]
        verify_chain(log)

    async def test_the_database_refuses_to_truncate_the_events(self, store: EventStore, query: Query) -> None:
        await store.append("a", 0, [new(1)])

        with pytest.raises(Exception, match="append-only"):
            await query("TRUNCATE events")

        assert await store.head() == 1

    async def test_an_append_waits_for_a_writer_in_flight_so_positions_become_visible_in_order(
        self, store: EventStore, postgres_url: str
    ) -> None:
        import asyncpg

        # Another client inserts position 1 and has not committed yet. Without the append lock our append
        # could commit position 2 first and a reader would move past 1 before it became visible.
        other = await asyncpg.connect(postgres_url)
        try:
            transaction = other.transaction()
            await transaction.start()
            digest = chain_hash(GENESIS_HASH, "other", 1, "Happened", T0, {"n": 0})
            await other.execute(
                "INSERT INTO events (position, stream, version, type, data, recorded_at, prev_hash, hash)"
                " VALUES (1, 'other', 1, 'Happened', '{\"n\": 0}', $1, $2, $3)",
                T0,
                GENESIS_HASH,
                digest,
            )
            appending = asyncio.create_task(store.append("a", 0, [new(1)]))
            await asyncio.sleep(0.3)
            assert not appending.done()
            assert await asyncio.wait_for(store.read_all(), timeout=5) == []  # readers are not blocked
            await transaction.commit()
            result = await asyncio.wait_for(appending, timeout=10)
        finally:
            await other.close()

        assert result.events[0].position == 2
        log = await store.read_all()
        assert positions(log) == [1, 2]
        assert format_recorded_at(log[0].recorded_at) == format_recorded_at(T0)
        verify_chain(log)

    async def test_reads_are_not_blocked_while_an_append_holds_the_lock(
        self, store: EventStore, postgres_url: str
    ) -> None:
        import asyncpg

        await store.append("a", 0, [new(1)])
        other = await asyncpg.connect(postgres_url)
        try:
            async with other.transaction():
                await other.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                assert positions(await asyncio.wait_for(store.read_all(), timeout=5)) == [1]
                assert await asyncio.wait_for(store.stream_version("a"), timeout=5) == 1
        finally:
            await other.close()


class KeyStoreContract:
    """What every adapter's :class:`KeyStore` must do. ``opener`` opens the adapter at one location."""

    @pytest.fixture
    async def opener(self) -> AsyncIterator[Callable[[], Awaitable[StoreAdapter]]]:
        raise NotImplementedError("each adapter's test class provides opener")
        yield  # pragma: no cover

    @pytest.fixture
    async def keys(self, opener: Callable[[], Awaitable[KeyStore]]) -> KeyStore:
        return await opener()

    async def test_a_subject_key_is_kept_once_per_owner_and_erased_for_good(self, keys: KeyStore) -> None:
        first = await keys.keep_subject_key("owner-1", "key-a", b"\x01" * 32)
        again = await keys.keep_subject_key("owner-1", "key-b", b"\x02" * 32)
        other = await keys.keep_subject_key("owner-2", "key-c", b"\x03" * 32)

        assert first == ("key-a", b"\x01" * 32)
        assert again == first, "an owner keeps the key it was given first"
        assert other == ("key-c", b"\x03" * 32)
        assert await keys.subject_keys(["key-a", "key-b", "key-c"]) == {"key-a": b"\x01" * 32, "key-c": b"\x03" * 32}
        assert await keys.erase_subject_key("owner-1") == 1
        assert await keys.erase_subject_key("owner-1") == 0
        assert await keys.erase_subject_key("nobody") == 0
        assert await keys.subject_keys(["key-a", "key-c"]) == {"key-c": b"\x03" * 32}

    async def test_an_erased_owner_can_be_given_a_new_key(self, keys: KeyStore) -> None:
        await keys.keep_subject_key("owner", "old", b"\x01" * 32)
        await keys.erase_subject_key("owner")

        assert await keys.keep_subject_key("owner", "new", b"\x02" * 32) == ("new", b"\x02" * 32)
        assert await keys.subject_keys(["old", "new"]) == {"new": b"\x02" * 32}

    async def test_owners_racing_for_their_first_key_all_get_the_same_one(
        self, opener: Callable[[], Awaitable[KeyStore]]
    ) -> None:
        stores = [await opener() for _ in range(3)]

        kept = await asyncio.gather(
            *(stores[n % 3].keep_subject_key("owner", f"key-{n}", bytes([n]) * 32) for n in range(12))
        )

        assert len(set(kept)) == 1
        (key_id, key) = kept[0]
        assert await stores[0].subject_keys([key_id]) == {key_id: key}

    async def test_many_keys_are_read_in_one_call(self, keys: KeyStore) -> None:
        for n in range(1200):
            await keys.keep_subject_key(f"owner-{n}", f"key-{n}", n.to_bytes(32, "big"))

        wanted = [f"key-{n}" for n in range(0, 1200, 1)] + ["key-7", "missing"]
        found = await keys.subject_keys(wanted)

        assert len(found) == 1200 and found["key-1199"] == (1199).to_bytes(32, "big")
        assert await keys.subject_keys([]) == {}


class TestMemoryKeys(KeyStoreContract):
    @pytest.fixture
    async def opener(self) -> AsyncIterator[Callable[[], Awaitable[StoreAdapter]]]:
        shared = MemoryEventStore()

        async def same() -> StoreAdapter:
            return shared

        yield same
        await shared.close()


class _DatabaseKeys(KeyStoreContract):
    async def test_keys_survive_closing_and_reopening_the_store(
        self, opener: Callable[[], Awaitable[StoreAdapter]]
    ) -> None:
        first = await opener()
        await first.keep_subject_key("owner", "key", b"\x05" * 32)
        await first.close()

        reopened = await opener()

        assert await reopened.subject_keys(["key"]) == {"key": b"\x05" * 32}
        assert await reopened.keep_subject_key("owner", "other", b"\x06" * 32) == ("key", b"\x05" * 32)


class TestSqliteKeys(_DatabaseKeys):
    @pytest.fixture
    async def opener(self, tmp_path: Path) -> AsyncIterator[Callable[[], Awaitable[StoreAdapter]]]:
        opener = _ClosingOpener(f"sqlite:///{tmp_path / 'keys.db'}")
        yield opener  # type: ignore[misc]
        await opener.close_all()


@pytest.mark.postgres
class TestPostgresKeys(_DatabaseKeys):
    @pytest.fixture
    async def opener(self, postgres_url: str) -> AsyncIterator[Callable[[], Awaitable[StoreAdapter]]]:
        opener = _ClosingOpener(postgres_url)
        yield opener  # type: ignore[misc]
        await opener.close_all()
