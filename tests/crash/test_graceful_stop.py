"""SIGTERM: stop accepting, tell watchers why they are closed, finish the requests in flight, exit 0."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable

import asyncpg
import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.support import Server
from tests.scale.support import bidder, event_log, open_auction

pytestmark = pytest.mark.postgres


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


async def test_sigterm_answers_the_bid_in_flight_closes_watchers_with_1012_and_exits_0(
    postgres_url: str, start_server: Callable[..., Server]
) -> None:
    server = start_server(postgres_url)
    auction_id = await open_auction(server.url, 1)
    async with connect(f"{server.ws_url}/ws/auctions/{auction_id}") as watcher:
        snapshot = orjson.loads(await watcher.recv())

        # Hold the log's append lock, as a long transaction elsewhere would: the bid's commit must wait.
        blocker = await asyncpg.connect(postgres_url)
        try:
            blocking = blocker.transaction()
            await blocking.start()
            await blocker.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                bid = asyncio.create_task(
                    client.post(f"/auctions/{auction_id}/bids", json={"amount": "250.00"}, headers=bidder(0))
                )
                async with asyncio.timeout(10):
                    while not await blocker.fetchval(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'events'::regclass"
                    ):
                        await asyncio.sleep(0.02)

                assert server.process is not None
                server.process.send_signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed) as closed:
                    async with asyncio.timeout(5):
                        while True:
                            await watcher.recv()
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == 1012
                assert closed.value.rcvd.reason == f"server shutting down, resume with after={snapshot['position']}"
                assert refuses_connections(server.port), "a stopping server accepts no new connection"
                assert not bid.done() and server.process.poll() is None, "the bid in flight is still being served"

                await blocking.rollback()  # the lock is released: the bid commits and is answered
                answer = await asyncio.wait_for(bid, 15)
        finally:
            await blocker.close()

    assert answer.status_code == 201, answer.text
    assert server.process.wait(15) == 0
    assert "Application shutdown complete" in server.log.read_text()

    server.start()  # the same database: the acknowledged bid was committed
    log = await event_log(server.url, auction_id)
    accepted = [e for e in log if e["type"] == "BidAccepted"]
    assert [(e["version"], e["data"]["amount"]) for e in accepted] == [(answer.json()["position"], "250.00")]
    assert server.server_errors() == []
