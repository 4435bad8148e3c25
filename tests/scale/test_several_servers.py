"""Several ``auction serve`` processes on one PostgreSQL and one Redis, as a larger deployment runs them.

Bids for one auction arrive at either process and are still decided one after
another (the expected-version check of the append, retried on conflict);
watchers on every process see the same changes in the same order; and the
deadline schedulers that every process runs close each auction exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from engine.model import parse_instant
from tests.e2e.support import Server, redis_server_url
from tests.scale.support import (
    BAILIFF,
    Watcher,
    assert_decided_one_after_another,
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

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BIDDERS = 8
BIDS = 240
CLIENTS = 16


async def test_bids_for_one_auction_arriving_at_two_processes_are_decided_one_after_another(
    postgres_url: str, start_server: Callable[..., Server]
) -> None:
    redis_url = redis_server_url()
    servers = [start_server(postgres_url, redis_url), start_server(postgres_url, redis_url)]
    auction_id = await open_auction(servers[0].url, BIDDERS)
    watchers = [Watcher(s.ws_url, auction_id).start() for s in servers for _ in range(2)]
    for watcher in watchers:
        await asyncio.wait_for(watcher.connected.wait(), 10)

    # Distinct amounts in a shuffled order: many arrive after a higher one and must be refused.
    amounts = [100_00 + 10_00 * n for n in range(BIDS)]
    random.Random(11).shuffle(amounts)
    clients = [httpx.AsyncClient(base_url=servers[n % 2].url, timeout=60) for n in range(CLIENTS)]
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for n, amount in enumerate(amounts):
        queue.put_nowait((n, amount))
    answers: list[tuple[int, int, httpx.Response]] = []

    async def client(c: int) -> None:
        while not queue.empty():
            n, amount = queue.get_nowait()
            response = await clients[c].post(
                f"/auctions/{auction_id}/bids", json={"amount": money(amount)}, headers=bidder(n % BIDDERS)
            )
            answers.append((c % 2, amount, response))

    try:
        await asyncio.gather(*(client(c) for c in range(CLIENTS)))
    finally:
        for c in clients:
            await c.aclose()

    assert {r.status_code for _, _, r in answers} <= {201, 409}, [r.text for _, _, r in answers if r.status_code >= 500]
    assert {r.json()["error"]["code"] for _, _, r in answers if r.status_code == 409} <= {"bid_too_low"}
    accepted = sorted((r.json() for _, _, r in answers if r.status_code == 201), key=lambda b: b["position"])
    assert {process for process, _, r in answers if r.status_code == 201} == {0, 1}, "both processes accepted bids"
    assert [cents(b["amount"]) for b in accepted] == sorted({cents(b["amount"]) for b in accepted})
    assert cents(accepted[-1]["amount"]) == max(amounts)

    # The log holds every decision once, each made on everything before it.
    log = await event_log(servers[1].url, auction_id)
    assert_decided_one_after_another(log)
    decided = [e for e in log if e["type"] in ("BidAccepted", "BidRejected")]
    assert sorted(cents(e["data"]["amount"]) for e in decided) == sorted(amounts)
    assert [(e["version"], e["data"]["amount"]) for e in log if e["type"] == "BidAccepted"] == [
        (b["position"], b["amount"]) for b in accepted
    ]

    # Watchers on both processes saw the same bids, once each, in the log's order.
    expected = [b["position"] for b in accepted]
    for watcher in watchers:
        await watcher.wait_for(expected[-1])  # a refusal changes nothing a watcher is shown
        assert watcher.positions("bid") == expected
    for watcher in watchers:
        await watcher.stop()

    # Both processes show the state the log replays to.
    state = public_state(replayed(auction_id, log))
    async with httpx.AsyncClient(timeout=30) as client:
        for server in servers:
            shown = (await client.get(f"{server.url}/auctions/{auction_id}")).json()
            assert {key: shown[key] for key in state} == state
    assert all(server.server_errors() == [] for server in servers)


async def test_every_process_runs_a_deadline_scheduler_and_each_auction_closes_exactly_once(
    postgres_url: str, start_server: Callable[..., Server]
) -> None:
    redis_url = redis_server_url()
    servers = [start_server(postgres_url, redis_url), start_server(postgres_url, redis_url)]
    closes_at = (now() + timedelta(seconds=5)).replace(microsecond=0)  # 4 to 5 s from now
    auctions = []
    async with httpx.AsyncClient(timeout=30) as client:
        for n in range(4):
            # Scheduled on alternate processes; both schedulers plan all four (from their projections).
            response = await client.post(
                f"{servers[n % 2].url}/auctions", json=swedish(now(), closes_at, f"Lot {n}"), headers=BAILIFF
            )
            assert response.status_code == 201, response.text
            auctions.append(response.json())
        for auction in auctions:
            for server in servers:
                async with asyncio.timeout(10):
                    while (await client.get(f"{server.url}/auctions/{auction['id']}")).status_code != 200:
                        await asyncio.sleep(0.05)
        assert now() < closes_at, "the auctions must still be open when both schedulers have them planned"

        async def all_failed() -> bool:
            for server in servers:
                for auction in auctions:
                    if (await client.get(f"{server.url}/auctions/{auction['id']}")).json()["status"] != "failed":
                        return False
            return True

        async with asyncio.timeout(20):
            while not await all_failed():
                await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # a late second close, if any, would be in the log by now

    for auction in auctions:
        log = await event_log(servers[0].url, auction["id"])
        assert [e["version"] for e in log] == list(range(1, len(log) + 1))
        ends = [e for e in log if e["type"] in ("BiddingClosed", "BiddingFailed")]
        assert [e["type"] for e in ends] == ["BiddingFailed"]
        assert parse_instant(ends[0]["data"]["at"]) == parse_instant(auction["closes_at"])
        assert len([e for e in log if e["type"] == "BiddingOpened"]) == 1
    assert all(server.server_errors() == [] for server in servers)
