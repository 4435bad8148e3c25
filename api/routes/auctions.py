"""Scheduling, opening and ending auctions; the catalogue, bid history, report and event log.

Each route turns the request into an application request or query
(``engine.app``) and the answer into JSON; the engine's refusals become their
HTTP answers in ``api.errors``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import Role
from api.deps import (
    AnyRole,
    AuctionId,
    Bailiff,
    HandlersDep,
    IdempotencyKey,
    QueriesDep,
    Reader,
    Viewer,
    may_act_for,
)
from api.errors import ApiError
from api.i18n import LANGUAGE_PATTERN, report_html
from api.responses import REPLAYED, JsonResponse
from api.schemas import (
    AuctionIn,
    AuctionListOut,
    AuctionOut,
    BidPageOut,
    DetailsPatchIn,
    ErrorOut,
    IncidentIn,
    IncidentOut,
    SearchQuery,
)
from engine.app.queries import InvalidCursor, make_search
from engine.app.requests import AmendLot, End, Incident, Open, Schedule
from engine.model import format_instant
from engine.policy import Draft

router = APIRouter(tags=["auctions"])

SEARCH_LIMIT = 20  # lots in a search's page when no limit is given

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no token, or a token that does not verify"},
    403: {"model": ErrorOut, "description": "a token with the wrong role"},
    404: {"model": ErrorOut, "description": "auction_not_found"},
    409: {"model": ErrorOut, "description": "the auction's state does not allow it"},
    422: {"model": ErrorOut, "description": "invalid_request, or a rule the schedule breaks"},
}


@router.post(
    "/auctions", status_code=201, response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def schedule_auction(body: AuctionIn, principal: Bailiff, handlers: HandlersDep) -> Any:
    """Schedule an auction. Fields left out are derived by the country's rules; illegal ones are refused (422).
    ``payment_days`` (the purchaser's payment period) is required except in SE (422 ``payment_days_required``).
    The lot's details (``description``, ``case_reference``, ``court``, ``location``, ``asset_details``,
    ``viewing``, ``conditions``, ``contact``) are optional and public; invalid ones are refused (422)."""
    draft = Draft(
        country=body.country,
        title=body.title,
        asset=body.asset,
        value=body.value,
        currency=body.currency,
        opens_at=body.opens_at,
        starting_price=body.starting_price,
        increment=body.increment,
        closes_at=body.closes_at,
        round=body.round,
        extension_minutes=body.extension_minutes,
        deposit=body.deposit,
        zone=body.zone,
        payment_days=body.payment_days,
    )
    details = body.to_details()
    return (await handlers.handle(Schedule(draft, principal.subject, principal.office, details))).view


@router.patch(
    "/auctions/{auction_id}/details", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def amend_details(auction_id: AuctionId, body: DetailsPatchIn, principal: Bailiff, handlers: HandlersDep) -> Any:
    """Amend the lot's details: each detail given replaces the one there (``null`` clears it), the others stay.
    Before bidding opens anything may change; once it has opened only additions (text added at the end of the
    ``description``, viewings added after the listed ones), with a ``reason`` (422 ``invalid_reason`` without);
    any other change is 409 ``details_locked``, and after bidding ended 409 ``auction_closed``. Recorded as a
    ``DetailsAmended`` event naming each field changed, old and new; amending to what is there records nothing."""
    request = AmendLot(
        auction_id, body.to_details(), body.details_given(), principal.subject, body.reason, principal.office
    )
    return (await handlers.handle(request)).view


@router.get(
    "/auctions",
    response_model=AuctionListOut,
    response_model_exclude_unset=True,
    responses={400: {"model": ErrorOut, "description": "invalid_cursor"}, 422: ERRORS[422]},
)
async def list_auctions(
    request: Request, queries: QueriesDep, params: Annotated[SearchQuery, Query()]
) -> dict[str, object]:
    """The catalogue. With ``country`` and ``status`` alone (or nothing): every auction, in the order scheduled.
    With any other parameter, a search (docs/catalogue.md): the words of ``q`` and the filters combined, in the
    order of ``sort``, a page of ``limit`` lots with ``total`` and the next page's ``cursor`` and ``next`` URL;
    ended lots only with ``status=`` or ``include_ended=true``. A cursor changed or given with another search
    is 400 ``invalid_cursor``. Public: bidder codes only."""
    if not params.is_search():
        return {"auctions": queries.catalogue(params.country, params.status)}
    try:
        search = make_search(
            params.q,
            status=params.status,
            include_ended=params.include_ended,
            region=params.region,
            municipality=params.municipality,
            sort=params.sort,
            country=params.country.upper() if params.country else None,
            asset=params.asset.value if params.asset else None,
            kind=params.kind.value if params.kind else None,
            currency=params.currency.upper() if params.currency else None,
            price_min=params.price_min,
            price_max=params.price_max,
            closes_after=params.closes_after,
            closes_before=params.closes_before,
            area_min=params.area_min,
            area_max=params.area_max,
            rooms_min=params.rooms_min,
        )
    except ValueError as error:
        raise ApiError(422, "invalid_request", str(error)) from None
    limit = params.limit or SEARCH_LIMIT
    try:
        page = await queries.search(search, params.cursor, limit)
    except InvalidCursor as error:
        raise ApiError(400, "invalid_cursor", f"cursor: {error}") from None
    following = None
    if page["cursor"] is not None:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        following = "/auctions?" + urlencode([*kept, ("cursor", page["cursor"])])
    return {**page, "next": following}


@router.get("/auctions/{auction_id}", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS)
async def get_auction(auction_id: AuctionId, queries: QueriesDep, principal: Viewer) -> Any:
    """The auction's terms and live state: status, price, leader (a bidder code), closes_at, bid_count, position,
    and the sale after bidding (sale, purchaser, payment_due, paid). Public; with a bailiff's or an auditor's
    token also ``deposits``: each bidder's deposit, its status and a refund's due date (a token that does not
    verify is read as none; an official of another office gets the public view)."""
    official = (
        principal is not None
        and principal.role in (Role.BAILIFF, Role.AUDITOR)
        and may_act_for(principal, await queries.office(auction_id))
    )
    return await queries.auction(auction_id, refresh=True, deposits=official)


@router.post(
    "/auctions/{auction_id}/open", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def open_bidding(auction_id: AuctionId, principal: Bailiff, handlers: HandlersDep) -> Any:
    """Open bidding now, before the scheduled opening (it also opens by itself at ``opens_at``)."""
    return (await handlers.handle(Open(auction_id, principal.subject, principal.office))).view


@router.post(
    "/auctions/{auction_id}/close", response_model=AuctionOut, response_model_exclude_unset=True, responses=ERRORS
)
async def end_auction(auction_id: AuctionId, principal: Bailiff, handlers: HandlersDep) -> Any:
    """End an auction whose bidding has ended and declare the purchaser (``purchaser``: a bidder code, or null).
    With a purchaser the sale begins: the price is due by ``payment_due`` and the other deposits become refundable."""
    return (await handlers.handle(End(auction_id, principal.subject, principal.office))).view


@router.post("/auctions/{auction_id}/incidents", status_code=201, response_model=IncidentOut, responses=ERRORS)
async def record_incident(
    auction_id: AuctionId,
    body: IncidentIn,
    principal: Bailiff,
    handlers: HandlersDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Record a technical incident (the platform unreachable, bids that could not be placed)
    until the auction ends. It changes no deadline; the report lists it and watchers get an
    ``incident`` message. Times are stored in UTC, as given."""
    request = Incident(
        auction_id,
        principal.subject,
        body.description,
        body.started_at,
        body.ended_at,
        idempotency_key,
        principal.office,
    )
    result = await handlers.handle(request)
    answer = {
        "auction": auction_id,
        "position": result.position,
        "at": format_instant(result.at),
        "description": result.description,
        "started_at": format_instant(result.started_at),
        "ended_at": None if result.ended_at is None else format_instant(result.ended_at),
    }
    return JsonResponse(answer, status_code=201, headers={REPLAYED: "true"} if result.replayed else None)


@router.get("/auctions/{auction_id}/bids", response_model=BidPageOut, responses=ERRORS)
async def list_bids(
    auction_id: AuctionId,
    queries: QueriesDep,
    after: Annotated[int, Query(ge=0, description="a position: bids after it")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, object]:
    """Accepted bids in order, by bidder code. Follow ``next_after`` for the next page."""
    return await queries.bids(auction_id, after, limit)


@router.get(
    "/auctions/{auction_id}/report",
    responses={**ERRORS, 200: {"content": {"text/html": {}}, "description": "with ?lang=: the report's HTML page"}},
)
async def report(
    auction_id: AuctionId,
    principal: AnyRole,
    queries: QueriesDep,
    lang: Annotated[str | None, Query(pattern=LANGUAGE_PATTERN, description="the HTML page in this language")] = None,
) -> Response:
    """The report rebuilt from the events: full for bailiffs and auditors, anonymised (bidder codes) for bidders.
    With ``?lang=``, its printed HTML page in that language (``api.i18n``); the JSON never changes with it."""
    body = await queries.report(auction_id, anonymise=principal.role is Role.BIDDER)
    if lang is not None:
        return Response(report_html(body, lang), media_type="text/html; charset=utf-8")
    return JsonResponse(body)


@router.get(
    "/auctions/{auction_id}/events",
    responses={**ERRORS, 200: {"content": {"application/x-ndjson": {}}, "description": "one stored event per line"}},
)
async def events(auction_id: AuctionId, principal: Reader, queries: QueriesDep) -> Response:
    """The auction's events as JSON Lines, in order (the format of ``auction export``)."""
    return Response(await queries.event_log(auction_id), media_type="application/x-ndjson")
