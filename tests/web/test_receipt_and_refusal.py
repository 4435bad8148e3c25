"""A binding bid, in Chromium: its amount written out in words in the page's language (and in the question
asked before a large bid), the signed receipt saved from the page (a download of the JSON the server
signed), and a refusal saying, in the page's language, the lowest amount that would be accepted."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import Server, expect


def _registered(open_page: Any, web_server: Server, subject: str, query: str = "") -> Any:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Volvo 240, Uppsala")
    page = open_page(f"/app/auction/{auction['id']}{query}", "bidder", subject)
    page.locator("#register").click()
    expect(page.locator("#my-code")).to_have_text(re.compile(r"^B-\d+$"))
    return page


def test_the_signed_receipt_of_a_bid_is_saved_from_the_page(
    web_server: Server, open_page: Any, tmp_path: Path
) -> None:
    page = _registered(open_page, web_server, "receipt-bidder")
    page.locator("#bid-amount").fill("1500.00")
    page.locator("#bid-submit").click()
    page.locator("#bid-confirm-yes").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    with page.expect_download() as download:
        page.locator("#save-receipt").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    receipt = json.loads(saved.read_text())
    assert receipt["amount"] == "1500.00" and receipt["bidder_code"].startswith("B-")
    assert "signature" in json.dumps(receipt)
    assert download.value.suggested_filename.endswith(".json")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "The lowest amount that would be accepted is 1,500.01 SEK."),
        ("?lang=sv", "Det lägsta belopp som skulle godtas är 1 500,01 kr."),
    ],
)
def test_a_refusal_says_the_lowest_amount_that_would_be_accepted(
    query: str, expected: str, web_server: Server, open_page: Any
) -> None:
    page = _registered(open_page, web_server, f"refused-bidder{query}", query)
    page.locator("#bid-amount").fill("1500.00")
    page.locator("#bid-submit").click()
    page.locator("#bid-confirm-yes").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "accepted")
    page.locator("#bid-amount").fill("1400.00")
    page.locator("#bid-submit").click()
    page.locator("#bid-confirm-yes").click()
    result = page.locator("#bid-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "bid_too_low")
    text = "".join(" " if ch in "\u00a0\u202f" else ch for ch in result.inner_text())
    assert expected in text, text


def test_the_amount_is_written_out_in_words_and_a_large_bid_is_confirmed_with_them(
    web_server: Server, open_page: Any
) -> None:
    page = _registered(open_page, web_server, "words-bidder", "?lang=sv")
    page.locator("#bid-amount").fill("81500")
    expect(page.locator("#bid-words")).to_have_text("åttioetttusen femhundra SEK")
    assert "bid-words" in (page.locator("#bid-amount").get_attribute("aria-describedby") or "")
    page.locator("#bid-submit").click()
    expect(page.locator("#bid-confirm")).to_be_visible()
    asked = page.locator("#bid-confirm").inner_text()
    page.locator("#bid-confirm-no").click()
    expect(page.locator("#bid-result")).to_have_attribute("data-outcome", "cancelled")
    assert "Lägga detta bindande bud på 81 500,00 kr? Med bokstäver: åttioetttusen femhundra SEK." in "".join(
        " " if ch in "\u00a0\u202f" else ch for ch in asked
    )
