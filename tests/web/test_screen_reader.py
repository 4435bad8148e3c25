"""The bidder's page for a screen reader and the keyboard, in Chromium: bidding with the keyboard
alone (the focus stays on the control acted with), live regions announcing each meaningful change
once and never unchanged text (counted with a MutationObserver during 20 bids), and the time left
announced at 5 min, 1 min, 30 s and 10 s (the page's clock driven with Playwright's page.clock)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.web.conftest import SEED_TOKEN
from tests.web.support import Server, expect, token

# Every live region's text after each batch of mutations that touched it (one batch: one announcement).
OBSERVE_LIVE_REGIONS = """
(() => {
  window.liveLog = [];
  const LIVE = '[aria-live]:not([aria-live="off"]), [role=status], [role=alert]';
  const regions = () => [...document.querySelectorAll(LIVE)];
  const start = () => {
    const observer = new MutationObserver((records) => {
      const touched = new Set();
      for (const record of records) {
        const node = record.target.nodeType === Node.ELEMENT_NODE ? record.target : record.target.parentElement;
        const region = node && node.closest(LIVE);
        if (region) touched.add(region);
      }
      for (const region of touched) {
        window.liveLog.push({ id: region.id, text: region.textContent.replace(/\\s+/g, " ").trim() });
      }
    });
    for (const region of regions()) observer.observe(region, { childList: true, subtree: true, characterData: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""


@pytest.fixture
def open_as(browser: Any, web_server: Server) -> Iterator[Any]:
    """open_as(path, subject=None, locale="en-GB", clock=False, script=None) -> a page (clock: page.clock installed)."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(path: str, subject: str | None = None, locale: str = "en-GB", clock: bool = False,
              script: str | None = None) -> Any:  # fmt: skip
        context = browser.new_context(
            base_url=web_server.url, viewport={"width": 1280, "height": 900}, locale=locale,
            timezone_id="America/New_York",
        )  # fmt: skip
        context.set_default_timeout(10_000)
        contexts.append(context)
        if subject is not None:
            context.add_init_script(SEED_TOKEN % json.dumps(token("bidder", subject)))
        if script:
            context.add_init_script(script)
        page = context.new_page()
        if clock:
            page.clock.install()
        page.on("pageerror", lambda error: errors.append(f"{path}: {error}"))
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the pages: {errors}"


def _live(page: Any) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reached with Tab")


def _confirm_with_the_keyboard(page: Any) -> None:
    """The in-page confirmation of a binding bid: it opens on "No"; Shift+Tab reaches "Yes"."""
    expect(page.locator("#bid-confirm")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "bid-confirm-no"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "bid-confirm-yes"
    page.keyboard.press("Enter")
    expect(page.locator("#bid-confirm")).to_be_hidden()


def test_a_binding_bid_is_confirmed_in_the_page_by_keyboard_and_escape_sends_nothing(
    web_server: Server, open_as: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Piano, Lund")
    page = open_as(f"/app/auction/{auction['id']}", "keyboard-confirmer")
    _live(page)
    _tab_to(page, "#register")
    page.keyboard.press("Enter")
    expect(page.locator("#my-code")).to_have_text(re.compile(r"^B-\d+$"))
    page.keyboard.press("Control+A")
    page.keyboard.type("1500")
    page.keyboard.press("Enter")
    dialog = page.locator("#bid-confirm")
    expect(dialog).to_be_visible()
    # A modal dialog, named, describing the bid with its amount in words; the focus inside it, on "No".
    assert page.evaluate("document.getElementById('bid-confirm').matches(':modal')")
    assert dialog.get_attribute("aria-labelledby") == "bid-confirm-heading"
    expect(page.locator("#bid-confirm-words")).to_contain_text("1,500.00 SEK")
    expect(page.locator("#bid-confirm-words")).to_contain_text("In words: one thousand, five hundred SEK")
    assert page.evaluate("document.activeElement.id") == "bid-confirm-no"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Tab stays inside the modal dialog
    assert page.evaluate("document.activeElement.closest('#bid-confirm') !== null")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "cancelled")
    assert page.evaluate("document.activeElement.id") == "bid-amount"  # back where the bidder was
    assert web_server.auction(auction["id"])["bid_count"] == 0
    page.keyboard.press("Enter")
    _confirm_with_the_keyboard(page)
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    assert page.evaluate("document.activeElement.id") == "bid-amount"
    assert web_server.auction(auction["id"])["bid_count"] == 1


def test_a_bidder_registers_and_bids_with_the_keyboard_alone(web_server: Server, open_as: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Volvo 240, Uppsala")
    page = open_as(f"/app/auction/{auction['id']}", "keyboard-bidder")
    _live(page)
    _tab_to(page, "#register")
    page.keyboard.press("Enter")
    expect(page.locator("#my-code")).to_have_text(re.compile(r"^B-\d+$"))
    assert page.evaluate("document.activeElement.id") == "bid-amount"  # the next control, focused
    page.keyboard.press("Control+A")
    page.keyboard.type("1500")
    page.keyboard.press("Enter")
    _confirm_with_the_keyboard(page)
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    assert page.evaluate("document.activeElement.id") == "bid-amount"  # the focus stays where the bidder was
    _tab_to(page, "#bid-submit")
    page.keyboard.press("Enter")  # the proposed next amount, sent from the button
    _confirm_with_the_keyboard(page)
    expect(page.locator("#bid-result")).to_contain_text("position")
    expect(page.locator("#bids li")).to_have_count(2)
    assert page.evaluate("document.activeElement.id") == "bid-submit"


def test_twenty_bids_are_announced_once_each_and_unchanged_text_never(web_server: Server, open_as: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Segelbåt, Göteborg")
    for subject in ("anna-sr", "bertil-sr"):
        web_server.register(auction["id"], subject)
    page = open_as(f"/app/auction/{auction['id']}", script=OBSERVE_LIVE_REGIONS)
    _live(page)
    page.evaluate("window.liveLog = []")
    amounts = [f"{1000 + 100 * n}.00" for n in range(20)]
    for n, amount in enumerate(amounts):
        response = web_server.bid(auction["id"], ("anna-sr", "bertil-sr")[n % 2], amount)
        assert response.status_code == 201, response.text
    expect(page.locator("#price")).to_have_text("2,900.00 SEK")
    expect(page.locator("#bids li")).to_have_count(20)
    page.wait_for_timeout(1500)  # let late messages (and any needless re-render) arrive
    log: list[dict[str, str]] = page.evaluate("window.liveLog")
    price = [entry["text"] for entry in log if entry["id"] == "price-box"]
    assert len(price) == 20, price  # one announcement per new best bid
    assert all("SEK" in text for text in price)
    assert "2,900.00 SEK" in price[-1]
    by_region: dict[str, list[str]] = {}
    for entry in log:
        by_region.setdefault(entry["id"], []).append(entry["text"])
    for region, texts in by_region.items():
        repeats = [a for a, b in zip(texts, texts[1:], strict=False) if a == b]
        assert not repeats, f"{region} was filled again with unchanged text: {repeats[:3]}"
    assert set(by_region) <= {"price-box", "connection"}, by_region.keys()  # nothing else spoke


COUNTDOWN = {
    "en": ["5 minutes left", "1 minute left", "30 seconds left", "10 seconds left"],
    "sl": ["Še 5 minut", "Še 1 minuta", "Še 30 sekund", "Še 10 sekund"],
}


@pytest.mark.parametrize("language", sorted(COUNTDOWN))
def test_the_time_left_is_announced_at_five_minutes_one_minute_thirty_and_ten_seconds(
    language: str, web_server: Server, open_as: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=6), title="Segelbåt, Göteborg")
    page = open_as(f"/app/auction/{auction['id']}?lang={language}", clock=True, script=OBSERVE_LIVE_REGIONS)
    _live(page)
    expect(page.locator("#time-left")).to_have_text(re.compile(r"^[56]:\d\d$"))
    page.evaluate("window.liveLog = []")
    page.clock.run_for(5 * 60_000 + 53_000)  # to about 7 s before the deadline, on the page's clock
    log: list[dict[str, str]] = page.evaluate("window.liveLog")
    spoken = [entry["text"] for entry in log if entry["id"] == "time-announcement"]
    assert spoken == COUNTDOWN[language]
    assert not [entry for entry in log if entry["id"] == "price-box"]  # the price did not change: not announced
