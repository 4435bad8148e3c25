"""Registrations, deposits, bids and proxies through the HTTP API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from api.schemas import BidOut, ProxyOut
from tests.api.deadline_support import eventually
from tests.api.support import BAILIFF, Api, bidder, running_api, swedish_auction, utc_now


def lithuanian(**overrides: Any) -> dict[str, Any]:
    start = utc_now()
    body = {
        "country": "LT",
        "payment_days": 14,
        "title": "Van",
        "asset": "movable",
        "value": "10000.00",
        "opens_at": start.isoformat(),
        "closes_at": (start + timedelta(days=3)).isoformat(),
    }
    body.update(overrides)
    return body


async def admitted(api: Api, auction_id: str, subject: str, deposit: str = "800.00") -> str:
    code = await api.register(auction_id, subject)
    response = await api.client.post(
        f"/auctions/{auction_id}/registrations/{code}/deposit", json={"amount": deposit}, headers=BAILIFF
    )
    assert response.status_code == 200, response.text
    return code


async def test_scheduling_answers_201_with_the_id_and_every_derived_field() -> None:
    async with running_api() as api:
        response = await api.client.post("/auctions", json=lithuanian(closes_at=None), headers=BAILIFF)
        assert response.status_code == 201
        body = response.json()
        assert body["id"] and body["status"] == "scheduled"
        assert (body["starting_price"], body["deposit_required"]) == ("8000.00", "800.00")
        assert body["closes_at"] and body["closes_at"] == body["scheduled_closes_at"]  # derived: 20 days (LT)
        # Bidding opens at opens_at (now) by itself: the scheduler does it right after the answer.
        async def opened() -> bool:
            return bool((await api.client.get(f"/auctions/{body['id']}")).json()["status"] == "open")

        await eventually(opened)
        assert (await api.client.get(f"/auctions/{body['id']}")).json() == body | {
            "status": "open",
            "opened_at": body["opens_at"],
            "position": 2,
        }


async def test_a_deposit_admits_the_bidder_once_the_rules_are_met() -> None:
    async with running_api() as api:
        auction = await api.schedule(lithuanian())
        code = await api.register(auction["id"], "alice")
        path = f"/auctions/{auction['id']}/registrations/{code}/deposit"
        short = (await api.client.post(path, json={"amount": "500.00"}, headers=BAILIFF)).json()
        assert (short["deposit"], short["admitted"], short["refusal"]) == ("500.00", False, "deposit_short")
        refused = await api.bid(auction["id"], "alice", "8000.00")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_admitted"
        enough = (await api.client.post(path, json={"amount": "300.00"}, headers=BAILIFF)).json()
        assert (enough["deposit"], enough["admitted"], enough["refusal"]) == ("800.00", True, None)
        assert (await api.bid(auction["id"], "alice", "8000.00")).status_code == 201


async def test_a_bid_from_someone_who_never_registered_is_refused_and_not_recorded() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        response = await api.bid(auction["id"], "stranger", "1500.00")
        assert response.status_code == 409 and response.json()["error"]["code"] == "not_admitted"
        assert "position" not in response.json()["error"]
        assert [e["type"] for e in await api.events(auction["id"])][-1] == "AuctionScheduled"


async def test_a_bid_before_the_opening_is_refused_until_the_bailiff_opens_bidding() -> None:
    async with running_api() as api:
        later = utc_now() + timedelta(hours=1)
        auction = await api.schedule(swedish_auction(later))
        await api.register(auction["id"], "alice")
        early = await api.bid(auction["id"], "alice", "1500.00")
        assert early.status_code == 409 and early.json()["error"]["code"] == "auction_not_open"
        opened = await api.client.post(f"/auctions/{auction['id']}/open", headers=BAILIFF)
        assert opened.status_code == 200 and opened.json()["status"] == "open"
        assert (await api.bid(auction["id"], "alice", "1500.00")).status_code == 201


async def test_an_accepted_bid_answers_with_its_position_deadline_and_the_price() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        code = await api.register(auction["id"], "alice")
        response = await api.bid(auction["id"], "alice", "1500.00")
        assert response.status_code == 201
        body = response.json()
        assert body["auction"] == auction["id"] and body["bidder_code"] == code
        assert (body["amount"], body["price"], body["leader"], body["automatic"]) == ("1500.00", "1500.00", code, False)
        assert body["closes_at"] == auction["closes_at"]
        state = (await api.client.get(f"/auctions/{auction['id']}")).json()
        assert state["position"] == body["position"] and state["bid_count"] == 1


def assert_documented(model: type[BaseModel], body: dict[str, Any]) -> None:
    """A 201 the route encodes itself is exactly what its documented model says: every field, no other."""
    assert set(body) == set(model.model_fields)
    assert model.model_validate(body).model_dump(mode="json") == body


async def test_a_proxy_bids_for_its_owner_and_answers_later_bids_up_to_its_maximum() -> None:
    async with running_api() as api:
        auction = await api.schedule(lithuanian())
        bob = await admitted(api, auction["id"], "bob")
        alice = await admitted(api, auction["id"], "alice")
        proxy = await api.client.post(
            f"/auctions/{auction['id']}/proxy", json={"max": "8300.00", "step": "100.00"}, headers=bidder("bob")
        )
        assert proxy.status_code == 201, proxy.text
        body = proxy.json()
        assert (body["max"], body["price"], body["leader"]) == ("8300.00", "8000.00", bob)
        assert [(b["amount"], b["automatic"]) for b in body["bids"]] == [("8000.00", True)]
        assert_documented(ProxyOut, body)

        answered = await api.bid(auction["id"], "alice", "8100.00")
        assert answered.status_code == 201
        assert_documented(BidOut, answered.json())
        assert (answered.json()["price"], answered.json()["leader"]) == ("8200.00", bob)
        beaten = await api.bid(auction["id"], "alice", "8400.00")
        assert (beaten.json()["price"], beaten.json()["leader"]) == ("8400.00", alice)


async def test_a_proxy_where_the_country_has_none_is_refused_with_proxy_not_allowed() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        response = await api.client.post(
            f"/auctions/{auction['id']}/proxy", json={"max": "9000.00", "step": "10.00"}, headers=bidder("alice")
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "proxy_not_allowed"
        assert response.json()["error"]["rule"] == "SE-proxy"


async def test_the_catalogue_filters_by_country_and_status() -> None:
    async with running_api() as api:
        swedish = await api.schedule(swedish_auction(utc_now()))
        later = await api.schedule(swedish_auction(utc_now() + timedelta(hours=1)))
        lt = await api.schedule(lithuanian())

        async def ids(query: str) -> list[str]:
            return [a["id"] for a in (await api.client.get(f"/auctions{query}")).json()["auctions"]]

        async def both_opened() -> bool:  # the scheduler opens them right after scheduling
            return await ids("?status=open") == [swedish["id"], lt["id"]]

        await eventually(both_opened)
        assert await ids("") == [swedish["id"], later["id"], lt["id"]]
        assert await ids("?country=se") == [swedish["id"], later["id"]]
        assert await ids("?status=scheduled") == [later["id"]]
        assert await ids("?country=LT&status=open") == [lt["id"]]
        assert await ids("?status=closed") == []
