"""The verifiable log, read by anyone: the signed tree head and the proofs about it.

``GET /transparency/head`` gives the latest signed head (``{"size", "root",
"time", "signature", "key_id"}``); ``/transparency/inclusion`` the path of one
event to the root of a tree of a given size; ``/transparency/consistency`` the
proof that a larger tree extends a smaller one; ``/transparency/key`` the key
the heads are signed with. A monitor (``auction monitor``) follows the heads and
checks each new one against the last; ``auction verify`` checks a copy of the
log against heads someone kept. The hashing is RFC 9162's; hashes are hex.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import RuntimeDep
from api.errors import ApiError
from engine.store.tree import TreeTooSmall

router = APIRouter(prefix="/transparency", tags=["transparency"])

Count = Annotated[int, Query(ge=1, le=2**62, description="a number of events (a tree size)")]
Position = Annotated[int, Query(ge=1, le=2**62, description="an event's global position")]


def _beyond(error: TreeTooSmall) -> ApiError:
    return ApiError(404, "beyond_the_log", str(error))


@router.get("/head")
async def head(runtime: RuntimeDep) -> dict[str, Any]:
    """The latest signed tree head over the whole log."""
    return (await runtime.transparency.head()).to_json()


@router.get("/key")
async def key(runtime: RuntimeDep) -> dict[str, str]:
    """The Ed25519 key (raw, base64url) the heads are signed with, and its id."""
    signer = runtime.transparency
    return {"algorithm": "Ed25519", "public_key": signer.public_key_b64, "key_id": signer.key_id}


@router.get("/inclusion")
async def inclusion(runtime: RuntimeDep, position: Position, size: Count) -> dict[str, Any]:
    """The inclusion proof of the event at ``position`` in the tree of the first ``size`` events."""
    if position > size:
        raise ApiError(422, "invalid_request", f"position {position} is not in a tree of {size} events")
    try:
        return await runtime.transparency.inclusion(position, size)
    except TreeTooSmall as error:
        raise _beyond(error) from None


@router.get("/consistency")
async def consistency(runtime: RuntimeDep, first: Count, second: Count) -> dict[str, Any]:
    """The proof that the tree of ``second`` events extends the tree of its first ``first``."""
    if first > second:
        raise ApiError(422, "invalid_request", f"first ({first}) must not be larger than second ({second})")
    try:
        return await runtime.transparency.consistency(first, second)
    except TreeTooSmall as error:
        raise _beyond(error) from None
