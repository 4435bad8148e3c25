"""PostgreSQL stopped and started again in the middle of a bid storm, under two ``auction serve`` processes.

While the database is down every request that needs it is answered 503 with
``Retry-After`` (never 500, and the server stays up); a client that retries
with the same Idempotency-Key, as the 503 invites, ends with one decision.
Afterwards: every acknowledged bid (201) is in the log exactly once, at the
position its answer names, and every logical bid was decided once; both
processes recover by themselves (the asyncpg pool reconnects), take bids
again, and show the state the log replays to, including the other process's
bids, which reach them only through their catch-up task (no Redis here), so
that task survived the outage; and an auction whose deadline passed while the
database was down is closed by the deadline scheduler once it is back.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.model import parse_instant
from tests.crash.test_kill_9 import assert_chain_holds
from tests.e2e.support import Server, eventually
from tests.faults.support import PostgresCluster, postgres_cluster
from tests.scale.support import (
    AUDITOR,
    BAILIFF,
    assert_decided_one_after_another,
    bid_events,
    bidder,
    cents,
    event_log,
    money,
    now,
    open_auction,
    public_state,
    replayed,
    swedish,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

BIDDERS = 6
CLIENTS = 12
# A client gives up on one request after this long: far more than the outage lasts.
RETRY_FOR_SECONDS = 60.0
ANSWERS = (201, 409, 503)


@dataclass
class Answer:
    amount: int
    status: int
    body: dict[str, Any]
    after_restart: bool


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


def server_errors(server: Server) -> list[str]:
    """500s and unhandled errors in the server's log (the store's own retries may log tracebacks)."""
    lines = server.log.read_text(errors="replace").splitlines()
    return [line for line in lines if " 500 " in line or "unhandled error" in line]


def unhandled(server: Server) -> str:
    """The server's first unhandled error with its traceback, for a failure's message."""
    text = server.log.read_text(errors="replace")
    start = text.find("unhandled error")
    return text[start : start + 6000] if start >= 0 else ""


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_database_restart_mid_storm_answers_503_and_loses_or_repeats_no_acknowledged_bid(
    cluster: PostgresCluster, tmp_path: Path, mode: str
) -> None:
    servers = [Server(cluster.url, tmp_path).start(), Server(cluster.url, tmp_path).start()]
    try:
        await storm_through_a_restart(cluster, servers, mode)
    finally:
        for server in servers:
            server.stop()


async def storm_through_a_restart(cluster: PostgresCluster, servers: list[Server], mode: str) -> None:
    first = servers[0]
    auction_id = await open_auction(first.url, BIDDERS)
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        # Closes while the database is down: the scheduler's attempts fail until it is back.
        response = await http.post("/auctions", json=swedish(now(), now() + timedelta(seconds=3)), headers=BAILIFF)
        assert response.status_code == 201, response.text
        closing = response.json()
    closing_at = parse_instant(closing["closes_at"])

    answers: dict[str, Answer] = {}
    unavailable: list[httpx.Response] = []
    sequence = itertools.count()
    stop = asyncio.Event()
    restarted = asyncio.Event()

    async def client(c: int) -> None:
        loop = asyncio.get_running_loop()
        server = servers[c % 2]
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            for n in itertools.count():
                if stop.is_set():
                    return
                key = f"client-{c}-bid-{n}"
                # Each logical bid has its own amount (the client's number in the cents).
                amount = (200 + next(sequence)) * 100 + c
                headers = {**bidder(c % BIDDERS), "Idempotency-Key": key}
                deadline = loop.time() + RETRY_FOR_SECONDS
                while True:
                    response = await http.post(
                        f"/auctions/{auction_id}/bids", json={"amount": money(amount)}, headers=headers
                    )
                    assert response.status_code in ANSWERS, (response.status_code, response.text, unhandled(server))
                    if response.status_code != 503:
                        break
                    unavailable.append(response)
                    assert loop.time() < deadline, f"{key} still unanswered after {RETRY_FOR_SECONDS} s"
                    await asyncio.sleep(min(float(response.headers["retry-after"]), 0.1))
                answers[key] = Answer(amount, response.status_code, response.json(), restarted.is_set())

    clients = [asyncio.create_task(client(c)) for c in range(CLIENTS)]
    try:
        await asyncio.sleep(0.7)
        await asyncio.to_thread(cluster.stop, mode)
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
            shown = (await http.get(f"/auctions/{closing['id']}")).json()
        assert shown["status"] == "open", "the other auction closed before the outage: nothing to test there"
        # Down until the other auction's deadline has passed (its close was due meanwhile); the other
        # routes, answered through the application's exception handlers, are refused the same way.
        while now() < closing_at + timedelta(seconds=1):
            unavailable.extend(await other_requests(servers, auction_id))
            await asyncio.sleep(0.1)
        await asyncio.to_thread(cluster.start)
        restarted.set()
        await eventually(lambda: recovered(answers), timeout=30)
    finally:
        stop.set()
        await asyncio.gather(*clients)

    assert unavailable, "no request met the outage: the restart did not test anything"
    for response in unavailable:
        assert response.json()["error"]["code"] == "store_unavailable"
        assert int(response.headers["retry-after"]) >= 1

    log = await event_log(first.url, auction_id)
    assert_chain_holds(log)
    assert_decided_one_after_another(log)

    # Every logical bid was decided exactly once, and each answer is what the log holds where it says.
    counts = Counter(cents(e["data"]["amount"]) for e in bid_events(log))
    assert [amount for amount, count in counts.items() if count > 1] == [], "a bid was recorded twice"
    assert set(counts) == {answer.amount for answer in answers.values()}
    by_version = {e["version"]: e for e in log}
    for key, answer in answers.items():
        if answer.status == 201:
            event = by_version[answer.body["position"]]
            assert (event["type"], cents(event["data"]["amount"])) == ("BidAccepted", answer.amount), key
        else:
            error = answer.body["error"]
            event = by_version[error["position"]]
            assert (event["type"], event["data"]["reason"]) == ("BidRejected", error["code"]), key

    # Both processes show what the log replays to: each folded the other's bids through its catch-up.
    state = public_state(replayed(auction_id, log))
    for server in servers:

        async def caught_up(server: Server = server) -> bool:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                shown = (await http.get(f"/auctions/{auction_id}")).json()
            return {key: shown[key] for key in state} == state

        await eventually(caught_up, timeout=20)

    # The auction whose deadline passed during the outage was closed once the database was back.
    for server in servers:

        async def closed(server: Server = server) -> bool:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                shown = (await http.get(f"/auctions/{closing['id']}")).json()
            return bool(shown["status"] != "open")

        await eventually(closed, timeout=90)
    closing_log = await event_log(first.url, closing["id"])
    ends = [e for e in closing_log if e["type"] in ("BiddingClosed", "BiddingFailed")]
    assert len(ends) == 1, closing_log
    assert parse_instant(ends[0]["recorded_at"]) == closing_at, "not closed at its deadline instant"

    for server in servers:
        assert server.process is not None and server.process.poll() is None, "a server died in the outage"
        assert server_errors(server) == []


async def other_requests(servers: list[Server], auction_id: str) -> list[httpx.Response]:
    """A registration, a new auction and the auditor's log read on each server while the database
    is down: each answered as usual or 503, never 500; the 503s."""
    refused = []
    for server in servers:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            for response in (
                await http.post(f"/auctions/{auction_id}/registrations", headers=bidder(100 + server.port % 100)),
                await http.post("/auctions", json=swedish(now(), now() + timedelta(hours=1)), headers=BAILIFF),
                await http.get(f"/auctions/{auction_id}/events", headers=AUDITOR),
            ):
                assert response.status_code in (200, 201, 503), (response.status_code, response.text, unhandled(server))
                if response.status_code == 503:
                    refused.append(response)
    return refused


async def recovered(answers: dict[str, Answer]) -> bool:
    """Both processes have acknowledged bids since the database came back."""
    clients = {
        int(key.split("-")[1]) % 2 for key, answer in answers.items() if answer.after_restart and answer.status == 201
    }
    return clients == {0, 1}
