"""Technical incidents on the pages: the bailiff records one through the console (a retried
submit records it once, a bad one records nothing), bidders watching the auction are told
at once, and the auditor's report lists it."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.web.support import Server, expect, parse_instant, utc_now

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OUTAGE = "The bidding page answered 502 for every request."


def _stockholm(instant: datetime) -> datetime:
    """An instant on Stockholm's clock, to the second (what a datetime-local field with step=1 holds)."""
    return instant.astimezone(STOCKHOLM).replace(microsecond=0)


def _field(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S")


def _shown(instant: datetime) -> str:
    """The date and time as the pages show them on Stockholm's clock: "3 Apr 2026, 11:00:00"."""
    local = instant.astimezone(STOCKHOLM)
    return f"{local.day} {local:%b %Y}, {local:%H:%M:%S}"


def _incident_posts(page: Any) -> list[Any]:
    posts: list[Any] = []

    def note(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/incidents"):
            posts.append(request)

    page.on("request", note)
    return posts


def _open_console(page_opener: Any, auction_id: str) -> Any:
    page = page_opener(f"/app/bailiff/{auction_id}", "bailiff", "bailiff-incidents")
    expect(page.locator("#incident-form")).to_have_attribute("data-state", "ready")
    return page


def test_a_bailiff_records_an_incident_through_the_console_and_a_retried_submit_records_it_once(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Tractor, Uppsala")
    page = _open_console(open_page, auction["id"])
    posts = _incident_posts(page)
    # The browser runs on New York's clock; the fields are read on the auction's (Stockholm's).
    expect(page.locator("label[for=incident-started]")).to_contain_text("(Europe/Stockholm time)")
    expect(page.locator("label[for=incident-ended]")).to_contain_text("(Europe/Stockholm time)")
    expect(page.locator("#no-incidents")).to_have_text("No incident recorded.")

    now = utc_now()
    started, ended = _stockholm(now - timedelta(minutes=9, seconds=5)), _stockholm(now - timedelta(minutes=2))
    page.locator("#incident-description").fill(OUTAGE)
    page.locator("#incident-started").fill(_field(started))
    page.locator("#incident-ended").fill(_field(ended))
    page.locator("#incident-submit").click()

    result = page.locator("#incident-result")
    expect(result).to_have_attribute("data-outcome", "recorded")
    (listed,) = web_server.report(auction["id"])["incidents"]
    expect(result).to_contain_text(
        f"Incident recorded as event {listed['position']}. "
        f"From {started:%a}, {_shown(started)} {started.tzname()} to {ended:%a}, {_shown(ended)} {ended.tzname()} "
        f"(Europe/Stockholm): “{OUTAGE}” Recorded at "
    )
    assert listed["description"] == OUTAGE
    assert parse_instant(listed["started_at"]) == started
    assert parse_instant(listed["ended_at"]) == ended
    expect(result).to_have_attribute("data-position", str(listed["position"]))
    expect(result).not_to_have_attribute("data-replayed", "true")
    # The console lists it and clears the form for the next one.
    row = page.locator(f'#incidents-table tr[data-position="{listed["position"]}"]')
    expect(row).to_contain_text(OUTAGE)
    expect(row).to_contain_text(_shown(started))
    expect(page.locator("#incident-description")).to_have_value("")
    expect(page.locator("#incident-started")).to_have_value("")
    assert len(posts) == 1
    first_key = posts[0].headers.get("idempotency-key")
    assert first_key and re.match(r"[0-9a-f]{32}\Z", first_key)
    shot(page, "bailiff-incident-recorded")

    # The next one reaches the server, but its answer is lost on the way back: the page tries
    # again with the same key and the server records it once.
    keys: list[str | None] = []

    def lose_the_first_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/incidents", lose_the_first_answer)
    still_going = _stockholm(utc_now() - timedelta(minutes=1))
    page.locator("#incident-description").fill("Receipts for bids were not sent by e-mail.")
    page.locator("#incident-started").fill(_field(still_going))
    page.locator("#incident-submit").click()
    expect(result).to_have_attribute("data-outcome", "recorded")
    expect(result).to_have_attribute("data-replayed", "true")
    expect(result).to_contain_text("end not given")
    expect(result).to_contain_text("An earlier attempt had already reached the server: it is recorded once.")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0] != first_key
    incidents = web_server.report(auction["id"])["incidents"]
    assert [incident["description"] for incident in incidents] == [OUTAGE, "Receipts for bids were not sent by e-mail."]
    assert incidents[1]["ended_at"] is None
    expect(page.locator("#incidents-table tbody tr")).to_have_count(2)
    expect(page.locator(f'#incidents-table tr[data-position="{incidents[1]["position"]}"]')).to_contain_text(
        "not given"
    )


def test_a_bad_incident_shows_the_error_and_records_nothing(web_server: Server, open_page: Any, shot: Any) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Harvester, Örebro")
    page = _open_console(open_page, auction["id"])
    posts = _incident_posts(page)
    before = web_server.events_text(auction["id"])
    result = page.locator("#incident-result")
    now = utc_now()

    # The end before the start: the page says so and sends nothing.
    page.locator("#incident-description").fill(OUTAGE)
    page.locator("#incident-started").fill(_field(_stockholm(now - timedelta(minutes=5))))
    page.locator("#incident-ended").fill(_field(_stockholm(now - timedelta(minutes=20))))
    page.locator("#incident-submit").click()
    expect(result).to_have_attribute("data-outcome", "invalid")
    expect(result).to_contain_text("Please correct: Ended at: the end cannot come before the start.")
    expect(page.locator("#incident-ended")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#incident-ended")).to_be_focused()
    # What was typed stays, to be corrected.
    expect(page.locator("#incident-description")).to_have_value(OUTAGE)
    shot(page, "bailiff-incident-invalid")

    # No text at all: the same.
    page.locator("#incident-description").fill("   ")
    page.locator("#incident-ended").fill("")
    page.locator("#incident-submit").click()
    expect(result).to_contain_text("Describe what happened.")
    expect(page.locator("#incident-description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#incident-ended")).not_to_have_attribute("aria-invalid", "true")
    assert posts == []

    # A start in the future is judged by the server's clock: its refusal is shown in words.
    page.locator("#incident-description").fill(OUTAGE)
    page.locator("#incident-started").fill(_field(_stockholm(now + timedelta(hours=1))))
    page.locator("#incident-submit").click()
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "invalid_incident")
    expect(result).to_have_text("Not recorded. An incident cannot start in the future.")
    assert len(posts) == 1
    expect(page.locator("#no-incidents")).to_be_visible()
    assert web_server.report(auction["id"])["incidents"] == []
    assert web_server.events_text(auction["id"]) == before


def test_bidders_watching_the_auction_are_told_of_an_incident_at_once(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Snowmobile, Luleå")
    page = open_page(f"/app/auction/{auction['id']}", "bidder", "ingrid-incident")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    notice = page.locator("#incident")
    expect(notice).to_be_hidden()
    assert notice.get_attribute("role") == "status" and notice.get_attribute("aria-live") == "polite"

    now = utc_now()
    started, ended = now - timedelta(minutes=7), now - timedelta(minutes=3)
    first = web_server.record_incident(auction["id"], OUTAGE, started, ended)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"Technical incident recorded by the bailiff: {OUTAGE}")
    expect(notice).to_contain_text(f"From {started.astimezone(STOCKHOLM):%a}, {_shown(started)}")
    expect(notice).to_contain_text(f"to {ended.astimezone(STOCKHOLM):%a}, {_shown(ended)}")
    expect(notice).to_contain_text("Times in Europe/Stockholm. It does not change the deadline.")
    expect(notice).to_have_attribute("data-position", str(first["position"]))
    moments = notice.locator("time").evaluate_all("times => times.map(t => t.dateTime)")
    assert [parse_instant(moment) for moment in moments] == [started, ended]
    expect(page.locator("#earlier-incidents")).to_be_hidden()
    # Nothing else changed: the deadline and the price are as they were.
    expect(page.locator("#status")).to_have_text("Open for bids")
    expect(page.locator("#extension")).to_be_hidden()
    shot(page, "bidder-incident-notice")

    # A second one, still going: it takes the notice; the first stays readable below.
    second = web_server.record_incident(
        auction["id"], "Bids could not be placed from 10:00.", now - timedelta(minutes=1)
    )
    expect(notice).to_have_attribute("data-position", str(second["position"]))
    expect(notice).to_contain_text("Bids could not be placed from 10:00.")
    expect(notice).to_contain_text("not over yet, or its end is not known")
    expect(notice).not_to_contain_text(OUTAGE)
    earlier = page.locator("#earlier-incidents-list li")
    expect(earlier).to_have_count(1)
    expect(earlier.first).to_have_attribute("data-position", str(first["position"]))
    expect(earlier.first).to_contain_text(OUTAGE)
    assert parse_instant(web_server.auction(auction["id"])["closes_at"]) == parse_instant(auction["closes_at"])


def test_the_auditor_view_lists_the_incidents_of_the_report(
    web_server: Server, open_page: Any, shot: Any, tmp_path: Path
) -> None:
    auction = web_server.schedule_swedish(timedelta(minutes=30), title="Forest plot, Falun")
    web_server.register(auction["id"], "jonas-audit")
    assert web_server.bid(auction["id"], "jonas-audit", "1200.00").status_code == 201
    now = utc_now()
    marked_up = "Receipts not sent <b>at all</b> & bids delayed"
    first = web_server.record_incident(auction["id"], OUTAGE, now - timedelta(minutes=8), now - timedelta(minutes=6))
    second = web_server.record_incident(auction["id"], marked_up, now - timedelta(minutes=2))

    page = open_page(f"/app/auditor/{auction['id']}", "auditor", "auditor-incidents")
    expect(page.locator("#chain-result")).to_have_attribute("data-verified", "true")
    rows = page.locator("#incidents-table tbody tr")
    expect(rows).to_have_count(2)
    row = page.locator(f'#incidents-table tr[data-position="{first["position"]}"]')
    expect(row).to_contain_text(OUTAGE)
    expect(row.locator("td").nth(1)).to_contain_text(_shown(now - timedelta(minutes=8)))
    expect(row.locator("td").nth(2)).to_contain_text(_shown(now - timedelta(minutes=6)))
    open_ended = page.locator(f'#incidents-table tr[data-position="{second["position"]}"]')
    expect(open_ended.locator("td").nth(2)).to_have_text("not given")
    expect(open_ended.locator("td").nth(3)).to_have_text(marked_up)
    assert page.locator("#incidents-table b").count() == 0
    expect(page.locator('#summary dt:text-is("Technical incidents") + dd')).to_have_text("2")
    shot(page, "auditor-incidents")

    def fetch(button: str) -> str:
        with page.expect_download() as info:
            page.locator(button).click()
        target = tmp_path / str(info.value.suggested_filename)
        info.value.save_as(target)
        return target.read_text(encoding="utf-8")

    table = list(csv.DictReader(io.StringIO(fetch("#download-csv"))))
    incidents = [row for row in table if row["record"] == "incident"]
    assert [row["position"] for row in incidents] == [str(first["position"]), str(second["position"])]
    assert incidents[0]["detail"].endswith(f": {OUTAGE}") and "end not given" in incidents[1]["detail"]
    html = fetch("#download-html")
    assert "<caption>Technical incidents</caption>" in html
    assert "Receipts not sent &lt;b&gt;at all&lt;/b&gt; &amp; bids delayed" in html and "<b>at all</b>" not in html
