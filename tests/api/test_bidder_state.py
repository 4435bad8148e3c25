"""``GET /auctions/{id}/me``: a bidder's own registration, admission, deposit and bids, from the server;
and a refused bid's ``minimum``, the lowest amount the rules would accept now.

Only the caller's own data: another bidder of the same auction sees only theirs, a
caller who never registered is 404 ``not_registered``, and no answer names a subject."""

from __future__ import annotations

from datetime import timedelta

from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.deadline_support import move_clock, status_becomes
from tests.api.support import BAILIFF, bidder, running_api, swedish_auction, utc_now
from tests.api.test_bidding import admitted, lithuanian


async def test_a_bidder_sees_their_own_registration_and_bids_and_which_leads() -> None:
    async with running_api() as api:
        auction = (await api.schedule(swedish_auction(utc_now())))["id"]
        ana = await api.register(auction, "subject-ana")
        bo = await api.register(auction, "subject-bo")
        for subject, amount in (("subject-ana", "1000.00"), ("subject-bo", "1100.00"), ("subject-ana", "1200.00")):
            assert (await api.bid(auction, subject, amount)).status_code == 201

        mine = await api.client.get(f"/auctions/{auction}/me", headers=bidder("subject-ana"))
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert (body["bidder_code"], body["admitted"], body["leading"]) == (ana, True, True)
        assert [(b["amount"], b["leading"]) for b in body["bids"]] == [("1000.00", False), ("1200.00", True)]
        assert all(b["bidder_code"] == ana for b in body["bids"])
        assert body["bids"][0]["position"] < body["bids"][1]["position"]

        theirs = (await api.client.get(f"/auctions/{auction}/me", headers=bidder("subject-bo"))).json()
        assert (theirs["bidder_code"], theirs["leading"]) == (bo, False)
        assert [(b["amount"], b["leading"]) for b in theirs["bids"]] == [("1100.00", False)]
        for answer in (mine.text, str(theirs)):
            assert "subject-" not in answer  # never an identity


async def test_a_stranger_is_not_registered_and_other_roles_are_refused() -> None:
    async with running_api() as api:
        auction = (await api.schedule(swedish_auction(utc_now())))["id"]
        await api.register(auction, "subject-ana")
        stranger = await api.client.get(f"/auctions/{auction}/me", headers=bidder("subject-zed"))
        assert (stranger.status_code, stranger.json()["error"]["code"]) == (404, "not_registered")
        assert (await api.client.get(f"/auctions/{auction}/me", headers=BAILIFF)).status_code == 403
        assert (await api.client.get(f"/auctions/{auction}/me")).status_code == 401
        missing = await api.client.get("/auctions/no-such-lot/me", headers=bidder("subject-ana"))
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "auction_not_found")


async def test_admission_and_the_deposit_where_one_is_required() -> None:
    async with running_api() as api:
        auction = (await api.schedule(lithuanian()))["id"]
        await api.register(auction, "subject-ana")
        before = (await api.client.get(f"/auctions/{auction}/me", headers=bidder("subject-ana"))).json()
        assert (before["admitted"], before["deposit"], before["deposit_status"]) == (False, "0.00", None)
        assert before["deposit_required"] == "800.00"
        await admitted(api, auction, "subject-ana")
        after = (await api.client.get(f"/auctions/{auction}/me", headers=bidder("subject-ana"))).json()
        assert (after["admitted"], after["deposit"], after["deposit_status"]) == (True, "800.00", "held")
        assert after["refusal"] is None and after["bids"] == []


# ------------------------------------------------------------------ a refusal's lowest accepted amount


async def test_a_bid_too_low_says_the_lowest_amount_the_rules_accept_and_that_amount_is_accepted() -> None:
    async with running_api() as api:
        auction = (await api.schedule(swedish_auction(utc_now())))["id"]
        await api.register(auction, "subject-ana")
        first = await api.bid(auction, "subject-ana", "999.99")
        assert first.status_code == 409 and first.json()["error"]["code"] == "bid_too_low"
        assert first.json()["error"]["minimum"] == "1000.00"  # the starting price
        assert (await api.bid(auction, "subject-ana", "1500.00")).status_code == 201
        low = await api.bid(auction, "subject-ana", "1400.00")
        assert (low.json()["error"]["code"], low.json()["error"]["minimum"]) == ("bid_too_low", "1500.01")
        below = await api.bid(auction, "subject-ana", "1500.00")
        assert below.status_code == 409
        assert (await api.bid(auction, "subject-ana", low.json()["error"]["minimum"])).status_code == 201


async def test_a_bad_increment_says_the_best_bid_plus_the_increment() -> None:
    opens = parse_instant("2030-03-13T12:00:00+02:00")
    clock = ManualClock(opens - timedelta(days=2))
    async with running_api(clock=clock) as api:
        body = {
            "country": "EE", "title": "Apartment, Tartu", "asset": "immovable", "value": "100000.00",
            "starting_price": "80000.00", "increment": "500.00", "deposit": "8000.00", "extension_minutes": 5,
            "opens_at": opens.isoformat(), "closes_at": "2030-03-20T12:00:00+02:00", "payment_days": 14,
        }  # fmt: skip
        auction = (await api.schedule(body))["id"]
        for subject in ("ana", "boris"):
            await admitted(api, auction, subject, "8000.00")
        await move_clock(api, clock, opens)
        await status_becomes(api, auction, "open")
        assert (await api.bid(auction, "ana", "80000.00")).status_code == 201
        refused = (await api.bid(auction, "boris", "80400.00")).json()["error"]
        assert (refused["code"], refused["minimum"]) == ("bad_increment", "80500.00")
        assert (await api.bid(auction, "boris", refused["minimum"])).status_code == 201


async def test_other_refusals_name_no_minimum() -> None:
    async with running_api() as api:
        auction = (await api.schedule(lithuanian()))["id"]
        await api.register(auction, "subject-ana")  # registered, not admitted: no deposit yet
        refused = (await api.bid(auction, "subject-ana", "9000.00")).json()["error"]
        assert refused["code"] == "not_admitted" and "minimum" not in refused
