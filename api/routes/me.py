"""A signed-in person's own things: watchlist, notifications, e-mail address, and the personal feed ``/ws/me``.

Everything here is about the caller only (the token's subject): nothing names
or shows anyone else, and nothing here appears in a public read.

The personal feed authenticates by its first message, ``{"token": "<bearer
token>", "after": N}``, not by the URL: a token in a URL ends up in access
logs, proxies' logs and browser history, and a browser's WebSocket cannot send
an ``Authorization`` header. The first message needs no state shared between
processes (a one-time ticket would) and no misuse of ``Sec-WebSocket-Protocol``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.websockets import WebSocket, WebSocketDisconnect

from api.auth import InvalidToken
from api.deps import AnyRole, AuctionId
from api.errors import ApiError
from api.routes.auctions import ERRORS
from engine.app.notifications import InvalidAddress, Notifications
from engine.errors import AuctionNotFound
from engine.model import format_instant

router = APIRouter(tags=["me"])

# The first message must come within this many seconds, or the feed is closed (4401).
SIGN_IN_TIMEOUT = 10.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4400
CLOSE_GOING_AWAY = 1012
# A hub subscription that no auction's changes ever reach: its end is the hub's closing (a graceful stop).
_NO_AUCTION = "\x00me"


def notifications_of(app_state: Any) -> Notifications:
    notifications: Notifications | None = app_state.runtime.notifications
    if notifications is None:
        raise ApiError(503, "unavailable", "notifications are not running")
    return notifications


class WatchOut(BaseModel):
    auction: str
    watching: bool


class WatchedOut(BaseModel):
    auction: str
    since: str
    title: str | None
    status: str | None


class WatchlistOut(BaseModel):
    auctions: list[WatchedOut]


class NotificationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    kind: str
    auction: str
    title: str
    at: str


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]
    next_before: int | None


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=3, max_length=254, description="one plain address, name@domain")


class EmailOut(BaseModel):
    address: str | None


@router.put("/auctions/{auction_id}/watch", response_model=WatchOut, responses=ERRORS)
async def watch(auction_id: AuctionId, principal: AnyRole, request: Request) -> dict[str, Any]:
    """Watch the auction: its opening, deadline changes, closing-soon reminders and its end come to your
    notifications. Repeating it changes nothing."""
    try:
        await notifications_of(request.app.state).watch(principal.subject, auction_id)
    except AuctionNotFound:
        raise ApiError(404, "auction_not_found", f"no auction {auction_id!r}") from None
    return {"auction": auction_id, "watching": True}


@router.delete("/auctions/{auction_id}/watch", response_model=WatchOut, responses=ERRORS)
async def unwatch(auction_id: AuctionId, principal: AnyRole, request: Request) -> dict[str, Any]:
    """Stop watching the auction (a bidder registered for it is still told what concerns their bids)."""
    await notifications_of(request.app.state).unwatch(principal.subject, auction_id)
    return {"auction": auction_id, "watching": False}


@router.get("/me/watchlist", response_model=WatchlistOut, responses=ERRORS)
async def watchlist(principal: AnyRole, request: Request) -> dict[str, Any]:
    """The auctions you watch, in the order you began."""
    return {"auctions": await notifications_of(request.app.state).watchlist(principal.subject)}


@router.get("/me/notifications", response_model=NotificationsOut, responses=ERRORS)
async def notifications(
    principal: AnyRole,
    request: Request,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="notices numbered below this")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Your notices, newest first; follow ``next_before`` for older ones."""
    return await notifications_of(request.app.state).page(principal.subject, before, limit)


@router.get("/me/email", response_model=EmailOut, responses=ERRORS)
async def email(principal: AnyRole, request: Request) -> dict[str, Any]:
    """The address your notices are e-mailed to (null: none)."""
    return {"address": await notifications_of(request.app.state).email(principal.subject)}


@router.put("/me/email", response_model=EmailOut, responses=ERRORS)
async def set_email(body: EmailIn, principal: AnyRole, request: Request) -> dict[str, Any]:
    """E-mail your notices to ``address`` from now on (kept sealed with your key; ``auction forget`` erases it)."""
    try:
        await notifications_of(request.app.state).set_email(principal.subject, body.address)
    except InvalidAddress as error:
        raise ApiError(422, "invalid_address", str(error)) from None
    return {"address": body.address}


@router.delete("/me/email", response_model=EmailOut, responses=ERRORS)
async def clear_email(principal: AnyRole, request: Request) -> dict[str, Any]:
    """No more e-mail; what was waiting unsent is dropped."""
    await notifications_of(request.app.state).set_email(principal.subject, None)
    return {"address": None}


# ---------------------------------------------------------------------------------------- /ws/me


def _first_message(text: str) -> tuple[str, int] | str:
    """``(token, after)`` from the first message, or why it is not one."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return 'the first message must be JSON: {"token": ..., "after": N}'
    if not isinstance(message, dict) or not isinstance(message.get("token"), str):
        return 'the first message must carry the token: {"token": ...}'
    after = message.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after < 2**62:
        return "after must be a notice number (an integer, 0 or more)"
    return message["token"], after


async def personal_feed(websocket: WebSocket) -> None:
    """``/ws/me``: first ``{"token", "after"}``; then ``{"type": "ready"}``, every notice numbered above
    ``after`` and each new one as it is kept (``{"type": "notification", "id", "kind", ...}``), each once."""
    runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        async with asyncio.timeout(SIGN_IN_TIMEOUT):
            text = await websocket.receive_text()
    except (TimeoutError, KeyError):
        await _close(websocket, CLOSE_UNAUTHENTICATED, "send the token as the first message")
        return
    except WebSocketDisconnect:
        return
    first = _first_message(text)
    if isinstance(first, str):
        await _close(websocket, CLOSE_BAD_REQUEST, first)
        return
    token, after = first
    try:
        principal = runtime.tokens.read(token)
    except InvalidToken:
        await _close(websocket, CLOSE_UNAUTHENTICATED, "the token does not verify")
        return
    notifications: Notifications | None = runtime.notifications
    if notifications is None:
        await _close(websocket, CLOSE_GOING_AWAY, "notifications are not running")
        return
    subject = principal.subject
    queue = notifications.subscribe(subject)  # before the backlog is read: nothing falls in between
    closing = runtime.hub.subscribe(_NO_AUCTION)

    async def pump() -> None:
        sent = after
        await websocket.send_text(orjson.dumps({"type": "ready", "after": after}).decode())
        for row in await notifications.backlog(subject, after):
            await websocket.send_text(_frame(row.to_json(), runtime))
            sent = row.id
        while True:
            row = await queue.get()
            if row.id > sent:
                await websocket.send_text(_frame(row.to_json(), runtime))
                sent = row.id

    async def listen() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = {asyncio.create_task(pump()), asyncio.create_task(listen())}
    try:
        await asyncio.wait({*tasks, closing.ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        notifications.unsubscribe(subject, queue)
        runtime.hub.unsubscribe(closing)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
    if closing.ended.done():
        await _close(websocket, CLOSE_GOING_AWAY, "server shutting down")


def _frame(body: dict[str, Any], runtime: Any) -> str:
    return orjson.dumps({"type": "notification", **body, "server_time": format_instant(runtime.clock.now())}).decode()


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.close(code, reason)


router.add_websocket_route("/ws/me", personal_feed)
