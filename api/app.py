"""The ASGI application: :func:`create_app` wires everything in a lifespan.

Nothing is built at import: the store, the service, the read models, the
live hub, the catch-up task, the deadline scheduler and the application's
handlers are made when the server starts (:func:`api.bootstrap.start`, the
composition root) and closed when it stops. The routes (``api.routes``) and
the web pages (``api.web``) are only declared here.
:func:`close_live_feeds` is the first step of a graceful stop (``api.server``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, limits, observability, ratelimit
from api.bootstrap import StartupRefused, start
from api.deps import QueriesDep
from api.routes import auctions, bidding, bids, feed, files, live, me, sale, signin, transparency
from api.schemas import HealthOut
from api.settings import Settings
from api.web import mount_web
from engine.clock import Clock

DESCRIPTION = """
Event-sourced judicial e-auctions with per-country rule books.

* Money is a decimal string with two decimals (`"80000.00"`); times are RFC 3339 with an offset.
* Every refusal is `{"error": {"code": "<snake_case>", "message": "..."}}` with a 4xx status.
* Bearer tokens (JWT with `sub` and `role`: `bidder`, `bailiff`, `auditor`; optionally `office`, the
  official's office, recorded with every official act) come from `auction token`. An auction belongs to the
  office that scheduled it: officials of another office get 403 (an auditor with `office: "*"` reads every
  office's); tokens without `office` act for one default office.
* Writes over the per-caller or per-address limit: 429 `rate_limited` with `Retry-After`.
* Public reads never show a bidder's identity, only the per-auction `bidder_code`.
* Live feed: `GET /ws/auctions/{id}[?after=N]` (WebSocket): a snapshot, then one message per change
  (`bid`, `extended`, `opened`, `closed`, `failed`, `declared`, `scheduled`, `incident`; after bidding
  `preemption`, `payment`, `paid`, `refunded`, `completed`, `defaulted`, `grace`, `offered`, `suspended`,
  `resumed`, `cancelled`, `next_round`, `outcome`; `amended`: the lot's details; `photo`, `document`, `withdrawn`,
  `photos_ordered`: its files), each with `position`,
  `status`, `price`, `leader`, `closes_at`, `server_time`. Reconnect with `?after=<last position>`
  to get every change after it exactly once. Close codes: 4404 unknown auction, 4400 bad `after`,
  1013 too slow (resume with the position in the reason), 1012 server shutting down.
"""


class LiveSockets:
    """Counts the WebSocket sessions in progress, so that a graceful stop can wait for them to close."""

    def __init__(self) -> None:
        self.open = 0
        self._none = asyncio.Event()
        self._none.set()

    def opened(self) -> None:
        self.open += 1
        self._none.clear()

    def closed(self) -> None:
        self.open -= 1
        if self.open == 0:
            self._none.set()

    async def wait_closed(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._none.wait()
        return self.open == 0


class CountLiveSockets:
    """ASGI middleware: a WebSocket session counts from its start until its handler returns."""

    def __init__(self, app: ASGIApp, sockets: LiveSockets) -> None:
        self.app = app
        self.sockets = sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        self.sockets.opened()
        try:
            await self.app(scope, receive, send)
        finally:
            self.sockets.closed()


async def close_live_feeds(app: FastAPI, timeout: float) -> None:
    """The first step of a graceful stop: every watcher is closed with 1012 and the position to
    resume from (``api.routes.live``); returns once their handlers are done, or after ``timeout``."""
    hub = getattr(getattr(app.state, "runtime", None), "hub", None)
    if hub is None:  # not started, or an application without a live feed (auction serve --harvest)
        return
    hub.close()
    await app.state.live_sockets.wait_closed(timeout)


class AuctionApp(FastAPI):
    """The FastAPI application with one shortcut: a bid (``POST /auctions/{id}/bids``, the
    request it answers most) goes straight to its endpoint (:func:`api.routes.bids.serve`),
    past the middleware stack and the router, which cost a bid a tenth of its time and do
    nothing for it. Everything else, and the bid route's documentation, is FastAPI's.
    Every HTTP request, the bid included, first passes :attr:`request_log` (its request id, log
    line and count: ``api.observability.RequestLog``), installed by the lifespan."""

    request_log: observability.RequestLog | None = None
    write_limits: ratelimit.WriteLimits | None = None  # per caller and address (api.ratelimit), by the lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await super().__call__(scope, receive, self._refusal_in_one_line(send))
            return
        if scope["type"] == "http" and self.request_log is not None:
            await self.request_log(scope, receive, send, self.route_request)
        else:
            await self.route_request(scope, receive, send)

    def _refusal_in_one_line(self, send: Send) -> Send:
        """The server logs a failed start-up's message: for a refusal (api.bootstrap.StartupRefused),
        its one line instead of the traceback."""

        async def sending(message: Message) -> None:
            refused = getattr(self.state, "startup_refused", None)
            if message["type"] == "lifespan.startup.failed" and refused:
                message = {**message, "message": refused}
            await send(message)

        return sending

    async def route_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.write_limits is not None:
            refused = self.write_limits.refusal(scope)
            if refused is not None:  # over a write limit: 429, nothing read or decided
                await refused(scope, receive, send)
                return
        if scope["type"] == "http":
            admitted = await limits.admit(self.state, scope, receive, send)
            if admitted is None:
                return  # refused before its body was read: too large, or no credentials (api.limits)
            receive = admitted
        if scope["type"] == "http" and scope["method"] == "POST":
            auction_id = bids.auction_in_path(scope)
            if auction_id is not None:
                scope["app"] = self
                await bids.serve(scope, receive, send, auction_id)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The application; ``clock`` lets tests drive time (the server uses the system clock)."""
    config = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            runtime = await start(config, clock)
        except StartupRefused as refused:
            app.state.startup_refused = str(refused)  # said in one line, not a traceback (AuctionApp)
            raise
        app.state.runtime = runtime
        if isinstance(app, AuctionApp):
            app.request_log = observability.RequestLog(runtime.metrics, config.access_log)
            app.write_limits = ratelimit.WriteLimits(config, runtime.tokens)
        try:
            yield
        finally:
            await runtime.stop()

    app = AuctionApp(
        title="Judicial e-auction engine",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    errors.install(app)
    app.state.live_sockets = LiveSockets()
    app.add_middleware(CountLiveSockets, sockets=app.state.live_sockets)
    app.include_router(auctions.router)
    app.include_router(bidding.router)
    app.include_router(sale.router)
    app.include_router(files.router)  # the lot's photos and documents
    bids.install(app)  # the hot path: a plain Starlette endpoint, documented like the others
    app.include_router(live.router)
    app.include_router(feed.router)
    app.include_router(transparency.router)
    app.include_router(me.router)  # /me/..., /auctions/{id}/watch, /ws/me: the caller's own notices
    app.include_router(signin.router)  # /auth/...: the pages' sign-in through the identity provider
    app.include_router(observability.router)  # GET /metrics, GET /ready
    mount_web(app)

    @app.get("/health", response_model=HealthOut, tags=["service"])
    async def health(queries: QueriesDep) -> dict[str, object]:
        """Ready to serve; ``checkpoint`` is the global event position the read models reached."""
        return {"status": "ok", "checkpoint": queries.checkpoint()}

    return app
