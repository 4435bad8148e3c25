"""Request dependencies: the runtime built by the lifespan, and who is calling.

No token on an endpoint that needs one, or a token that does not verify:
401 ``unauthenticated``. A valid token with the wrong role: 403 ``forbidden``.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import InvalidToken, Principal, Role, read_token
from api.receipts import ReceiptSigner
from api.errors import ApiError
from api.runtime import Runtime
from engine.vault import owner_of

_bearer = HTTPBearer(auto_error=False, description="A JWT with claims sub and role (see `auction token`).")

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


# The dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency
# in its thread pool, a hop that cost about a third of the bid path's throughput.


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return _runtime(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_signer(request: Request) -> ReceiptSigner:
    """The receipt key, loaded once by the lifespan (never at import)."""
    signer: ReceiptSigner = request.app.state.receipt_signer
    return signer


SignerDep = Annotated[ReceiptSigner, Depends(get_signer)]

# Every id the API hands out has this shape; anything else cannot name an auction, and
# must not reach a database that refuses some characters (PostgreSQL and NUL).
_AUCTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


async def get_auction_id(auction_id: Annotated[str, Path(description="the auction's id")]) -> str:
    if not _AUCTION_ID.match(auction_id):
        raise ApiError(404, "auction_not_found", f"no auction {auction_id!r}")
    return auction_id


AuctionId = Annotated[str, Depends(get_auction_id)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,200}$",
        description="Repeating a key returns the first answer and records nothing new.",
    ),
]
REPLAYED = "Idempotent-Replayed"  # the response header of an answer given again for a repeated key


def scoped_key(kind: str, bidder_code: str | None, subject: str, key: str | None) -> str | None:
    """An Idempotency-Key scoped to the kind of request and the caller, without writing the
    caller's identity into the key table: the bidder code where there is one, else a digest
    (identities live only in the vault)."""
    if key is None:
        return None
    who = bidder_code or "anonymous-" + owner_of(subject)[:32]
    return f"{kind}:{who}:{key}"


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        if request.headers.get("authorization"):
            raise ApiError(
                401, "unauthenticated", "the Authorization header must be 'Bearer <token>'", headers=_CHALLENGE
            )
        return None
    runtime = _runtime(request)
    settings = runtime.settings
    try:
        return read_token(credentials.credentials, runtime.secret, settings.jwt_public_key, settings.jwt_audience)
    except InvalidToken as error:
        raise ApiError(401, "unauthenticated", f"invalid token: {error}", headers=_CHALLENGE) from None


MaybePrincipal = Annotated[Principal | None, Depends(get_principal)]


def _require(*roles: Role) -> object:
    allowed = ", ".join(role.value for role in roles)

    async def dependency(principal: MaybePrincipal) -> Principal:
        if principal is None:
            raise ApiError(401, "unauthenticated", "a bearer token is required", headers=_CHALLENGE)
        if principal.role not in roles:
            raise ApiError(403, "forbidden", f"this needs the role {allowed}, not {principal.role.value}")
        return principal

    return Depends(dependency)


Bidder = Annotated[Principal, _require(Role.BIDDER)]
Bailiff = Annotated[Principal, _require(Role.BAILIFF)]
Reader = Annotated[Principal, _require(Role.BAILIFF, Role.AUDITOR)]
AnyRole = Annotated[Principal, _require(Role.BIDDER, Role.BAILIFF, Role.AUDITOR)]
