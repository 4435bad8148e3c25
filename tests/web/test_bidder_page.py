"""The bidder's page: live price and leader, the server-corrected countdown, extensions,
the bid form with its typo guard, refusals in plain words, and the self-healing live feed."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from tests.web.support import Server, countdown_seconds, expect, parse_instant, utc_now

THREE_HOURS_MS = 3 * 3600 * 1000

# A browser whose clock is three hours fast: Date.now() and new Date() both lie.
CLOCK_THREE_HOURS_FAST = """
(() => {
  const shift = SHIFT;
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + shift);
      else super(...args);
    }
    static now() {
      return RealDate.now() + shift;
    }
  }
  globalThis.Date = ShiftedDate;
})();
""".replace("SHIFT", str(THREE_HOURS_MS))


def _page_path(auction: dict[str, Any]) -> str:
    return f"/app/auction/{auction['id']}"


def _register(page: Any) -> str:
    page.locator("#register").click()
    code = page.locator("#my-code")
    expect(code).to_have_text(re.compile(r"^B-\d+$"))
    return str(code.inner_text())


def _wait_live(page: Any) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def test_two_bidders_see_each_others_bids_and_the_extension_live(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(seconds=60), title="Sailing boat, Göteborg")
    alice = open_page(_page_path(auction), "bidder", "alice-live")
    bob = open_page(_page_path(auction), "bidder", "bob-live")
    alice_code = _register(alice)
    bob_code = _register(bob)
    assert alice_code != bob_code
    _wait_live(alice)
    _wait_live(bob)
    deadline = parse_instant(auction["closes_at"])

    # Alice bids the proposed amount, the starting price, with about a minute left.
    expect(alice.locator("#bid-amount")).to_have_value("1000.00")
    alice.locator("#bid-submit").click()
    alice.locator("#bid-confirm-yes").click()
    expect(alice.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    expect(alice.locator("#bid-result")).to_contain_text("Accepted: your bid of 1,000.00 SEK")

    # Bob sees her bid, her code as leader and the two extra minutes, without reloading.
    expect(bob.locator("#price")).to_have_text("1,000.00 SEK")
    expect(bob.locator("#leader")).to_have_text(f"Leading: {alice_code}")
    expect(bob.locator("#bids li")).to_have_count(1)
    expect(bob.locator("#extension")).to_be_visible()
    expect(bob.locator("#extension")).to_contain_text("Deadline extended by 2 min")
    expect(bob.locator("#extension")).to_contain_text("SE-extension")
    extended = deadline + timedelta(minutes=2)
    assert parse_instant(bob.locator("#extension").get_attribute("data-deadline")) == extended
    assert parse_instant(web_server.auction(auction["id"])["closes_at"]) == extended
    expect(alice.locator("#extension")).to_contain_text("Deadline extended by 2 min")
    expect(alice.locator("#standing")).to_have_text("You are leading.")
    left = countdown_seconds(bob.locator("#time-left").inner_text())
    expected_left = (extended - utc_now()).total_seconds()
    assert abs(left - expected_left) <= 3, (left, expected_left)

    # Bob answers with the amount his page proposes; Alice sees she was outbid.
    expect(bob.locator("#bid-amount")).to_have_value("1010.00")
    bob.locator("#bid-submit").click()
    bob.locator("#bid-confirm-yes").click()
    expect(bob.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    expect(alice.locator("#price")).to_have_text("1,010.00 SEK")
    expect(alice.locator("#leader")).to_have_text(f"Leading: {bob_code}")
    expect(alice.locator("#standing")).to_have_text(f"You were outbid: the best bid is now 1,010.00 SEK by {bob_code}.")
    expect(alice.locator("#standing")).to_have_attribute("data-standing", "outbid")
    expect(alice.locator("#bids li")).to_have_count(2)
    expect(alice.locator("#bids li").first).to_contain_text(f"1,010.00 SEK by {bob_code}")
    expect(bob.locator("#standing")).to_have_text("You are leading.")
    expect(alice.locator("#bid-amount")).to_have_value("1030.00")
    shot(alice, "bidder-outbid")
    shot(bob, "bidder-leading-after-extension")


def test_the_countdown_follows_the_server_clock_when_the_browser_clock_is_three_hours_fast(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=20), title="Mahogany bookcase, Lund")
    page = open_page(_page_path(auction), "bidder", "carol-clock", init_script=CLOCK_THREE_HOURS_FAST)
    skew = page.evaluate("Date.now()") - time.time() * 1000
    assert abs(skew - THREE_HOURS_MS) < 60_000, "the browser's clock was not set three hours fast"
    _wait_live(page)
    # The first countdown after the snapshot (refreshed four times a second).
    page.wait_for_timeout(600)

    remaining_ms = int(page.locator("#time-left").get_attribute("data-remaining-ms"))
    shown = countdown_seconds(page.locator("#time-left").inner_text())
    expected = (parse_instant(auction["closes_at"]) - utc_now()).total_seconds()
    assert abs(remaining_ms / 1000 - expected) <= 3, (remaining_ms, expected)
    assert abs(shown - expected) <= 3, (shown, expected)
    assert 18 * 60 < shown <= 20 * 60
    expect(page.locator("#status")).to_have_text("Open for bids")
    # The two-hour token is judged by the server's clock too: not "expired" for a fast browser clock.
    expect(page.locator("#token-expired")).to_have_attribute("data-checked-against", "server")
    expect(page.locator("#token-expired")).to_be_hidden()
    # The deadline is shown on the auction's clock with its zone, not on the browser's (New York) clock.
    expect(page.locator("#deadline")).to_contain_text("(Europe/Stockholm)")
    stockholm = page.evaluate(
        """iso => new Intl.DateTimeFormat("en-GB", {timeZone: "Europe/Stockholm", hour: "2-digit",
           minute: "2-digit", second: "2-digit", hourCycle: "h23"}).format(new Date(Date.parse(iso)))""",
        auction["closes_at"],
    )
    expect(page.locator("#deadline")).to_contain_text(stockholm)
    shot(page, "bidder-countdown-clock-three-hours-fast")


def test_a_bid_far_above_the_next_valid_amount_asks_for_confirmation_first(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Upright piano, Västerås")
    page = open_page(_page_path(auction), "bidder", "dave-typo")
    _register(page)
    dialog = page.locator("#bid-confirm")
    question = page.locator("#bid-confirm-question")

    # A slip of the finger: 100000 instead of 1000. The page asks; the bidder says no.
    page.locator("#bid-amount").fill("100000")
    page.locator("#bid-amount").press("Enter")
    expect(dialog).to_be_visible()
    expect(question).to_be_visible()
    asked = question.inner_text()
    assert "100,000.00 SEK" in asked and "1,000.00 SEK" in asked and "9900%" in asked
    page.locator("#bid-confirm-no").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "cancelled")
    expect(page.locator("#bid-result")).to_have_text("Bid of 100,000.00 SEK not sent.")
    assert web_server.auction(auction["id"])["bid_count"] == 0

    # An ordinary bid is confirmed with its amount in words only, no further question.
    page.locator("#bid-amount").fill("1 000,00")
    page.locator("#bid-submit").click()
    expect(dialog).to_be_visible()
    expect(question).to_be_hidden()
    page.locator("#bid-confirm-yes").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")

    # A large jump the bidder confirms is sent.
    page.locator("#bid-amount").fill("5000")
    page.locator("#bid-submit").click()
    expect(question).to_contain_text("5,000.00 SEK")
    page.locator("#bid-confirm-yes").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    state = web_server.auction(auction["id"])
    assert state["price"] == "5000.00" and state["bid_count"] == 2
    shot(page, "bidder-after-confirmed-jump")


def test_refused_bids_are_explained_in_plain_words(web_server: Server, open_page: Any, shot: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Garden shed, Kiruna")
    web_server.register(auction["id"], "erin-first")
    assert web_server.bid(auction["id"], "erin-first", "2000.00").status_code == 201
    page = open_page(_page_path(auction), "bidder", "frank-refused")
    _register(page)
    expect(page.locator("#price")).to_have_text("2,000.00 SEK")

    page.locator("#bid-amount").fill("1500")
    page.locator("#bid-submit").click()
    page.locator("#bid-confirm-yes").click()
    result = page.locator("#bid-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "bid_too_low")
    expect(result).to_contain_text("Your bid is too low: it must be higher than the best bid")

    page.locator("#bid-amount").fill("abc")
    page.locator("#bid-submit").click()
    expect(result).to_have_attribute("data-outcome", "invalid")
    expect(page.locator("#bid-amount")).to_have_attribute("aria-invalid", "true")
    shot(page, "bidder-refused")

    later = web_server.schedule_swedish(
        timedelta(days=3),
        open_now=False,
        title="Canoe, Sundsvall",
        opens_at=(utc_now() + timedelta(days=1)).isoformat(),
    )
    waiting = open_page(_page_path(later), "bidder", "frank-refused")
    _register(waiting)
    expect(waiting.locator("#time-left-label")).to_have_text("Opens in")
    waiting.locator("#bid-submit").click()
    waiting.locator("#bid-confirm-yes").click()
    expect(waiting.locator("#bid-result")).to_have_attribute("data-code", "auction_not_open")
    expect(waiting.locator("#bid-result")).to_contain_text("Bidding has not opened yet")


def test_the_live_feed_reconnects_by_itself_and_resumes_after_the_last_position(
    web_server: Server, open_page: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Motorboat, Nyköping")
    page = open_page(_page_path(auction), "bidder", "gina-feed")
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    _wait_live(page)
    position = page.evaluate("window.auctionPage.feed.position")
    assert isinstance(position, int) and position >= 2

    # The connection drops; a bid happens meanwhile; the page catches up on its own.
    page.evaluate("window.auctionPage.feed.socket.close()")
    web_server.register(auction["id"], "hugo-feed")
    assert web_server.bid(auction["id"], "hugo-feed", "1100.00").status_code == 201
    expect(page.locator("#price")).to_have_text("1,100.00 SEK")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    assert any(url.endswith(f"/ws/auctions/{auction['id']}?after={position}") for url in sockets), sockets
    expect(page.locator("#bids li")).to_have_count(1)

    # Coming back to the tab re-syncs the clock and the state from a fresh snapshot.
    before = page.evaluate("window.auctionPage.feed.connections")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    assert page.evaluate("window.auctionPage.feed.connections") == before + 1
    expect(page.locator("#bids li")).to_have_count(1)


def test_the_bidder_page_works_by_keyboard_and_on_a_phone(web_server: Server, open_page: Any, shot: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Bicycle, Linköping")
    page = open_page(_page_path(auction), "bidder", "ivy-keys", viewport={"width": 390, "height": 844})
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    register = page.locator("#register")
    register.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#my-code")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "bid-amount"
    page.keyboard.press("Enter")
    expect(page.locator("#bid-confirm")).to_be_visible()  # the binding bid confirmed in the page
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea, button")]
             .filter(el => !el.hidden && el.offsetParent !== null)
             .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.textContent.trim())
             .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    assert page.locator("#price-box").get_attribute("aria-live") == "polite"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "bidder-phone")
