"""The ASGI application: :func:`create_app` wires everything in a lifespan.

Nothing is built at import: the store, the service, the read models, the
live hub, the catch-up task and the deadline scheduler are made when the
server starts (:func:`api.runtime.start`) and closed when it stops. The
routes (``api.routes``) and the web pages (``api.web``) are only declared here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.deps import RuntimeDep
from api.routes import auctions, bidding, live
from api.runtime import start
from api.schemas import HealthOut
from api.settings import Settings
from api.web import mount_web
from engine.clock import Clock

DESCRIPTION = """
Event-sourced judicial e-auctions with per-country rule books.

* Money is a decimal string with two decimals (`"80000.00"`); times are RFC 3339 with an offset.
* Every refusal is `{"error": {"code": "<snake_case>", "message": "..."}}` with a 4xx status.
* Bearer tokens (JWT with `sub` and `role`: `bidder`, `bailiff`, `auditor`) come from `auction token`.
* Public reads never show a bidder's identity, only the per-auction `bidder_code`.
* Live feed: `GET /ws/auctions/{id}[?after=N]` (WebSocket): a snapshot, then one message per change
  (`bid`, `extended`, `opened`, `closed`, `failed`, `ended`, `scheduled`), each with `position`,
  `status`, `price`, `leader`, `closes_at`, `server_time`. Reconnect with `?after=<last position>`
  to get every change after it exactly once. Close codes: 4404 unknown auction, 4400 bad `after`,
  1013 too slow (resume with the position in the reason), 1012 server shutting down.
"""


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The application; ``clock`` lets tests drive time (the server uses the system clock)."""
    config = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start(config, clock)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Judicial e-auction engine",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    errors.install(app)
    app.include_router(auctions.router)
    app.include_router(bidding.router)
    app.include_router(live.router)
    mount_web(app)

    @app.get("/health", response_model=HealthOut, tags=["service"])
    async def health(runtime: RuntimeDep) -> dict[str, object]:
        """Ready to serve; ``checkpoint`` is the global event position the read models reached."""
        return {"status": "ok", "checkpoint": runtime.projector.checkpoint}

    return app
