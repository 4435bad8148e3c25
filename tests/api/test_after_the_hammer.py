"""After the hammer, through the HTTP API on a manual clock: the sale to its transfer, a default at
the deadline and the offer to the next-best bidder, the next round, suspension and resumption,
cancellation and Slovenian pre-emption, with every refusal answered with its code and nothing recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.auth import issue_token
from engine.clock import ManualClock
from engine.model import parse_instant
from tests.api.deadline_support import eventually, move_clock, status_becomes
from tests.api.support import AUDITOR, SECRET, Api, bidder, running_api, swedish_auction

START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)  # a Wednesday
VILNIUS = ZoneInfo("Europe/Vilnius")
OFFICE = "Vilnius District Court, bailiff's office 12"
OFFICIAL = {"Authorization": f"Bearer {issue_token(SECRET, 'bailiff', 'bailiff-7', office=OFFICE)}"}


def lithuanian(**overrides: Any) -> dict[str, Any]:
    """An LT movable worth 10 000.00: starting price 8 000.00, deposit 800.00, open for a day from START."""
    body: dict[str, Any] = {
        "country": "LT",
        "title": "Car, Kaunas",
        "asset": "movable",
        "value": "10000.00",
        "opens_at": START.isoformat(),
        "closes_at": (START + timedelta(days=1)).isoformat(),
        "payment_days": 10,
    }
    body.update(overrides)
    return body


async def post(api: Api, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] = OFFICIAL) -> Any:
    return await api.client.post(path, json=body, headers=headers)


async def view(api: Api, auction_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await api.client.get(f"/auctions/{auction_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def admitted(api: Api, auction_id: str, subject: str, deposit: str, role: str | None = None) -> str:
    body = {"role": role} if role is not None else None
    response = await post(api, f"/auctions/{auction_id}/registrations", body, bidder(subject))
    assert response.status_code == 201, response.text
    code = str(response.json()["bidder_code"])
    if deposit != "0":
        paid = await post(api, f"/auctions/{auction_id}/registrations/{code}/deposit", {"amount": deposit})
        assert paid.status_code == 200 and paid.json()["admitted"], paid.text
    return code


async def refused(
    api: Api,
    auction_id: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str,
    headers: dict[str, str] = OFFICIAL,
) -> dict[str, Any]:
    """POST ``path``: refused with ``status`` and ``code``, and nothing recorded anywhere."""
    before, everything = len(await api.events(auction_id)), await api.all_events()
    response = await post(api, path, body, headers)
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, response.text
    assert len(await api.events(auction_id)) == before
    assert await api.all_events() == everything
    return error


async def sold(api: Api, clock: ManualClock) -> tuple[str, str, str]:
    """An LT auction where bob (9 000.00) outbid alice (8 000.00), bidding ended and bob declared purchaser."""
    auction = await api.schedule(lithuanian(), OFFICIAL)
    auction_id = auction["id"]
    alice = await admitted(api, auction_id, "alice", "800.00")
    bob = await admitted(api, auction_id, "bob", "800.00")
    assert (await api.bid(auction_id, "alice", "8000.00")).status_code == 201
    assert (await api.bid(auction_id, "bob", "9000.00")).status_code == 201
    deadline = parse_instant(auction["closes_at"])
    await move_clock(api, clock, deadline + timedelta(minutes=6))  # past LT's five minutes of overtime
    await status_becomes(api, auction_id, "closed")
    declared = await post(api, f"/auctions/{auction_id}/close")
    assert declared.status_code == 200, declared.text
    assert (declared.json()["purchaser"], declared.json()["sale"]) == (bob, "awaiting_payment")
    return auction_id, alice, bob


def events_of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event["data"] for event in events if event["type"] == kind]


# ---------------------------------------------------------------- the sale to its transfer


async def test_a_sale_runs_from_the_declaration_to_the_transfer_and_every_act_names_its_official() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction_id, alice, bob = await sold(api, clock)
        state = await view(api, auction_id)
        assert (state["purchaser"], state["price"], state["paid"], state["price_due"]) == (
            bob,
            "9000.00",
            "800.00",  # bob's deposit counts towards the price
            "8200.00",
        )
        # 10 days from the declaration's local date, to the end of that day on Vilnius' clock
        declared_on = parse_instant(state["ended_at"]).astimezone(VILNIUS).date()
        due = parse_instant(state["payment_due"]).astimezone(VILNIUS)
        assert (due.date(), due.hour, due.minute) == (declared_on + timedelta(days=11), 0, 0)
        assert "deposits" not in state
        assert "deposits" not in await view(api, auction_id, bidder("alice"))
        for reader in (OFFICIAL, AUDITOR):
            deposits = {line["bidder_code"]: line for line in (await view(api, auction_id, reader))["deposits"]}
            assert deposits[bob] == {"bidder_code": bob, "amount": "800.00", "status": "credited", "due": None}
            assert (deposits[alice]["status"], deposits[alice]["amount"]) == ("refund_due", "800.00")
            assert deposits[alice]["due"] is not None  # LT: the first working day after bidding ended

        first = await post(api, f"/auctions/{auction_id}/payments", {"amount": "5000.00"})
        assert first.status_code == 201, first.text
        assert (first.json()["paid"], first.json()["price_due"], first.json()["sale"]) == (
            "5800.00",
            "3200.00",
            "awaiting_payment",
        )
        last = await post(
            api, f"/auctions/{auction_id}/payments", {"amount": "3200.00"}, {**OFFICIAL, "Idempotency-Key": "p-2"}
        )
        assert last.status_code == 201 and last.json()["sale"] == "paid", last.text
        again = await post(
            api, f"/auctions/{auction_id}/payments", {"amount": "3200.00"}, {**OFFICIAL, "Idempotency-Key": "p-2"}
        )
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == last.json()

        refund = await post(api, f"/auctions/{auction_id}/registrations/{alice}/refund")
        assert refund.status_code == 200, refund.text
        assert (refund.json()["bidder_code"], refund.json()["amount"]) == (alice, "800.00")

        today = clock.now().astimezone(VILNIUS).date().isoformat()
        transfer = await post(
            api, f"/auctions/{auction_id}/transfer", {"reference": " I-1234/2030 ", "decided_on": today}
        )
        assert transfer.status_code == 200, transfer.text
        assert (transfer.json()["sale"], transfer.json()["paid"], transfer.json()["price_due"]) == (
            "completed",
            "9000.00",
            "0.00",
        )
        deposits = {line["bidder_code"]: line["status"] for line in (await view(api, auction_id, OFFICIAL))["deposits"]}
        assert deposits == {alice: "refunded", bob: "credited"}

        events = await api.events(auction_id)
        assert [e for e in events if e["type"] == "PaymentRecorded"].__len__() == 2  # the repeated key recorded nothing
        for kind in ("AuctionScheduled", "AuctionEnded", "PaymentRecorded", "DepositRefunded", "TransferDecided"):
            for data in events_of(events, kind):
                assert (data["official"], data["office"]) == ("bailiff-7", OFFICE), kind
        (decision,) = events_of(events, "TransferDecided")
        assert (decision["reference"], decision["decided_on"]) == ("I-1234/2030", today)
        assert [e["type"] for e in events].count("SalePaid") == 1


async def test_payments_refunds_and_the_transfer_refuse_what_cannot_be_and_record_nothing() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction_id, alice, bob = await sold(api, clock)
        payments = f"/auctions/{auction_id}/payments"
        await refused(api, auction_id, payments, {"amount": "0.00"}, 422, "invalid_amount")
        await refused(api, auction_id, payments, {"amount": "0"}, 422, "invalid_amount")
        await refused(api, auction_id, payments, {"amount": "-5.00"}, 422, "invalid_request")
        await refused(api, auction_id, payments, {"amount": 100}, 422, "invalid_request")
        await refused(api, auction_id, payments, {}, 422, "invalid_request")
        await refused(api, auction_id, payments, {"amount": "8200.01"}, 422, "payment_exceeds_price")
        await refused(api, auction_id, payments, {"amount": "10.00"}, 403, "forbidden", bidder("bob"))
        today = clock.now().astimezone(VILNIUS).date()
        transfer = f"/auctions/{auction_id}/transfer"
        await refused(
            api, auction_id, transfer, {"reference": "T-1", "decided_on": today.isoformat()}, 409, "sale_not_paid"
        )

        refund = f"/auctions/{auction_id}/registrations/{{}}/refund"
        await refused(api, auction_id, refund.format(bob), None, 409, "deposit_credited")
        await refused(api, auction_id, refund.format("B-99"), None, 404, "unknown_bidder")
        await refused(api, auction_id, refund.format("B%00"), None, 404, "unknown_bidder")
        assert (await post(api, refund.format(alice))).status_code == 200
        await refused(api, auction_id, refund.format(alice), None, 409, "already_refunded")

        assert (await post(api, payments, {"amount": "8200.00"})).status_code == 201
        await refused(api, auction_id, payments, {"amount": "1.00"}, 409, "already_paid")
        await refused(
            api, auction_id, transfer, {"reference": "  ", "decided_on": today.isoformat()}, 422, "invalid_reference"
        )
        tomorrow = (today + timedelta(days=1)).isoformat()
        await refused(api, auction_id, transfer, {"reference": "T-1", "decided_on": tomorrow}, 422, "invalid_date")
        await refused(api, auction_id, transfer, {"reference": "T-1", "decided_on": "2030-01-01"}, 422, "invalid_date")
        for bad in ("2030-02-30", "30.05.2030", "2030-05-16T10:00:00+03:00", 20300516):
            await refused(api, auction_id, transfer, {"reference": "T-1", "decided_on": bad}, 422, "invalid_request")
        assert (await post(api, transfer, {"reference": "T-1", "decided_on": today.isoformat()})).status_code == 200
        await refused(
            api, auction_id, transfer, {"reference": "T-2", "decided_on": today.isoformat()}, 409, "already_completed"
        )
        await refused(api, auction_id, f"/auctions/{auction_id}/offer-next", None, 409, "sale_not_defaulted")


async def test_before_a_declaration_there_is_no_sale_to_pay_or_refund() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(lithuanian(), OFFICIAL)
        alice = await admitted(api, auction["id"], "alice", "800.00")
        await refused(api, auction["id"], f"/auctions/{auction['id']}/payments", {"amount": "1.00"}, 409, "no_sale")
        refund = f"/auctions/{auction['id']}/registrations/{alice}/refund"
        await refused(api, auction["id"], refund, None, 409, "refund_not_due")
        unknown = await post(api, "/auctions/nope/payments", {"amount": "1.00"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "auction_not_found"


# ---------------------------------------------------------------- default and the next-best bidder


async def test_a_default_at_the_deadline_then_the_sale_offered_to_the_next_best_bidder_runs_to_completion() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction_id, alice, bob = await sold(api, clock)
        assert (await post(api, f"/auctions/{auction_id}/payments", {"amount": "1000.00"})).status_code == 201
        await refused(api, auction_id, f"/auctions/{auction_id}/offer-next", None, 409, "sale_not_defaulted")
        due = parse_instant((await view(api, auction_id))["payment_due"])

        await move_clock(api, clock, due + timedelta(seconds=30))

        async def defaulted() -> bool:
            return bool((await view(api, auction_id))["sale"] == "defaulted")

        await eventually(defaulted)
        events = await api.events(auction_id)
        (default,) = events_of(events, "SaleDefaulted")
        assert parse_instant(default["at"]) == due and (default["purchaser"], default["paid"]) == (bob, "1800.00")
        (forfeited,) = events_of(events, "DepositForfeited")
        assert (forfeited["bidder_code"], forfeited["amount"]) == (bob, "800.00")

        await refused(api, auction_id, f"/auctions/{auction_id}/payments", {"amount": "1.00"}, 409, "sale_defaulted")
        refund = f"/auctions/{auction_id}/registrations/{bob}/refund"
        await refused(api, auction_id, refund, None, 409, "deposit_forfeited")

        offered = await post(api, f"/auctions/{auction_id}/offer-next")
        assert offered.status_code == 200, offered.text
        state = offered.json()
        assert (state["purchaser"], state["sale"], state["paid"], state["price_due"]) == (
            alice,
            "awaiting_payment",
            "800.00",  # alice's deposit, not refunded, counts again
            "7200.00",
        )
        assert parse_instant(state["payment_due"]) > due
        await refused(api, auction_id, f"/auctions/{auction_id}/offer-next", None, 409, "sale_not_defaulted")
        assert (await post(api, f"/auctions/{auction_id}/payments", {"amount": "7200.00"})).status_code == 201
        today = clock.now().astimezone(VILNIUS).date().isoformat()
        done = await post(api, f"/auctions/{auction_id}/transfer", {"reference": "T-9", "decided_on": today})
        assert done.status_code == 200 and done.json()["sale"] == "completed", done.text
        (offer,) = events_of(await api.events(auction_id), "SaleOffered")
        assert (offer["bidder_code"], offer["price"], offer["official"], offer["office"]) == (
            alice,
            "8000.00",
            "bailiff-7",
            OFFICE,
        )


async def test_without_a_next_best_rule_the_offer_is_refused() -> None:
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule(swedish_auction(START), OFFICIAL)
        await refused(api, auction["id"], f"/auctions/{auction['id']}/offer-next", None, 409, "next_best_not_provided")


# ---------------------------------------------------------------- the next round

HR_START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def croatian() -> dict[str, Any]:
    return {
        "country": "HR",
        "title": "House, Zadar",
        "asset": "immovable",
        "value": "100000.00",
        "opens_at": "2026-06-01T10:00:00+02:00",
        "closes_at": "2026-06-12T11:00:00+02:00",
        "payment_days": 15,
    }


async def test_a_failed_round_gets_a_next_round_whose_previous_is_the_failed_one_and_no_third() -> None:
    clock = ManualClock(HR_START)
    async with running_api(clock=clock) as api:
        first = await api.schedule(croatian(), OFFICIAL)
        next_round = f"/auctions/{first['id']}/next-round"
        await refused(
            api, first["id"], next_round, {"opens_at": "2026-08-12T10:00:00+02:00"}, 409, "next_round_not_allowed"
        )

        await move_clock(api, clock, datetime(2026, 6, 13, 7, 0, tzinfo=UTC))
        await status_becomes(api, first["id"], "failed")
        body = {"opens_at": "2026-08-11T10:00:00+02:00", "closes_at": "2026-08-24T11:00:00+02:00"}
        early = await refused(api, first["id"], next_round, body, 422, "next_round_too_early")
        assert early["rule"] == "HR-next-round"
        cheap = {
            "opens_at": "2026-08-12T10:00:00+02:00",
            "closes_at": "2026-08-25T11:00:00+02:00",
            "starting_price": "55000.00",
        }
        low = await refused(api, first["id"], next_round, cheap, 422, "starting_price_too_low")
        assert low["rule"]
        await refused(api, first["id"], next_round, {**body, "opens_at": "2026-08-12T10:00:00"}, 422, "invalid_request")
        await refused(api, first["id"], next_round, {**body, "round": 2}, 422, "invalid_request")

        body = {"opens_at": "2026-08-12T10:00:00+02:00", "closes_at": "2026-08-25T11:00:00+02:00"}
        created = await post(api, next_round, body, {**OFFICIAL, "Idempotency-Key": "round-2"})
        assert created.status_code == 201, created.text
        second = created.json()
        assert (second["previous"], second["round"], second["status"]) == (first["id"], 2, "scheduled")
        assert second["id"] != first["id"] and second["payment_days"] == 15
        assert parse_instant(second["opens_at"]) == parse_instant(body["opens_at"])
        assert (await view(api, first["id"]))["next_round"] == second["id"]
        assert (await view(api, second["id"]))["previous"] == first["id"]
        repeated = await post(api, next_round, body, {**OFFICIAL, "Idempotency-Key": "round-2"})
        assert repeated.status_code == 201 and repeated.json()["id"] == second["id"], repeated.text
        await refused(api, first["id"], next_round, body, 409, "next_round_exists")

        (recorded,) = events_of(await api.events(first["id"]), "NextRoundScheduled")
        assert (recorded["next_auction"], recorded["round"], recorded["official"], recorded["office"]) == (
            second["id"],
            2,
            "bailiff-7",
            OFFICE,
        )
        (scheduled,) = events_of(await api.events(second["id"]), "AuctionScheduled")
        assert (scheduled["previous"], scheduled["official"], scheduled["office"]) == (first["id"], "bailiff-7", OFFICE)

        await move_clock(api, clock, datetime(2026, 8, 26, 7, 0, tzinfo=UTC))
        await status_becomes(api, second["id"], "failed")
        ended = await post(api, f"/auctions/{second['id']}/close")
        assert ended.status_code == 200 and ended.json()["outcome"], ended.text  # round 2 was the last
        later = {"opens_at": "2026-12-01T10:00:00+01:00", "closes_at": "2026-12-14T11:00:00+01:00"}
        await refused(api, second["id"], f"/auctions/{second['id']}/next-round", later, 409, "last_round")


async def test_a_country_without_a_next_round_refuses_one() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(lithuanian(), OFFICIAL)
        await move_clock(api, clock, START + timedelta(days=2))
        await status_becomes(api, auction["id"], "failed")
        body = {"opens_at": (START + timedelta(days=40)).isoformat()}
        path = f"/auctions/{auction['id']}/next-round"
        await refused(api, auction["id"], path, body, 409, "next_round_not_provided")


# ---------------------------------------------------------------- suspension, resumption, cancellation


async def test_a_suspension_keeps_the_time_left_and_the_resumption_gives_it_back() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START), OFFICIAL)
        auction_id = auction["id"]
        await api.register(auction_id, "alice")
        assert (await api.bid(auction_id, "alice", "1500.00")).status_code == 201
        await refused(api, auction_id, f"/auctions/{auction_id}/resume", None, 409, "auction_not_suspended")
        await refused(api, auction_id, f"/auctions/{auction_id}/suspend", {"reason": "  "}, 422, "invalid_reason")
        await refused(api, auction_id, f"/auctions/{auction_id}/suspend", {"reason": "x" * 2001}, 422, "invalid_reason")
        await refused(api, auction_id, f"/auctions/{auction_id}/suspend", {}, 422, "invalid_request")

        await move_clock(api, clock, START + timedelta(minutes=10))
        suspended = await post(api, f"/auctions/{auction_id}/suspend", {"reason": "The payment gateway is down."})
        assert suspended.status_code == 200, suspended.text
        state = suspended.json()
        assert (state["status"], state["suspension_reason"], state["time_left_seconds"]) == (
            "suspended",
            "The payment gateway is down.",
            3000.0,
        )
        late = await api.bid(auction_id, "alice", "2000.00")
        assert late.status_code == 409 and late.json()["error"]["code"] == "auction_suspended"
        await refused(api, auction_id, f"/auctions/{auction_id}/suspend", {"reason": "again"}, 409, "auction_not_open")

        # Long past the deadline as scheduled: nothing closes while suspended.
        await move_clock(api, clock, START + timedelta(hours=3))
        assert (await view(api, auction_id))["status"] == "suspended"
        resumed = await post(api, f"/auctions/{auction_id}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "open"
        assert parse_instant(resumed.json()["closes_at"]) == START + timedelta(hours=3, minutes=50)
        assert (await api.bid(auction_id, "alice", "2000.00")).status_code == 201
        events = await api.events(auction_id)
        for kind in ("AuctionSuspended", "AuctionResumed"):
            (data,) = events_of(events, kind)
            assert (data["official"], data["office"]) == ("bailiff-7", OFFICE)


async def test_only_an_open_auction_can_be_suspended() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START + timedelta(days=1)), OFFICIAL)
        path = f"/auctions/{auction['id']}/suspend"
        await refused(api, auction["id"], path, {"reason": "maintenance"}, 409, "auction_not_open")
        await refused(api, auction["id"], path, {"reason": "maintenance"}, 403, "forbidden", AUDITOR)
        await refused(api, auction["id"], path, {"reason": "maintenance"}, 401, "unauthenticated", {})


async def test_a_cancellation_ends_the_auction_without_a_sale_and_makes_every_deposit_refundable() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(lithuanian(), OFFICIAL)
        auction_id = auction["id"]
        alice = await admitted(api, auction_id, "alice", "800.00")
        assert (await api.bid(auction_id, "alice", "8000.00")).status_code == 201
        await refused(api, auction_id, f"/auctions/{auction_id}/cancel", {"reason": ""}, 422, "invalid_reason")
        cancelled = await post(api, f"/auctions/{auction_id}/cancel", {"reason": "The debt was paid."})
        assert cancelled.status_code == 200, cancelled.text
        assert (cancelled.json()["status"], cancelled.json()["sale"]) == ("cancelled", None)
        assert cancelled.json()["cancelled_at"] is not None
        (deposit,) = (await view(api, auction_id, OFFICIAL))["deposits"]
        assert (deposit["bidder_code"], deposit["status"]) == (alice, "refund_due")
        await refused(
            api, auction_id, f"/auctions/{auction_id}/cancel", {"reason": "again"}, 409, "auction_not_cancellable"
        )
        await refused(api, auction_id, f"/auctions/{auction_id}/close", None, 409, "auction_cancelled")
        late = await api.bid(auction_id, "alice", "9000.00")
        assert late.status_code == 409 and late.json()["error"]["code"] == "auction_cancelled"
        assert (await post(api, f"/auctions/{auction_id}/registrations/{alice}/refund")).status_code == 200
        listed = (await api.client.get("/auctions", params={"status": "cancelled"})).json()["auctions"]
        assert [a["id"] for a in listed] == [auction_id] and "deposits" not in listed[0]


# ---------------------------------------------------------------- SI pre-emption

SI_START = datetime(2030, 9, 2, 8, 0, tzinfo=UTC)
SI_OPENS = datetime(2030, 9, 30, 8, 0, tzinfo=UTC)  # a Monday
SI_CLOSES = SI_OPENS + timedelta(hours=1)


def slovenian() -> dict[str, Any]:
    """SI immovable worth 50 000.00: starting price 35 000.00, deposit 5 000.00."""
    return {
        "country": "SI",
        "title": "Farmland plot, Ptuj",
        "asset": "immovable",
        "value": "50000.00",
        "opens_at": SI_OPENS.isoformat(),
        "closes_at": SI_CLOSES.isoformat(),
        "payment_days": 30,
    }


async def test_a_preemption_holder_declares_in_the_window_and_becomes_purchaser_at_the_best_price() -> None:
    clock = ManualClock(SI_START)
    async with running_api(clock=clock) as api:
        auction_id = (await api.schedule(slovenian(), OFFICIAL))["id"]
        ana = await admitted(api, auction_id, "ana", "5000.00")
        boris = await admitted(api, auction_id, "boris", "5000.00")
        neighbour = await admitted(api, auction_id, "neighbour", "5000.00", role="preemption_holder")
        tenant = await admitted(api, auction_id, "tenant", "5000.00", role="preemption_holder")
        unpaid = await admitted(api, auction_id, "cousin", "0", role="preemption_holder")
        registered = await post(
            api, f"/auctions/{auction_id}/registrations", {"role": "preemption_holder"}, bidder("neighbour")
        )
        assert registered.status_code == 200 and registered.json()["bidder_code"] == neighbour
        await refused(
            api,
            auction_id,
            f"/auctions/{auction_id}/registrations",
            {"role": "owner"},
            422,
            "invalid_request",
            bidder("x"),
        )
        preempt = f"/auctions/{auction_id}/preemption"
        await refused(api, auction_id, preempt, None, 409, "preemption_window_closed", bidder("neighbour"))

        await move_clock(api, clock, SI_OPENS + timedelta(minutes=1))
        await status_becomes(api, auction_id, "open")
        assert (await api.bid(auction_id, "ana", "35000.00")).status_code == 201
        assert (await api.bid(auction_id, "boris", "36000.00")).status_code == 201
        await refused(api, auction_id, preempt, None, 409, "preemption_window_closed", bidder("neighbour"))

        await move_clock(api, clock, SI_CLOSES + timedelta(minutes=1))
        await status_becomes(api, auction_id, "closed")
        await refused(api, auction_id, f"/auctions/{auction_id}/close", None, 409, "preemption_window_open")
        await refused(api, auction_id, preempt, None, 409, "not_preemption_holder", bidder("ana"))
        await refused(api, auction_id, preempt, None, 409, "not_preemption_holder", bidder("stranger"))
        await refused(api, auction_id, preempt, None, 409, "not_admitted", bidder("cousin"))
        await refused(api, auction_id, preempt, None, 403, "forbidden", OFFICIAL)

        await move_clock(api, clock, SI_CLOSES + timedelta(minutes=4))
        declared = await post(api, preempt, None, {**bidder("neighbour"), "Idempotency-Key": "mine"})
        assert declared.status_code == 201, declared.text
        assert (declared.json()["bidder_code"], declared.json()["price"]) == (neighbour, "36000.00")
        again = await post(api, preempt, None, {**bidder("neighbour"), "Idempotency-Key": "mine"})
        assert again.status_code == 201 and again.json() == declared.json()
        await refused(api, auction_id, preempt, None, 409, "preemption_taken", bidder("tenant"))
        assert (await view(api, auction_id))["preemptor"] == neighbour

        await move_clock(api, clock, SI_CLOSES + timedelta(minutes=10))  # the window is over at +10 exactly
        await refused(api, auction_id, preempt, None, 409, "preemption_window_closed", bidder("tenant"))
        ended = await post(api, f"/auctions/{auction_id}/close")
        assert ended.status_code == 200, ended.text
        assert (ended.json()["purchaser"], ended.json()["price"], ended.json()["paid"]) == (
            neighbour,
            "36000.00",
            "5000.00",
        )
        deposits = {line["bidder_code"]: line for line in (await view(api, auction_id, AUDITOR))["deposits"]}
        assert deposits[neighbour]["status"] == "credited"
        assert {deposits[code]["status"] for code in (ana, boris, tenant)} == {"refund_due"}
        due = parse_instant(deposits[ana]["due"]).astimezone(ZoneInfo("Europe/Ljubljana"))
        assert due.date() == date(2030, 10, 16)  # within 15 days of the date bidding ended
        assert unpaid not in deposits


async def test_a_role_where_the_country_knows_no_preemption_is_refused() -> None:
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule(lithuanian())
        path = f"/auctions/{auction['id']}/registrations"
        await refused(api, auction["id"], path, {"role": "preemption_holder"}, 422, "role_not_used", bidder("alice"))


async def test_the_openapi_schema_documents_every_act_after_bidding() -> None:
    async with running_api() as api:
        paths = (await api.client.get("/openapi.json")).json()["paths"]
    for path, status in (
        ("/auctions/{auction_id}/payments", "201"),
        ("/auctions/{auction_id}/registrations/{bidder_code}/refund", "200"),
        ("/auctions/{auction_id}/transfer", "200"),
        ("/auctions/{auction_id}/offer-next", "200"),
        ("/auctions/{auction_id}/grace", "200"),
        ("/auctions/{auction_id}/suspend", "200"),
        ("/auctions/{auction_id}/resume", "200"),
        ("/auctions/{auction_id}/cancel", "200"),
        ("/auctions/{auction_id}/next-round", "201"),
        ("/auctions/{auction_id}/preemption", "201"),
    ):
        operation = paths[path]["post"]
        assert operation["description"] and {status, "401", "403", "404", "409", "422"} <= set(operation["responses"])


@pytest.mark.parametrize("office", [None, OFFICE])
async def test_the_token_office_is_optional(office: str | None) -> None:
    headers = {"Authorization": f"Bearer {issue_token(SECRET, 'bailiff', 'b-1', office=office)}"}
    async with running_api(clock=ManualClock(START)) as api:
        auction = await api.schedule(swedish_auction(START), headers)
        (scheduled,) = events_of(await api.events(auction["id"]), "AuctionScheduled")
    assert scheduled["official"] == "b-1" and scheduled.get("office") == office


async def test_a_token_with_an_empty_office_does_not_verify() -> None:
    headers = {"Authorization": f"Bearer {issue_token(SECRET, 'bailiff', 'b-1', office='')}"}
    async with running_api() as api:
        response = await api.client.post("/auctions", json=swedish_auction(START), headers=headers)
    assert response.status_code == 401


# ---------------------------------------------------------------- SE grace


async def test_a_swedish_grace_period_moves_the_deadline_once_a_tenth_is_paid() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START, value="90000.00", starting_price="50000.00"), OFFICIAL)
        auction_id = auction["id"]
        await api.register(auction_id, "ana")
        assert (await api.bid(auction_id, "ana", "85000.00")).status_code == 201
        closes = parse_instant(auction["closes_at"])
        await move_clock(api, clock, closes + timedelta(minutes=30))
        await status_becomes(api, auction_id, "closed")
        declared = (await post(api, f"/auctions/{auction_id}/close")).json()
        assert parse_instant(declared["payment_due"]) == closes + timedelta(hours=48)  # fixed by law, elapsed

        grace = f"/auctions/{auction_id}/grace"
        until = (closes + timedelta(days=20)).isoformat()
        await refused(api, auction_id, grace, {"until": until}, 409, "grace_not_allowed")  # 10 % not paid yet
        assert (await post(api, f"/auctions/{auction_id}/payments", {"amount": "8500.00"})).status_code == 201
        too_long = (closes + timedelta(days=45)).isoformat()
        await refused(api, auction_id, grace, {"until": too_long}, 409, "grace_too_long")
        await refused(api, auction_id, grace, {"until": closes.isoformat()}, 409, "grace_too_short")
        await refused(api, auction_id, grace, {"until": "2030-06-01T10:00:00"}, 422, "invalid_request")
        granted = await post(api, grace, {"until": until})
        assert granted.status_code == 200, granted.text
        assert parse_instant(granted.json()["payment_due"]) == parse_instant(until)
        (event,) = events_of(await api.events(auction_id), "GraceGranted")
        assert (event["rule"], event["official"], event["office"]) == ("SE-grace", "bailiff-7", OFFICE)
        assert parse_instant(event["previous"]) == closes + timedelta(hours=48)


async def test_a_grace_period_where_the_law_gives_none_is_refused() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction_id, _, _ = await sold(api, clock)
        until = (START + timedelta(days=20)).isoformat()
        await refused(api, auction_id, f"/auctions/{auction_id}/grace", {"until": until}, 409, "grace_not_provided")


async def test_a_public_read_with_a_token_that_does_not_verify_is_answered_without_the_deposits() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction_id, _, _ = await sold(api, clock)
        for headers in ({"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
            state = await view(api, auction_id, headers)
            assert "deposits" not in state and state["sale"] == "awaiting_payment"


async def test_opening_and_an_incident_name_the_official_too() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(START + timedelta(days=1)), OFFICIAL)
        assert (await post(api, f"/auctions/{auction['id']}/open")).status_code == 200
        incident = {"description": "Receipts were late.", "started_at": START.isoformat()}
        assert (await post(api, f"/auctions/{auction['id']}/incidents", incident)).status_code == 201
        events = await api.events(auction["id"])
    for kind in ("AuctionScheduled", "BiddingOpened", "IncidentRecorded"):
        (data,) = events_of(events, kind)
        assert (data["official"], data["office"]) == ("bailiff-7", OFFICE), kind
