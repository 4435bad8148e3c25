"""Request dependencies: the application built by the lifespan, and who is calling.

No token on an endpoint that needs one, or a token that does not verify:
401 ``unauthenticated``. A valid token with the wrong role: 403 ``forbidden``.

An auction belongs to the office that scheduled it (the token's ``office`` claim, recorded in
``AuctionScheduled``; a token without one acts for the default office). A bailiff acts, and an
auditor reads, only on their office's auctions: on another office's, 403 ``forbidden``
(:func:`check_office`). An auditor whose token names the office ``*`` reads every office's
auctions; a bailiff's token naming ``*`` is refused (a bailiff acts for one office).
The FastAPI dependencies below and the plain bid route (``api.routes.bids``)
share :func:`principal_from_header`, :func:`require`, :func:`checked_auction_id`
and :func:`checked_idempotency_key`, so both answer alike.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from api.auth import InvalidToken, Principal, Role, TokenReader
from api.bootstrap import Runtime
from api.errors import ApiError
from engine.app.handlers import Handlers
from engine.app.queries import Queries

_bearer = HTTPBearer(auto_error=False, description="A JWT with claims sub and role (see `auction token`).")

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


# The dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency
# in its thread pool, a hop that cost about a third of the bid path's throughput.


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_handlers(request: Request) -> Handlers:
    return runtime_of(request).handlers


async def get_queries(request: Request) -> Queries:
    return runtime_of(request).queries


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
HandlersDep = Annotated[Handlers, Depends(get_handlers)]
QueriesDep = Annotated[Queries, Depends(get_queries)]

# Every id the API hands out has this shape; anything else cannot name an auction, and
# must not reach a database that refuses some characters (PostgreSQL and NUL).
_AUCTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def checked_auction_id(auction_id: str) -> str:
    if not _AUCTION_ID.match(auction_id):
        raise ApiError(404, "auction_not_found", f"no auction {auction_id!r}")
    return auction_id


async def get_auction_id(auction_id: Annotated[str, Path(description="the auction's id")]) -> str:
    return checked_auction_id(auction_id)


AuctionId = Annotated[str, Depends(get_auction_id)]

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Repeating a key returns the first answer and records nothing new.",
    ),
]


def checked_idempotency_key(key: str | None) -> dict[str, object] | None:
    """The validation error (as FastAPI reports one) of a malformed Idempotency-Key, if it is."""
    if key is None or _IDEMPOTENCY_KEY.match(key):
        return None
    return {"loc": ("header", "Idempotency-Key"), "msg": f"String should match pattern '{IDEMPOTENCY_KEY_PATTERN}'"}


def principal_from_header(authorization: str | None, tokens: TokenReader) -> Principal | None:
    """The caller an ``Authorization`` header names (None: no header), read as
    ``HTTPBearer(auto_error=False)`` reads it; anything but a bearer token is a 401."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        if authorization:
            raise ApiError(
                401, "unauthenticated", "the Authorization header must be 'Bearer <token>'", headers=_CHALLENGE
            )
        return None
    try:
        return tokens.read(credentials)
    except InvalidToken as error:
        raise ApiError(401, "unauthenticated", f"invalid token: {error}", headers=_CHALLENGE) from None


def require(principal: Principal | None, roles: tuple[Role, ...], allowed: str) -> Principal:
    if principal is None:
        raise ApiError(401, "unauthenticated", "a bearer token is required", headers=_CHALLENGE)
    if principal.role not in roles:
        raise ApiError(403, "forbidden", f"this needs the role {allowed}, not {principal.role.value}")
    return principal


ALL_OFFICES = "*"  # an auditor's office claim granting every office's auctions


def may_act_for(principal: Principal, office: str | None) -> bool:
    """Whether an official may act on (a bailiff) or read (an auditor) an auction of ``office``
    (None: the default office, that of tokens naming none)."""
    if principal.role is Role.AUDITOR and principal.office == ALL_OFFICES:
        return True
    return principal.office == office


async def check_office(runtime: Runtime, principal: Principal, auction_id: str) -> None:
    """403 unless the official may act on the auction (a bidder's token is not an office's)."""
    if principal.role is Role.BIDDER:
        return
    if not may_act_for(principal, await runtime.queries.office(auction_id)):
        mine = "the default office" if principal.office is None else f"the office {principal.office!r}"
        raise ApiError(403, "forbidden", f"this auction belongs to another office than {mine}")


async def get_principal(
    request: Request,
    # Declared for the OpenAPI document's security scheme; the header is read below.
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    return principal_from_header(request.headers.get("authorization"), runtime_of(request).tokens)


MaybePrincipal = Annotated[Principal | None, Depends(get_principal)]


async def get_viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller of a public read. A token there only adds to what is shown (a bailiff's view),
    so one that does not verify (an expired session) is read as no token, never refused."""
    try:
        return principal_from_header(request.headers.get("authorization"), runtime_of(request).tokens)
    except ApiError:
        return None


Viewer = Annotated[Principal | None, Depends(get_viewer)]


def _require(*roles: Role) -> object:
    """The caller, of one of ``roles``; an official on a route about one auction, of its office."""
    allowed = ", ".join(role.value for role in roles)

    async def dependency(request: Request, principal: MaybePrincipal) -> Principal:
        found = require(principal, roles, allowed)
        if found.role is Role.BAILIFF and found.office == ALL_OFFICES:
            raise ApiError(
                403, "forbidden", f"the office {ALL_OFFICES!r} is an auditor's; a bailiff acts for one office"
            )
        auction_id = request.path_params.get("auction_id")
        if auction_id is not None:
            await check_office(runtime_of(request), found, checked_auction_id(auction_id))
        return found

    return Depends(dependency)


Bidder = Annotated[Principal, _require(Role.BIDDER)]
Bailiff = Annotated[Principal, _require(Role.BAILIFF)]
Reader = Annotated[Principal, _require(Role.BAILIFF, Role.AUDITOR)]
AnyRole = Annotated[Principal, _require(Role.BIDDER, Role.BAILIFF, Role.AUDITOR)]
