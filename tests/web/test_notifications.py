"""The auction page's own notices: a watch button, and an outbid notice arriving live from /ws/me."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.web.support import Server, expect


def test_an_outbid_bidder_sees_the_notice_and_can_watch(web_server: Server, open_page: Any, shot: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(hours=1))
    web_server.register(auction["id"], "web-ana")
    web_server.register(auction["id"], "web-ben")
    page = open_page(f"/app/auction/{auction['id']}", role="bidder", subject="web-ana")
    watch = page.locator("#watch")
    expect(watch).to_have_attribute("aria-pressed", "false")
    watch.click()
    expect(watch).to_have_attribute("aria-pressed", "true")
    assert web_server.bid(auction["id"], "web-ana", "1000.00").status_code == 201
    assert web_server.bid(auction["id"], "web-ben", "1100.00").status_code == 201
    notices = page.locator("#my-notifications li[data-kind=outbid]")
    expect(notices).to_have_count(1)
    expect(notices.first).to_have_text(re.compile(r"You were outbid: 1100\.00"))
    shot(page, "notifications-outbid")
    page.reload()  # the feed resumes from the start: the same notice, once
    expect(page.locator("#my-notifications li[data-kind=outbid]")).to_have_count(1)
    expect(page.locator("#watch")).to_have_attribute("aria-pressed", "true")
