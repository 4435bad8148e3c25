"""The live feed: ``GET /ws/auctions/{id}[?after=N]``.

First a snapshot, then one message per change in position order. The
watcher subscribes to the hub *before* reading the history, in one step with
no await in between (:meth:`ReadModel.resume`), so nothing falls between
history and live; anything at or below the last position sent is skipped,
so nothing is sent twice.

Close codes: 4400 a malformed ``after``; 4404 no such auction; 1013 the
watcher fell behind (reason ``too slow, resume with after=<position>``);
1012 the server is shutting down (reason names the position to resume from).
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from api.runtime import Runtime
from projections.catchup import encode_message
from projections.hub import DROPPED

router = APIRouter()

CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_SERVICE_RESTART = 1012
MAX_AFTER_DIGITS = 18


def _after(text: str | None) -> int | None | str:
    """The ``after`` parameter, or an error message."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_AFTER_DIGITS:
        return "after must be a non-negative integer position"
    return int(text)


async def watch(websocket: WebSocket) -> None:
    auction_id: str = websocket.path_params["auction_id"]
    runtime: Runtime = websocket.app.state.runtime
    # Accept first: a close code can only reach the client on an open connection.
    await websocket.accept()
    after = _after(websocket.query_params.get("after"))
    if isinstance(after, str):
        await websocket.close(CLOSE_BAD_REQUEST, after)
        return
    if auction_id not in runtime.model:
        await runtime.projector.refresh(timeout=1.0)
        if auction_id not in runtime.model:
            await websocket.close(CLOSE_NOT_FOUND, "no such auction")
            return

    subscriber = runtime.hub.subscribe(auction_id)
    start = runtime.model.resume(auction_id, after)  # no await since subscribing
    sent = start.seen

    async def pump() -> None:
        nonlocal sent
        await websocket.send_text(encode_message(start.snapshot, runtime.clock.now()))
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
        await asyncio.wait({*tasks, subscriber.ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        runtime.hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
    if subscriber.ended.done():
        if subscriber.ended.result() == DROPPED:
            await _close(websocket, CLOSE_TRY_AGAIN_LATER, f"too slow, resume with after={sent}")
        else:
            await _close(websocket, CLOSE_SERVICE_RESTART, f"server shutting down, resume with after={sent}")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.close(code, reason)


# A plain Starlette route rather than FastAPI's: the handler takes no dependencies, and a
# FastAPI route would keep its dependency machinery (exit stacks, solved values) alive
# for as long as the socket is open, which is most of a watcher's life.
router.add_websocket_route("/ws/auctions/{auction_id}", watch)
