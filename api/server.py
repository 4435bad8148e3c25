"""``auction serve``: the application under uvicorn, with a graceful stop.

uvloop and httptools are used when installed (uvicorn's ``auto``; the
``standard`` extra installs both): measured on the bid benchmark they carry a
third more bids per second than asyncio's own loop and h11.

On SIGTERM (or SIGINT) the server stops in this order:

1. it stops accepting connections;
2. every WebSocket watcher is closed with 1012 (service restart) and a reason
   naming the position to resume from (``api.routes.live``), and the server
   waits until those close frames are sent;
3. requests in flight finish and are answered (a bid being written is
   committed and acknowledged), up to ``GRACEFUL_SHUTDOWN`` seconds;
4. the lifespan stops the scheduler and the catch-up task and closes the store;
5. the process exits with status 0.

uvicorn alone would close the WebSockets with a bare 1012 and no reason, and
re-raise the signal once done, so that a graceful stop ended in "killed by
SIGTERM"; :class:`GracefulServer` changes both.

Connections are bounded (settings; docs/deployment.md): past ``AUCTION_LIMIT_CONCURRENCY``
connections (live watchers included) or requests in progress, a request gets 503; an idle
keep-alive connection is closed after ``AUCTION_TIMEOUT_KEEP_ALIVE`` seconds; and a request's
head (request line and headers) must arrive within ``AUCTION_HEADER_TIMEOUT`` seconds of the
connection opening, or of its first byte on a kept-alive connection, and hold at most
``AUCTION_MAX_HEADER_BYTES``, else it is answered 408 or 431 and the connection closed.
uvicorn has no such timeout (a client sending nothing, or a byte now and then, held its
connection for ever): :class:`HeaderDeadline` adds it to uvicorn's HTTP protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
import uvicorn
from fastapi import FastAPI

from api.app import close_live_feeds, create_app
from api.observability import log_config
from api.routes.live import LiveSocket
from api.settings import Settings

GRACEFUL_SHUTDOWN = 10
# How long closing the live feed may take before uvicorn closes what is left.
WEBSOCKET_CLOSE_TIMEOUT = 3.0


def _websocket_protocol(app: FastAPI) -> type[LiveSocket] | str:
    """The live feed is served by its own protocol (``api.routes.live.LiveSocket``), built on
    the websockets library's sans-I/O protocol, as uvicorn's "websockets-sansio" (which it
    hands any other WebSocket path to, and which avoids the library's deprecated legacy server)."""
    import importlib.util

    if importlib.util.find_spec("websockets") is not None:
        return LiveSocket.serving(app)
    return "auto"


# permessage-deflate is declined (uvicorn's default accepts it). Measured with benchmark e
# (2,000 idle sockets, the client offering what browsers offer: "permessage-deflate;
# client_max_window_bits"; benchmarks/serve_ws_variant.py has the variants, all on the live
# feed's ASGI route, which costs 34.3 KiB per idle socket with deflate declined):
#
# * accepted as uvicorn does (12-bit windows both ways, memLevel 5, context takeover):
#   72.4 KiB per idle socket, a zlib compressor and decompressor kept per socket; a bid
#   message of about 320 bytes then takes about 38 on the wire, the window holding the last one;
# * accepted with the smallest windows (9 bits, memLevel 1): 51.0 KiB, and a 512-byte window
#   hardly reaches back to the last message (about 158 bytes);
# * accepted without context takeover either way: 35.4 KiB, but a compressor is made for
#   every message of every watcher (about 189 bytes);
# * declined: nothing per socket (7.8 KiB per idle socket in all on api.routes.live.LiveSocket),
#   and one frame built per message for all its watchers, written as it is to every socket
#   (about 320 bytes).
#
# Every accepted variant compresses each message once per watcher: 10,000 compressions for
# one bid with 10,000 watchers (benchmark c), where the frame is otherwise built once. The
# messages are small JSON objects (200 to 400 bytes) and few per watcher (a heated close: 5 a
# second, under 2 KB/s), so the bytes saved are not worth a compressor per socket.
WS_PER_MESSAGE_DEFLATE = False


class HeaderDeadline:
    """Mixed into uvicorn's HTTP protocol (httptools or h11): each request's head has
    :attr:`header_timeout` seconds to arrive and :attr:`max_header_bytes` to fit in.

    The clock starts when the connection opens and, on a kept-alive one, at the first byte
    of the next request (before it, uvicorn's keep-alive timeout applies); it stops when
    uvicorn has the whole head (a request cycle starts, or the connection is upgraded to a
    WebSocket). The body is not timed: the request is then the application's."""

    header_timeout: ClassVar[float]
    max_header_bytes: ClassVar[int]

    # uvicorn's protocols have these (declared for the mixin's own use).
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        waiting = cycle is None or cycle.response_complete  # this data begins or continues a head
        if waiting and self._head_timer is None:
            self._start_head()
        super().data_received(data)  # type: ignore[misc]
        if self._head_timer is None:
            return  # upgraded to a WebSocket, or a body
        if self.cycle is not cycle or self.transport.is_closing():
            self._head_done()  # the head is whole: the request is the application's
        elif waiting:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._refuse(431, "headers_too_large", f"a request's head holds at most {self.max_header_bytes} bytes")

    def handle_websocket_upgrade(self, *args: Any) -> None:
        self._head_done()
        super().handle_websocket_upgrade(*args)  # type: ignore[misc]

    def _start_head(self) -> None:
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _head_done(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        self._refuse(408, "request_timeout", f"a request's head must arrive within {self.header_timeout:g} s")

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._head_done()
        if self.transport.is_closing():
            return
        body = orjson.dumps({"error": {"code": code, "message": message}})
        head = f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: application/json\r\n"
        head += f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


_REASONS = {408: "Request Timeout", 431: "Request Header Fields Too Large"}


def http_protocol(header_timeout: float, max_header_bytes: int) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools when installed, else h11, as its ``auto``) with :class:`HeaderDeadline`."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    namespace = {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes}
    return type(f"Deadline{AutoHTTPProtocol.__name__}", (HeaderDeadline, AutoHTTPProtocol), namespace)


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Stop accepting first, so that no watcher joins while the others are being closed.
        for server in self.servers:
            server.close()
        await close_live_feeds(self.app, WEBSOCKET_CLOSE_TIMEOUT)
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # As uvicorn's, but the signal is not raised again afterwards: a stop that went as
        # planned exits with status 0, which is what service managers and orchestrators expect.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def uvicorn_config(
    app: FastAPI,
    host: str,
    port: int,
    access_log: bool = False,
    logging: dict[str, Any] | None = None,
    log_level: str = "info",
    settings: Settings | None = None,
) -> uvicorn.Config:
    """How ``auction serve`` runs an application (the benchmarks run their reference app alike).
    ``logging``: a ``logging.config.dictConfig`` configuration (``auction serve``'s structured
    lines, api.observability.log_config), else uvicorn's own. The connection limits are
    ``settings``' (default: the settings' defaults)."""
    limits = settings if settings is not None else Settings.model_construct()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="auto",
        http=http_protocol(limits.header_timeout, limits.max_header_bytes),
        limit_concurrency=limits.limit_concurrency,
        timeout_keep_alive=limits.timeout_keep_alive,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        ws=_websocket_protocol(app),
        ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        log_config=logging if logging is not None else uvicorn.config.LOGGING_CONFIG,
        log_level=log_level,
        access_log=access_log,
    )


def run(settings: Settings) -> None:
    app = create_app(settings)
    # One structured line per request comes from the application (api.observability.RequestLog),
    # with AUCTION_ACCESS_LOG: uvicorn's own access log stays off.
    logging = log_config(settings.log_level, settings.log_format)
    config = uvicorn_config(app, settings.host, settings.port, False, logging, settings.log_level, settings)
    try:
        GracefulServer(config, app).run()  # a failed start-up exits 3 from inside uvicorn
    finally:
        if getattr(app.state, "startup_refused", None):
            sys.exit(1)  # the log failed its check against the kept tree head (said in one line), as replay's 1
