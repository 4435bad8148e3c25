"""After bidding, in the browser: the bailiff runs the sale from the console (the declaration,
payments with a refusal shown in words, the transfer decision, deposits refunded) and the
purchaser's page says what is still due and by when, then that it is paid; the other bidders
are told their deposit is due back; a suspension shows the time left."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.web.support import BAILIFF, Server, expect, parse_instant, utc_now

LISBON = ZoneInfo("Europe/Lisbon")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _register(page: Any) -> str:
    page.locator("#register").click()
    code = page.locator("#my-code")
    expect(code).to_have_text(re.compile(r"^B-\d+$"))
    return str(code.inner_text())


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def _declare(page: Any) -> None:
    expect(page.locator("#end-auction")).to_be_enabled(timeout=30_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#end-auction").click()


def test_the_bailiff_runs_a_sale_to_completion_and_the_purchaser_sees_what_is_due(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    # Portugal: no deposit and, without an interval in the notice, no soft close.
    now = utc_now()
    auction = web_server.schedule(
        country="PT",
        title="Fishing boat, Peniche",
        asset="movable",
        value="10000.00",
        opens_at=(now + timedelta(seconds=2)).isoformat(),
        closes_at=(now + timedelta(seconds=8)).isoformat(),
        payment_days=10,
    )
    auction_id = auction["id"]
    assert auction["starting_price"] == "8500.00" and auction["payment_days"] == 10
    web_server.post(f"/auctions/{auction_id}/open")
    buyer = open_page(f"/app/auction/{auction_id}", "bidder", "peniche-buyer")
    code = _register(buyer)
    expect(buyer.locator("#connection")).to_have_attribute("data-state", "live")
    assert web_server.bid(auction_id, "peniche-buyer", "8500.00").status_code == 201
    web_server.wait_for(auction_id, "closed")

    bailiff = open_page(f"/app/bailiff/{auction_id}", "bailiff", "bailiff-peniche")
    expect(bailiff.locator("#sale-panel")).to_be_hidden()
    _declare(bailiff)
    expect(bailiff.locator("#action-result")).to_contain_text(f"the purchaser is {code} at 8,500.00 EUR")
    sale = bailiff.locator('#sale-state dd[data-field="Sale"]')
    expect(sale).to_have_text("awaiting payment")
    declared = web_server.auction(auction_id)
    assert declared["sale"] == "awaiting_payment" and declared["purchaser"] == code
    assert declared["price_due"] == "8500.00"
    due = parse_instant(declared["payment_due"]).astimezone(LISBON)
    assert (due.hour, due.minute) == (0, 0)

    # The purchaser is told, live, what is still due and by when, on the Lisbon clock.
    notice = buyer.locator("#sale")
    expect(notice).to_have_attribute("data-sale", "awaiting_payment")
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_contain_text("You are the purchaser.")
    expect(buyer.locator("#amount-due")).to_have_text("8,500.00 EUR")
    deadline = buyer.locator("#payment-due")
    expect(deadline).to_contain_text(f"{due.day} {due:%b %Y}, 00:00:00")
    expect(deadline).to_contain_text("(Europe/Lisbon)")
    expect(buyer.locator("#status")).to_have_text("Ended: awaiting payment")
    shot(buyer, "sale-purchaser-amount-due")

    # A payment above what is due is refused: the reason is shown in a live region, the focus stays on the button.
    expect(bailiff.locator("#payment-hint")).to_contain_text("Still due: 8,500.00 EUR")
    bailiff.locator("#payment-amount").fill("9000")
    bailiff.locator("#payment-submit").click()
    result = bailiff.locator("#payment-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "payment_exceeds_price")
    expect(result).to_have_attribute("aria-live", "polite")
    expect(result).to_contain_text("8500.00")
    assert _focused(bailiff) == "payment-submit"
    assert web_server.auction(auction_id)["paid"] == "0.00"

    # Part of the price, then the rest.
    bailiff.locator("#payment-amount").fill("3000")
    bailiff.locator("#payment-submit").click()
    expect(result).to_have_attribute("data-outcome", "done")
    expect(result).to_contain_text("Still due: 5,500.00 EUR")
    expect(buyer.locator("#amount-due")).to_have_text("5,500.00 EUR")
    expect(buyer.locator("#paid-so-far")).to_have_text("3,000.00 EUR")
    bailiff.locator("#payment-amount").fill("5500")
    bailiff.locator("#payment-submit").click()
    expect(result).to_contain_text("paid in full")
    expect(sale).to_have_text("paid")
    expect(bailiff.locator("#payment-submit")).to_be_disabled()
    expect(notice).to_have_attribute("data-sale", "paid")
    expect(notice).to_contain_text("Paid in full.")
    expect(buyer.locator("#amount-due")).to_have_count(0)

    # The transfer decision completes the sale.
    transfer = bailiff.locator("#transfer-result")
    bailiff.locator("#transfer-reference").fill("")
    bailiff.locator("#transfer-submit").click()
    expect(transfer).to_have_attribute("data-outcome", "invalid")
    assert _focused(bailiff) == "transfer-reference"
    today = utc_now().astimezone(LISBON).date()
    expect(bailiff.locator("#transfer-date")).to_have_value(today.isoformat())
    bailiff.locator("#transfer-reference").fill("Proc. 412/26.0T8PNI")
    bailiff.locator("#transfer-submit").click()
    expect(transfer).to_have_attribute("data-outcome", "done")
    expect(sale).to_have_text("completed")
    expect(bailiff.locator('#sale-state dd[data-field="Transfer decision"]')).to_have_text(
        f"Proc. 412/26.0T8PNI, decided on {today.isoformat()}"
    )
    shot(bailiff, "sale-bailiff-completed")
    completed = web_server.auction(auction_id)
    assert completed["sale"] == "completed" and completed["price_due"] == "0.00"
    expect(notice).to_have_attribute("data-sale", "completed")
    expect(notice).to_contain_text("The sale is complete.")

    # The auditor reads the course of the sale.
    auditor = open_page(f"/app/auditor/{auction_id}", "auditor", "auditor-peniche")
    acts = auditor.locator("#sale-table tbody tr")
    expect(acts.locator(".sale-act")).to_have_text(
        ["purchaser declared", "payment recorded", "payment recorded", "price paid", "transfer decision"]
    )


def test_the_other_bidders_deposit_is_due_back_and_the_bailiff_records_its_refund(
    web_server: Server, open_page: Any, shot: Any, tmp_path: Path
) -> None:
    # Latvia: a deposit of 10% of the starting price (the value), lodged before bidding opens.
    now = utc_now()
    auction = web_server.schedule(
        country="LV",
        title="Tractor, Jelgava",
        asset="movable",
        value="10000.00",
        increment="100.00",
        opens_at=(now + timedelta(seconds=10)).isoformat(),
        closes_at=(now + timedelta(seconds=25)).isoformat(),
        payment_days=7,
    )
    auction_id = auction["id"]
    assert auction["deposit_required"] == "1000.00"
    loser_page = open_page(f"/app/auction/{auction_id}", "bidder", "jelgava-second")
    loser = _register(loser_page)
    winner = web_server.register(auction_id, "jelgava-first")
    for code in (loser, winner):
        web_server.post(f"/auctions/{auction_id}/registrations/{code}/deposit", {"amount": "1000.00"}, 200)
    web_server.post(f"/auctions/{auction_id}/open")
    assert web_server.bid(auction_id, "jelgava-second", "10000.00").status_code == 201
    assert web_server.bid(auction_id, "jelgava-first", "10100.00").status_code == 201

    bailiff = open_page(f"/app/bailiff/{auction_id}", "bailiff", "bailiff-jelgava")
    # The winner's deposit is held, like the other's, while bidding goes on.
    rows = bailiff.locator("#deposits-table tbody tr")
    expect(rows).to_have_count(2)
    expect(bailiff.locator(f'#deposits-table tr[data-code="{loser}"] .ledger-status')).to_have_text("held")

    # Suspending needs a reason; once given, bidding stops with the time left kept.
    control = bailiff.locator("#control-result")
    bailiff.locator("#suspend").click()
    expect(control).to_have_attribute("data-outcome", "invalid")
    assert _focused(bailiff) == "control-reason"
    bailiff.locator("#control-reason").fill("The land registry's extract is being corrected.")
    bailiff.locator("#suspend").click()
    expect(control).to_have_attribute("data-outcome", "done")
    expect(control).to_contain_text("Bidding is suspended with")
    expect(bailiff.locator("#resume")).to_be_enabled()
    suspension = loser_page.locator("#suspension")
    expect(suspension).to_have_attribute("data-state", "suspended")
    expect(suspension).to_contain_text("The land registry's extract is being corrected.")
    expect(loser_page.locator("#time-left-label")).to_have_text("Time left (suspended)")
    expect(loser_page.locator("#bid-submit")).to_be_disabled()
    left = web_server.auction(auction_id)["time_left_seconds"]
    assert 0 < left <= 25
    # Resuming gives the time left back, counted from now.
    bailiff.locator("#resume").click()
    expect(control).to_contain_text("Bidding resumed")
    expect(suspension).to_have_attribute("data-state", "resumed")
    expect(loser_page.locator("#bid-submit")).to_be_enabled()

    web_server.wait_for(auction_id, "closed", seconds=90)
    _declare(bailiff)
    expect(bailiff.locator('#sale-state dd[data-field="Sale"]')).to_have_text("awaiting payment")
    loser_row = bailiff.locator(f'#deposits-table tr[data-code="{loser}"]')
    expect(loser_row.locator(".ledger-status")).to_have_text("refund due")
    expect(bailiff.locator(f'#deposits-table tr[data-code="{winner}"] .ledger-status')).to_have_text(
        "credited to the price"
    )
    # The winner's deposit counts towards the price.
    expect(bailiff.locator('#sale-state dd[data-field="Still due"]')).to_have_text("9,100.00 EUR")

    mine = loser_page.locator("#my-deposit")
    expect(mine).to_have_attribute("data-status", "refund_due")
    expect(mine).to_contain_text("Your deposit of 1,000.00 EUR is due back to you")

    loser_row.locator("button").click()
    refund = bailiff.locator("#refund-result")
    expect(refund).to_have_attribute("data-outcome", "done")
    expect(refund).to_contain_text(f"to {loser} recorded")
    expect(loser_row.locator(".ledger-status")).to_have_text("refunded")
    expect(loser_row.locator("button")).to_have_count(0)
    shot(bailiff, "sale-bailiff-refunded")
    expect(mine).to_have_attribute("data-status", "refunded")
    expect(mine).to_contain_text("has been paid back to you")
    response = web_server.client.post(f"/auctions/{auction_id}/registrations/{loser}/refund", headers=BAILIFF)
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_refunded"

    auditor = open_page(f"/app/auditor/{auction_id}", "auditor", "auditor-jelgava")
    ledger = auditor.locator("#ledger-table")
    expect(ledger.locator(f'tr[data-code="{loser}"] .ledger-status')).to_have_text("refunded")
    expect(ledger.locator(f'tr[data-code="{winner}"] .ledger-status')).to_have_text("credited to the price")
    expect(auditor.locator("#refunds-overdue")).to_have_attribute("data-count", "0")
    expect(auditor.locator("#suspensions-table tbody tr")).to_have_count(2)
    # The report's downloads carry the ledger too.
    with auditor.expect_download() as info:
        auditor.locator("#download-csv").click()
    target = tmp_path / str(info.value.suggested_filename)
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    ledger_rows = {row["bidder_code"]: row["reason"] for row in rows if row["record"] == "deposit_ledger"}
    assert ledger_rows == {loser: "refunded", winner: "credited"}
    assert [row["detail"].split(";")[0] for row in rows if row["record"] == "sale"] == ["declared"]


def test_a_cancellation_needs_a_reason_and_every_watcher_is_told(web_server: Server, open_page: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Snowmobile, Kiruna")
    auction_id = auction["id"]
    watcher = open_page(f"/app/auction/{auction_id}", "bidder", "kiruna-watcher")
    _register(watcher)
    expect(watcher.locator("#connection")).to_have_attribute("data-state", "live")
    bailiff = open_page(f"/app/bailiff/{auction_id}", "bailiff", "bailiff-kiruna")
    expect(bailiff.locator("#cancel")).to_be_enabled()
    expect(bailiff.locator("#resume")).to_be_disabled()
    # Sweden's law fixes the payment period and has no next round: the console offers neither.
    expect(bailiff.locator("#next-round-panel")).to_be_hidden()

    bailiff.locator("#control-reason").fill("The debtor paid the debt in full.")
    bailiff.once("dialog", lambda dialog: dialog.dismiss())
    bailiff.locator("#cancel").click()
    assert web_server.auction(auction_id)["status"] == "open"
    bailiff.once("dialog", lambda dialog: dialog.accept())
    bailiff.locator("#cancel").click()
    result = bailiff.locator("#control-result")
    expect(result).to_have_attribute("data-outcome", "done")
    expect(result).to_contain_text("The auction is cancelled")
    expect(bailiff.locator("#cancel")).to_be_disabled()
    expect(bailiff.locator('#manage-state dd[data-field="Status"]')).to_have_text("cancelled")
    assert _focused(bailiff) == "control-result"
    state = web_server.auction(auction_id)
    assert state["status"] == "cancelled" and state["cancelled_at"] and state["sale"] is None

    notice = watcher.locator("#suspension")
    expect(notice).to_have_attribute("data-state", "cancelled")
    expect(notice).to_contain_text("The auction was cancelled: The debtor paid the debt in full.")
    expect(watcher.locator("#status")).to_have_text("Cancelled")
    expect(watcher.locator("#time-left")).to_have_text("Cancelled")
    expect(watcher.locator("#bid-submit")).to_be_disabled()
    # A second cancellation is refused, in words, and changes nothing.
    response = web_server.client.post(f"/auctions/{auction_id}/cancel", json={"reason": "again"}, headers=BAILIFF)
    assert response.status_code == 409 and response.json()["error"]["code"] == "auction_not_cancellable"


def test_a_swedish_grace_period_needs_a_tenth_of_the_price_paid_first(web_server: Server, open_page: Any) -> None:
    # A bid with two minutes or more left does not extend the deadline: bidding ends as scheduled.
    auction = web_server.schedule_swedish(timedelta(seconds=130), title="Motor boat, Västerås")
    auction_id = auction["id"]
    buyer = open_page(f"/app/auction/{auction_id}", "bidder", "vasteras-buyer")
    _register(buyer)
    assert web_server.bid(auction_id, "vasteras-buyer", "20000.00").status_code == 201
    closed = web_server.wait_for(auction_id, "closed", seconds=180)
    bailiff = open_page(f"/app/bailiff/{auction_id}", "bailiff", "bailiff-vasteras")
    _declare(bailiff)
    expect(bailiff.locator('#sale-state dd[data-field="Sale"]')).to_have_text("awaiting payment")
    # Sweden fixes 48 hours after bidding ended.
    declared = web_server.auction(auction_id)
    assert parse_instant(declared["payment_due"]) == parse_instant(closed["closed_at"]) + timedelta(hours=48)
    expect(bailiff.locator("#grace-form")).to_be_visible()
    expect(bailiff.locator("#offer-next-block")).to_be_hidden()

    until = (parse_instant(closed["closed_at"]) + timedelta(days=10)).astimezone(STOCKHOLM)
    bailiff.locator("#grace-until").fill(until.strftime("%Y-%m-%dT%H:%M:%S"))
    bailiff.locator("#grace-submit").click()
    result = bailiff.locator("#grace-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "grace_not_allowed")
    expect(result).to_contain_text("2000.00 SEK")
    assert _focused(bailiff) == "grace-submit"

    bailiff.locator("#payment-amount").fill("2000")
    bailiff.locator("#payment-submit").click()
    expect(bailiff.locator("#payment-result")).to_contain_text("Still due: 18,000.00 SEK")
    bailiff.locator("#grace-submit").click()
    expect(result).to_have_attribute("data-outcome", "done")
    expect(result).to_contain_text(f"{until.day} {until:%b %Y}, {until:%H:%M:%S}")
    assert parse_instant(web_server.auction(auction_id)["payment_due"]) == until.replace(microsecond=0)
    expect(buyer.locator("#payment-due")).to_contain_text(f"{until.day} {until:%b %Y}, {until:%H:%M:%S}")
    expect(buyer.locator("#amount-due")).to_have_text("18,000.00 SEK")
