"""Registrations, deposits, bids and automatic (proxy) bids."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.commands import Recorded, first, not_found, recorded, run, state_after
from api.deps import REPLAYED, AuctionId, Bailiff, Bidder, IdempotencyKey, RuntimeDep, SignerDep, scoped_key
from api.errors import ApiError
from api.responses import JsonResponse
from api.routes.auctions import ERRORS
from api.runtime import Runtime
from api.receipts import ALGORITHM
from api.schemas import AmountIn, BidOut, DepositOut, ProxyIn, ProxyOut, ReceiptKeyOut, RegistrationOut
from engine.commands import PlaceBid, RecordDeposit, RegisterBidder, SetProxy
from engine.errors import AlreadyRegistered
from engine.events import (
    AdmissionRefused,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BidRejected,
    DepositRecorded,
    ProxyRejected,
    ProxySet,
)
from engine.model import AuctionState, Status, format_instant, format_money
from projections.history import bid_json, bid_row

router = APIRouter(tags=["bidding"])


async def _state(runtime: Runtime, auction_id: str) -> AuctionState:
    state = await runtime.service.load(auction_id)
    if state.status is Status.NEW or state.terms is None:
        raise not_found(auction_id)
    return state


async def _caller_code(runtime: Runtime, auction_id: str, subject: str) -> str | None:
    """The caller's bidder code (None: not registered) for a command about to be decided.

    A code, once given, never changes, so the cached state answers when it knows the
    caller; only a caller it does not know (perhaps registered through another process
    a moment ago) costs a read of the stream. The command itself is decided on the
    stream's latest version either way (the append checks it)."""
    cached = runtime.service.cached(auction_id)
    if cached is not None and (bidder := cached.bidder_by_subject(subject)) is not None:
        return bidder.code
    bidder = (await _state(runtime, auction_id)).bidder_by_subject(subject)
    return bidder.code if bidder else None


def _money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


def _registration(auction_id: str, state: AuctionState, code: str, position: int | None) -> dict[str, object]:
    bidder = state.bidder(code)
    assert bidder is not None and state.terms is not None
    return {
        "auction": auction_id,
        "bidder_code": code,
        "admitted": bidder.admitted,
        "deposit": format_money(bidder.deposit),
        "deposit_required": format_money(state.terms.deposit_required),
        "position": position,
    }


@router.post(
    "/auctions/{auction_id}/registrations",
    status_code=201,
    response_model=RegistrationOut,
    responses={**ERRORS, 200: {"model": RegistrationOut, "description": "already registered: the same code"}},
)
async def register(
    auction_id: AuctionId, principal: Bidder, runtime: RuntimeDep, response: Response
) -> dict[str, object]:
    """Register the caller (the token's subject) and answer with the bidder code that stands for them publicly."""
    try:
        outcome = await run(runtime, auction_id, RegisterBidder(subject=principal.subject))
    except AlreadyRegistered as already:
        response.status_code = 200
        return _registration(auction_id, await _state(runtime, auction_id), already.bidder_code, None)
    registered = first(recorded(outcome), BidderRegistered)
    assert registered is not None and isinstance(registered.event, BidderRegistered)
    return _registration(auction_id, outcome.state, registered.event.bidder_code, registered.position)


@router.post("/auctions/{auction_id}/registrations/{bidder_code}/deposit", response_model=DepositOut, responses=ERRORS)
async def record_deposit(
    auction_id: AuctionId, bidder_code: str, body: AmountIn, principal: Bailiff, runtime: RuntimeDep
) -> dict[str, object]:
    """Record a deposit the bidder paid; the bidder is admitted once the rules are met."""
    outcome = await run(runtime, auction_id, RecordDeposit(bidder_code=bidder_code, amount=body.amount))
    items = recorded(outcome)
    deposit = first(items, DepositRecorded)
    assert deposit is not None and isinstance(deposit.event, DepositRecorded)
    refused = first(items, AdmissionRefused)
    bidder = outcome.state.bidder(bidder_code)
    assert bidder is not None
    return {
        "auction": auction_id,
        "bidder_code": bidder_code,
        "amount": format_money(deposit.event.amount),
        "deposit": format_money(deposit.event.total),
        "admitted": bidder.admitted or first(items, BidderAdmitted) is not None,
        "refusal": refused.event.reason
        if refused is not None and isinstance(refused.event, AdmissionRefused)
        else None,
        "position": deposit.position,
    }


def _refusal(item: Recorded, replayed: bool) -> ApiError:
    event = item.event
    assert isinstance(event, (BidRejected, ProxyRejected))
    what = "proxy" if isinstance(event, ProxyRejected) else "bid"
    amount = event.max_amount if isinstance(event, ProxyRejected) else event.amount
    message = f"{what} of {format_money(amount)} refused: {event.reason.replace('_', ' ')}"
    if event.rule:
        message += f" ({event.rule})"
    return ApiError(
        409,
        event.reason,
        message,
        headers={REPLAYED: "true"} if replayed else None,
        rule=event.rule,
        position=item.position,
    )


@router.post("/auctions/{auction_id}/bids", status_code=201, response_model=BidOut, responses=ERRORS)
async def place_bid(
    auction_id: AuctionId,
    body: AmountIn,
    principal: Bidder,
    runtime: RuntimeDep,
    signer: SignerDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Bid ``amount``. 201 when accepted; 409 with the refusal's reason as ``code`` (``bid_too_low``,
    ``auction_closed``, ``not_admitted``, ...). The refusal is recorded too: auditors see every bid."""
    code = await _caller_code(runtime, auction_id, principal.subject)
    key = scoped_key("bid", code, principal.subject, idempotency_key)
    outcome = await run(runtime, auction_id, PlaceBid(code, body.amount), key)
    items = recorded(outcome)
    own = first(items, BidAccepted, BidRejected, automatic=False)
    assert own is not None
    if isinstance(own.event, BidRejected):
        raise _refusal(own, outcome.duplicate)
    assert isinstance(own.event, BidAccepted)
    after = await state_after(runtime, auction_id, outcome)
    receipt = {
        "auction": auction_id,
        "bidder_code": own.event.bidder_code,
        "amount": format_money(own.event.amount),
        "position": own.position,
        "received_at": format_instant(own.event.at),
    }
    body = {
        **receipt,
        "closes_at": format_instant(after.deadline) if after.deadline else None,
        "automatic": False,
        "price": _money(after.price),
        "leader": after.leader,
        "receipt": signer.sign(receipt),
    }
    return _created(body, outcome.duplicate)


@router.get("/receipts/public-key", response_model=ReceiptKeyOut)
async def receipt_key(signer: SignerDep) -> dict[str, object]:
    """The key that signs bid receipts, to check them offline."""
    return {"algorithm": ALGORITHM, "public_key": signer.public_key_b64}


def _created(body: dict[str, object], replayed: bool) -> JsonResponse:
    """The 201 for a bid or a proxy, encoded here with orjson. The route's response_model
    documents the body (the tests check answers against it); returning a response skips
    FastAPI's validating the dict against that model again and walking it with
    jsonable_encoder on every bid."""
    return JsonResponse(body, status_code=201, headers={REPLAYED: "true"} if replayed else None)


@router.post("/auctions/{auction_id}/proxy", status_code=201, response_model=ProxyOut, responses=ERRORS)
async def set_proxy(
    auction_id: AuctionId,
    body: ProxyIn,
    principal: Bidder,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Bid automatically up to ``max`` in steps of ``step`` where the country allows it
    (409 ``proxy_not_allowed`` elsewhere). A new proxy replaces the caller's earlier one."""
    code = await _caller_code(runtime, auction_id, principal.subject)
    key = scoped_key("proxy", code, principal.subject, idempotency_key)
    command = SetProxy(code, max_amount=body.max, step=body.step)
    outcome = await run(runtime, auction_id, command, key)
    items = recorded(outcome)
    own = first(items, ProxySet, ProxyRejected)
    assert own is not None
    if isinstance(own.event, ProxyRejected):
        raise _refusal(own, outcome.duplicate)
    assert isinstance(own.event, ProxySet)
    after = await state_after(runtime, auction_id, outcome)
    caused = [row for item in items if (row := bid_row(item.event, item.position)) is not None]
    body = {
        "auction": auction_id,
        "bidder_code": own.event.bidder_code,
        "max": format_money(own.event.max_amount),
        "step": format_money(own.event.step),
        "position": own.position,
        "price": _money(after.price),
        "leader": after.leader,
        "closes_at": format_instant(after.deadline) if after.deadline else None,
        "bids": [bid_json(row) for row in caused],
    }
    return _created(body, outcome.duplicate)
