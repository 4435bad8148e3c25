"""The live feed under ``auction serve`` (api.routes.live.LiveSocket) with a watcher that stops
reading, and one that sends what no watcher may send: each is closed with its code, and the slow
one is told exactly where to resume."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN
from websockets.uri import parse_uri

from tests.e2e.support import Server, auth

BAILIFF = auth("bailiff", "bailiff-live")
BIDDER = auth("bidder", "bidder-live@example.test")
BIDS = 1500


async def open_auction(client: httpx.AsyncClient) -> str:
    now = datetime.now(UTC)
    body = {
        "country": "SE",
        "title": "Rowing boat",
        "asset": "movable",
        "value": "20000.00",
        "currency": "SEK",
        "starting_price": "500.00",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
    }
    response = await client.post("/auctions", json=body, headers=BAILIFF)
    assert response.status_code == 201, response.text
    auction_id: str = response.json()["id"]
    registered = await client.post(f"/auctions/{auction_id}/registrations", headers=BIDDER)
    assert registered.status_code in (200, 201), registered.text
    return auction_id


def connect(server: Server, path: str, receive_buffer: int) -> tuple[socket.socket, ClientProtocol]:
    """A raw WebSocket client with a receive buffer of the given size, its handshake sent."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", server.port))
    client = ClientProtocol(parse_uri(f"ws://127.0.0.1:{server.port}{path}"))
    client.send_request(client.connect())
    for data in client.data_to_send():
        sock.sendall(data)
    return sock, client


def read_all(sock: socket.socket, client: ClientProtocol, quiet: float = 2.0) -> list[Frame]:
    """Everything the server sent until it closed the connection or went quiet."""
    sock.settimeout(quiet)
    try:
        while chunk := sock.recv(65536):
            client.receive_data(chunk)
    except (TimeoutError, ConnectionResetError):
        pass  # quiet, or the server closed the connection with data of ours still unread
    return [event for event in client.events_received() if isinstance(event, Frame)]


async def test_a_watcher_that_stops_reading_is_closed_as_too_slow_with_where_to_resume(
    start_server: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUCTION_WS_QUEUE_SIZE", "2")
    server = start_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        auction_id = await open_auction(http)
        sock, client = connect(server, f"/ws/auctions/{auction_id}", receive_buffer=4096)
        try:
            for n in range(BIDS):  # far more than the socket's buffers hold
                amount = {"amount": f"{600 + n}.00"}
                answer = await http.post(f"/auctions/{auction_id}/bids", json=amount, headers=BIDDER)
                assert answer.status_code == 201, answer.text
            frames = await asyncio.to_thread(read_all, sock, client)
        finally:
            sock.close()
        texts = [json.loads(frame.data) for frame in frames if frame.opcode is Opcode.TEXT]
        (close,) = [frame for frame in frames if frame.opcode is Opcode.CLOSE]
        code, reason = int.from_bytes(close.data[:2], "big"), close.data[2:].decode()
        assert texts[0]["type"] == "snapshot" and all(t["type"] == "bid" for t in texts[1:])
        positions = [t["position"] for t in texts]
        assert positions == list(range(positions[0], positions[0] + len(positions)))  # none missed or doubled
        assert len(texts) < 1000  # closed long before the bids ended, not after buffering them all
        assert code == 1013 and reason == f"too slow, resume with after={positions[-1]}"

        # Resuming where the close said gets every bid after it, exactly once.
        sock, client = connect(server, f"/ws/auctions/{auction_id}?after={positions[-1]}", receive_buffer=1 << 20)
        try:
            resumed = await asyncio.to_thread(read_all, sock, client)
        finally:
            sock.close()
    later = [json.loads(f.data) for f in resumed if f.opcode is Opcode.TEXT]
    resumed_bids = [t["position"] for t in later if t["type"] == "bid"]
    assert resumed_bids == list(range(positions[-1] + 1, positions[-1] + 1 + len(resumed_bids)))
    assert len(positions) - 1 + len(resumed_bids) == BIDS
    assert not server.server_errors()


async def test_a_watcher_sending_an_oversized_message_is_closed_with_1009(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        auction_id = await open_auction(http)
    sock, client = connect(server, f"/ws/auctions/{auction_id}", receive_buffer=1 << 20)
    try:
        while client.state is not OPEN:  # the server's answer to the handshake
            client.receive_data(await asyncio.to_thread(sock.recv, 65536))
        client.send_text(b"x" * 100_000)
        for data in client.data_to_send():
            sock.sendall(data)
        frames = await asyncio.to_thread(read_all, sock, client)
    finally:
        sock.close()
    (close,) = [frame for frame in frames if frame.opcode is Opcode.CLOSE]
    assert int.from_bytes(close.data[:2], "big") == 1009
    assert not server.server_errors()
