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
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from api.app import close_live_feeds, create_app
from api.settings import Settings

GRACEFUL_SHUTDOWN = 10
# How long closing the live feed may take before uvicorn closes what is left.
WEBSOCKET_CLOSE_TIMEOUT = 3.0


def _websocket_protocol() -> str:
    # The sans-I/O implementation avoids the websockets library's deprecated legacy server.
    import importlib.util

    if importlib.util.find_spec("websockets") is not None:
        return "websockets-sansio"
    return "auto"


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


def uvicorn_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """How ``auction serve`` runs an application (the benchmarks run their reference app alike)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="auto",
        http="auto",
        ws=_websocket_protocol(),
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        log_level="info",
    )


def run(settings: Settings) -> None:
    app = create_app(settings)
    GracefulServer(uvicorn_config(app, settings.host, settings.port), app).run()
