"""After the hammer: the sale (payments, refunds, the transfer, a default's next-best offer,
SE's grace), suspension and cancellation, the next round, and SI's pre-emption.

Every route is a bailiff's official act, except the pre-emption declaration (a bidder
registered as a pre-emption holder). Each act records the official (the token's ``sub``)
and their ``office``. An optional ``Idempotency-Key`` makes each of them safe to retry: a
repeated key returns the first answer (header ``Idempotent-Replayed: true``) and records
nothing new. A refusal records nothing: 409 where the auction's state does not allow the
act, 422 where what was asked cannot be (``invalid_amount``, ``payment_exceeds_price``,
``invalid_reason``, ``invalid_reference``, ``invalid_date``, or a rule of the country's law,
with its ``rule``), 404 for an unknown auction or bidder.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.auth import Principal
from api.deps import AuctionId, Bailiff, Bidder, HandlersDep, IdempotencyKey
from api.errors import ApiError
from api.responses import REPLAYED, JsonResponse, created
from api.routes.auctions import ERRORS
from api.schemas import (
    AmountIn,
    AuctionOut,
    GraceIn,
    NextRoundIn,
    PaymentOut,
    PreemptionOut,
    ReasonIn,
    RefundOut,
    TransferIn,
)
from engine.app.requests import (
    CancelAuction,
    Grace,
    NextRound,
    OfferNext,
    Payment,
    Preempt,
    Refund,
    ResumeBidding,
    SuspendBidding,
    Transfer,
)
from engine.app.results import AuctionResult
from engine.model import format_instant, format_money

router = APIRouter(tags=["after bidding"])

# A bidder code the engine hands out (B-1, B-2, ...); anything else names no bidder.
_BIDDER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")

BidderCode = Annotated[str, Path(description="the bidder's code in this auction", examples=["B-2"])]


def _view(result: AuctionResult, response: Response) -> Any:
    if result.replayed:
        response.headers[REPLAYED] = "true"
    return result.view


def _office(principal: Principal) -> str | None:
    return principal.office


@router.post("/auctions/{auction_id}/payments", status_code=201, response_model=PaymentOut, responses=ERRORS)
async def record_payment(
    auction_id: AuctionId,
    body: AmountIn,
    principal: Bailiff,
    handlers: HandlersDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Record a payment by the purchaser. The purchaser's deposit already counts towards the price;
    once deposit and payments cover it the sale is ``paid``. Refused: an amount of zero (422
    ``invalid_amount``), more than is still due (422 ``payment_exceeds_price``), no purchaser declared
    (409 ``no_sale``), after the price is paid (409 ``already_paid``) or after a default (409
    ``sale_defaulted``)."""
    request = Payment(auction_id, body.amount, principal.subject, _office(principal), idempotency_key)
    result = await handlers.handle(request)
    answer: dict[str, object] = {
        "auction": auction_id,
        "amount": format_money(result.amount),
        "paid": format_money(result.paid),
        "price_due": format_money(result.price - result.paid),
        "sale": result.sale,
        "position": result.position,
        "at": format_instant(result.at),
    }
    return created(answer, result.replayed)


@router.post("/auctions/{auction_id}/registrations/{bidder_code}/refund", response_model=RefundOut, responses=ERRORS)
async def record_refund(
    auction_id: AuctionId,
    bidder_code: BidderCode,
    principal: Bailiff,
    handlers: HandlersDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Record that the bidder's deposit (all of it) was paid back. Deposits become refundable at the
    purchaser's declaration (every bidder but the purchaser) or at a cancellation. Refused (409):
    ``refund_not_due`` before that, ``already_refunded``, ``deposit_credited`` (the purchaser's),
    ``deposit_forfeited`` (a defaulter's), ``no_deposit``; 404 ``unknown_bidder``."""
    if not _BIDDER_CODE.match(bidder_code):
        raise ApiError(404, "unknown_bidder", f"no bidder {bidder_code!r} in this auction")
    result = await handlers.handle(
        Refund(auction_id, bidder_code, principal.subject, _office(principal), idempotency_key)
    )
    answer = {
        "auction": auction_id,
        "bidder_code": result.bidder_code,
        "amount": format_money(result.amount),
        "position": result.position,
        "at": format_instant(result.at),
    }
    return JsonResponse(answer, headers={REPLAYED: "true"} if result.replayed else None)


@router.post(
    "/auctions/{auction_id}/transfer", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def decide_transfer(
    auction_id: AuctionId,
    body: TransferIn,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record the decision that passes ownership to the purchaser of a paid sale: the sale is
    ``completed``. ``decided_on`` may be neither in the future nor before the declaration (422
    ``invalid_date``); 409 ``sale_not_paid`` or ``already_completed``."""
    request = Transfer(
        auction_id, body.reference, body.decided_on, principal.subject, _office(principal), idempotency_key
    )
    return _view(await handlers.handle(request), response)


@router.post(
    "/auctions/{auction_id}/offer-next", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def offer_next_best(
    auction_id: AuctionId,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """After a default, offer the sale to the next-best bidder (the highest accepted bid of anyone who
    has not defaulted) at their own highest bid, with a new payment deadline, where the country's
    law allows it (LT, SI; elsewhere 409 ``next_best_not_provided``). 409 ``sale_not_defaulted``,
    ``no_next_best``, ``next_round_exists``."""
    result = await handlers.handle(OfferNext(auction_id, principal.subject, _office(principal), idempotency_key))
    return _view(result, response)


@router.post(
    "/auctions/{auction_id}/grace", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def grant_grace(
    auction_id: AuctionId,
    body: GraceIn,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """SE: move the payment deadline to ``until`` (at most a calendar month after bidding ended, for a
    price above 10 000.00 SEK of which 10 % was paid within the 48 hours); a refusal names the rule."""
    request = Grace(auction_id, body.until, principal.subject, _office(principal), idempotency_key)
    return _view(await handlers.handle(request), response)


@router.post(
    "/auctions/{auction_id}/suspend", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def suspend_bidding(
    auction_id: AuctionId,
    body: ReasonIn,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Suspend an open auction (409 ``auction_not_open`` otherwise): no bid is accepted until it is
    resumed, and the time that was left is kept (``time_left_seconds``). The reason is public."""
    request = SuspendBidding(auction_id, body.reason, principal.subject, _office(principal), idempotency_key)
    return _view(await handlers.handle(request), response)


@router.post(
    "/auctions/{auction_id}/resume", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def resume_bidding(
    auction_id: AuctionId,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Resume a suspended auction (409 ``auction_not_suspended`` otherwise): the deadline becomes now
    plus the time that was left when it was suspended."""
    result = await handlers.handle(ResumeBidding(auction_id, principal.subject, _office(principal), idempotency_key))
    return _view(result, response)


@router.post(
    "/auctions/{auction_id}/cancel", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def cancel_auction(
    auction_id: AuctionId,
    body: ReasonIn,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Cancel a scheduled, open or suspended auction (409 ``auction_not_cancellable`` otherwise): its
    status becomes ``cancelled``, no sale follows, and every deposit becomes refundable."""
    request = CancelAuction(auction_id, body.reason, principal.subject, _office(principal), idempotency_key)
    return _view(await handlers.handle(request), response)


@router.post(
    "/auctions/{auction_id}/next-round",
    status_code=201,
    response_model=AuctionOut,
    response_model_exclude_unset=True,
    responses=ERRORS,
)
async def start_next_round(
    auction_id: AuctionId,
    body: NextRoundIn,
    principal: Bailiff,
    handlers: HandlersDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Schedule the next round of a failed or defaulted sale, where the country's law has one: 201
    with the new auction, whose ``previous`` is this one (and this one's ``next_round`` the new one).
    The rest of the notice is this round's. Refused: too early or a starting price below the law's
    floor (422 with the rule), after the last round (409 ``last_round``), a sale that neither failed
    nor defaulted (409 ``next_round_not_allowed``), a second next round (409 ``next_round_exists``)."""
    request = NextRound(
        auction_id,
        body.opens_at,
        principal.subject,
        closes_at=body.closes_at,
        starting_price=body.starting_price,
        office=_office(principal),
        idempotency_key=idempotency_key,
    )
    return _view(await handlers.handle(request), response)


@router.post("/auctions/{auction_id}/preemption", status_code=201, response_model=PreemptionOut, responses=ERRORS)
async def declare_preemption(
    auction_id: AuctionId,
    principal: Bidder,
    handlers: HandlersDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """SI: the caller, registered with ``{"role": "preemption_holder"}`` and admitted, declares to buy at
    the best price, from the end of bidding until 10 minutes after it; the first declaration wins
    and the bailiff then declares the holder purchaser. Refused (409): ``not_preemption_holder``,
    ``not_admitted``, outside the window (with the rule), ``preemption_taken``, ``already_best``."""
    result = await handlers.handle(Preempt(auction_id, principal.subject, idempotency_key))
    answer = {
        "auction": auction_id,
        "bidder_code": result.bidder_code,
        "price": format_money(result.price),
        "position": result.position,
        "at": format_instant(result.at),
    }
    return created(answer, result.replayed)
