"""A repeated Idempotency-Key returns the first answer and records nothing new."""

from __future__ import annotations

import asyncio

from tests.api.support import running_api, swedish_auction, utc_now


async def test_a_repeated_key_returns_the_first_acceptance_and_records_nothing() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        first = await api.bid(auction["id"], "alice", "1500.00", key="bid-1")
        assert first.status_code == 201
        assert "idempotent-replayed" not in first.headers
        count = len(await api.events(auction["id"]))

        again = await api.bid(auction["id"], "alice", "1500.00", key="bid-1")

        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert len(await api.events(auction["id"])) == count


async def test_a_repeated_key_answers_the_first_answer_even_after_the_auction_moved_on() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        first = await api.bid(auction["id"], "alice", "1500.00", key="same")
        assert (await api.bid(auction["id"], "bob", "1600.00")).status_code == 201
        count = len(await api.events(auction["id"]))

        again = await api.bid(auction["id"], "alice", "1500.00", key="same")

        assert again.json() == first.json()
        assert again.json()["price"] == "1500.00"  # as answered then, not the price now
        assert len(await api.events(auction["id"])) == count


async def test_a_repeated_key_on_a_refused_bid_repeats_the_refusal_without_recording_it_again() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        first = await api.bid(auction["id"], "alice", "10.00", key="low")
        assert first.status_code == 409
        assert first.json()["error"]["code"] == "bid_too_low"
        count = len(await api.events(auction["id"]))

        again = await api.bid(auction["id"], "alice", "10.00", key="low")

        assert again.status_code == 409
        assert again.json() == first.json()
        assert len(await api.events(auction["id"])) == count


async def test_the_same_key_from_two_bidders_is_two_different_requests() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        await api.register(auction["id"], "bob")
        alice = await api.bid(auction["id"], "alice", "1500.00", key="k")
        bob = await api.bid(auction["id"], "bob", "1600.00", key="k")
        assert (alice.status_code, bob.status_code) == (201, 201)
        assert alice.json()["position"] != bob.json()["position"]


async def test_concurrent_retries_with_one_key_record_exactly_one_bid() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        answers = await asyncio.gather(*(api.bid(auction["id"], "alice", "1500.00", key="storm") for _ in range(20)))
        assert {a.status_code for a in answers} == {201}
        assert len({a.json()["position"] for a in answers}) == 1
        types = [e["type"] for e in await api.events(auction["id"])]
        assert types.count("BidAccepted") == 1
        assert types.count("BidRejected") == 0


async def test_without_a_key_the_same_bid_twice_is_two_bids() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        assert (await api.bid(auction["id"], "alice", "1500.00")).status_code == 201
        second = await api.bid(auction["id"], "alice", "1500.00")
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "bid_too_low"
