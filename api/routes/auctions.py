"""Scheduling, opening and ending auctions; the catalogue, bid history, report and event log."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.auth import Role
from api.commands import first, not_found, recorded, run
from api.deps import REPLAYED, AuctionId, AnyRole, Bailiff, IdempotencyKey, Reader, RuntimeDep, scoped_key
from api.errors import ApiError
from api.responses import JsonResponse
from api.runtime import Runtime
from api.schemas import AuctionIn, AuctionListOut, AuctionOut, BidPageOut, ErrorOut, IncidentIn, IncidentOut
from engine.commands import EndAuction, OpenBidding, RecordIncident, ScheduleAuction
from engine.events import AuctionScheduled, IncidentRecorded
from engine.model import format_instant
from engine.policy import Draft
from engine.service import stream_of
from projections.catalogue import AuctionSummary, fold_event, summary_json
from projections.history import bid_json
from projections.report import build_report

router = APIRouter(tags=["auctions"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no token, or a token that does not verify"},
    403: {"model": ErrorOut, "description": "a token with the wrong role"},
    404: {"model": ErrorOut, "description": "auction_not_found"},
    409: {"model": ErrorOut, "description": "the auction's state does not allow it"},
    422: {"model": ErrorOut, "description": "invalid_request, or a rule the schedule breaks"},
}
ID_ATTEMPTS = 5


def new_auction_id() -> str:
    return secrets.token_hex(6)


async def current(runtime: Runtime, auction_id: str, refresh: bool = False) -> AuctionSummary:
    summary = runtime.model.summary(auction_id)
    if summary is None and refresh:
        # Perhaps another process scheduled it a moment ago.
        await runtime.projector.refresh(timeout=1.0)
        summary = runtime.model.summary(auction_id)
    if summary is None:
        raise not_found(auction_id)
    return summary


def auction_json(runtime: Runtime, summary: AuctionSummary) -> dict[str, object]:
    """The public view plus the rules' warnings about the schedule (computed, never stored)."""
    warnings = runtime.schedule_warnings(summary)
    return {**summary_json(summary), "warnings": [warning.to_json() for warning in warnings]}


@router.post("/auctions", status_code=201, response_model=AuctionOut, responses=ERRORS)
async def schedule_auction(body: AuctionIn, principal: Bailiff, runtime: RuntimeDep) -> dict[str, object]:
    """Schedule an auction. Fields left out are derived by the country's rules; illegal ones are refused (422)."""
    try:
        runtime.service.rules_for(body.country)
    except LookupError as error:
        raise ApiError(422, "unknown_country", str(error).strip("'\"")) from None
    draft = Draft(
        country=body.country.upper(),
        title=body.title,
        asset=body.asset,
        value=body.value,
        currency=body.currency.upper(),
        opens_at=body.opens_at,
        starting_price=body.starting_price,
        increment=body.increment,
        closes_at=body.closes_at,
        round=body.round,
    )
    for _ in range(ID_ATTEMPTS):
        auction_id = new_auction_id()
        try:
            outcome = await run(runtime, auction_id, ScheduleAuction(auction_id, draft))
        except ApiError as error:
            if error.code == "auction_exists":
                continue
            raise
        except (ValueError, OverflowError) as error:  # a date the rules cannot compute with
            raise ApiError(422, "invalid_request", str(error)) from None
        scheduled = outcome.events[0]
        assert isinstance(scheduled, AuctionScheduled)
        summary = fold_event(None, scheduled, outcome.stored[0].version)
        assert summary is not None
        return auction_json(runtime, summary)
    raise ApiError(409, "auction_exists", "could not find a free auction id; retry")


@router.get("/auctions", response_model=AuctionListOut)
async def list_auctions(
    runtime: RuntimeDep,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    status: Literal["scheduled", "open", "closed", "failed"] | None = None,
) -> dict[str, object]:
    """The catalogue, in the order auctions were scheduled. Public: bidder codes only."""
    found = [
        auction_json(runtime, s)
        for s in runtime.model.summaries()
        if (country is None or s.country == country.upper()) and (status is None or s.status.value == status)
    ]
    return {"auctions": found}


@router.get("/auctions/{auction_id}", response_model=AuctionOut, responses=ERRORS)
async def get_auction(auction_id: AuctionId, runtime: RuntimeDep) -> dict[str, object]:
    """The auction's terms and live state: status, price, leader (a bidder code), closes_at, bid_count, position."""
    return auction_json(runtime, await current(runtime, auction_id, refresh=True))


@router.post("/auctions/{auction_id}/open", response_model=AuctionOut, responses=ERRORS)
async def open_bidding(auction_id: AuctionId, principal: Bailiff, runtime: RuntimeDep) -> dict[str, object]:
    """Open bidding now, before the scheduled opening (it also opens by itself at ``opens_at``)."""
    await run(runtime, auction_id, OpenBidding())
    return auction_json(runtime, await current(runtime, auction_id))


@router.post("/auctions/{auction_id}/close", response_model=AuctionOut, responses=ERRORS)
async def end_auction(auction_id: AuctionId, principal: Bailiff, runtime: RuntimeDep) -> dict[str, object]:
    """End an auction whose bidding has ended and declare the purchaser (``purchaser``: a bidder code, or null)."""
    await run(runtime, auction_id, EndAuction())
    return auction_json(runtime, await current(runtime, auction_id))


@router.post("/auctions/{auction_id}/incidents", status_code=201, response_model=IncidentOut, responses=ERRORS)
async def record_incident(
    auction_id: AuctionId,
    body: IncidentIn,
    principal: Bailiff,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    """Record a technical incident (the platform unreachable, bids that could not be placed)
    until the auction ends. It changes no deadline; the report lists it and watchers get an
    ``incident`` message. Times are stored in UTC, as given."""
    key = scoped_key("incident", None, principal.subject, idempotency_key)
    outcome = await run(runtime, auction_id, RecordIncident(body.description, body.started_at, body.ended_at), key)
    item = first(recorded(outcome), IncidentRecorded)
    assert item is not None and isinstance(item.event, IncidentRecorded)
    event = item.event
    answer = {
        "auction": auction_id,
        "position": item.position,
        "at": format_instant(event.at),
        "description": event.description,
        "started_at": format_instant(event.started_at),
        "ended_at": None if event.ended_at is None else format_instant(event.ended_at),
    }
    return JsonResponse(answer, status_code=201, headers={REPLAYED: "true"} if outcome.duplicate else None)


@router.get("/auctions/{auction_id}/bids", response_model=BidPageOut, responses=ERRORS)
async def list_bids(
    auction_id: AuctionId,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0, description="a position: bids after it")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, object]:
    """Accepted bids in order, by bidder code. Follow ``next_after`` for the next page."""
    await current(runtime, auction_id, refresh=True)
    page = runtime.model.bids(auction_id, after, limit)
    return {"auction": auction_id, "bids": [bid_json(row) for row in page.rows], "next_after": page.next_after}


@router.get("/auctions/{auction_id}/report", responses=ERRORS)
async def report(auction_id: AuctionId, principal: AnyRole, runtime: RuntimeDep) -> JsonResponse:
    """The report rebuilt from the events: full for bailiffs and auditors, anonymised (bidder codes) for bidders."""
    events = await runtime.store.read_stream(stream_of(auction_id))
    if not events:
        raise not_found(auction_id)
    country = str(events[0].data.get("country", ""))
    anonymise = principal.role is Role.BIDDER
    # Identities are opened (vault) only for the full report.
    decoded = None if anonymise else await runtime.service.decode(events)
    body = build_report(auction_id, events, runtime.service.rules_for(country), anonymise, decoded)
    return JsonResponse(body)


@router.get(
    "/auctions/{auction_id}/events",
    responses={**ERRORS, 200: {"content": {"application/x-ndjson": {}}, "description": "one stored event per line"}},
)
async def events(auction_id: AuctionId, principal: Reader, runtime: RuntimeDep) -> Response:
    """The auction's events as JSON Lines, in order (the format of ``auction export``)."""
    stored = await runtime.store.read_stream(stream_of(auction_id))
    if not stored:
        raise not_found(auction_id)
    body = b"".join(orjson.dumps(event.to_json()) + b"\n" for event in stored)
    return Response(body, media_type="application/x-ndjson")
