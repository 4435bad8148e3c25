"""The bailiff console: scheduling with the country's rules shown as you type, the
server's refusal naming the rule and the warnings it gives about a schedule it accepts;
registrations, deposits, opening and ending an auction."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.web.support import BG_GOOD_FRIDAY, Server, expect, parse_instant, token, utc_now

SOFIA = ZoneInfo("Europe/Sofia")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _sign_in_through_the_page(page: Any, role: str, subject: str) -> None:
    page.locator("#token").fill(token(role, subject))
    expect(page.locator("#token-preview")).to_contain_text(f"This token is for {subject} as {role}")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#claim-role")).to_have_text(role)


def test_a_bailiff_schedules_an_auction_through_the_console(web_server: Server, open_page: Any, shot: Any) -> None:
    page = open_page("/app/sign-in?next=/app/bailiff")
    _sign_in_through_the_page(page, "bailiff", "bailiff-console")
    page.locator("#continue-link").click()
    expect(page).to_have_url(re.compile(r"/app/bailiff$"))
    expect(page.locator("#who-role")).to_have_text("bailiff")

    opens_local = (utc_now() + timedelta(days=2)).astimezone(SOFIA).replace(hour=10, minute=0, second=0, microsecond=0)
    page.select_option("#country", "BG")
    page.locator("#title").fill("Apartment, Plovdiv, 3 rooms")
    page.select_option("#asset", "immovable")
    page.locator("#value").fill("120000")
    page.locator("#increment").fill("500")
    page.locator("#opens_at").fill(opens_local.strftime("%Y-%m-%dT%H:%M"))
    hints = page.locator("#hints")
    # The payment period is a term of the notice in Bulgaria: the hints ask for it until it is given.
    expect(hints.locator("li.hint-warn")).to_contain_text("Payment period: required")
    page.locator("#payment_days").fill("14")
    expect(hints).to_contain_text("the declaration's day + 14 days")
    # The rules of the chosen country appear as the form is filled in.
    expect(hints).to_contain_text("at least 80% of the value = 96,000.00 EUR")
    expect(hints).to_contain_text("10% of the starting price = 9,600.00 EUR")
    expect(page.locator("label[for=opens_at]")).to_contain_text("Europe/Sofia")
    close_local = (opens_local + timedelta(days=6)).replace(hour=17)
    expect(hints).to_contain_text(f"{close_local.day} {close_local:%b %Y}, 17:00:00")

    # A starting price below the legal minimum: the page warns, the server refuses and names the rule.
    page.locator("#starting_price").fill("90000")
    expect(hints.locator("li.hint-warn")).to_contain_text("below the legal minimum 96,000.00 EUR")
    page.locator("#schedule-submit").click()
    result = page.locator("#schedule-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(page.locator("#refused-rule")).to_have_text("BG-starting-price")
    expect(result).to_contain_text("96000.00")
    shot(page, "bailiff-refused-by-rule")

    page.locator("#starting_price").fill("")
    page.locator("#schedule-submit").click()
    expect(result).to_have_attribute("data-outcome", "scheduled")
    auction_id = result.get_attribute("data-id")
    assert auction_id
    auction = web_server.auction(auction_id)
    assert auction["country"] == "BG" and auction["title"] == "Apartment, Plovdiv, 3 rooms"
    assert auction["starting_price"] == "96000.00" and auction["increment"] == "500.00"
    assert auction["deposit_required"] == "9600.00" and auction["payment_days"] == 14
    assert parse_instant(auction["opens_at"]) == opens_local
    closes = parse_instant(auction["closes_at"]).astimezone(SOFIA)
    assert (closes.date(), closes.hour, closes.minute) == (close_local.date(), 17, 0)
    expect(page.locator(f'#auctions-table tr[data-id="{auction_id}"]')).to_contain_text("Apartment, Plovdiv")
    shot(page, "bailiff-console-scheduled")

    # Manage it: a registration appears, the deposit admits the bidder, bidding opens.
    page.locator("#manage-link").click()
    expect(page.locator("#manage-title")).to_have_text("Apartment, Plovdiv, 3 rooms")
    code = web_server.register(auction_id, "plovdiv-buyer")
    page.locator("#refresh").click()
    row = page.locator(f'#registrations-table tr[data-code="{code}"]')
    expect(row.locator(".badge")).to_have_text("not admitted")
    row.locator("input").fill("9600")
    row.locator("button").click()
    expect(page.locator("#deposit-result")).to_contain_text(f"{code} is admitted")
    expect(row.locator(".badge")).to_have_text("admitted")
    expect(row.locator(".deposit-total")).to_have_text("9,600.00 EUR")
    page.locator("#open-now").click()
    expect(page.locator("#action-result")).to_have_text("Bidding is open.")
    expect(page.locator("#open-now")).to_be_disabled()
    state = web_server.auction(auction_id)
    assert state["status"] == "open" and state["admitted"] == 1
    shot(page, "bailiff-manage")


def test_a_bailiff_ends_an_auction_whose_bidding_ended_and_the_purchaser_is_declared(
    web_server: Server, open_page: Any
) -> None:
    # Bidding ends by itself at the deadline, a few seconds from now, without a bid.
    auction = web_server.schedule_swedish(timedelta(seconds=4), title="Rowing machine, Umeå")
    page = open_page(f"/app/bailiff/{auction['id']}", "bailiff", "bailiff-closer")
    expect(page.locator("#end-auction")).to_be_disabled()
    for _ in range(150):
        if web_server.auction(auction["id"])["status"] == "failed":
            break
        time.sleep(0.1)
    assert web_server.auction(auction["id"])["status"] == "failed", "bidding did not end at the deadline"
    # The live feed reports the end of bidding; the page refreshes and offers to end the auction.
    expect(page.locator("#end-auction")).to_be_enabled()
    # Until the auction ends, incidents can still be recorded (bidding is over, the report is not final).
    expect(page.locator("#incident-submit")).to_be_enabled()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#end-auction").click()
    expect(page.locator("#action-result")).to_have_text("Ended: no purchaser (no valid bid).")
    expect(page.locator("#end-auction")).to_be_disabled()
    state = web_server.auction(auction["id"])
    assert state["status"] == "failed" and state["ended"] is True and state["purchaser"] is None
    # Once it has ended, the incident form is closed and says why.
    expect(page.locator("#incident-form")).to_have_attribute("data-state", "ended")
    for field in ("#incident-description", "#incident-started", "#incident-ended", "#incident-submit"):
        expect(page.locator(field)).to_be_disabled()
    expect(page.locator("#incident-hint")).to_contain_text("no incident can be recorded any more")


def test_the_console_tells_a_visitor_without_a_bailiff_token_to_sign_in(open_page: Any) -> None:
    page = open_page("/app/bailiff", "bidder", "not-a-bailiff")
    notice = page.locator("#role-notice")
    expect(notice).to_contain_text("You are signed in as bidder")
    expect(notice.locator("a")).to_have_attribute("href", "/app/sign-in?next=%2Fapp%2Fbailiff")
    # Switching the country shows that country's rules.
    page.select_option("#country", "SE")
    expect(page.locator("#currency")).to_have_value("SEK")
    expect(page.locator("#hints")).to_contain_text("No deposit is required to bid.")
    expect(page.locator("#hints")).to_contain_text("The close must be given.")
    # Sweden's law fixes the payment period: the field says so, and the hints warn if one is typed.
    expect(page.locator("#payment_days-hint")).to_contain_text("Not used in Sweden")
    page.locator("#payment_days").fill("10")
    expect(page.locator("#hints li.hint-warn", has_text="Leave the payment period empty")).to_have_count(1)


def _expect_warnings(items: Any, warnings: list[dict[str, str]]) -> None:
    """Each warning's message, with its code and rule in the small print under it."""
    expect(items).to_have_count(len(warnings))
    for index, warning in enumerate(warnings):
        item = items.nth(index)
        expect(item.locator(".warning-message")).to_have_text(warning["message"])
        expect(item.locator("small.warning-source")).to_be_visible()
        expect(item.locator(".warning-code")).to_have_text(warning["code"])
        expect(item.locator(".warning-rule")).to_have_text(warning["rule"])


def test_a_close_on_good_friday_is_scheduled_and_the_console_shows_both_warnings(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    case = BG_GOOD_FRIDAY
    page = open_page("/app/bailiff", "bailiff", "bailiff-warned")
    page.select_option("#country", "BG")
    page.locator("#title").fill("Flat in Plovdiv, closing on Good Friday")
    page.select_option("#asset", "immovable")
    page.locator("#value").fill("100000")
    page.locator("#increment").fill("500")
    page.locator("#opens_at").fill(case.opens_input)
    page.locator("#closes_at").fill(case.closes_input)
    page.locator("#payment_days").fill("14")
    page.locator("#schedule-submit").click()

    # Scheduled, and told (not refused) about day 8 and about the holiday.
    result = page.locator("#schedule-result")
    expect(result).to_have_attribute("data-outcome", "scheduled")
    expect(result).to_have_attribute("data-warnings", "2")
    expect(result).to_have_attribute("data-kind", "warn")
    expect(result).to_contain_text("Scheduled.")
    block = page.locator("#schedule-warnings")
    expect(block).to_be_visible()
    expect(block).to_contain_text("Scheduled with 2 warnings about the schedule.")
    expect(block).to_contain_text("did not block scheduling")
    _expect_warnings(block.locator("li"), case.warnings)
    shot(page, "bailiff-scheduled-with-warnings")

    auction_id = result.get_attribute("data-id")
    assert auction_id
    auction = web_server.auction(auction_id)
    assert auction["status"] == "scheduled" and auction["title"] == "Flat in Plovdiv, closing on Good Friday"
    five_pm = datetime(case.closes.year, case.closes.month, case.closes.day, 17, tzinfo=SOFIA)
    assert parse_instant(auction["closes_at"]) == five_pm
    assert auction["warnings"] == case.warnings
    row = page.locator(f'#auctions-table tr[data-id="{auction_id}"]')
    expect(row.locator(".warnings-badge")).to_have_text("2 warnings")

    # Managing the auction shows them too.
    page.locator("#manage-link").click()
    expect(page.locator("#manage-title")).to_have_text("Flat in Plovdiv, closing on Good Friday")
    box = page.locator("#manage-warnings")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-count", "2")
    expect(box).to_contain_text("2 warnings about the schedule.")
    _expect_warnings(box.locator("li"), case.warnings)
    shot(page, "bailiff-manage-with-warnings")


def test_a_schedule_without_warnings_shows_no_warning_block(web_server: Server, open_page: Any) -> None:
    opens_local = (
        (utc_now() + timedelta(days=1)).astimezone(STOCKHOLM).replace(hour=10, minute=0, second=0, microsecond=0)
    )
    closes_local = opens_local + timedelta(days=8)
    page = open_page("/app/bailiff", "bailiff", "bailiff-unwarned")
    page.select_option("#country", "SE")
    page.locator("#title").fill("Tractor, Uppsala")
    page.select_option("#asset", "movable")
    page.locator("#value").fill("80000")
    page.locator("#opens_at").fill(opens_local.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#closes_at").fill(closes_local.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#schedule-submit").click()
    result = page.locator("#schedule-result")
    expect(result).to_have_attribute("data-outcome", "scheduled")
    expect(result).to_have_attribute("data-warnings", "0")
    expect(result).to_have_attribute("data-kind", "ok")
    expect(page.locator("#schedule-warnings")).to_have_count(0)
    expect(result.locator("li")).to_have_count(0)
    expect(result).not_to_contain_text("warning")
    auction_id = result.get_attribute("data-id")
    assert auction_id
    assert web_server.auction(auction_id)["warnings"] == []
    expect(page.locator(f'#auctions-table tr[data-id="{auction_id}"]')).to_contain_text("Tractor, Uppsala")
    expect(page.locator(f'#auctions-table tr[data-id="{auction_id}"] .warnings-badge')).to_have_count(0)

    page.locator("#manage-link").click()
    expect(page.locator("#manage-title")).to_have_text("Tractor, Uppsala")
    expect(page.locator("#manage-warnings")).to_have_attribute("data-count", "0")
    expect(page.locator("#manage-warnings")).to_be_hidden()

    # A Lithuanian auction whose close the rules derive: no warnings either.
    lithuanian = web_server.schedule(
        country="LT",
        title="Car, Kaunas",
        asset="movable",
        value="30000.00",
        opens_at=(utc_now() + timedelta(days=1)).isoformat(),
    )
    assert lithuanian["warnings"] == []
    page = open_page(f"/app/bailiff/{lithuanian['id']}", "bailiff", "bailiff-unwarned")
    expect(page.locator("#manage-title")).to_have_text("Car, Kaunas")
    expect(page.locator("#manage-warnings")).to_have_attribute("data-count", "0")
    expect(page.locator("#manage-warnings")).to_be_hidden()
