"""The report after bidding: the sale's course, the deposit ledger, refunds due and overdue at the
report's instant, suspensions, cancellation, the next round and the officials who acted, in the
JSON report, a bidder's anonymised copy, and the HTML and CSV renderings."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from engine.commands import (
    Advance,
    Cancel,
    DecideTransfer,
    DeclarePreemption,
    EndAuction,
    OfferNextBest,
    Official,
    PlaceBid,
    RecordDeposit,
    RecordPayment,
    RecordRefund,
    RegisterBidder,
    Resume,
    ScheduleAuction,
    StartNextRound,
    Suspend,
)
from engine.model import PREEMPTION_HOLDER, parse_instant
from engine.sale import next_round_draft
from engine.service import stream_of
from projections.audit.render import render_csv, render_html
from projections.audit.replay import replay_reports
from projections.report import build_report
from rules import load_rules
from tests.domain.support import draft_for
from tests.projections.support import START, World, swedish_draft

SUBJECTS = ("alice@example.test", "bob@example.test", "carol@example.test")
JUDGE = Official("judge-mira", "District court, enforcement")
CLERK = Official("clerk-jan", "District court, deposits")


async def report_of(world: World, auction_id: str, as_of: datetime | None = None, anonymise: bool = False) -> dict:
    stored = await world.store.read_stream(stream_of(auction_id))
    country = str(stored[0].data["country"])
    decoded = None if anonymise else await world.service.decode(stored)
    return build_report(auction_id, stored, load_rules(country), anonymise, decoded, as_of=as_of)


def acts(report: dict[str, Any]) -> list[str]:
    return [line["act"] for line in report["sale_course"]]


def ledger(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {entry["bidder_code"]: (entry["status"], entry["amount"]) for entry in report["ledger"]}


def without_subjects(report: dict[str, Any]) -> None:
    text = json.dumps(report)
    for subject in SUBJECTS:
        assert subject not in text
    assert '"subject"' not in text


# ---------------------------------------------------------------- SI: pre-emption, payments, transfer, refunds

SI_OPENS = START + timedelta(days=40)


async def slovenian_sale_completed() -> tuple[World, dict[str, Any]]:
    """Three admitted bidders, the third a pre-emption holder who takes the best price; the price paid
    in two instalments after the deposit is credited; the transfer decided; one refund of two recorded."""
    world = World()
    draft = draft_for("SI", opens_at=SI_OPENS, closes_at=SI_OPENS + timedelta(minutes=30))
    await world.run("s", ScheduleAuction("s", draft, official=JUDGE))
    await world.run("s", RegisterBidder(SUBJECTS[0]))
    await world.run("s", RegisterBidder(SUBJECTS[1]))
    await world.run("s", RegisterBidder(SUBJECTS[2], role=PREEMPTION_HOLDER))
    for code in ("B-1", "B-2", "B-3"):
        await world.run("s", RecordDeposit(code, 10_000_00))
    world.clock.set(SI_OPENS + timedelta(minutes=1))
    for code, amount in (("B-1", 71_000_00), ("B-2", 72_000_00), ("B-1", 73_000_00)):
        await world.run("s", PlaceBid(code, amount))
    assert draft.closes_at is not None
    world.clock.set(draft.closes_at + timedelta(minutes=1))
    await world.run("s", Advance())
    await world.run("s", DeclarePreemption("B-3"))
    world.clock.set(draft.closes_at + timedelta(minutes=11))
    await world.run("s", EndAuction(official=JUDGE))
    await world.run("s", RecordPayment(30_000_00, official=JUDGE))
    await world.run("s", RecordPayment(33_000_00, official=JUDGE))
    world.clock.set(draft.closes_at + timedelta(days=2))
    await world.run("s", DecideTransfer("VL 12/2030", draft.closes_at.date() + timedelta(days=1), official=JUDGE))
    await world.run("s", RecordRefund("B-2", official=CLERK))
    return world, await report_of(world, "s", as_of=draft.closes_at + timedelta(days=3))


async def test_a_completed_sale_shows_its_declaration_payments_transfer_and_deposits() -> None:
    _, report = await slovenian_sale_completed()

    assert report["status"] == "closed" and report["sale"] == "completed"
    assert report["winner"]["bidder_code"] == "B-1"  # the bidding outcome ...
    assert report["purchaser"] == {"bidder_code": "B-3", "subject": SUBJECTS[2], "price": "73000.00"}  # ... pre-empted
    assert report["payment_due"] == "2030-07-09T00:00:00+02:00"  # 14 days from the declaration, Ljubljana clock
    assert (report["paid"], report["price_due"], report["payment_overdue"]) == ("73000.00", "0.00", False)
    assert acts(report) == ["preemption", "declared", "payment", "payment", "paid", "transfer"]
    declared = report["sale_course"][1]
    assert (declared["bidder_code"], declared["price"], declared["payment_due"]) == (
        "B-3",
        "73000.00",
        "2030-07-09T00:00:00+02:00",
    )
    assert declared["official"] == JUDGE.subject and declared["office"] == JUDGE.office
    assert [(line["amount"], line["paid"]) for line in report["sale_course"] if line["act"] == "payment"] == [
        ("30000.00", "40000.00"),  # the credited deposit counts towards the price
        ("33000.00", "73000.00"),
    ]
    assert report["transfer"] is not None
    assert (report["transfer"]["reference"], report["transfer"]["decided_on"]) == ("VL 12/2030", "2030-06-25")

    assert ledger(report) == {
        "B-1": ("refund_due", "10000.00"),
        "B-2": ("refunded", "10000.00"),
        "B-3": ("credited", "10000.00"),
    }
    entries = {entry["bidder_code"]: entry for entry in report["ledger"]}
    assert entries["B-1"]["due"] == "2030-07-10T00:00:00+02:00"  # 15 days of the date bidding ended (SI-refund)
    assert entries["B-2"]["refunded_at"] == "2030-06-26T10:30:00+02:00"
    assert [line["status"] for line in entries["B-2"]["lines"]] == ["refund_due", "refunded"]
    assert entries["B-2"]["lines"][-1]["official"] == CLERK.subject
    assert [(r["bidder_code"], r["due"]) for r in report["refunds_due"]] == [("B-1", "2030-07-10T00:00:00+02:00")]
    assert report["refunds_overdue"] == []
    assert report["deposits_to_refund"] == [
        {"bidder_code": "B-1", "subject": SUBJECTS[0], "amount": "10000.00", "admitted": True}
    ]
    assert report["as_of"] == "2030-06-27T10:30:00+02:00"
    assert report["next_round"] is None and report["previous"] is None and report["outcome"] is None
    assert report["cancelled"] is None and report["suspension"] is None and report["suspensions"] == []

    officials = {(o["official"], o["office"]): [a["act"] for a in o["acts"]] for o in report["officials"]}
    assert officials == {
        (JUDGE.subject, JUDGE.office): ["scheduled", "declared", "payment", "payment", "transfer"],
        (CLERK.subject, CLERK.office): ["refund"],
    }
    assert {"SI-preemption", "SI-refund", "SI-payment"} <= {rule["code"] for rule in report["rules"]}


async def test_a_refund_is_overdue_from_its_due_date_on() -> None:
    world, _ = await slovenian_sale_completed()
    due = parse_instant("2030-07-10T00:00:00+02:00")  # SI: within 15 days of the date bidding ended

    before = await report_of(world, "s", as_of=due - timedelta(seconds=1))
    assert [r["bidder_code"] for r in before["refunds_due"]] == ["B-1"]
    assert before["refunds_overdue"] == [] and before["refunds_due"][0]["overdue"] is False

    at_due = await report_of(world, "s", as_of=due)
    assert [(r["bidder_code"], r["amount"], r["due"]) for r in at_due["refunds_overdue"]] == [
        ("B-1", "10000.00", "2030-07-10T00:00:00+02:00")
    ]
    assert next(e for e in at_due["ledger"] if e["bidder_code"] == "B-1")["overdue"] is True
    # A refunded deposit is never overdue, and the purchaser's credited one never falls due.
    assert {e["bidder_code"] for e in at_due["ledger"] if e["overdue"]} == {"B-1"}


async def test_a_replay_as_of_an_instant_shows_the_refunds_then() -> None:
    world, _ = await slovenian_sale_completed()
    events = await world.store.read_all()
    closes = SI_OPENS + timedelta(minutes=30)

    # Between the pre-emption and the declaration: no refund is due yet, but every deposit except the
    # pre-emption holder's (the purchaser to be) is to go back, the best bidder's included.
    [preempted] = replay_reports(events, load_rules, as_of=closes + timedelta(minutes=5))
    assert preempted["sale"] is None and preempted["refunds_due"] == []
    assert [r["bidder_code"] for r in preempted["deposits_to_refund"]] == ["B-1", "B-2"]
    assert [line["act"] for line in preempted["sale_course"]] == ["preemption"]
    # A day after the declaration: both refunds due, neither recorded nor overdue.
    [early] = replay_reports(events, load_rules, as_of=closes + timedelta(days=1))
    assert early["as_of"] == "2030-06-25T10:30:00+02:00"
    assert early["sale"] == "paid" and early["transfer"] is None
    assert [r["bidder_code"] for r in early["refunds_due"]] == ["B-1", "B-2"] and early["refunds_overdue"] == []
    # After the due date, B-1's refund (never recorded) is overdue; B-2's was refunded in time.
    [late] = replay_reports(events, load_rules, as_of=parse_instant("2030-07-11T00:00:00+02:00"))
    assert [r["bidder_code"] for r in late["refunds_overdue"]] == ["B-1"]
    assert late["refunds_overdue"][0]["subject"] is None  # a log holds identities sealed


async def test_a_bidders_copy_of_the_sale_names_no_bidder() -> None:
    world, full = await slovenian_sale_completed()
    assert SUBJECTS[2] in json.dumps(full)
    copy = await report_of(world, "s", as_of=parse_instant("2030-07-11T00:00:00+02:00"), anonymise=True)

    without_subjects(copy)
    assert copy["purchaser"] == {"bidder_code": "B-3", "price": "73000.00"}
    assert [r["bidder_code"] for r in copy["refunds_overdue"]] == ["B-1"]
    assert copy["officials"][0]["official"] == JUDGE.subject  # officials are not bidders: they stay
    for fmt in (render_html, render_csv):
        text = fmt([copy]).decode()
        assert not any(subject in text for subject in SUBJECTS)


async def test_html_and_csv_show_the_sale_after_bidding() -> None:
    _, report = await slovenian_sale_completed()

    page = render_html([report]).decode()
    for heading in (
        "Sale after bidding",
        "Course of the sale",
        "Deposit ledger",
        "Refunds due",
        "Refunds overdue at 2030-06-27T10:30:00+02:00",
        "Suspensions",
        "Officials who acted",
    ):
        assert f"<h3>{heading}</h3>" in page, heading
    assert "<caption>Deposit ledger</caption>" in page and '<th scope="col">status</th>' in page
    assert '<th scope="row">Still due</th><td>0.00</td>' in page
    assert "reference VL 12/2030; decided on 2030-06-25" in page
    assert "judge-mira" in page and "clerk-jan" in page

    rows = list(csv.DictReader(io.StringIO(render_csv([report]).decode())))
    assert [r["record"] for r in rows].count("bid") == 3
    sale = [(r["act"], r["bidder_code"], r["price"], r["amount"], r["paid"]) for r in rows if r["record"] == "sale"]
    assert sale == [
        ("preemption", "B-3", "73000.00", "", ""),
        ("declared", "B-3", "73000.00", "", ""),
        ("payment", "", "", "30000.00", "40000.00"),
        ("payment", "", "", "33000.00", "73000.00"),
        ("paid", "B-3", "", "", "73000.00"),
        ("transfer", "", "", "", ""),
    ]
    ledger_rows = [(r["bidder_code"], r["status"], r["due"]) for r in rows if r["record"] == "ledger"]
    assert ledger_rows == [
        ("B-3", "credited", ""),
        ("B-1", "refund_due", "2030-07-10T00:00:00+02:00"),
        ("B-2", "refund_due", "2030-07-10T00:00:00+02:00"),
        ("B-2", "refunded", ""),
    ]
    positions = [int(r["position"]) for r in rows]
    assert positions == sorted(positions)  # in the order of the events
    transfer = next(r for r in rows if r["act"] == "transfer")
    assert (transfer["reference"], transfer["official"]) == ("VL 12/2030", JUDGE.subject)
    assert transfer["office"] == JUDGE.office


# ---------------------------------------------------------------- LT: default, forfeiture, offer to the next-best


async def test_a_default_forfeits_the_deposit_and_the_sale_goes_to_the_next_best_bidder() -> None:
    world = World()
    opens = START + timedelta(days=1)
    await world.run("l", ScheduleAuction("l", draft_for("LT", opens_at=opens), official=JUDGE))
    for subject in SUBJECTS:
        await world.run("l", RegisterBidder(subject))
    for code in ("B-1", "B-2", "B-3"):
        await world.run("l", RecordDeposit(code, 8_000_00))  # 10 % of the starting price
    world.clock.set(opens + timedelta(minutes=1))
    await world.run("l", PlaceBid("B-1", 80_000_00))
    await world.run("l", PlaceBid("B-2", 85_000_00))
    world.clock.set(opens + timedelta(days=30, hours=1))  # past the close and its 5 quiet minutes
    await world.run("l", Advance())
    await world.run("l", EndAuction(official=JUDGE))
    await world.run("l", RecordPayment(10_000_00, official=JUDGE))
    declared = await report_of(world, "l")
    assert declared["sale"] == "awaiting_payment" and declared["price_due"] == "67000.00"
    first_due = parse_instant(declared["payment_due"])

    world.clock.set(first_due + timedelta(minutes=1))
    await world.run("l", Advance())  # the default, at the deadline itself
    await world.run("l", OfferNextBest(official=JUDGE))
    report = await report_of(world, "l", as_of=first_due + timedelta(minutes=2))

    assert acts(report) == ["declared", "payment", "defaulted", "offered"]
    defaulted = report["sale_course"][2]
    assert (defaulted["bidder_code"], defaulted["paid"]) == ("B-2", "18000.00")
    assert defaulted["at"] == declared["payment_due"]
    offered = report["sale_course"][3]
    assert (offered["bidder_code"], offered["price"], offered["rule"]) == ("B-1", "80000.00", "LT-next-best")
    assert offered["official"] == JUDGE.subject
    assert report["sale"] == "awaiting_payment"
    assert report["purchaser"] == {"bidder_code": "B-1", "subject": SUBJECTS[0], "price": "80000.00"}
    assert report["payment_due"] == offered["payment_due"] and report["payment_due"] != declared["payment_due"]
    assert (report["paid"], report["price_due"]) == ("8000.00", "72000.00")  # B-1's deposit, credited again
    assert ledger(report) == {
        "B-1": ("credited", "8000.00"),
        "B-2": ("forfeited", "8000.00"),
        "B-3": ("refund_due", "8000.00"),
    }
    credited = next(e for e in report["ledger"] if e["bidder_code"] == "B-1")
    assert [line["status"] for line in credited["lines"]] == ["refund_due", "credited"] and credited["due"] is None
    forfeited = next(e for e in report["ledger"] if e["bidder_code"] == "B-2")["lines"][-1]
    assert forfeited["status"] == "forfeited" and forfeited["rule"]
    assert [r["bidder_code"] for r in report["deposits_to_refund"]] == ["B-3"]
    # LT: refunds are due on the first working day after bidding ended, long past by now.
    assert [r["bidder_code"] for r in report["refunds_overdue"]] == ["B-3"]

    # The new deadline passes with nothing recorded yet: the report says the payment is overdue.
    later = await report_of(world, "l", as_of=parse_instant(report["payment_due"]))
    assert later["payment_overdue"] is True and later["sale"] == "awaiting_payment"
    without_subjects(await report_of(world, "l", anonymise=True))


# ---------------------------------------------------------------- cancellation and suspension


async def test_a_cancelled_auction_has_no_sale_and_every_deposit_falls_due() -> None:
    world = World()
    draft = draft_for("HR", opens_at=START + timedelta(days=61))
    await world.run("h", ScheduleAuction("h", draft, official=JUDGE))
    await world.run("h", RegisterBidder(SUBJECTS[0]))
    await world.run("h", RecordDeposit("B-1", 10_000_00))
    world.clock.advance(timedelta(days=3))
    await world.run("h", Cancel("The debtor paid the claim", official=CLERK))
    report = await report_of(world, "h", as_of=START + timedelta(days=400))

    assert report["status"] == "cancelled" and report["sale"] is None and report["purchaser"] is None
    assert report["paid"] is None and report["price_due"] is None and report["payment_due"] is None
    assert acts(report) == ["cancelled"]
    cancelled = report["cancelled"]
    assert cancelled is not None
    assert (cancelled["reason"], cancelled["official"], cancelled["office"]) == (
        "The debtor paid the claim",
        CLERK.subject,
        CLERK.office,
    )
    assert cancelled["at"].endswith("+02:00")  # Europe/Zagreb in summer
    # HR sets no refund date: due, never overdue.
    assert [(r["bidder_code"], r["amount"], r["due"]) for r in report["refunds_due"]] == [("B-1", "10000.00", None)]
    assert report["refunds_overdue"] == []
    assert report["deposits_to_refund"] == [
        {"bidder_code": "B-1", "subject": SUBJECTS[0], "amount": "10000.00", "admitted": True}
    ]
    assert [a["act"] for o in report["officials"] if o["official"] == CLERK.subject for a in o["acts"]] == [
        "cancelled"
    ]
    page = render_html([report]).decode()
    assert '<th scope="row">Cancelled</th>' in page and "The debtor paid the claim" in page


async def test_suspensions_show_their_reasons_and_the_time_left() -> None:
    world = World()
    await world.run("a", ScheduleAuction("a", swedish_draft(hours=1), official=JUDGE))
    await world.run("a", RegisterBidder(SUBJECTS[0]))
    world.clock.advance(timedelta(seconds=1))
    await world.run("a", PlaceBid("B-1", 1_000_00))
    world.clock.set(START + timedelta(minutes=10))
    await world.run("a", Suspend("The platform is unreachable", official=JUDGE))
    world.clock.set(START + timedelta(minutes=40))
    await world.run("a", Resume(official=JUDGE))
    world.clock.set(START + timedelta(minutes=50))
    await world.run("a", Suspend("Power cut at the data centre", official=CLERK))
    report = await report_of(world, "a")

    assert report["status"] == "suspended"
    lines = [(s["act"], s["reason"], s["left_seconds"], s["official"]) for s in report["suspensions"]]
    assert lines == [
        ("suspended", "The platform is unreachable", 3000.0, JUDGE.subject),
        ("resumed", "The platform is unreachable", 3000.0, JUDGE.subject),  # the 50 minutes left, kept
        ("suspended", "Power cut at the data centre", 2400.0, CLERK.subject),  # 10 minutes after resuming
    ]
    assert report["suspensions"][1]["deadline"] == "2030-05-15T11:30:00+02:00"  # resumed at 10:40 + 50 min
    assert report["suspension"] == {
        "since": "2030-05-15T10:50:00+02:00",
        "reason": "Power cut at the data centre",
        "deadline": "2030-05-15T11:30:00+02:00",
        "left_seconds": 2400.0,
    }
    assert report["sale"] is None and report["refunds_due"] == [] and report["ledger"] == []

    page = render_html([report]).decode()
    assert "<caption>Suspensions and resumptions</caption>" in page
    assert "<td>0:50:00</td>" in page and "<td>0:40:00</td>" in page
    assert "Power cut at the data centre" in page
    rows = list(csv.DictReader(io.StringIO(render_csv([report]).decode())))
    assert [(r["record"], r["act"], r["left_seconds"]) for r in rows if r["record"] == "suspension"] == [
        ("suspension", "suspended", "3000.0"),
        ("suspension", "resumed", "3000.0"),
        ("suspension", "suspended", "2400.0"),
    ]


# ---------------------------------------------------------------- the next round and the terminal outcome


async def test_a_failed_round_names_its_next_round_and_the_last_one_its_outcome() -> None:
    world = World()
    draft = draft_for("SI", opens_at=SI_OPENS, closes_at=SI_OPENS + timedelta(minutes=30))
    await world.run("s", ScheduleAuction("s", draft, official=JUDGE))
    world.clock.set(SI_OPENS + timedelta(hours=1))
    await world.run("s", Advance())  # no bid: bidding failed
    await world.run("s", EndAuction(official=JUDGE))
    opens = SI_OPENS + timedelta(days=40)
    command = StartNextRound("s-2", opens_at=opens, closes_at=opens + timedelta(minutes=30), official=JUDGE)
    state = await world.service.load("s")
    round_two = next_round_draft(state, load_rules("SI"), command, world.clock.now())
    await world.run("s", command)
    await world.run("s-2", ScheduleAuction("s-2", round_two, official=JUDGE))

    first = await report_of(world, "s")
    assert first["status"] == "failed" and first["sale"] is None
    assert acts(first) == ["declared_failed", "next_round"]
    assert first["next_round"] is not None
    assert {k: first["next_round"][k] for k in ("auction", "round", "opens_at", "closes_at", "starting_price")} == {
        "auction": "s-2",
        "round": 2,
        "opens_at": "2030-08-03T10:00:00+02:00",
        "closes_at": "2030-08-03T10:30:00+02:00",
        "starting_price": "50000.00",  # SI: half the value in round 2
    }
    assert first["next_round"]["official"] == JUDGE.subject and first["outcome"] is None

    world.clock.set(opens + timedelta(hours=1))
    await world.run("s-2", Advance())
    await world.run("s-2", EndAuction(official=JUDGE))
    second = await report_of(world, "s-2")
    assert second["previous"] == "s" and second["terms"]["round"] == 2
    assert second["outcome"] == "enforcement_terminated"
    assert acts(second) == ["declared_failed", "rounds_exhausted"]
    page = render_html([first, second]).decode()
    assert "auction s-2, round 2" in page and "enforcement_terminated" in page
