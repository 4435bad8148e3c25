"""The report: rebuilt from events, full for bailiffs and auditors, anonymised for bidders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.deadline_support import move_clock, status_becomes
from tests.api.support import AUDITOR, BAILIFF, Api, bidder, running_api

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
SUBJECTS = ("alice@example.test", "bob@example.test", "carol@example.test")


async def lithuanian_auction_that_closed(api: Api, clock: ManualClock) -> dict[str, Any]:
    """LT: deposits of 10 % (one short), manual and automatic bids, refusals, overtime, a winner."""
    auction = await api.schedule(
        {
            "country": "LT",
            "payment_days": 14,
            "title": "Flat in Vilnius",
            "asset": "movable",
            "value": "10000.00",
            "opens_at": START.isoformat(),
            "closes_at": (START + timedelta(days=2)).isoformat(),
        }
    )
    alice, bob, carol = [await api.register(auction["id"], s) for s in SUBJECTS]
    deposit = f"/auctions/{auction['id']}/registrations/{{}}/deposit"
    for code, amount in ((alice, "800.00"), (bob, "500.00"), (bob, "300.00"), (carol, "100.00")):
        assert (
            await api.client.post(deposit.format(code), json={"amount": amount}, headers=BAILIFF)
        ).status_code == 200
    assert (await api.bid(auction["id"], SUBJECTS[2], "9000.00")).json()["error"]["code"] == "not_admitted"
    assert (await api.bid(auction["id"], SUBJECTS[0], "7000.00")).json()["error"]["code"] == "bid_too_low"
    assert (await api.bid(auction["id"], SUBJECTS[0], "8000.00")).status_code == 201
    proxy = await api.client.post(
        f"/auctions/{auction['id']}/proxy", json={"max": "8500.00", "step": "100.00"}, headers=bidder(SUBJECTS[1])
    )
    assert proxy.status_code == 201, proxy.text
    deadline = parse_instant(auction["closes_at"])
    await move_clock(api, clock, deadline + timedelta(minutes=1))
    await api.bid(auction["id"], SUBJECTS[0], "9000.00")
    await move_clock(api, clock, deadline + timedelta(hours=1))
    await status_becomes(api, auction["id"], "closed")
    return auction


async def test_the_full_report_lists_everything_that_happened_with_identities() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await lithuanian_auction_that_closed(api, clock)
        report = (await api.client.get(f"/auctions/{auction['id']}/report", headers=AUDITOR)).json()

    assert report["anonymised"] is False
    assert report["time_zone"] == "Europe/Vilnius"
    assert report["terms"]["opens_at"] == "2030-03-04T11:00:00+02:00"  # shown on the Lithuanian wall clock
    assert report["terms"]["deposit_required"] == "800.00"
    bidders = {b["bidder_code"]: b for b in report["bidders"]}
    assert [b["subject"] for b in report["bidders"]] == list(SUBJECTS)
    assert bidders["B-2"]["deposit_total"] == "800.00" and bidders["B-2"]["admitted"] is True
    assert bidders["B-2"]["refusals"][0]["reason"] == "deposit_short"
    assert bidders["B-3"]["admitted"] is False

    reasons = [(b["bidder_code"], b["amount"], b["accepted"], b["reason"], b["automatic"]) for b in report["bids"]]
    assert reasons == [
        ("B-3", "9000.00", False, "not_admitted", False),
        ("B-1", "7000.00", False, "bid_too_low", False),
        ("B-1", "8000.00", True, None, False),
        ("B-2", "8100.00", True, None, True),
        ("B-1", "9000.00", True, None, False),
    ]
    assert report["proxies"][0]["max"] == "8500.00"
    rules = [e["rule"] for e in report["extensions"]]
    assert rules == ["LT-overtime", "LT-extension"]
    assert all(e["basis"] for e in report["extensions"])
    assert report["winner"] == {"bidder_code": "B-1", "subject": SUBJECTS[0], "price": "9000.00"}
    refunds = {r["bidder_code"]: r for r in report["deposits_to_refund"]}
    assert set(refunds) == {"B-2", "B-3"}
    assert refunds["B-2"] == {"bidder_code": "B-2", "subject": SUBJECTS[1], "amount": "800.00", "admitted": True}
    assert {r["code"] for r in report["rules"]} >= {"LT-overtime", "LT-extension", "LT-deposit"}
    assert [e["position"] for e in report["events"]] == list(range(1, report["position"] + 1))


async def test_the_bailiff_gets_the_full_report_too() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await lithuanian_auction_that_closed(api, clock)
        report = (await api.client.get(f"/auctions/{auction['id']}/report", headers=BAILIFF)).json()
    assert report["winner"]["subject"] == SUBJECTS[0]


async def test_a_bidders_report_shows_bidder_codes_and_no_identity_at_all() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await lithuanian_auction_that_closed(api, clock)
        full = (await api.client.get(f"/auctions/{auction['id']}/report", headers=AUDITOR)).json()
        response = await api.client.get(f"/auctions/{auction['id']}/report", headers=bidder(SUBJECTS[1]))

    assert response.status_code == 200
    for subject in SUBJECTS:
        assert subject.encode() not in response.content
    report = response.json()
    assert report["anonymised"] is True
    assert report["winner"] == {"bidder_code": "B-1", "price": "9000.00"}
    assert report["proxies"] == []  # another bidder's maximum is their secret
    assert [b["amount"] for b in report["bids"]] == [b["amount"] for b in full["bids"]]
    assert orjson.dumps(report).count(b"subject") == 0
