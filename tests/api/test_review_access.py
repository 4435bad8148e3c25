"""Who may write what, how often, and how far: a stranger's bids answered but not recorded, the
write limits (429), the offices that own auctions, Idempotency-Keys bound to their request and
naming nobody, and the confirmation an outsize bid needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from api.auth import issue_token
from engine.app.offline import forget
from engine.vault import owner_of
from tests.api.support import BAILIFF, SECRET, Api, bidder, running_api, swedish_auction, utc_now


def official(role: str, subject: str, office: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role, subject, office=office)}"}


async def bid(api: Api, auction_id: str, subject: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = bidder(subject)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post(f"/auctions/{auction_id}/bids", json=body, headers=headers)


def stored_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT key FROM idempotency_keys ORDER BY key")]


# ------------------------------------------------------------------ a stranger's bids (2a)


async def test_a_stranger_is_refused_not_admitted_and_nothing_is_written() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        before = await api.all_events()
        for n in range(20):
            response = await api.bid(auction["id"], "stranger", f"{1500 + n}.00", key=f"k-{n}")
            assert response.status_code == 409, response.text
            error = response.json()["error"]
            assert error["code"] == "not_admitted" and "position" not in error
        proxy = await api.client.post(
            f"/auctions/{auction['id']}/proxy", json={"max": "9000.00", "step": "10.00"}, headers=bidder("stranger")
        )
        assert proxy.status_code == 409 and proxy.json()["error"]["code"] == "not_admitted"
        assert await api.all_events() == before


async def test_a_registered_bidder_who_is_not_admitted_is_still_recorded() -> None:
    lithuanian = {
        "country": "LT",
        "title": "Car, Kaunas",
        "asset": "movable",
        "value": "10000.00",
        "opens_at": utc_now().isoformat(),
        "payment_days": 10,
    }
    async with running_api() as api:
        auction = await api.schedule(lithuanian)
        await api.register(auction["id"], "alice")  # no deposit: not admitted
        response = await api.bid(auction["id"], "alice", "8000.00")
        assert response.status_code == 409 and response.json()["error"]["code"] == "not_admitted"
        position = response.json()["error"]["position"]
        last = (await api.events(auction["id"]))[-1]
        assert (last["type"], last["version"], last["data"]["bidder_code"]) == ("BidRejected", position, "B-1")


# ------------------------------------------------------------------ a key reused for another request (8)


async def test_a_key_repeated_with_another_amount_is_refused_422_and_records_nothing() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        first = await api.bid(auction["id"], "alice", "1500.00", key="bid-1")
        assert first.status_code == 201
        count = await api.all_events()
        other = await api.bid(auction["id"], "alice", "2500.00", key="bid-1")
        assert other.status_code == 422, other.text
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert await api.all_events() == count
        same = await api.bid(auction["id"], "alice", "1500.00", key="bid-1")
        assert same.status_code == 201 and same.json() == first.json()


async def test_a_key_repeated_with_another_refused_amount_or_proxy_is_refused_too() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "10.00", key="low")).status_code == 409  # recorded refusal
        other = await api.bid(auction["id"], "alice", "20.00", key="low")
        assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


async def test_an_official_act_repeated_with_another_body_is_refused() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        path = f"/auctions/{auction['id']}/suspend"
        headers = {**BAILIFF, "Idempotency-Key": "s-1"}
        first = await api.client.post(path, json={"reason": "power cut"}, headers=headers)
        assert first.status_code == 200, first.text
        again = await api.client.post(path, json={"reason": "  power cut "}, headers=headers)  # the same reason kept
        assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
        other = await api.client.post(path, json={"reason": "a different reason"}, headers=headers)
        assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


# ------------------------------------------------------------------ keys name nobody (9)


async def test_stored_keys_hold_no_identity_nor_a_plain_digest_of_one(tmp_path: Path) -> None:
    database = tmp_path / "auction.sqlite3"
    subjects = ["alice@example.test", "stranger@example.test", "bailiff-1"]
    async with running_api(f"sqlite:///{database}") as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], subjects[0])
        assert (await api.bid(auction["id"], subjects[0], "1500.00", key="mine")).status_code == 201
        assert (await api.bid(auction["id"], subjects[1], "1600.00", key="theirs")).status_code == 409
        incident = {"description": "The page answered 502.", "started_at": utc_now().isoformat()}
        headers = {**BAILIFF, "Idempotency-Key": "outage"}
        response = await api.client.post(f"/auctions/{auction['id']}/incidents", json=incident, headers=headers)
        assert response.status_code == 201, response.text
    keys = stored_keys(database)
    assert len(keys) == 2 and "bid:B-1:mine" in keys  # the stranger's key was never stored
    for key in keys:
        for subject in subjects:
            assert subject not in key and owner_of(subject)[:16] not in key
    assert await forget(f"sqlite:///{database}", subjects[0]) == 1
    assert stored_keys(database) == keys  # a bidder's key names the code, whose identity is now unreadable


# ------------------------------------------------------------------ an outsize bid needs confirming (13)


async def test_a_bid_above_ten_times_the_value_needs_confirm_and_nothing_is_written_without_it() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now(), value="10000.00"))
        await api.register(auction["id"], "alice")
        before = await api.all_events()
        huge = "999999999999999.99"
        refused = await bid(api, auction["id"], "alice", {"amount": huge}, key="typo")
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["amount"], error["confirm_above"]) == ("confirmation_required", huge, "100000.00")
        assert "position" not in error
        assert await api.all_events() == before
        at_the_bound = await bid(api, auction["id"], "alice", {"amount": "100000.00"})
        assert at_the_bound.status_code == 201, at_the_bound.text
        confirmed = await bid(api, auction["id"], "alice", {"amount": "100000.01", "confirm": True}, key="typo")
        assert confirmed.status_code == 201 and confirmed.json()["amount"] == "100000.01"


async def test_the_confirmation_factor_is_a_setting() -> None:
    async with running_api(bid_confirmation_factor=2) as api:
        auction = await api.schedule(swedish_auction(utc_now(), value="10000.00"))
        await api.register(auction["id"], "alice")
        response = await api.bid(auction["id"], "alice", "20000.01")
        assert response.status_code == 409 and response.json()["error"]["confirm_above"] == "20000.00"
    async with running_api(bid_confirmation_factor=0) as api:  # 0: never asked
        auction = await api.schedule(swedish_auction(utc_now(), value="10000.00"))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "999999.00")).status_code == 201


async def test_confirm_must_be_a_boolean() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        response = await bid(api, auction["id"], "alice", {"amount": "1500.00", "confirm": "maybe"})
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
