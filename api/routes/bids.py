"""``POST /auctions/{auction_id}/bids``: the hot path, answered as a plain Starlette endpoint.

A bid is the request the engine answers most, and FastAPI's per-request
machinery (solving the dependencies, validating and re-encoding the body and
the answer, two exit stacks) cost more than the rest of the route. So the
route is a :class:`PlainRoute`: FastAPI documents it in ``/openapi.json`` from
:func:`documented`'s signature (the path parameter, the ``AmountIn`` body, the
``Idempotency-Key`` header, the bearer token, the ``BidOut`` answer and the
errors), while :func:`place_bid` answers it, doing in line what those
dependencies do, in the same order and with the same answers:

1. the body is read as FastAPI reads a JSON body (``application/json`` or
   ``*+json``; none or another type is no JSON): a malformed document is
   refused (422) before anything else;
2. an id no auction could have is 404 ``auction_not_found``;
3. no token or a bad one is 401, another role than bidder 403
   (:func:`api.deps.principal_from_header`, :func:`api.deps.require`);
4. a malformed ``Idempotency-Key`` and a body that is not a :class:`BidIn` are
   422 ``invalid_request``, reported together;
5. the application places the bid (:func:`engine.app.handlers.place_bid`):
   201 with the signed receipt, or 409 with the recorded refusal (for an amount the rules
   refuse, ``minimum``: the lowest they would accept now), or 409 with a
   refusal that was not recorded (no ``position``: ``not_admitted`` for a caller
   who never registered, ``confirmation_required`` for an unconfirmed bid above
   ``AUCTION_BID_CONFIRMATION_FACTOR`` times the auction's value).

The write limits (``api.ratelimit``) answer before any of this, in ``api.app.AuctionApp``.

The application (``api.app.AuctionApp``) hands a ``POST`` on this path to
:func:`serve` before its middleware and router, which have nothing to do for it
(no WebSocket to count, no other route to try, no dependency exit stack): the
same endpoint, with exceptions answered by :func:`api.errors.answer_to` as the
exception handlers answer them.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from api.auth import Principal, Role
from api.deps import (
    AuctionId,
    Bidder,
    IdempotencyKey,
    checked_auction_id,
    checked_idempotency_key,
    principal_from_header,
    require,
    runtime_of,
)
from api.errors import ApiError, answer_to, error_response, refusal_response, validation_message
from api.responses import JsonResponse, created
from api.routes.auctions import ERRORS
from api.schemas import AmountIn, BidOut
from engine.app.requests import Bid
from engine.app.results import BidResult, ProxyResult
from engine.model import format_instant, format_money

PATH = "/auctions/{auction_id}/bids"
_BIDDER = (Role.BIDDER,)
_NO_BODY = object()


class BidIn(AmountIn):
    confirm: bool = Field(
        default=False,
        description="true: the bidder confirmed an amount above the deployment's factor (10 unless set) "
        "times the auction's value; without it such a bid is refused (409 confirmation_required), unrecorded",
    )


class PlainRoute(APIRoute):
    """A route documented by FastAPI from ``endpoint``'s signature, but answered by ``answer``,
    a plain Starlette endpoint (no dependency solving, no validation or serialisation by FastAPI).
    ``answer`` must keep to what the signature documents."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        answer: Callable[[Request], Awaitable[Response]],
        **kwargs: Any,
    ) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.answer = answer
        self.app = request_response(answer)


async def documented(
    auction_id: AuctionId,
    body: BidIn,
    principal: Bidder,
    idempotency_key: IdempotencyKey = None,
) -> BidOut:
    """Bid ``amount``. 201 when accepted; 409 with the refusal's reason as ``code`` (``bid_too_low``,
    ``auction_closed``, ``not_admitted``, ...); for ``bid_too_low`` and ``bad_increment``, ``minimum`` is the
    lowest amount the rules would accept now. A registered bidder's refusal is recorded too, at its
    ``position``: auditors see every bid. Answered without being recorded (no ``position``): a caller who
    never registered (``not_admitted``) and a bid above 10 times the auction's value (or the deployment's
    factor) without ``"confirm": true`` (``confirmation_required``, with ``amount`` and ``confirm_above``).
    A repeated Idempotency-Key with another amount: 422 ``idempotency_key_reused``. Too many writes: 429."""
    raise NotImplementedError("answered by api.routes.bids.place_bid")  # pragma: no cover


@lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """FastAPI's test of a JSON body's Content-Type (``application/json`` or ``application/*+json``)."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _parsed(body: bytes, content_type: str | None) -> Any:
    """The request body as FastAPI hands it to validation: the JSON document, the raw bytes
    when it is not declared JSON (validation then refuses them), or nothing."""
    if not body:
        return _NO_BODY
    if content_type is None or not (content_type == "application/json" or _is_json(content_type)):
        return body
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # The standard library reads what orjson does not (a BOM, NaN, lone surrogates) and
    # places decoding errors where FastAPI's messages place them.
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        message = validation_message([{"loc": ("body", error.pos), "msg": "JSON decode error"}])
        raise ApiError(422, "invalid_request", message) from None
    except Exception:  # noqa: BLE001 (as FastAPI: any other failure to read the body is a 400)
        raise ApiError(400, "bad_request", "There was an error parsing the body") from None


def _bid(document: Any, errors: list[Any]) -> BidIn | None:
    if document is _NO_BODY:
        errors.append({"loc": ("body",), "msg": "Field required"})
        return None
    try:
        return BidIn.model_validate(document, from_attributes=True)
    except ValidationError as error:
        errors.extend(error.errors(include_url=False))
        return None


def unrecorded_refusal(what: str, result: BidResult | ProxyResult) -> JsonResponse:
    """409 for a bid or proxy refused without being recorded: no ``position``; for an unconfirmed
    outsize bid, the ``amount`` asked and the amount above which a bid needs ``confirm``."""
    assert result.reason is not None
    amount = result.amount if isinstance(result, BidResult) else result.max_amount
    asked = format_money(amount)
    if isinstance(result, BidResult) and result.confirm_above is not None:
        above = format_money(result.confirm_above)
        message = (
            f"{what} of {asked} is more than {above}, a multiple of the auction's value that is most likely a "
            'typo; send it again with "confirm": true if you mean it (nothing was recorded)'
        )
        return error_response(409, result.reason, message, amount=asked, confirm_above=above)
    message = f"{what} of {asked} refused: {result.reason.replace('_', ' ')} (not registered for this auction)"
    return error_response(409, result.reason, message)


async def place_bid(request: Request) -> Response:
    headers = request.headers
    document = _parsed(await request.body(), headers.get("content-type"))
    auction_id = checked_auction_id(request.path_params["auction_id"])
    runtime = runtime_of(request)
    claimed = principal_from_header(headers.get("authorization"), runtime.tokens)
    principal: Principal = require(claimed, _BIDDER, "bidder")
    key = headers.get("idempotency-key")
    errors: list[Any] = []
    if (problem := checked_idempotency_key(key)) is not None:
        errors.append(problem)
    body = _bid(document, errors)
    if errors or body is None:
        return error_response(422, "invalid_request", validation_message(errors))

    factor = runtime.settings.bid_confirmation_factor
    result = await runtime.handlers.handle(Bid(auction_id, principal.subject, body.amount, key, body.confirm, factor))

    if not result.accepted:
        assert result.reason is not None
        if result.position is None:
            return unrecorded_refusal("bid", result)
        # bid_too_low, bad_increment: the lowest amount the rules would accept now, as amounts are written
        extra = {} if result.minimum is None else {"minimum": format_money(result.minimum)}
        return refusal_response(
            "bid", result.amount, result.reason, result.rule, result.position, result.replayed, **extra
        )
    receipt = result.receipt
    assert receipt is not None
    return created(
        {
            "auction": auction_id,
            "bidder_code": receipt.bidder_code,
            "amount": receipt.amount,
            "position": result.position,
            "received_at": receipt.received_at,
            "closes_at": format_instant(result.closes_at) if result.closes_at else None,
            "automatic": False,
            "price": None if result.price is None else format_money(result.price),
            "leader": result.leader,
            "receipt": receipt.to_json(),
        },
        result.replayed,
    )


_PREFIX = "/auctions/"
_SUFFIX = "/bids"


def auction_in_path(scope: Scope) -> str | None:
    """The auction id when ``scope`` is a request on this route's path (as the router matches
    ``{auction_id}``: one non-empty path segment), else None."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
        return None
    auction_id = path[len(_PREFIX) : -len(_SUFFIX)]
    return auction_id if auction_id and "/" not in auction_id else None


async def serve(scope: Scope, receive: Receive, send: Send, auction_id: str) -> None:
    """Answer a ``POST`` on this route's path, as the router and the exception handlers would."""
    scope["path_params"] = {"auction_id": auction_id}
    request = Request(scope, receive)
    try:
        response = await place_bid(request)
    except Exception as error:  # noqa: BLE001 (each answered as api.errors.install answers it)
        response = answer_to(request, error)
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add the bid route to ``app``'s own router (an included router would rebuild it as a plain APIRoute)."""
    app.router.routes.append(
        PlainRoute(
            PATH,
            documented,
            answer=place_bid,
            methods=["POST"],
            name="place_bid",
            status_code=201,
            response_model=BidOut,
            responses=ERRORS,
            tags=["bidding"],
        )
    )
