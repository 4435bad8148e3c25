"""Helpers for the browser tests: a real server (subprocess or thread), tokens, API calls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import holidays
import httpx
import uvicorn

from api.auth import issue_token

if TYPE_CHECKING:
    from playwright.sync_api import expect
else:
    try:
        from playwright.sync_api import expect
    except ImportError:  # the browser fixture skips (or, in CI, fails) before a test gets here
        expect = None

__all__ = [
    "AUDITOR",
    "BG_GOOD_FRIDAY",
    "BAILIFF",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SECRET",
    "ProcessServer",
    "GoodFridayCase",
    "Server",
    "ThreadServer",
    "app_mounts_pages",
    "auth",
    "bulgarian_good_friday",
    "countdown_seconds",
    "expect",
    "parse_instant",
    "token",
    "utc_now",
]

SECRET = "web-test-secret-that-is-long-enough-for-hs256-0123456789"
# Debian's Chromium; another distribution's binary can be named in AUCTION_TEST_CHROMIUM.
CHROMIUM = Path(os.environ.get("AUCTION_TEST_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 30.0


def token(role: str, subject: str, ttl: timedelta = timedelta(hours=2)) -> str:
    return issue_token(SECRET, role, subject, ttl)


def auth(role: str, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject)}"}


BAILIFF = auth("bailiff", "bailiff-web")
AUDITOR = auth("auditor", "auditor-web")


def utc_now() -> datetime:
    """Now, to the millisecond: the precision the API stores and shows instants with."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class GoodFridayCase:
    """A Bulgarian auction opening on a Friday at 10:00 and closing a week later, on Good Friday,
    at 17:00 (Sofia): day 8 of the 7-day period, and a public holiday. Scheduled with two warnings."""

    opens: date
    closes: date

    @property
    def opens_input(self) -> str:
        return f"{self.opens.isoformat()}T10:00"

    @property
    def closes_input(self) -> str:
        return f"{self.closes.isoformat()}T17:00"

    def body(self, title: str) -> dict[str, Any]:
        """The POST /auctions body, with Sofia's summer-time offset (Orthodox Easter is always in summer time)."""
        return {
            "country": "BG",
            "title": title,
            "asset": "immovable",
            "value": "100000.00",
            "increment": "500.00",
            "opens_at": f"{self.opens_input}:00+03:00",
            "closes_at": f"{self.closes_input}:00+03:00",
        }

    @property
    def warnings(self) -> list[dict[str, str]]:
        """What the rules say about it, word for word (as tests/api/test_schedule_warnings.py has them for 2026)."""
        day_7 = self.opens + timedelta(days=6)
        return [
            {
                "code": "close_date_not_period_end",
                "message": (
                    f"the close is on Fri {self.closes.isoformat()} (day 8), but the 7-day bidding period counted "
                    f"from Fri {self.opens.isoformat()} as day 1 ends on Thu {day_7.isoformat()}; "
                    "the close stands as given"
                ),
                "rule": "BG-duration",
            },
            {
                "code": "close_date_not_working_day",
                "message": (
                    f"the last day of bidding, Fri {self.closes.isoformat()}, is not a working day: "
                    "it is a public holiday (Good Friday); the close stands as given"
                ),
                "rule": "BG-duration",
            },
        ]


def bulgarian_good_friday(after: date | None = None) -> GoodFridayCase:
    """The next Bulgarian (Orthodox) Good Friday whose auction opens after ``after`` (default: tomorrow)."""
    first = after or (utc_now() + timedelta(days=1)).date()
    for year in range(first.year, first.year + 3):
        names = holidays.country_holidays("BG", years=year, categories=("public",), language="en_US")
        for day, name in sorted(names.items()):
            if name == "Good Friday" and day - timedelta(days=7) > first:
                return GoodFridayCase(opens=day - timedelta(days=7), closes=day)
    raise LookupError(f"no Bulgarian Good Friday listed after {first}")


BG_GOOD_FRIDAY = bulgarian_good_friday()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def countdown_seconds(text: str) -> int:
    """ "2 d 03:04:05", "1:02:03" or "4:05" (as the pages show time left) -> seconds."""
    days = 0
    if " d " in text:
        day_text, text = text.split(" d ")
        days = int(day_text)
    parts = [int(part) for part in text.strip().split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return days * 86400 + seconds


@dataclass
class Server:
    """A running ``auction serve`` (or the same app in a thread) and a client for its API."""

    url: str
    mode: str  # "process": `auction serve` in a subprocess; "thread": uvicorn in this process
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=10.0)

    def schedule(self, **fields: Any) -> dict[str, Any]:
        """POST /auctions; outside Sweden (whose law fixes the payment period) the notice's
        payment period defaults to 14 days."""
        if fields.get("country") != "SE":
            fields.setdefault("payment_days", 14)
        response = self.client.post("/auctions", json=fields, headers=BAILIFF)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def schedule_swedish(self, closes_in: timedelta, *, open_now: bool = True, **overrides: Any) -> dict[str, Any]:
        """An SE auction (no deposit, free increments; a bid with < 2 min left adds 2 min)."""
        now = utc_now()
        body: dict[str, Any] = {
            "country": "SE",
            "title": "Sailing boat, Göteborg",
            "asset": "movable",
            "value": "50000.00",
            "currency": "SEK",
            "starting_price": "1000.00",
            "opens_at": (now + timedelta(seconds=2)).isoformat(),
            "closes_at": (now + closes_in).isoformat(),
        }
        body.update(overrides)
        auction = self.schedule(**body)
        if open_now:
            response = self.client.post(f"/auctions/{auction['id']}/open", headers=BAILIFF)
            assert response.status_code == 200, response.text
            auction = response.json()
        return auction

    def auction(self, auction_id: str) -> dict[str, Any]:
        response = self.client.get(f"/auctions/{auction_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def register(self, auction_id: str, subject: str) -> str:
        response = self.client.post(f"/auctions/{auction_id}/registrations", headers=auth("bidder", subject))
        assert response.status_code in (200, 201), response.text
        return str(response.json()["bidder_code"])

    def bid(self, auction_id: str, subject: str, amount: str) -> httpx.Response:
        headers = auth("bidder", subject)
        return self.client.post(f"/auctions/{auction_id}/bids", json={"amount": amount}, headers=headers)

    def record_incident(
        self, auction_id: str, description: str, started_at: datetime, ended_at: datetime | None = None
    ) -> dict[str, Any]:
        body = {
            "description": description,
            "started_at": started_at.isoformat(),
            "ended_at": None if ended_at is None else ended_at.isoformat(),
        }
        response = self.client.post(f"/auctions/{auction_id}/incidents", json=body, headers=BAILIFF)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def post(self, path: str, body: dict[str, Any] | None = None, expect_status: int = 200) -> dict[str, Any]:
        """A bailiff's POST that must succeed with ``expect_status``."""
        response = self.client.post(path, json=body, headers=BAILIFF)
        assert response.status_code == expect_status, response.text
        return dict(response.json())

    def wait_for(self, auction_id: str, status: str, seconds: float = 30.0) -> dict[str, Any]:
        """The auction once its status is ``status`` (bidding opens and ends by itself)."""
        deadline = time.monotonic() + seconds
        while True:
            state = self.auction(auction_id)
            if state["status"] == status or time.monotonic() > deadline:
                assert state["status"] == status, f"still {state['status']} after {seconds} s"
                return state
            time.sleep(0.1)

    def report(self, auction_id: str) -> dict[str, Any]:
        response = self.client.get(f"/auctions/{auction_id}/report", headers=AUDITOR)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def events_text(self, auction_id: str) -> str:
        response = self.client.get(f"/auctions/{auction_id}/events", headers=AUDITOR)
        assert response.status_code == 200, response.text
        return response.text

    def close(self) -> None:
        self.client.close()


def wait_until_healthy(url: str, alive: Any, log: Path | None = None) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            break
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.1)
    output = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"the server at {url} did not become healthy ({last}):\n{output}")


def app_mounts_pages(database_url: str) -> bool:
    """Does ``create_app`` serve the web pages by itself? (Building the app starts nothing.)"""
    from api.app import create_app
    from api.settings import Settings
    from api.web import is_mounted

    return is_mounted(create_app(Settings(database_url=database_url, secret=SECRET)))


class ProcessServer:
    """``auction serve`` in a subprocess, as a user would run it."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "server.log"
        script = Path(sys.executable).with_name("auction")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
        command += ["serve", "--port", str(self.port), "--database", f"sqlite:///{directory / 'web.sqlite3'}"]
        env = {**os.environ, "AUCTION_SECRET": SECRET}
        env.pop("AUCTION_DATABASE_URL", None)
        env.pop("AUCTION_REDIS_URL", None)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(self.url, lambda: self.process.poll() is None, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class ThreadServer:
    """The same application under uvicorn in a thread, with the pages mounted here."""

    def __init__(self, directory: Path) -> None:
        from api.app import create_app
        from api.settings import Settings
        from api.web import mount_web

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(Settings(database_url=f"sqlite:///{directory / 'web.sqlite3'}", secret=SECRET))
        mount_web(app)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, ws="websockets-sansio", lifespan="on", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="web-test-server", daemon=True)
        self.thread.start()
        try:
            wait_until_healthy(self.url, self.thread.is_alive)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
