"""Who may write what, how often, and how far: a stranger's bids answered but not recorded, the
write limits (429), the offices that own auctions, Idempotency-Keys bound to their request and
naming nobody, and the confirmation an outsize bid needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import cli
from api.auth import issue_token, read_token
from api.ratelimit import TokenBuckets
from engine.app.offline import forget
from engine.clock import ManualClock
from engine.vault import owner_of
from tests.api.support import BAILIFF, SECRET, Api, bidder, running_api, swedish_auction, utc_now
from tests.api.test_after_the_hammer import OFFICIAL, START, sold


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


# ------------------------------------------------------------------ offices (4)

NORTH, SOUTH = "Court of Umeå, enforcement office", "Court of Malmö, enforcement office"


async def test_an_auction_belongs_to_the_office_that_scheduled_it_and_the_log_says_so() -> None:
    north = official("bailiff", "b-north", NORTH)
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()), headers=north)
        scheduled = (await api.events(auction["id"]))[0]
        assert (scheduled["type"], scheduled["data"]["office"], scheduled["data"]["official"]) == (
            "AuctionScheduled",
            NORTH,
            "b-north",
        )


async def test_a_bailiff_of_another_office_is_refused_403_and_nothing_is_written() -> None:
    north, south = official("bailiff", "b-north", NORTH), official("bailiff", "b-south", SOUTH)
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()), headers=north)
        aid = auction["id"]
        code = await api.register(aid, "alice")
        before = await api.all_events()
        writes: list[tuple[str, dict[str, Any] | None]] = [
            (f"/auctions/{aid}/open", None),
            (f"/auctions/{aid}/close", None),
            (f"/auctions/{aid}/suspend", {"reason": "not mine"}),
            (f"/auctions/{aid}/cancel", {"reason": "not mine"}),
            (f"/auctions/{aid}/incidents", {"description": "x", "started_at": utc_now().isoformat()}),
            (f"/auctions/{aid}/registrations/{code}/deposit", {"amount": "100.00"}),
            (f"/auctions/{aid}/payments", {"amount": "100.00"}),
        ]
        for headers in (south, BAILIFF):  # another office, and the default office
            for path, body in writes:
                response = await api.client.post(path, json=body, headers=headers)
                assert response.status_code == 403, (path, response.text)
                assert response.json()["error"]["code"] == "forbidden"
            for path in (f"/auctions/{aid}/events", f"/auctions/{aid}/report"):
                assert (await api.client.get(path, headers=headers)).status_code == 403, path
            assert "deposits" not in (await api.client.get(f"/auctions/{aid}", headers=headers)).json()
        assert await api.all_events() == before
        opened = await api.client.post(f"/auctions/{aid}/suspend", json={"reason": "power cut"}, headers=north)
        assert opened.status_code == 200, opened.text
        assert "deposits" in (await api.client.get(f"/auctions/{aid}", headers=north)).json()


async def test_auditors_read_their_office_unless_their_token_grants_every_office() -> None:
    north = official("bailiff", "b-north", NORTH)
    async with running_api() as api:
        mine = (await api.schedule(swedish_auction(utc_now()), headers=north))["id"]
        default = (await api.schedule(swedish_auction(utc_now())))["id"]  # BAILIFF: no office claim
        readers = {
            "north": official("auditor", "a-north", NORTH),
            "south": official("auditor", "a-south", SOUTH),
            "default": official("auditor", "a-default", None),
            "every": official("auditor", "a-all", "*"),
        }
        allowed = {"north": {mine}, "south": set(), "default": {default}, "every": {mine, default}}
        for name, headers in readers.items():
            for aid in (mine, default):
                for path in (f"/auctions/{aid}/events", f"/auctions/{aid}/report"):
                    status = (await api.client.get(path, headers=headers)).status_code
                    assert status == (200 if aid in allowed[name] else 403), (name, path)


async def test_tokens_without_an_office_keep_working_as_one_default_office() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        assert "office" not in (await api.events(auction["id"]))[0]["data"]
        other_bailiff = official("bailiff", "bailiff-2", None)
        response = await api.client.post(
            f"/auctions/{auction['id']}/suspend", json={"reason": "x"}, headers=other_bailiff
        )
        assert response.status_code == 200, response.text


async def test_a_bailiff_token_for_every_office_is_refused() -> None:
    async with running_api() as api:
        response = await api.client.post(
            "/auctions", json=swedish_auction(utc_now()), headers=official("bailiff", "b", "*")
        )
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


async def test_an_unknown_auction_is_still_404_for_an_official() -> None:
    async with running_api() as api:
        for path in ("/auctions/nope/open", "/auctions/nope/suspend"):
            response = await api.client.post(path, json={"reason": "x"}, headers=BAILIFF)
            assert response.status_code == 404, response.text


# ------------------------------------------------------------------ write limits (2b)

LIMITS = {"write_rate_per_address": 0.001, "write_rate_per_subject": 0.001}  # a token per 1000 s: none in a test


def retry_after(response: Any) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    return int(response.headers["Retry-After"])


async def test_a_caller_over_the_write_limit_gets_429_with_retry_after_and_nothing_is_written() -> None:
    async with running_api(**LIMITS, write_burst_per_subject=3, write_burst_per_address=100) as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "1500.00")).status_code == 201
        assert (await api.bid(auction["id"], "alice", "1600.00")).status_code == 201
        before = await api.all_events()
        for amount in ("1700.00", "1800.00"):
            assert retry_after(await api.bid(auction["id"], "alice", amount)) > 1
        proxy = await api.client.post(
            f"/auctions/{auction['id']}/proxy", json={"max": "9000.00", "step": "1.00"}, headers=bidder("alice")
        )
        assert retry_after(proxy) > 1
        assert await api.all_events() == before
        # Another caller from the same address, and reads, are not held back.
        await api.register(auction["id"], "bob")
        assert (await api.bid(auction["id"], "bob", "1700.00")).status_code == 201
        assert (await api.client.get(f"/auctions/{auction['id']}")).status_code == 200


async def test_an_address_over_the_write_limit_gets_429_whoever_writes() -> None:
    async with running_api(**LIMITS, write_burst_per_subject=100, write_burst_per_address=4) as api:
        auction = await api.schedule(swedish_auction(utc_now()))  # 1
        for subject in ("alice", "bob", "carol"):  # 2, 3, 4
            await api.register(auction["id"], subject)
        assert retry_after(await api.bid(auction["id"], "dave", "1500.00")) > 1
        transport = httpx.ASGITransport(app=api.app, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://auction.test") as elsewhere:
            response = await elsewhere.post(f"/auctions/{auction['id']}/registrations", headers=bidder("dave"))
            assert response.status_code == 201, response.text


async def test_a_write_with_a_token_that_does_not_verify_is_still_counted_by_address() -> None:
    async with running_api(**LIMITS, write_burst_per_subject=100, write_burst_per_address=2) as api:
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await api.client.post("/auctions", json={}, headers=bad)).status_code == 401
        assert (await api.client.post("/auctions", json={}, headers=bad)).status_code == 401
        assert retry_after(await api.client.post("/auctions", json={}, headers=bad)) > 1


async def test_a_rate_of_zero_turns_a_limit_off() -> None:
    async with running_api(write_rate_per_subject=0, write_burst_per_subject=1, write_rate_per_address=0) as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        for n in range(5):
            assert (await api.bid(auction["id"], "alice", f"{1500 + n}.00")).status_code == 201


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.01, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    steps=st.lists(st.tuples(st.floats(min_value=0, max_value=5), st.sampled_from("abc")), max_size=200),
)
def test_a_bucket_never_grants_more_than_its_burst_plus_its_rate_over_the_time_passed(
    rate: float, burst: int, steps: list[tuple[float, str]]
) -> None:
    buckets = TokenBuckets(rate, burst)
    now, granted = 0.0, {"a": 0, "b": 0, "c": 0}
    for pause, key in steps:
        now += pause
        wait = buckets.take(key, now)
        if wait == 0:
            granted[key] += 1
        else:
            assert 0 < wait <= 1 / rate + 1e-9
            assert buckets.take(key, now + wait + 1e-6) == 0  # a token is there once the wait is over
            now += wait + 1e-6
            granted[key] += 1
        assert granted[key] <= burst + rate * now + 1e-6


@given(keys=st.lists(st.text(min_size=1, max_size=4), max_size=300), capacity=st.integers(min_value=1, max_value=20))
def test_buckets_stay_within_their_capacity_and_a_dropped_one_comes_back_full(keys: list[str], capacity: int) -> None:
    buckets = TokenBuckets(0.001, 2, capacity)
    for key in keys:
        buckets.take(key, 0.0)
        assert len(buckets) <= capacity
    assert TokenBuckets(0.001, 2, capacity).take("new", 0.0) == 0


def test_auction_token_names_the_office_and_gives_every_office_to_auditors_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = ["--secret", SECRET]
    assert cli.main(["token", "--role", "bailiff", "--subject", "b-north", "--office", NORTH, *secret]) == 0
    assert read_token(capsys.readouterr().out.strip(), SECRET).office == NORTH
    assert cli.main(["token", "--role", "auditor", "--subject", "a-all", "--office", "*", *secret]) == 0
    assert read_token(capsys.readouterr().out.strip(), SECRET).office == "*"
    assert cli.main(["token", "--role", "bailiff", "--subject", "b", "--office", "*", *secret]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "auditor" in error


async def test_a_refund_key_repeated_for_another_bidder_is_refused() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction_id, alice, bob = await sold(api, clock)
        headers = {**OFFICIAL, "Idempotency-Key": "refund-1"}
        path = f"/auctions/{auction_id}/registrations/{{}}/refund"
        first = await api.client.post(path.format(alice), headers=headers)
        assert first.status_code == 200, first.text
        again = await api.client.post(path.format(alice), headers=headers)
        assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
        other = await api.client.post(path.format(bob), headers=headers)
        assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


async def test_without_a_value_the_bound_is_ten_times_the_starting_price() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now(), value="0.00", starting_price="1000.00"))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "5000.00")).status_code == 201
        refused = await api.bid(auction["id"], "alice", "10000.01")
        assert refused.status_code == 409 and refused.json()["error"]["confirm_above"] == "10000.00"
