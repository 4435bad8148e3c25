"""The WebSocket feed on a real (in-process) uvicorn: snapshot, ordered changes, resume, drops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.settings import Settings
from engine.commands import PlaceBid
from tests.api.support import SECRET, Api, served, swedish_auction, utc_now


@asynccontextmanager
async def live_api(**settings: Any) -> AsyncIterator[tuple[Api, str]]:
    import httpx

    app = create_app(Settings(database_url="memory:", secret=SECRET, **settings))
    async with served(app) as address:
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            yield Api(app, client), address


async def receive(socket: ClientConnection, timeout: float = 3.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        return orjson.loads(await socket.recv())  # type: ignore[no-any-return]


async def receive_until(socket: ClientConnection, position: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while not messages or messages[-1]["position"] < position:
        messages.append(await receive(socket))
    return messages


async def test_a_watcher_gets_a_snapshot_then_each_change_once_in_position_order() -> None:
    async with live_api() as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}") as socket:
            snapshot = await receive(socket)
            assert snapshot["type"] == "snapshot"
            assert (snapshot["auction"], snapshot["status"], snapshot["price"]) == (auction["id"], "open", None)
            assert {"position", "leader", "closes_at", "server_time"} <= set(snapshot)
            accepted = []
            for n, who in enumerate(["alice", "bob", "alice", "bob"]):
                response = await api.bid(auction["id"], who, f"{1500 + n * 100}.00")
                accepted.append(response.json()["position"])
            messages = await receive_until(socket, accepted[-1])
        assert [m["type"] for m in messages] == ["bid"] * 4
        assert [m["position"] for m in messages] == accepted
        assert [m["price"] for m in messages] == ["1500.00", "1600.00", "1700.00", "1800.00"]
        assert all(m["position"] > snapshot["position"] for m in messages)


async def test_resuming_with_after_delivers_every_later_change_exactly_once_then_goes_live() -> None:
    async with live_api() as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        positions = [(await api.bid(auction["id"], "alice", f"{1500 + n}.00")).json()["position"] for n in range(6)]
        middle = positions[2]
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}?after={middle}") as socket:
            snapshot = await receive(socket)
            assert (snapshot["type"], snapshot["position"], snapshot["price"]) == ("snapshot", middle, "1502.00")
            history = await receive_until(socket, positions[-1])
            live = (await api.bid(auction["id"], "alice", "1600.00")).json()["position"]
            after_live = await receive(socket)
        assert [m["position"] for m in history] == positions[3:]
        assert after_live["position"] == live and after_live["type"] == "bid"


async def test_resuming_from_zero_replays_the_whole_public_history() -> None:
    async with live_api() as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        last = (await api.bid(auction["id"], "alice", "1500.00")).json()["position"]
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}?after=0") as socket:
            assert (await receive(socket))["type"] == "snapshot"
            types = [m["type"] for m in await receive_until(socket, last)]
        assert types == ["scheduled", "opened", "bid"]


async def test_an_unknown_auction_is_closed_with_4404() -> None:
    async with live_api() as (_, address):
        async with connect(f"ws://{address}/ws/auctions/no-such-auction") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(socket)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


@pytest.mark.parametrize("after", ["-1", "x", "1.5", "9" * 30])
async def test_a_malformed_after_is_closed_with_4400(after: str) -> None:
    async with live_api() as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}?after={after}") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(socket)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_a_watcher_that_falls_behind_is_dropped_with_the_position_to_resume_from() -> None:
    async with live_api(ws_queue_size=2) as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        code = await api.register(auction["id"], "alice")
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}") as slow:
            seen = (await receive(slow))["position"]
            # Three changes folded in one catch-up: more than the watcher's queue holds.
            for n in range(3):
                await api.runtime.service.execute(auction["id"], PlaceBid(code, (1500 + n) * 100))
            api.runtime.projector.notify()
            received = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    message = await receive(slow)
                    received.append(message["amount"])
                    seen = message["position"]
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013
        assert closed.value.rcvd.reason == f"too slow, resume with after={seen}"
        assert len(received) < 3
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}?after={seen}") as again:
            assert (await receive(again))["type"] == "snapshot"
            missed = [m["amount"] for m in await receive_until(again, seen + 3 - len(received))]
        assert received + missed == ["1500.00", "1501.00", "1502.00"]
