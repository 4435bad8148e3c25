"""The bidder's page when the server asks for a confirmation the page's own typo guard did not:
a bid just above ten times the value, close to the price, is sent again with ``confirm`` once the
bidder says yes, and not at all when they say no (the server recorded nothing either way)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.web.support import Server, auth, expect


def test_a_bid_above_ten_times_the_value_is_confirmed_by_the_bidder_then_sent_with_confirm(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(
        timedelta(minutes=30), title="Rowing boat, Luleå", value="1000.00", starting_price="100.00"
    )
    eve = web_server.client.post(f"/auctions/{auction['id']}/registrations", headers=auth("bidder", "eve-early"))
    assert eve.status_code == 201, eve.text
    assert web_server.bid(auction["id"], "eve-early", "9500.00").status_code == 201  # below 10 x 1000.00
    page = open_page(f"/app/auction/{auction['id']}", "bidder", "dave-outbid")
    page.locator("#register").click()
    expect(page.locator("#my-code")).to_have_text(re.compile(r"^B-\d+$"))
    expect(page.locator("#price")).to_contain_text("9,500.00")
    question = page.locator("#bid-confirm-question")

    # 10,500.00 is no large jump from 9,500.00, so the page sends it once confirmed; the server asks
    # (above 10,000.00), and the page asks again with the server's reason.
    page.locator("#bid-amount").fill("10500")
    page.locator("#bid-submit").click()
    expect(question).to_be_hidden()
    page.locator("#bid-confirm-yes").click()
    expect(question).to_be_visible()
    asked = question.inner_text()
    assert "10,500.00 SEK" in asked and "value" in asked
    page.locator("#bid-confirm-no").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "cancelled")
    expect(page.locator("#bid-result")).to_have_text("Bid of 10,500.00 SEK not sent.")
    assert web_server.auction(auction["id"])["bid_count"] == 1

    page.locator("#bid-submit").click()
    page.locator("#bid-confirm-yes").click()
    expect(question).to_be_visible()
    page.locator("#bid-confirm-yes").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    state = web_server.auction(auction["id"])
    assert (state["price"], state["bid_count"]) == ("10500.00", 2)
    shot(page, "bidder-confirmed-outsize-bid")
