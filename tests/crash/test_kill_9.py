"""``kill -9`` at random moments of a bid storm, restarting on the same database and port each time.

A 201 is given only after the bid's event is durably committed, so whatever
moment the process dies at: every acknowledged bid is in the log exactly once;
a client that retries its in-flight request with the same Idempotency-Key gets
the first answer or a fresh decision, never a second copy; the restarted
server shows the state the log replays to; and a watcher that resumes with
``?after=N`` gets every change exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.model import parse_instant
from engine.store.base import GENESIS_HASH, chain_hash
from tests.e2e.support import Server, fresh_postgres_database
from tests.scale.support import (
    Watcher,
    assert_decided_one_after_another,
    bid_events,
    bidder,
    cents,
    event_log,
    money,
    open_auction,
    public_state,
    replayed,
)

BIDDERS = 8
CLIENTS = 16
KILLS = 3
# Retries of one request while the server is down and restarting: far more than a restart needs.
RETRY_FOR_SECONDS = 30.0


@dataclass
class Answer:
    amount: int
    status: int
    body: dict[str, Any]
    attempts: int
    replayed: bool


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'auction.sqlite3'}"
        return
    async with fresh_postgres_database() as url:
        yield url


def assert_chain_holds(log: list[dict[str, Any]]) -> None:
    previous = GENESIS_HASH
    for event in log:
        assert event["prev_hash"] == previous, f"chain broken before version {event['version']}"
        recorded_at = parse_instant(event["recorded_at"])
        digest = chain_hash(previous, event["stream"], event["version"], event["type"], recorded_at, event["data"])
        assert event["hash"] == digest, f"event {event['version']} does not match its hash"
        previous = event["hash"]


async def test_every_acknowledged_bid_survives_repeated_kill_9_exactly_once(
    database_url: str, start_server: Callable[..., Server]
) -> None:
    rng = random.Random(2026)
    server = start_server(database_url)
    auction_id = await open_auction(server.url, BIDDERS)
    watcher = Watcher(server.ws_url, auction_id, resume=True).start()
    await asyncio.wait_for(watcher.connected.wait(), 10)

    answers: dict[str, Answer] = {}
    sequence = itertools.count()
    stop = asyncio.Event()

    async def client(c: int) -> None:
        # Amounts grow with a shared counter and end in the client's number of cents, so each
        # logical bid has its own amount; concurrent clients still overtake one another.
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            for n in itertools.count():
                if stop.is_set():
                    return
                key = f"client-{c}-bid-{n}"
                amount = (100 + next(sequence)) * 100 + c
                headers = {**bidder(c % BIDDERS), "Idempotency-Key": key}
                deadline = loop.time() + RETRY_FOR_SECONDS
                for attempt in itertools.count(1):
                    try:
                        response = await http.post(
                            f"/auctions/{auction_id}/bids", json={"amount": money(amount)}, headers=headers
                        )
                    except httpx.TransportError:
                        # The server died under this request, or is not back yet: the same request again.
                        assert loop.time() < deadline, f"{key} got no answer for {RETRY_FOR_SECONDS} s"
                        await asyncio.sleep(0.05)
                        continue
                    assert response.status_code in (201, 409), response.text
                    answers[key] = Answer(
                        amount,
                        response.status_code,
                        response.json(),
                        attempt,
                        response.headers.get("idempotent-replayed") == "true",
                    )
                    break

    clients = [asyncio.create_task(client(c)) for c in range(CLIENTS)]
    try:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.4, 1.2))
            assert server.process is not None
            server.process.kill()  # SIGKILL: no shutdown of any kind
            server.process.wait()
            await asyncio.to_thread(server.start)  # same database, same port
        await asyncio.sleep(0.8)  # and a little more storm on the last incarnation
    finally:
        stop.set()
        await asyncio.gather(*clients)

    log = await event_log(server.url, auction_id)
    assert_chain_holds(log)
    assert_decided_one_after_another(log)
    decided = bid_events(log)

    # Every logical bid was decided exactly once: one event per amount, none without an answer.
    counts = Counter(cents(e["data"]["amount"]) for e in decided)
    assert [amount for amount, count in counts.items() if count > 1] == [], "a retried request was recorded twice"
    assert set(counts) == {a.amount for a in answers.values()}

    # Each answer, first or replayed, is the decision the log holds at the position it names.
    by_version = {e["version"]: e for e in log}
    for key, answer in answers.items():
        if answer.status == 201:
            event = by_version[answer.body["position"]]
            assert (event["type"], cents(event["data"]["amount"])) == ("BidAccepted", answer.amount), key
        else:
            error = answer.body["error"]
            event = by_version[error["position"]]
            assert (event["type"], event["data"]["reason"]) == ("BidRejected", error["code"]), key
            assert cents(event["data"]["amount"]) == answer.amount, key
    retried = [a for a in answers.values() if a.attempts > 1]
    assert retried, "no request was in flight when the server died: the storm did not test anything"
    assert len([a for a in answers.values() if a.status == 201]) > KILLS

    # The restarted server shows what the log replays to.
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        shown = (await http.get(f"/auctions/{auction_id}")).json()
    state = public_state(replayed(auction_id, log))
    assert {key: shown[key] for key in state} == state

    # The watcher resumed after every kill and got every change once, in order: the same as the
    # complete history a new watcher replays from the start.
    accepted = [e["version"] for e in log if e["type"] == "BidAccepted"]
    await watcher.wait_for(accepted[-1])
    await watcher.stop()
    assert watcher.reconnects >= KILLS
    assert watcher.positions("bid") == accepted
    history = Watcher(server.ws_url, auction_id, last=0).start()
    await history.wait_for(watcher.last or 0)
    await history.stop()
    start = watcher.snapshots[0]["position"]
    assert [(m["position"], m["type"]) for m in watcher.messages] == [
        (m["position"], m["type"]) for m in history.messages if m["position"] > start
    ]
    assert server.server_errors() == []
