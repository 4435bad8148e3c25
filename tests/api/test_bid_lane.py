"""The bid lane (``api.app.AuctionApp``): a ``POST`` on the bid path skips the middleware and the
router, and must answer exactly as the routed endpoint does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from api.routes.bids import auction_in_path
from engine.clock import ManualClock
from tests.api.support import BAILIFF, Api, bidder, running_api, swedish_auction

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def both_ways() -> AsyncIterator[tuple[Api, httpx.AsyncClient]]:
    """The application, and a client reaching the same application (same state) through
    FastAPI's middleware and router, as if the lane were not there."""
    async with running_api(clock=ManualClock(NOW)) as api:

        async def routed(scope: Scope, receive: Receive, send: Send) -> None:
            await FastAPI.__call__(api.app, scope, receive, send)

        transport = httpx.ASGITransport(app=routed)
        async with httpx.AsyncClient(transport=transport, base_url="http://auction.test") as client:
            yield api, client


def comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    body = response.json()
    if isinstance(body.get("error"), dict):
        body["error"].pop("position", None)  # a refusal is recorded: the second one lands after the first
    # connection: api.limits closes the connection after a refusal sent before the body was read,
    # in front of the lane and the router alike (the routed client here goes round it).
    skipped = ("content-length", "date", "x-request-id", "connection")
    headers = {k: v for k, v in response.headers.items() if k not in skipped}
    return response.status_code, body, headers


async def test_every_kind_of_answer_is_the_routed_answer() -> None:
    async with both_ways() as (api, routed):
        auction = await api.schedule(swedish_auction(NOW))
        await api.register(auction["id"], "alice")
        bids = f"/auctions/{auction['id']}/bids"
        json_type = {"Content-Type": "application/json"}
        cases: list[tuple[str, dict[str, str], bytes]] = [
            (bids, {**bidder("alice"), **json_type}, b"{"),  # malformed JSON
            (bids, json_type, b'{"amount": "10.00"}'),  # no token
            (bids, {**BAILIFF, **json_type}, b'{"amount": "10.00"}'),  # another role
            (bids, {"Authorization": "Bearer nonsense", **json_type}, b'{"amount": "10.00"}'),
            (bids, {**bidder("alice"), **json_type, "Idempotency-Key": "x" * 300}, b'{"amount": 1}'),
            (bids, {**bidder("alice"), **json_type}, b'{"amount": [1]}'),
            (bids, {**bidder("alice"), "Content-Type": "text/plain"}, b'{"amount": "10.00"}'),
            (bids, bidder("alice"), b""),
            (bids, {**bidder("mallory"), **json_type}, b'{"amount": "2000.00"}'),  # not registered
            (bids, {**bidder("alice"), **json_type}, b'{"amount": "1.00"}'),  # below the starting price: 409
            ("/auctions/nope/bids", {**bidder("alice"), **json_type}, b'{"amount": "10.00"}'),
            ("/auctions/%00/bids", {**bidder("alice"), **json_type}, b'{"amount": "10.00"}'),
        ]
        for path, headers, body in cases:
            direct = await api.client.post(path, content=body, headers=headers)
            through_router = await routed.post(path, content=body, headers=headers)
            assert direct.status_code >= 400, (path, body, direct.text)
            assert comparable(direct) == comparable(through_router), (path, headers, body)

        accepted = await api.client.post(bids, json={"amount": "2000.00"}, headers=bidder("alice"))
        routed_accepted = await routed.post(bids, json={"amount": "2100.00"}, headers=bidder("alice"))
        assert accepted.status_code == routed_accepted.status_code == 201
        assert set(accepted.json()) == set(routed_accepted.json())
        assert routed_accepted.json()["position"] == accepted.json()["position"] + 1


async def test_an_unexpected_failure_is_a_500_without_details_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        auction = await api.schedule(swedish_auction(NOW))
        await api.register(auction["id"], "alice")

        async def broken(request: Any) -> Any:
            raise RuntimeError("the disk is on fire")

        monkeypatch.setattr(api.runtime.handlers, "handle", broken)
        response = await api.bid(auction["id"], "alice", "2000.00")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "fire" not in response.text
    assert any("unhandled error on POST" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_other_methods_and_longer_paths_go_through_the_router() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        nested = await api.client.post("/auctions/a/b/bids", json={"amount": "1.00"}, headers=bidder("alice"))
        listed = await api.client.get("/auctions/nope/bids")
        put = await api.client.put("/auctions/nope/bids", json={"amount": "1.00"}, headers=bidder("alice"))
    assert nested.status_code == 404 and nested.json()["error"]["code"] == "not_found"
    assert listed.status_code == 404 and listed.json()["error"]["code"] == "auction_not_found"
    assert put.status_code == 405 and put.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        ("/auctions/a-1/bids", "", "a-1"),
        ("/engine/auctions/a-1/bids", "/engine", "a-1"),
        ("/auctions//bids", "", None),
        ("/auctions/a/b/bids", "", None),
        ("/auctions/a-1/bids/", "", None),
        ("/auctions/a-1", "", None),
        ("/auctionsx/bids", "", None),
    ],
)
def test_the_lane_matches_the_routes_path_only(path: str, root_path: str, expected: str | None) -> None:
    assert auction_in_path({"type": "http", "path": path, "root_path": root_path}) == expected
