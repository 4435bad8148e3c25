"""The application layer without HTTP: each request's handler answers a typed result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import FrozenInstanceError, fields
from datetime import timedelta

import pytest

from api.bootstrap import Runtime, start
from api.settings import Settings
from engine.app import requests, results
from engine.app.handlers import HANDLERS
from engine.app.requests import Bid, Incident, Proxy, Register, Request, Schedule
from engine.app.results import BidResult
from engine.errors import AuctionNotFound, CommandRejected
from engine.model import AssetKind, format_instant, parse_money
from engine.policy import Draft, RuleViolation
from projections.audit.receipts import verify_receipt
from tests.api.support import SECRET, utc_now

KEY = "nWGxne_9WSQF5Gd-tuGIPO2W9Z2ZcW-Pc8Lc2wr8xBY"


@asynccontextmanager
async def running() -> AsyncIterator[Runtime]:
    runtime = await start(Settings(database_url="memory:", secret=SECRET, receipt_key=KEY))
    try:
        yield runtime
    finally:
        await runtime.stop()


def swedish(**overrides: object) -> Draft:
    now = utc_now()
    values: dict[str, object] = {
        "country": "se",
        "title": "Sailing boat",
        "asset": AssetKind("movable"),
        "value": parse_money("50000.00"),
        "currency": "sek",
        "opens_at": now,
        "starting_price": parse_money("1000.00"),
        "closes_at": now + timedelta(hours=1),
    }
    values.update(overrides)
    return Draft(**values)  # type: ignore[arg-type]


def test_every_request_type_has_one_handler_and_every_result_is_frozen() -> None:
    kinds = {v for v in vars(requests).values() if isinstance(v, type) and issubclass(v, Request) and v is not Request}
    assert set(HANDLERS) == kinds
    assert len(set(HANDLERS.values())) == len(HANDLERS)
    result = BidResult("a", True, 1, 1, utc_now())
    with pytest.raises(FrozenInstanceError):
        result.amount = 2  # type: ignore[misc]
    for kind in (results.AuctionResult, results.BidResult, results.ProxyResult, results.IncidentResult):
        assert kind.__dataclass_params__.frozen and fields(kind)  # type: ignore[attr-defined]


async def test_a_bid_answers_with_its_position_deadline_price_and_a_receipt_that_verifies() -> None:
    async with running() as runtime:
        scheduled = await runtime.handlers.handle(Schedule(swedish()))
        auction = scheduled.auction_id
        assert scheduled.view["country"] == "SE" and scheduled.view["currency"] == "SEK"
        code = (await runtime.handlers.handle(Register(auction, "alice"))).bidder_code
        await runtime.scheduler.run_due()  # opens at opens_at (now)

        result = await runtime.handlers.handle(Bid(auction, "alice", parse_money("1500.00"), "k"))

        assert (result.accepted, result.bidder_code, result.amount, result.price, result.leader) == (
            True,
            code,
            150_000,
            150_000,
            code,
        )
        assert result.position == (await runtime.service.load(auction)).version
        assert result.closes_at is not None and format_instant(result.closes_at) == scheduled.view["closes_at"]
        assert result.receipt is not None and result.receipt.position == result.position
        verify_receipt(result.receipt.to_json(), runtime.signer.public_key_b64)

        await runtime.handlers.handle(Register(auction, "bob"))
        await runtime.handlers.handle(Bid(auction, "bob", parse_money("1600.00")))
        again = await runtime.handlers.handle(Bid(auction, "alice", parse_money("1500.00"), "k"))
        assert again.replayed and (again.position, again.price, again.leader) == (result.position, 150_000, code)
        assert again.receipt == result.receipt  # the head of the commit that wrote it, while it is held


async def test_a_refused_bid_is_a_result_with_its_recorded_reason_and_rule() -> None:
    async with running() as runtime:
        auction = (await runtime.handlers.handle(Schedule(swedish()))).auction_id
        await runtime.handlers.handle(Register(auction, "alice"))
        await runtime.scheduler.run_due()
        low = await runtime.handlers.handle(Bid(auction, "alice", parse_money("10.00")))
        assert (low.accepted, low.reason, low.rule, low.receipt) == (False, "bid_too_low", "SE-starting-price", None)
        assert low.position == (await runtime.service.load(auction)).version
        stranger = await runtime.handlers.handle(Bid(auction, "stranger", parse_money("5000.00")))
        assert (stranger.accepted, stranger.reason, stranger.bidder_code) == (False, "not_admitted", None)
        proxy = await runtime.handlers.handle(Proxy(auction, "alice", parse_money("9000.00"), parse_money("10.00")))
        assert (proxy.accepted, proxy.reason, proxy.rule) == (False, "proxy_not_allowed", "SE-proxy")


async def test_commands_the_state_does_not_allow_raise_the_engines_refusals() -> None:
    async with running() as runtime:
        with pytest.raises(AuctionNotFound):
            await runtime.handlers.handle(Bid("nope", "alice", 100))
        with pytest.raises(CommandRejected) as unknown:
            await runtime.handlers.handle(Schedule(swedish(country="XX")))
        assert unknown.value.code == "unknown_country"
        with pytest.raises(RuleViolation):
            await runtime.handlers.handle(
                Schedule(swedish(country="BG", asset=AssetKind("immovable"), increment=50_000, payment_days=14))
            )
        auction = (await runtime.handlers.handle(Schedule(swedish()))).auction_id
        started = utc_now()
        incident = await runtime.handlers.handle(Incident(auction, "bailiff-1", "down", started, None, "i"))
        assert not incident.replayed and incident.description == "down"
        assert (await runtime.handlers.handle(Incident(auction, "bailiff-1", "down", started, None, "i"))).replayed
