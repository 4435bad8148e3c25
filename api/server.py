"""``auction serve``: the application under uvicorn.

uvloop and httptools are used when installed (uvicorn's ``auto``). On SIGINT
or SIGTERM uvicorn stops accepting connections, lets requests in flight
finish (up to ``GRACEFUL_SHUTDOWN`` seconds), closes the WebSockets, and then
the lifespan stops the scheduler and the catch-up task and closes the store.
"""

from __future__ import annotations

import importlib.util

import uvicorn

from api.app import create_app
from api.settings import Settings

GRACEFUL_SHUTDOWN = 10


def _websocket_protocol() -> str:
    # The sans-I/O implementation avoids the websockets library's deprecated legacy server.
    if importlib.util.find_spec("websockets") is not None:
        return "websockets-sansio"
    return "auto"


def run(settings: Settings) -> None:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="auto",
        http="auto",
        ws=_websocket_protocol(),
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        log_level="info",
    )
    uvicorn.Server(config).run()
