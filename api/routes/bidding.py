"""Registrations, deposits and automatic (proxy) bids; the receipt key. Bids: ``api.routes.bids``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import AuctionId, Bailiff, Bidder, HandlersDep, IdempotencyKey, QueriesDep
from api.errors import ApiError, refusal_response
from api.responses import JsonResponse, created
from api.routes.auctions import ERRORS
from api.routes.bids import unrecorded_refusal
from api.schemas import (
    AmountIn,
    BidderStateOut,
    DepositOut,
    ProxyIn,
    ProxyOut,
    ReceiptKeyOut,
    RegistrationIn,
    RegistrationOut,
)
from engine.app.requests import Deposit, Proxy, Register
from engine.model import format_instant, format_money

router = APIRouter(tags=["bidding"])


def money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


@router.post(
    "/auctions/{auction_id}/registrations",
    status_code=201,
    response_model=RegistrationOut,
    responses={**ERRORS, 200: {"model": RegistrationOut, "description": "already registered: the same code"}},
)
async def register(
    auction_id: AuctionId,
    principal: Bidder,
    handlers: HandlersDep,
    response: Response,
    body: RegistrationIn | None = None,
) -> dict[str, object]:
    """Register the caller (the token's subject) and answer with the bidder code that stands for them publicly.
    ``{"role": "preemption_holder"}`` registers the holder of a pre-emption right where the country knows
    one (SI; elsewhere 422 ``role_not_used``); the holder is admitted like any bidder."""
    role = body.role if body is not None else None
    result = await handlers.handle(Register(auction_id, principal.subject, role))
    if not result.created:
        response.status_code = 200
    return {
        "auction": auction_id,
        "bidder_code": result.bidder_code,
        "admitted": result.admitted,
        "deposit": format_money(result.deposit),
        "deposit_required": format_money(result.deposit_required),
        "position": result.position,
        "role": result.role,
    }


@router.get(
    "/auctions/{auction_id}/me",
    response_model=BidderStateOut,
    responses={**ERRORS, 404: {**ERRORS[404], "description": "auction_not_found, or not_registered"}},
)
async def bidder_state(auction_id: AuctionId, principal: Bidder, queries: QueriesDep) -> dict[str, object]:
    """The caller's own registration (bidder code), admission, deposit and accepted bids, each with its
    position and whether it leads, from the server: the same on any device. Nothing of another bidder's,
    and never the identity itself. A caller who never registered: 404 ``not_registered``."""
    found = await queries.bidder_state(auction_id, principal.subject)
    if found is None:
        raise ApiError(404, "not_registered", f"you are not registered for auction {auction_id!r}")
    return found


@router.post("/auctions/{auction_id}/registrations/{bidder_code}/deposit", response_model=DepositOut, responses=ERRORS)
async def record_deposit(
    auction_id: AuctionId, bidder_code: str, body: AmountIn, principal: Bailiff, handlers: HandlersDep
) -> dict[str, object]:
    """Record a deposit the bidder paid; the bidder is admitted once the rules are met."""
    result = await handlers.handle(Deposit(auction_id, bidder_code, body.amount))
    return {
        "auction": auction_id,
        "bidder_code": bidder_code,
        "amount": format_money(result.amount),
        "deposit": format_money(result.total),
        "admitted": result.admitted,
        "refusal": result.refusal,
        "position": result.position,
    }


@router.get("/receipts/public-key", response_model=ReceiptKeyOut)
async def receipt_key(queries: QueriesDep) -> dict[str, str]:
    """The key that signs bid receipts, to check them offline."""
    return queries.receipt_key()


@router.post("/auctions/{auction_id}/proxy", status_code=201, response_model=ProxyOut, responses=ERRORS)
async def set_proxy(
    auction_id: AuctionId,
    body: ProxyIn,
    principal: Bidder,
    handlers: HandlersDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Bid automatically up to ``max`` in steps of ``step`` where the country allows it
    (409 ``proxy_not_allowed`` elsewhere). A new proxy replaces the caller's earlier one.
    A caller who never registered: 409 ``not_admitted``, not recorded (no ``position``)."""
    result = await handlers.handle(Proxy(auction_id, principal.subject, body.max, body.step, idempotency_key))
    if not result.accepted:
        assert result.reason is not None
        if result.position is None:
            return unrecorded_refusal("proxy", result)
        return refusal_response(
            "proxy", result.max_amount, result.reason, result.rule, result.position, result.replayed
        )
    body_out: dict[str, object] = {
        "auction": auction_id,
        "bidder_code": result.bidder_code,
        "max": format_money(result.max_amount),
        "step": money(result.step),
        "position": result.position,
        "price": money(result.price),
        "leader": result.leader,
        "closes_at": format_instant(result.closes_at) if result.closes_at else None,
        "bids": [
            {
                "bidder_code": bid.bidder_code,
                "amount": format_money(bid.amount),
                "position": bid.position,
                "received_at": format_instant(bid.received_at),
                "automatic": bid.automatic,
            }
            for bid in result.bids
        ],
    }
    return created(body_out, result.replayed)
