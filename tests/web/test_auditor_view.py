"""The auditor's view: the report with a price chart and the warnings about the schedule,
the hash chain verified in the browser exactly as the server computes it, and downloads
of the log and the report."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.store.base import canonical_bytes, chain_hash
from tests.web.support import BG_GOOD_FRIDAY, Server, expect, parse_instant

# Quotes, backslashes, accents, the euro sign, a line separator, an emoji and markup:
# the browser must hash exactly the bytes the server hashed, and show markup as text.
AWKWARD_TITLE = 'Villa "Ljubičica" \\ Split – 1 € \u2028 🏠 <b>bold</b>'


@pytest.fixture
def audited(web_server: Server) -> dict[str, Any]:
    """An SE auction closing in 90 s: a bid extends it; one refused bid; three accepted."""
    auction = web_server.schedule_swedish(timedelta(seconds=90), title=AWKWARD_TITLE)
    auction_id = auction["id"]
    web_server.register(auction_id, "audit-alice")
    web_server.register(auction_id, "audit-bob")
    for subject, amount, status in [
        ("audit-alice", "1000.00", 201),
        ("audit-bob", "900.00", 409),
        ("audit-bob", "1500.00", 201),
        ("audit-alice", "2000.00", 201),
    ]:
        assert web_server.bid(auction_id, subject, amount).status_code == status
        time.sleep(0.2)
    return auction


def _open(open_page: Any, auction_id: str) -> Any:
    page = open_page(f"/app/auditor/{auction_id}", "auditor", "auditor-eve")
    expect(page.locator("#chain-result")).to_have_attribute("data-verified", "true")
    return page


def test_the_auditor_page_draws_the_price_chart_and_verifies_the_chain(
    web_server: Server, open_page: Any, shot: Any, audited: dict[str, Any]
) -> None:
    report = web_server.report(audited["id"])
    page = _open(open_page, audited["id"])
    expect(page.locator("#chain-result")).to_contain_text("Chain verified. All 11 events match their hashes")
    expect(page.locator("#last-hash")).to_have_text(report["last_hash"])
    expect(page.locator("#report-title")).to_have_text(f"Report: {AWKWARD_TITLE}")
    assert page.locator("#report-title b").count() == 0

    chart = page.locator("svg#price-chart")
    expect(chart).to_be_visible()
    points = chart.locator("g.points circle.bid-point")
    expect(points).to_have_count(3)
    expect(chart.locator("g.points path.refused-point")).to_have_count(1)
    expect(chart.locator("g.extensions line.extension-mark")).to_have_count(1)
    expect(chart.locator("path.price-line")).to_have_count(1)
    # Higher bids sit higher: SVG y grows downwards.
    heights = points.evaluate_all("circles => circles.map(c => Number(c.getAttribute('cy')))")
    assert heights[0] > heights[1] > heights[2]
    lefts = points.evaluate_all("circles => circles.map(c => Number(c.getAttribute('cx')))")
    assert lefts == sorted(lefts)
    expect(chart.locator("desc")).to_have_text(
        "3 accepted bids from 1,000.00 SEK to 2,000.00 SEK, 1 refused, 1 deadline extension."
    )
    rows = page.locator("#bids-table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#bids-table tbody tr.refused")).to_contain_text("refused: bid_too_low")
    expect(page.locator("#extensions-table tbody tr")).to_contain_text("SE-extension")
    # Sweden's rules give no warning about a schedule: no section for them.
    expect(page.locator("#warnings-panel")).to_have_attribute("data-count", "0")
    expect(page.locator("#warnings-panel")).to_be_hidden()
    shot(page, "auditor")


def test_the_auditor_downloads_the_event_log_and_the_report_as_csv_and_html(
    web_server: Server, open_page: Any, audited: dict[str, Any], tmp_path: Path
) -> None:
    page = _open(open_page, audited["id"])

    def fetch(button: str) -> str:
        with page.expect_download() as info:
            page.locator(button).click()
        target = tmp_path / str(info.value.suggested_filename)
        info.value.save_as(target)
        return target.read_text(encoding="utf-8")

    assert fetch("#download-events") == web_server.events_text(audited["id"])
    report = json.loads(fetch("#download-json"))
    assert report["last_hash"] == web_server.report(audited["id"])["last_hash"]

    table = list(csv.DictReader(io.StringIO(fetch("#download-csv"))))
    bids = [row for row in table if row["record"] == "bid"]
    assert [(row["amount"], row["accepted"]) for row in bids] == [
        ("1000.00", "true"),
        ("900.00", "false"),
        ("1500.00", "true"),
        ("2000.00", "true"),
    ]
    assert [row["reason"] for row in bids if row["accepted"] == "false"] == ["bid_too_low"]
    assert [row["rule"] for row in table if row["record"] == "extension"] == ["SE-extension"]
    assert [row["detail"] for row in table if row["record"] == "last_hash"] == [report["last_hash"]]
    assert [row for row in table if row["record"] == "warning"] == []

    html = fetch("#download-html")
    assert html.startswith("<!doctype html>")
    assert "<svg" in html and 'class="bid-point"' in html
    assert "verified (11 events)" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "Warnings about the schedule" not in html


def _download(page: Any, button: str, folder: Path) -> str:
    with page.expect_download() as info:
        page.locator(button).click()
    target = folder / str(info.value.suggested_filename)
    info.value.save_as(target)
    return target.read_text(encoding="utf-8")


def test_the_auditor_view_and_its_downloads_list_the_warnings_about_the_schedule(
    web_server: Server, open_page: Any, shot: Any, tmp_path: Path
) -> None:
    case = BG_GOOD_FRIDAY
    auction = web_server.schedule(**case.body("Flat in Plovdiv, audited close on Good Friday"))
    assert auction["warnings"] == case.warnings
    assert web_server.report(auction["id"])["warnings"] == case.warnings
    page = _open(open_page, auction["id"])

    panel = page.locator("#warnings-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("h2")).to_have_text("Warnings about the schedule")
    expect(panel).to_have_attribute("data-count", "2")
    rows = page.locator("#warnings-table tbody tr")
    expect(rows).to_have_count(2)
    for index, warning in enumerate(case.warnings):
        expect(rows.nth(index).locator(".warning-message")).to_have_text(warning["message"])
        expect(rows.nth(index).locator(".warning-code")).to_have_text(warning["code"])
        expect(rows.nth(index).locator(".warning-rule")).to_have_text(warning["rule"])
    expect(page.locator("#summary dt:text-is('Warnings about the schedule') + dd")).to_have_text("2")
    shot(page, "auditor-warnings")

    table = list(csv.DictReader(io.StringIO(_download(page, "#download-csv", tmp_path))))
    assert [(row["reason"], row["rule"], row["detail"]) for row in table if row["record"] == "warning"] == [
        (warning["code"], warning["rule"], warning["message"]) for warning in case.warnings
    ]
    html = _download(page, "#download-html", tmp_path)
    assert "Warnings about the schedule" in html
    for warning in case.warnings:
        assert f"<td>{warning['message']}</td><td>{warning['code']}</td><td>{warning['rule']}</td>" in html


def test_the_chain_check_names_the_first_altered_or_missing_event(
    web_server: Server, open_page: Any, audited: dict[str, Any]
) -> None:
    page = _open(open_page, audited["id"])
    log = web_server.events_text(audited["id"])
    # JSON Lines are split on "\n" only (str.splitlines would also split inside the title's U+2028).
    lines = log.split("\n")
    verify = "async ([text, subtle]) => (await import('/app/static/js/chain.js')).verifyLog(text, {useSubtle: subtle})"

    # The plain-JavaScript SHA-256 (for pages without a secure context) agrees with SubtleCrypto.
    assert page.evaluate(verify, [log, True])["ok"] is True
    assert page.evaluate(verify, [log, False])["ok"] is True

    index = next(i for i, line in enumerate(lines) if '"amount":"1500.00"' in line)
    altered = lines.copy()
    altered[index] = altered[index].replace('"1500.00"', '"1400.00"')
    result = page.evaluate(verify, ["\n".join(altered), True])
    assert result["ok"] is False
    position = json.loads(lines[index])["position"]
    assert result["reason"] == f"event at position {position}: hash does not match the event's content (altered)"

    missing = lines[:5] + lines[6:]
    result = page.evaluate(verify, ["\n".join(missing), True])
    assert result["ok"] is False and "(events missing)" in result["reason"]

    swapped = lines.copy()
    swapped[3], swapped[4] = swapped[4], swapped[3]
    assert page.evaluate(verify, ["\n".join(swapped), True])["ok"] is False


def test_the_browser_hashes_the_same_canonical_bytes_as_the_server(
    web_server: Server, open_page: Any, audited: dict[str, Any]
) -> None:
    page = _open(open_page, audited["id"])
    first = web_server.events_text(audited["id"]).split("\n")[0]
    event = json.loads(first)
    recorded_at = parse_instant(event["recorded_at"])
    expected = canonical_bytes(event["stream"], event["version"], event["type"], recorded_at, event["data"]).decode()
    canonical = page.evaluate(
        "async line => { const m = await import('/app/static/js/chain.js');"
        " return m.canonicalEventText(m.parseRaw(line)); }",
        first,
    )
    assert canonical == expected
    assert json.dumps(AWKWARD_TITLE, ensure_ascii=False) in canonical
    digest = chain_hash(
        event["prev_hash"], event["stream"], event["version"], event["type"], recorded_at, event["data"]
    )
    assert digest == event["hash"]
    assert page.evaluate(
        "async text => (await import('/app/static/js/chain.js')).sha256Hex(text, {useSubtle: false})",
        event["prev_hash"] + canonical,
    ) == digest


def test_the_auditor_page_asks_for_an_auditor_token(open_page: Any, audited: dict[str, Any]) -> None:
    page = open_page(f"/app/auditor/{audited['id']}")
    expect(page.locator("#role-notice")).to_contain_text("need an auditor (or bailiff) token")
    expect(page.locator("#report-error")).to_contain_text("You need to sign in")
