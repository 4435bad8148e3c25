"""The bidder page reads the bidder's own state from the server (GET /auctions/{id}/me), in Chromium:
registered and bid in one browser, the page opened in another (no shared storage, the same sign-in)
shows the same bidder code, admission and bids as the bidder's own."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.web.support import Server, expect


def test_the_registration_and_bids_follow_the_bidder_to_another_browser(web_server: Server, open_page: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Piano, Västerås")
    path = f"/app/auction/{auction['id']}"
    first = open_page(path, "bidder", "two-devices-bidder")
    first.locator("#register").click()
    expect(first.locator("#my-code")).to_have_text(re.compile(r"^B-\d+$"))
    code = first.locator("#my-code").inner_text()
    first.locator("#bid-amount").fill("1500.00")
    first.locator("#bid-submit").click()
    first.locator("#bid-confirm-yes").click()
    expect(first.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")

    second = open_page(path, "bidder", "two-devices-bidder")  # a fresh context: nothing remembered locally
    assert second.evaluate("() => Object.keys(localStorage).filter((k) => k !== 'auction.token')") == []
    expect(second.locator("#my-code")).to_have_text(code)
    expect(second.locator("#admitted")).to_have_text(re.compile("admitted"))
    expect(second.locator("#bid-form")).to_be_visible()
    mine = second.locator(f"#bids li[data-bidder='{code}']")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("(you)")
    expect(second.locator("#standing")).to_have_attribute("data-standing", "leading")

    # Someone else, in a third browser, sees no registration of theirs and the register button.
    stranger = open_page(path, "bidder", "two-devices-stranger")
    expect(stranger.locator("#register")).to_be_visible()
    expect(stranger.locator("#bids li")).to_have_count(1)
    expect(stranger.locator("#bids li")).not_to_contain_text("(you)")
