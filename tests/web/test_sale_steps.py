"""Steps of a sale whose preconditions are days or weeks away, in the browser: the pages are served
by an application on a manual clock (uvicorn in a thread of its own), which the test moves. A
Lithuanian default offered to the next-best bidder, paid and transferred; a Croatian next round
after a failed auction, refused too early and accepted at its earliest opening; a Slovenian
pre-emption declared by its holder on the bidder page, with the declaration of the purchaser
refused until the window is over. The pages are opened by their full address on that server."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.app import create_app
from api.settings import Settings
from api.web import mount_web
from engine.clock import ManualClock
from tests.api.support import served
from tests.web.support import BAILIFF, SECRET, Server, auth, expect, parse_instant

VILNIUS = ZoneInfo("Europe/Vilnius")
ZAGREB = ZoneInfo("Europe/Zagreb")
LJUBLJANA = ZoneInfo("Europe/Ljubljana")
STARTUP_SECONDS = 30.0


class ManualServer:
    """The application with its pages on a manual clock, under uvicorn in a thread with its own event loop."""

    def __init__(self, directory: Path, start: datetime) -> None:
        self.clock = ManualClock(start)
        settings = Settings(database_url=f"sqlite:///{directory / 'steps.sqlite3'}", secret=SECRET)
        self.app = create_app(settings, clock=self.clock)
        mount_web(self.app)
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="manual-clock-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(STARTUP_SECONDS) or self._failure is not None:
            self.stop()
            raise RuntimeError(f"the server on a manual clock did not start: {self._failure!r}")
        self.api = Server(self.url, "manual-clock")

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by __init__ when it happens before the start
            self._failure = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with served(self.app) as address:
            self.url = f"http://{address}"
            self._ready.set()
            await self._stop.wait()

    def move(self, to: datetime) -> None:
        """Set the clock and wake the scheduler (on its own loop), as a tick of real time would."""
        self.clock.set(to)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.app.state.runtime.scheduler.wake)

    def page(self, auction_id: str, console: bool = False) -> str:
        return f"{self.url}/app/{'bailiff' if console else 'auction'}/{auction_id}"

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=20)
        if hasattr(self, "api"):
            self.api.close()


@pytest.fixture
def manual_server(tmp_path: Path) -> Iterator[Any]:
    """manual_server(start) -> a ManualServer whose clock reads ``start``; stopped after the test."""
    servers: list[ManualServer] = []

    def start(at: datetime) -> ManualServer:
        server = ManualServer(tmp_path, at)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _admit(server: Server, auction_id: str, code: str, amount: str) -> None:
    answer = server.post(f"/auctions/{auction_id}/registrations/{code}/deposit", {"amount": amount})
    assert answer["admitted"] is True, answer


def _wait_for(server: Server, auction_id: str, field: str, value: str) -> dict[str, Any]:
    for _ in range(300):
        state = server.client.get(f"/auctions/{auction_id}", headers=BAILIFF).json()
        if state.get(field) == value:
            return dict(state)
        time.sleep(0.1)
    raise AssertionError(f"{field} is still {state.get(field)!r}, not {value!r}")


def _local_day(instant: datetime, zone: ZoneInfo) -> str:
    """How the pages show an instant on the country's clock: "Sun, 9 Jun 2030, 00:00:00"."""
    local = instant.astimezone(zone)
    month = "Sept" if local.month == 9 else f"{local:%b}"  # en-GB's short name of September
    return f"{local:%a}, {local.day} {month} {local:%Y}, {local:%H:%M:%S}"


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_a_default_is_offered_to_the_next_best_bidder_who_pays_and_takes_the_transfer(
    manual_server: Any, open_page: Any, shot: Any
) -> None:
    start = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
    closes = start + timedelta(hours=1)
    live = manual_server(start)
    api = live.api
    auction = api.schedule(
        country="LT",
        title="Butas, Kaunas",
        asset="immovable",
        value="10000.00",
        opens_at=start.isoformat(),
        closes_at=closes.isoformat(),
        payment_days=5,
    )
    aid = auction["id"]
    # LT: the starting price is 80 % of the value, the deposit 10 % of it.
    ana = api.register(aid, "kaunas-ana")
    rui = api.register(aid, "kaunas-rui")
    for code in (ana, rui):
        _admit(api, aid, code, "800.00")
    assert api.bid(aid, "kaunas-ana", "8000.00").status_code == 201
    assert api.bid(aid, "kaunas-rui", "8500.00").status_code == 201
    # Bids before the scheduled close add five minutes of overtime.
    live.move(closes + timedelta(minutes=6))
    _wait_for(api, aid, "status", "closed")
    declared = api.post(f"/auctions/{aid}/close")
    assert (declared["purchaser"], declared["sale"]) == (rui, "awaiting_payment")
    due = parse_instant(declared["payment_due"])
    offered_at = due + timedelta(hours=2)
    live.move(offered_at)
    _wait_for(api, aid, "sale", "defaulted")

    bailiff = open_page(live.page(aid, console=True), "bailiff", "bailiff-kaunas")
    sale = bailiff.locator('#sale-state dd[data-field="Sale"]')
    expect(sale).to_have_text("defaulted")
    expect(bailiff.locator('#sale-state dd[data-field="Purchaser"]')).to_contain_text(rui)
    expect(bailiff.locator('#sale-state dd[data-field="Payment deadline (passed)"]')).to_contain_text(
        _local_day(due, VILNIUS)
    )
    expect(bailiff.locator("#payment-hint")).to_have_text("The payment deadline passed: no payment can be recorded.")
    expect(bailiff.get_by_role("button", name="Record payment")).to_be_disabled()
    offer = bailiff.get_by_role("button", name="Offer the sale to the next-best bidder")
    expect(offer).to_be_enabled()
    bailiff.once("dialog", lambda dialog: dialog.accept())
    offer.click()

    result = bailiff.locator("#offer-next-result")
    expect(result).to_have_attribute("data-outcome", "done")
    offered = api.client.get(f"/auctions/{aid}", headers=BAILIFF).json()
    assert (offered["purchaser"], offered["sale"], offered["paid"]) == (ana, "awaiting_payment", "800.00")
    new_due = parse_instant(offered["payment_due"])
    offer_day = offered_at.astimezone(VILNIUS).date()
    assert new_due == datetime.combine(offer_day + timedelta(days=6), datetime.min.time(), tzinfo=VILNIUS)
    expect(result).to_contain_text(f"Offered to {ana} at 8,000.00 EUR; payment due by {_local_day(new_due, VILNIUS)}")
    expect(result).to_contain_text("(Europe/Vilnius)")
    expect(sale).to_have_text("awaiting payment")
    expect(bailiff.locator('#sale-state dd[data-field="Purchaser"]')).to_contain_text(ana)
    expect(bailiff.locator('#sale-state dd[data-field="Payment due by"]')).to_contain_text(_local_day(new_due, VILNIUS))
    # The new purchaser's deposit counts towards the price; the defaulter's is forfeited.
    expect(bailiff.locator('#sale-state dd[data-field="Still due"]')).to_have_text("7,200.00 EUR")
    expect(bailiff.locator(f'#deposits-table tr[data-code="{rui}"] .ledger-status')).to_have_text("forfeited")
    expect(bailiff.locator(f'#deposits-table tr[data-code="{ana}"] .ledger-status')).to_have_text(
        "credited to the price"
    )
    expect(offer).to_be_hidden()
    shot(bailiff, "sale-steps-offered-to-next-best")

    # The rest of the price, then the transfer decision, dated on the day of the offer.
    expect(bailiff.locator("#payment-hint")).to_contain_text("Still due: 7,200.00 EUR")
    bailiff.get_by_label("Payment received").fill("7200")
    bailiff.get_by_role("button", name="Record payment").click()
    payment = bailiff.locator("#payment-result")
    expect(payment).to_have_attribute("data-outcome", "done")
    expect(payment).to_contain_text("paid in full")
    expect(sale).to_have_text("paid")
    bailiff.get_by_label("Transfer decision: reference").fill("Nr. 2-123-456/2030")
    bailiff.get_by_label("Decided on").fill(offer_day.isoformat())
    bailiff.get_by_role("button", name="Record the transfer decision").click()
    transfer = bailiff.locator("#transfer-result")
    expect(transfer).to_have_attribute("data-outcome", "done")
    expect(transfer).to_contain_text("the sale is completed")
    expect(sale).to_have_text("completed")
    expect(bailiff.locator('#sale-state dd[data-field="Transfer decision"]')).to_have_text(
        f"Nr. 2-123-456/2030, decided on {offer_day.isoformat()}"
    )
    shot(bailiff, "sale-steps-completed-after-the-offer")
    final = api.client.get(f"/auctions/{aid}", headers=BAILIFF).json()
    assert (final["sale"], final["purchaser"], final["paid"], final["price_due"]) == (
        "completed",
        ana,
        "8000.00",
        "0.00",
    )


def test_the_next_round_of_a_failed_auction_opens_no_earlier_than_the_rules_allow(
    manual_server: Any, open_page: Any, shot: Any
) -> None:
    start = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)  # Monday, 11:00 in Zagreb
    closes = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)  # 14:00 local, a working day
    live = manual_server(start)
    api = live.api
    auction = api.schedule(
        country="HR",
        title="Stan, Split",
        asset="immovable",
        value="10000.00",
        opens_at=start.isoformat(),
        closes_at=closes.isoformat(),
        payment_days=5,
    )
    aid = auction["id"]
    live.move(closes + timedelta(minutes=1))
    failed = _wait_for(api, aid, "status", "failed")
    ended = api.post(f"/auctions/{aid}/close")
    assert ended["purchaser"] is None and ended["ended"] is True
    # HR: 00:00 of the day after the round ended (3 June, Zagreb) + 60 days.
    closed_day = parse_instant(failed["closed_at"]).astimezone(ZAGREB).date()
    earliest = datetime.combine(closed_day + timedelta(days=61), datetime.min.time(), tzinfo=ZAGREB)
    assert earliest == datetime(2030, 8, 3, 0, 0, tzinfo=ZAGREB)

    bailiff = open_page(live.page(aid, console=True), "bailiff", "bailiff-split")
    panel = bailiff.get_by_role("region", name="Next round")
    expect(panel).to_be_visible()
    hints = bailiff.locator("#next-round-hints li")
    expect(hints.first).to_contain_text(
        f"Opens no earlier than 60 days after the day after this round ended: {_local_day(earliest, ZAGREB)}"
    )
    expect(hints.first).to_contain_text("(Europe/Zagreb)")
    expect(hints.first).to_have_attribute("data-rule", "HR-next-round")
    expect(bailiff.locator("#next-round-hints")).to_contain_text("Starting price: at least")
    expect(bailiff.locator("#next-round-hints")).to_contain_text(
        "= 6,000.00 EUR in round 2; left empty, it is exactly that."
    )
    expect(panel.get_by_label("Starting price")).to_have_attribute("placeholder", "6000.00")
    opens = panel.get_by_label("Opens at")
    expect(opens).to_have_value(earliest.strftime("%Y-%m-%dT%H:%M"))
    shot(bailiff, "sale-steps-next-round-form")

    # A second too early: the server's refusal in the live region, the focus kept on the button.
    submit = bailiff.get_by_role("button", name="Schedule the next round")
    opens.fill((earliest - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    submit.click()
    result = bailiff.locator("#next-round-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "next_round_too_early")
    expect(result).to_have_attribute("aria-live", "polite")
    expect(result).to_have_attribute("role", "status")
    expect(result).to_contain_text(
        f"Refused. The next round opens no earlier than {earliest.isoformat()} (HR-next-round"
    )
    assert _focused(bailiff) == "next-round-submit"
    assert api.auction(aid)["next_round"] is None

    # At the earliest instant it is scheduled, and the console links to the new round.
    opens.fill(earliest.strftime("%Y-%m-%dT%H:%M:%S"))
    # Derived from an opening at 00:00 the close would fall outside 09:00-15:00: it is given.
    close = datetime(2030, 8, 19, 14, 0, tzinfo=ZAGREB)  # a Monday
    panel.get_by_label("Closes at").fill(close.strftime("%Y-%m-%dT%H:%M:%S"))
    submit.click()
    expect(result).to_have_attribute("data-outcome", "done")
    second = api.auction(aid)["next_round"]
    assert second
    link = result.get_by_role("link", name=second)
    expect(link).to_have_attribute("href", f"/app/bailiff/{second}")
    expect(result).to_contain_text(f"opens {_local_day(earliest, ZAGREB)}")
    expect(bailiff.locator("#next-round-hints")).to_contain_text(f"The next round is scheduled as auction {second}.")
    expect(submit).to_be_disabled()
    shot(bailiff, "sale-steps-next-round-scheduled")
    new_round = api.auction(second)
    assert parse_instant(new_round["opens_at"]) == earliest
    assert parse_instant(new_round["closes_at"]) == close
    assert new_round["round"] == 2 and new_round["previous"] == aid
    assert new_round["starting_price"] == "6000.00"

    link.click()
    expect(bailiff).to_have_url(re.compile(rf"/app/bailiff/{re.escape(second)}$"))
    expect(bailiff.locator("#manage-title")).to_have_text("Stan, Split")
    expect(bailiff.locator('#manage-state dd[data-field="Status"]')).to_have_text("scheduled")


def test_a_preemption_holder_declares_on_the_bidder_page_and_becomes_the_purchaser(
    manual_server: Any, open_page: Any, shot: Any
) -> None:
    # SI: deposits are due by the third working day before the opening, so it opens four weeks away.
    start = datetime(2030, 9, 2, 8, 0, tzinfo=UTC)
    opens = datetime(2030, 9, 30, 8, 0, tzinfo=UTC)  # a Monday
    closes = opens + timedelta(hours=1)
    live = manual_server(start)
    api = live.api
    auction = api.schedule(
        country="SI",
        title="Farmland plot, Ptuj",
        asset="immovable",
        value="50000.00",
        opens_at=opens.isoformat(),
        closes_at=closes.isoformat(),
        payment_days=30,
    )
    aid = auction["id"]
    assert (auction["starting_price"], auction["deposit_required"]) == ("35000.00", "5000.00")

    holder = open_page(live.page(aid), "bidder", "ptuj-neighbour")
    holder.get_by_label("I hold a pre-emption right and register to be able to declare it").check()
    holder.get_by_role("button", name="Register for this auction").click()
    expect(holder.locator("#my-code")).to_have_text(re.compile(r"^B-\d+$"))
    neighbour = str(holder.locator("#my-code").inner_text())
    expect(holder.locator("#my-role")).to_have_text("pre-emption holder")
    ana = api.register(aid, "ptuj-ana")
    for code in (neighbour, ana):
        _admit(api, aid, code, "5000.00")

    live.move(opens + timedelta(minutes=1))
    _wait_for(api, aid, "status", "open")
    assert api.bid(aid, "ptuj-ana", "35000.00").status_code == 201
    declare = holder.get_by_role("button", name="Declare pre-emption at 35,000.00 EUR")
    expect(holder.locator("#status")).to_contain_text("Open")
    expect(declare).to_be_hidden()

    # Just after the close the holder has ten minutes to buy at the best price.
    live.move(closes + timedelta(minutes=1))
    closed = _wait_for(api, aid, "status", "closed")
    closed_at = parse_instant(closed["closed_at"])
    assert closed_at == closes
    expect(declare).to_be_visible()
    window_ends = _local_day(closed_at + timedelta(minutes=10), LJUBLJANA)
    expect(holder.locator("#preemption-hint")).to_contain_text(
        f"you may buy at the best price, 35,000.00 EUR, until {window_ends}"
    )
    shot(holder, "sale-steps-preemption-offered")
    # Only a holder may declare: the other bidder is refused.
    other = api.client.post(f"/auctions/{aid}/preemption", headers=auth("bidder", "ptuj-ana"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "not_preemption_holder"
    declare.click()
    declared = holder.locator("#preemption-result")
    expect(declared).to_have_attribute("data-outcome", "declared")
    expect(declared).to_contain_text("Declared: you buy at 35,000.00 EUR once the bailiff declares the purchaser.")
    expect(declare).to_be_hidden()
    assert api.client.get(f"/auctions/{aid}", headers=BAILIFF).json()["preemptor"] == neighbour

    # The bailiff cannot declare the purchaser while the window is open ...
    bailiff = open_page(live.page(aid, console=True), "bailiff", "bailiff-ptuj")
    end = bailiff.get_by_role("button", name="End auction and declare the purchaser")
    expect(end).to_be_enabled()
    live.move(closes + timedelta(minutes=9, seconds=59))
    bailiff.once("dialog", lambda dialog: dialog.accept())
    end.click()
    action = bailiff.locator("#action-result")
    until = (closed_at + timedelta(minutes=10)).astimezone(LJUBLJANA)
    expect(action).to_have_text(f"holders of a pre-emption right may declare until {until.isoformat()} (SI-preemption)")
    expect(action).to_have_attribute("data-kind", "error")
    expect(end).to_be_enabled()
    early = api.client.post(f"/auctions/{aid}/close", headers=BAILIFF)
    assert early.status_code == 409 and early.json()["error"]["code"] == "preemption_window_open"
    assert api.auction(aid)["ended"] is False

    # ... and once it is over, the holder is the purchaser at the best price.
    live.move(closes + timedelta(minutes=10))
    bailiff.once("dialog", lambda dialog: dialog.accept())
    end.click()
    expect(action).to_have_text(f"Ended: the purchaser is {neighbour} at 35,000.00 EUR.")
    expect(end).to_be_disabled()
    expect(bailiff.locator('#sale-state dd[data-field="Purchaser"]')).to_contain_text(neighbour)
    expect(bailiff.locator('#sale-state dd[data-field="Pre-emption declared by"]')).to_have_text(neighbour)
    expect(bailiff.locator('#sale-state dd[data-field="Sale"]')).to_have_text("awaiting payment")
    shot(bailiff, "sale-steps-preemption-purchaser")
    final = api.client.get(f"/auctions/{aid}", headers=BAILIFF).json()
    assert (final["purchaser"], final["price"], final["paid"]) == (neighbour, "35000.00", "5000.00")
    notice = holder.locator("#sale")
    expect(notice).to_have_attribute("data-sale", "awaiting_payment")
    expect(notice).to_contain_text("You are the purchaser.")
