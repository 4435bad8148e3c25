"""Group commit: the appends that arrive while a commit runs are written together by the next one.

A durable commit costs a disk flush and, on PostgreSQL, a turn at the table
lock that keeps positions in commit order (see ``engine.store.postgres``).
Paid once per append, that cost caps a server at a few hundred appends a
second however many auctions it runs. :class:`GroupCommitStore` sits in front
of any store: an append that finds no commit running is written at once, on
its own (no added wait when the server is quiet); appends that arrive while a
commit runs queue up and are written by one ``append_batch`` call, one
transaction and one flush, as soon as it finishes. Each caller is answered
only after that transaction committed, with its own ``AppendResult`` or its
own :class:`ConcurrencyConflict` (the batch's other appends are unaffected),
so an acknowledged write is a durable one.

Only appends are grouped; ``append_batch`` (a batch already), the reads and
the idempotency lookup go straight to the store. Requests are validated before
they are queued, so a malformed one fails its own caller and never the batch it
would have joined. It is an :class:`EventStore` and keeps that port's contract
(``tests/store/test_contract.py`` runs it over every adapter). So that it can
stand wherever its adapter stood, it also passes the :class:`KeyStore` methods
on to the adapter, ungrouped.

:meth:`GroupCommitStore.submit` queues an append without waiting for it, so
that a caller can decide its next command while the first is being written.
The next append names the one it ``follows``: it is written only if that one
wrote its events (in the same transaction or an earlier one), else refused as
a conflict.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from engine.store.base import (
    AppendRequest,
    AppendResult,
    ConcurrencyConflict,
    EventRow,
    NewEvent,
    StoreAdapter,
    StoredEvent,
    StoreError,
)
from engine.store.planning import prepare

# Enough to amortise the flush; small enough that one transaction stays short.
MAX_BATCH = 256

_Waiting = tuple[AppendRequest, "asyncio.Future[AppendResult]", "asyncio.Future[AppendResult] | None"]

# Told of every commit written: (appends in it, seconds it took). The composition root installs one
# (the server's metrics); it must be cheap and never raise, since it runs on the write path.
CommitObserver = Callable[[int, float], None]


def _wrote(answer: asyncio.Future[AppendResult]) -> bool:
    """Whether an append answered earlier wrote its events (not refused, failed, cancelled or a repeat)."""
    if not answer.done() or answer.cancelled() or answer.exception() is not None:
        return False
    return not answer.result().duplicate


class GroupCommitStore:
    def __init__(self, store: StoreAdapter, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.store = store
        self.max_batch = max_batch
        self._queue: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()  # no commit is running
        self._idle.set()
        self._closed = False
        self.commits = 0  # transactions written (for tests and benchmarks)
        self.appends = 0  # appends answered by them
        self.observe: CommitObserver | None = None

    async def append(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
    ) -> AppendResult:
        request = self._request(stream, expected_version, events, idempotency_key)
        if self._idle.is_set():
            return await self._write_alone(request)
        # A caller cancelled while queued is dropped before its batch is written; once the batch is being
        # written, the commit goes on without it (an idempotency key makes its retry safe). A lone append,
        # written by its caller's task, is like any store's: cancelled, it is written whole or not at all.
        return await self._enqueue(request, None)

    def _request(
        self, stream: str, expected_version: int | None, events: Sequence[NewEvent], idempotency_key: str | None
    ) -> AppendRequest:
        if self._closed:
            raise StoreError("the store is closed")
        # Raises for bad input here, in the caller, before anything is queued; the adapter
        # then takes the prepared request without preparing it again.
        return prepare(AppendRequest(stream, expected_version, tuple(events), idempotency_key))

    def _enqueue(
        self, request: AppendRequest, follows: asyncio.Future[AppendResult] | None
    ) -> asyncio.Future[AppendResult]:
        answer: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.append((request, answer, follows))
        self._start_writer()  # unless a commit is running: it writes the queue when done
        return answer

    async def _write_alone(self, request: AppendRequest) -> AppendResult:
        # Nothing is being written: the append is written at once, by the caller's own task. Handing it
        # to the writer task would cost a turn of the event loop, and on a busy hot auction, whose
        # appends follow one another through the auction's lock, every turn lengthens the queue.
        self._idle.clear()
        started = time.perf_counter()
        try:
            (answer,) = await self.store.append_batch([request])
        finally:
            self._idle.set()
            self._start_writer()  # for the appends that queued up meanwhile
        self.commits += 1
        self.appends += 1
        if self.observe is not None:
            self.observe(1, time.perf_counter() - started)
        if isinstance(answer, ConcurrencyConflict):
            raise answer
        return answer

    @property
    def queued(self) -> int:
        """Appends waiting for the next commit."""
        return len(self._queue)

    def submit(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[NewEvent],
        idempotency_key: str | None = None,
        follows: asyncio.Future[AppendResult] | None = None,
    ) -> asyncio.Future[AppendResult]:
        """Queue an append and return its answer to come; its place in the write order is
        fixed when this returns. ``follows``: the answer of an earlier submitted append this
        one counts on; unless that one writes its events, this one is refused as a conflict."""
        return self._enqueue(self._request(stream, expected_version, events, idempotency_key), follows)

    def _start_writer(self) -> None:
        if self._queue and self._idle.is_set():
            self._idle.clear()
            self._writer = asyncio.create_task(self._write_queued(), name="group-commit")

    async def _write_queued(self) -> None:
        try:
            while self._queue:
                await self._write_batch()
        finally:
            self._idle.set()

    async def _write_batch(self) -> None:
        taken = self._queue[: self.max_batch]
        del self._queue[: self.max_batch]
        batch: list[tuple[AppendRequest, asyncio.Future[AppendResult]]] = []
        index_of: dict[asyncio.Future[AppendResult], int] = {}
        for request, waiting, follows in taken:
            if waiting.done():
                continue  # its caller was cancelled while it waited: not written
            if follows is not None and follows in index_of:
                request = replace(request, after=index_of[follows])
            elif follows is not None and not _wrote(follows):
                # What it counted on was not written (or is not coming): refused, writing nothing.
                waiting.set_exception(ConcurrencyConflict(request.stream, request.expected_version, None))
                continue
            index_of[waiting] = len(batch)
            batch.append((request, waiting))
        if not batch:
            return
        started = time.perf_counter()
        try:
            answers = await self.store.append_batch([request for request, _ in batch])
            if len(answers) != len(batch):
                raise StoreError(f"the store answered {len(answers)} of {len(batch)} appends")
        except asyncio.CancelledError:
            for _, waiting in batch:
                waiting.cancel()
            raise
        except Exception as error:
            # The transaction did not commit (or its outcome is unknown): every caller in it gets the error.
            for _, waiting in batch:
                if not waiting.done():
                    waiting.set_exception(error)
            return
        self.commits += 1
        self.appends += len(batch)
        if self.observe is not None:
            self.observe(len(batch), time.perf_counter() - started)
        for (_, waiting), result in zip(batch, answers, strict=True):
            if waiting.done():
                continue
            if isinstance(result, ConcurrencyConflict):
                waiting.set_exception(result)
            else:
                waiting.set_result(result)

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult | ConcurrencyConflict]:
        if self._closed:
            raise StoreError("the store is closed")
        return await self.store.append_batch(requests)

    async def recorded(self, stream: str, idempotency_key: str) -> AppendResult | None:
        return await self.store.recorded(stream, idempotency_key)

    async def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        return await self.store.read_stream(stream, after_version)

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        return await self.store.read_all(after, limit)

    async def read_rows(self, after: int = 0, limit: int = 1000) -> list[EventRow]:
        return await self.store.read_rows(after, limit)

    async def head(self) -> int:
        return await self.store.head()

    async def stream_version(self, stream: str) -> int:
        return await self.store.stream_version(stream)

    async def tree_size(self) -> int:
        return await self.store.tree_size()

    async def tree_hashes(self, subtrees: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return await self.store.tree_hashes(subtrees)

    async def keep_subject_key(self, owner: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        return await self.store.keep_subject_key(owner, key_id, key)

    async def subject_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        return await self.store.subject_keys(key_ids)

    async def erase_subject_key(self, owner: str) -> int:
        return await self.store.erase_subject_key(owner)

    async def close(self) -> None:
        """Let the commit in flight and the queued appends finish, then close the store."""
        self._closed = True
        while not self._idle.is_set() or self._queue:
            await self._idle.wait()
            self._start_writer()
        await self.store.close()
