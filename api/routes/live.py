"""The live feed: ``GET /ws/auctions/{id}[?after=N]``.

First a snapshot, then one message per change in position order. The
watcher subscribes to the hub *before* reading the history, in one step with
no await in between (:meth:`ReadModel.resume`), so nothing falls between
history and live; anything at or below the last position sent is skipped,
so nothing is sent twice.

Close codes: 4400 a malformed ``after``, or one beyond the auction's current
position (the reason names it: a watcher of another process's feed that is
ahead of this one's read model is told only once it has caught up); 4404 no
such auction; 1013 the watcher fell behind (reason ``too slow, resume with after=<position>``);
1012 the server is shutting down (reason names the position to resume from).

Two ways to serve it, with the same messages and close codes:

* :func:`watch`, an ASGI route, for any ASGI server (the tests' in-process
  uvicorn): two tasks per watcher, and every message goes through the ASGI
  ``send`` of its socket.
* :class:`LiveSocket`, what ``auction serve`` uses (``api.server``): a
  uvicorn WebSocket protocol that serves ``/ws/auctions/{id}`` by itself, with
  no ASGI application, task or coroutine per watcher once it is live. The
  socket object is the hub's watcher: publishing a change writes its frame,
  built once for all watchers, to each socket's transport, where the ASGI route
  woke a task per watcher to build and send its own (benchmark c: 10,000
  watchers of one auction get a bid within about 0.2 s at the 99th percentile,
  against seconds on the ASGI route; an idle socket costs about 8 KiB of server
  memory against 34, benchmark e). The handshake, client frames (pings, pongs, close)
  and close frames are the ``websockets`` library's sans-I/O protocol, as in
  uvicorn's own implementation. A watcher whose socket holds more than
  ``ws_queue_size`` messages' worth of unsent bytes (:data:`MESSAGE_BYTES`
  each) has fallen behind and is closed with 1013. Other WebSocket paths go to
  the ASGI application through uvicorn's protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import struct
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from api.bootstrap import Runtime
from projections.catchup import encode_message
from projections.hub import CLOSING, DROPPED

router = APIRouter()

CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_SERVICE_RESTART = 1012
MAX_AFTER_DIGITS = 18


def _ending(reason: str, sent: int) -> tuple[int, str]:
    """The close code and reason for a watcher the hub no longer feeds."""
    if reason == DROPPED:
        return CLOSE_TRY_AGAIN_LATER, f"too slow, resume with after={sent}"
    return CLOSE_SERVICE_RESTART, f"server shutting down, resume with after={sent}"


def _after(text: str | None) -> int | None | str:
    """The ``after`` parameter, or an error message."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_AFTER_DIGITS:
        return "after must be a non-negative integer position"
    return int(text)


def _ahead(runtime: Runtime, auction_id: str, after: int | None) -> bool:
    """True when ``after`` is past what the read model holds of the auction (or the auction is unknown)."""
    state = runtime.model.state(auction_id)
    return state is None or (after is not None and after > state.version)


def _beyond(runtime: Runtime, auction_id: str, after: int | None) -> str | None:
    """The close reason for an ``after`` beyond the auction's current position, if it is."""
    state = runtime.model.state(auction_id)
    if state is None or after is None or after <= state.version:
        return None
    return f"after={after} is beyond the auction's current position {state.version}"


def with_tree_head(runtime: Runtime, snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with the latest signed tree head (GET /transparency/head): a watcher who keeps it
    can later ask for a consistency proof that the log was only appended to since."""
    head = runtime.transparency.latest
    return snapshot if head is None else {**snapshot, "tree_head": head.to_json()}


async def watch(websocket: WebSocket) -> None:
    auction_id: str = websocket.path_params["auction_id"]
    runtime: Runtime = websocket.app.state.runtime
    # Accept first: a close code can only reach the client on an open connection.
    await websocket.accept()
    after = _after(websocket.query_params.get("after"))
    if isinstance(after, str):
        await websocket.close(CLOSE_BAD_REQUEST, after)
        return
    if _ahead(runtime, auction_id, after):
        await runtime.projector.refresh(timeout=1.0)
        if auction_id not in runtime.model:
            await websocket.close(CLOSE_NOT_FOUND, "no such auction")
            return
    if (beyond := _beyond(runtime, auction_id, after)) is not None:
        await websocket.close(CLOSE_BAD_REQUEST, beyond)
        return

    subscriber = runtime.hub.subscribe(auction_id)
    start = runtime.model.resume(auction_id, after)  # no await since subscribing
    sent = start.seen

    async def pump() -> None:
        nonlocal sent
        await websocket.send_text(encode_message(with_tree_head(runtime, start.snapshot), runtime.clock.now()))
        for change in start.history:
            await websocket.send_text(encode_message(change.body, runtime.clock.now()))
            sent = change.position
        while True:
            position, text = await subscriber.get()
            if position <= sent:
                continue  # already in the history
            await websocket.send_text(text)
            sent = position

    async def listen() -> None:
        # Watchers have nothing to say; reading is how a disconnect is noticed.
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    # Two tasks per watcher, and the subscriber's own future for the hub's end of it.
    tasks = {asyncio.create_task(pump()), asyncio.create_task(listen())}
    try:
        waiting: set[asyncio.Future[Any]] = {*tasks, subscriber.ended}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        runtime.hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
    if subscriber.ended.done():
        await _close(websocket, *_ending(subscriber.ended.result(), sent))


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.close(code, reason)


# A plain Starlette route rather than FastAPI's: the handler takes no dependencies, and a
# FastAPI route would keep its dependency machinery (exit stacks, solved values) alive
# for as long as the socket is open, which is most of a watcher's life.
router.add_websocket_route("/ws/auctions/{auction_id}", watch)


# ---------------------------------------------------------------- served by the socket itself

LIVE_PATH = re.compile(r"/ws/auctions/([^/]+)")
# What a watcher may send in one message (it has nothing to say; pings and close frames are small).
MAX_CLIENT_MESSAGE = 4096
# Unsent bytes a watcher may hold per message of the hub's ``queue_size`` before it counts as too slow.
MESSAGE_BYTES = 512
# The kernel's send buffer of a watcher's socket (Linux grows it to 4 MiB on its own). A
# watcher that stops reading then holds at most this much kernel memory before its unsent
# bytes show in the transport and it is closed as too slow (1013), hundreds of messages
# behind, not thousands; a burst of changes is a few kilobytes a watcher.
SEND_BUFFER = 64 * 1024
# How long a close frame waits for the client's answer before the server closes the TCP
# connection (after what is buffered is sent, the close frame included), as uvicorn's.
CLOSE_TIMEOUT = 10.0

log = logging.getLogger("uvicorn.error")


class _Frames:
    """The text frame of the message being published, built once for all its watchers."""

    text: str | None = None
    frame: bytes = b""

    @classmethod
    def of(cls, text: str) -> bytes:
        if text is not cls.text:
            cls.text, cls.frame = text, _text_frame(text)
        return cls.frame


class LiveSocket(asyncio.Protocol):
    """One WebSocket connection under ``auction serve`` (see the module's docstring).

    uvicorn makes one per upgraded connection, as it makes its own WebSocket protocols
    (``LiveSocket.serving(app)`` binds the class to the application whose runtime it
    serves). Slots and no task keep an idle watcher small: the transport, the
    websockets protocol, a few numbers and a keepalive timer."""

    __slots__ = (
        "app_state",
        "auction_id",
        "closing",
        "config",
        "conn",
        "pong",
        "raw",
        "sent",
        "server_state",
        "task",
        "threshold",
        "timer",
        "transport",
    )

    app: ClassVar[FastAPI | None] = None

    @classmethod
    def serving(cls, app: FastAPI) -> type[LiveSocket]:
        return type("LiveSocket", (cls,), {"__slots__": (), "app": app})

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any], _loop: Any = None) -> None:
        self.config = config
        self.server_state = server_state
        self.app_state = app_state
        self.transport: asyncio.Transport | None = None
        self.conn: ServerProtocol | None = None
        self.raw = b""  # the handshake request until its path is known
        self.auction_id = ""
        self.sent = -1  # the position of the last message written; -1 before the snapshot
        self.threshold = 0
        self.closing = False  # a close frame was sent (or the connection is gone)
        self.timer: asyncio.TimerHandle | None = None  # the next keepalive ping, or the close timeout
        self.pong: bytes | None = None  # the payload of the ping awaiting its pong
        self.task: asyncio.Task[None] | None = None  # only while looking up an unknown auction

    @property
    def runtime(self) -> Runtime | None:
        return getattr(self.app.state, "runtime", None) if self.app is not None else None

    # -- asyncio

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport
        self.server_state.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server_state.connections.discard(self)
        runtime = self.runtime
        if runtime is not None and self.auction_id:
            runtime.hub.unsubscribe(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def eof_received(self) -> bool | None:
        return None  # the transport closes itself

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        if conn is None:
            self.raw += data
            line = self.raw.partition(b"\r\n")
            if not line[1]:
                if len(self.raw) > MAX_CLIENT_MESSAGE:
                    self._close_transport()
                return
            target = line[0].split(b" ")
            path = unquote(target[1].decode("latin-1").partition("?")[0]) if len(target) == 3 else ""
            if (match := LIVE_PATH.fullmatch(path)) is None or self.runtime is None:
                self._hand_to_asgi()
                return
            self.auction_id = match.group(1)
            data, self.raw = self.raw, b""
            conn = self.conn = ServerProtocol(max_size=MAX_CLIENT_MESSAGE, logger=log)
        conn.receive_data(data)
        for event in conn.events_received():
            if isinstance(event, Request):
                self._handshake(conn, event)
            elif isinstance(event, Frame) and event.opcode is Opcode.PONG and event.data == self.pong:
                self.pong = None
        self._flush(conn)
        if conn.eof_sent:
            # The client closed (its close frame is answered above), broke the protocol or
            # sent no valid handshake: the server closes the TCP connection.
            self._close_transport()

    def pause_writing(self) -> None:
        pass  # a slow watcher is measured by its unsent bytes (put), not paused

    def resume_writing(self) -> None:
        pass

    def shutdown(self) -> None:
        """uvicorn's graceful stop, after ``close_live_feeds`` told every watcher why (1012):
        what is left is a socket still looking its auction up, or still in its handshake."""
        if self.sent < 0:
            self._send_close(CLOSE_SERVICE_RESTART, "server shutting down")
        else:
            self._send_close(*_ending(CLOSING, self.sent))
        self._close_transport()

    # -- the hub's watcher

    def put(self, position: int, text: str) -> bool:
        transport = self.transport
        if self.closing or position <= self.sent or transport is None or transport.is_closing():
            return True  # a closing socket leaves the hub in connection_lost
        if transport.get_write_buffer_size() > self.threshold:
            return False  # fallen behind: the hub drops it and calls end(DROPPED)
        transport.write(_Frames.of(text))
        self.sent = position
        return True

    def end(self, reason: str) -> None:
        self._send_close(*_ending(reason, self.sent))

    # -- the feed

    def _handshake(self, conn: ServerProtocol, request: Request) -> None:
        response = conn.accept(request)  # no extensions offered: permessage-deflate is declined
        conn.send_response(response)
        if response.status_code != 101:
            self.closing = True  # the refusal is sent and the connection closed by data_received
            return
        self._flush(conn)
        client = self.transport.get_extra_info("peername") if self.transport is not None else None
        log.info('%s - "WebSocket %s" [accepted]', f"{client[0]}:{client[1]}" if client else "-", request.path)
        query = dict(parse_qsl(request.path.partition("?")[2], keep_blank_values=True))
        after = _after(query.get("after"))
        if isinstance(after, str):
            self._send_close(CLOSE_BAD_REQUEST, after)
            return
        runtime = self.runtime
        assert runtime is not None
        if not _ahead(runtime, self.auction_id, after):
            self._start(runtime, after)
        else:
            self.task = asyncio.get_running_loop().create_task(self._look_up(runtime, after))

    async def _look_up(self, runtime: Runtime, after: int | None) -> None:
        try:
            await runtime.projector.refresh(timeout=1.0)
        except Exception:
            log.exception("live feed: looking up auction %s failed", self.auction_id)
        self.task = None
        if self.closing:
            return
        if self.auction_id not in runtime.model:
            self._send_close(CLOSE_NOT_FOUND, "no such auction")
        elif (beyond := _beyond(runtime, self.auction_id, after)) is not None:
            self._send_close(CLOSE_BAD_REQUEST, beyond)
        else:
            self._start(runtime, after)

    def _start(self, runtime: Runtime, after: int | None) -> None:
        try:
            self._go_live(runtime, after)
        except Exception:
            log.exception("live feed: starting a watcher of auction %s failed", self.auction_id)
            runtime.hub.unsubscribe(self)
            self._send_close(1011, "internal error")

    def _go_live(self, runtime: Runtime, after: int | None) -> None:
        # No await from here to the end: nothing is published in between, so the history and
        # the live messages neither overlap nor leave a gap.
        start = runtime.model.resume(self.auction_id, after)
        self.sent = start.seen
        runtime.hub.add(self)  # a closing hub ends it here, with 1012
        if self.closing:
            return
        transport = self.transport
        assert transport is not None
        now = runtime.clock.now()
        transport.write(_text_frame(encode_message(with_tree_head(runtime, start.snapshot), now)))
        for change in start.history:
            transport.write(_text_frame(encode_message(change.body, now)))
            self.sent = change.position
        # The history may fill the socket's buffer on its own; only what comes after it counts.
        self.threshold = transport.get_write_buffer_size() + runtime.hub.queue_size * MESSAGE_BYTES
        self._schedule_ping()

    # -- keepalive: one timer per socket, as uvicorn's; a ping unanswered by the next one ends it

    def _schedule_ping(self) -> None:
        interval = self.config.ws_ping_interval
        if interval:
            self.timer = asyncio.get_running_loop().call_later(interval, self._ping)

    def _ping(self) -> None:
        self.timer = None
        conn = self.conn
        if self.closing or conn is None:
            return
        if self.pong is not None:
            log.info("live feed: keepalive ping unanswered, closing")
            conn.fail(1011, "keepalive ping timeout")
            self._flush(conn)
            self._close_transport()
            return
        self.pong = os.urandom(4)
        conn.send_ping(self.pong)
        self._flush(conn)
        self._schedule_ping()

    # -- closing

    def _send_close(self, code: int, reason: str) -> None:
        conn = self.conn
        if self.closing or conn is None or conn.state is not OPEN:
            return
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()
        conn.send_close(code, reason)
        self._flush(conn)
        # The client answers with its own close frame (data_received then closes the connection).
        self.timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._close_transport)

    def _flush(self, conn: ServerProtocol) -> None:
        data = conn.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(data))

    def _close_transport(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()  # after what is buffered is sent

    def _hand_to_asgi(self) -> None:
        """Any other WebSocket path (or no runtime): uvicorn's own protocol and the ASGI application."""
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

        transport = self.transport
        assert transport is not None
        raw, self.raw = self.raw, b""
        self.server_state.connections.discard(self)
        protocol = WebSocketsSansIOProtocol(
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(raw)


def _text_frame(text: str) -> bytes:
    """One text frame for one socket (a snapshot or a history message)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload
