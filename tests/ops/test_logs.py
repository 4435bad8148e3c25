"""Structured logs: one line per request with its request id (taken from X-Request-ID when safe, else
made, and returned), one per notable domain act, never an identity; JSON or text lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.observability import (
    EVENT_LOGGER,
    FLUSH_EVERY,
    REQUEST_LOGGER,
    JsonFormatter,
    LineHandler,
    TextFormatter,
    checked_request_id,
    log_config,
    request_id,
)
from engine.clock import ManualClock
from tests.api.support import running_api, swedish_auction
from tests.e2e.support import Server, auth

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SAFE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == logger]


async def test_a_line_per_request_with_the_request_id_echoed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_api(clock=ManualClock(NOW), access_log=True) as api:
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        given_id = await api.client.get(f"/auctions/{auction}", headers={"X-Request-ID": "proxy-7f3a.1:2"})
        made = await api.client.get("/health")
        unsafe = await api.client.get("/health", headers={"X-Request-ID": 'a" "forged":"x'})
    assert given_id.headers["X-Request-ID"] == "proxy-7f3a.1:2"
    assert SAFE.fullmatch(made.headers["X-Request-ID"])
    assert SAFE.fullmatch(unsafe.headers["X-Request-ID"]) and "forged" not in unsafe.headers["X-Request-ID"]

    formatter = JsonFormatter()
    records = _lines(caplog, REQUEST_LOGGER)
    assert len(records) == 4  # the scheduling, then the three reads
    lines = [json.loads(formatter.format(record)) for record in records]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/auctions", 201),
        ("GET", "/auctions/{auction_id}", 200),
        ("GET", "/health", 200),
        ("GET", "/health", 200),
    ]
    assert [line["request_id"] for line in lines[1:]] == [
        "proxy-7f3a.1:2",
        made.headers["X-Request-ID"],
        unsafe.headers["X-Request-ID"],
    ]
    assert all(isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0 for line in lines)


async def test_no_request_line_unless_asked_for(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_api(access_log=False) as api:
        response = await api.client.get("/health")
    assert "X-Request-ID" in response.headers
    assert _lines(caplog, REQUEST_LOGGER) == []


async def test_a_line_per_domain_act_with_the_bidder_code_and_never_the_identity(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running_api(clock=ManualClock(NOW), access_log=True) as api:
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        code = await api.register(auction, "alice@example.test")
        headers = {**auth_bidder(), "X-Request-ID": "bid-1"}
        accepted = await api.client.post(f"/auctions/{auction}/bids", json={"amount": "1500.00"}, headers=headers)
        refused = await api.bid(auction, "alice@example.test", "1.00")
    assert accepted.status_code == 201 and refused.status_code == 409

    formatter = JsonFormatter()
    acts = [json.loads(formatter.format(record)) for record in _lines(caplog, EVENT_LOGGER)]
    by_message = {line["message"]: line for line in acts}
    assert by_message["auction scheduled"]["auction"] == auction
    assert by_message["auction scheduled"]["country"] == "SE"
    assert by_message["auction opened"]["auction"] == auction
    bid = by_message["bid accepted"]
    assert (bid["auction"], bid["bidder_code"], bid["amount"], bid["request_id"]) == (auction, code, "1500.00", "bid-1")
    refusal = by_message["bid refused"]
    assert (refusal["bidder_code"], refusal["reason"]) == (code, "bid_too_low")
    everything = "\n".join(formatter.format(record) for record in caplog.records)
    assert "alice" not in everything


def auth_bidder() -> dict[str, str]:
    from tests.api.support import bidder

    return bidder("alice@example.test")


def test_a_json_line_holds_the_fields_and_the_traceback_in_one_line() -> None:
    record = logging.LogRecord("auction.x", logging.ERROR, __file__, 1, "failed %s", ("twice",), None)
    record.fields = {"auction": "a1"}
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    token = request_id.set("r-1")
    try:
        text = JsonFormatter().format(record)
        plain = TextFormatter().format(record)
    finally:
        request_id.reset(token)
    assert "\n" not in text
    line = orjson.loads(text)
    assert (line["level"], line["logger"], line["message"]) == ("error", "auction.x", "failed twice")
    assert (line["request_id"], line["auction"]) == ("r-1", "a1")
    assert "Traceback" in line["exception"] and "ValueError: boom" in line["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert plain.splitlines()[0].endswith("error auction.x failed twice auction=a1 request_id=r-1")


def test_the_log_configuration_names_a_formatter_for_each_format() -> None:
    for fmt, formatter in (("json", JsonFormatter), ("text", TextFormatter)):
        config = log_config("warning", fmt)
        assert config["formatters"]["structured"]["()"] is formatter
        assert config["root"]["level"] == "WARNING"
        assert config["loggers"]["uvicorn.access"]["propagate"] is False


@given(st.text(max_size=200))
def test_a_request_id_is_the_one_given_when_safe_else_a_new_one(given_id: str) -> None:
    rid = checked_request_id(given_id)
    assert SAFE.fullmatch(rid)
    if SAFE.fullmatch(given_id):
        assert rid == given_id
    else:
        assert rid != given_id


def test_a_long_request_id_is_replaced() -> None:
    assert checked_request_id("a" * 128) == "a" * 128
    assert checked_request_id("a" * 129) != "a" * 129
    assert checked_request_id(None) != checked_request_id(None)


@pytest.mark.e2e
def test_auction_serve_writes_json_lines_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUCTION_ACCESS_LOG", "true")
    monkeypatch.setenv("AUCTION_LOG_FORMAT", "json")
    server = Server(f"sqlite:///{tmp_path / 'auction.sqlite3'}", tmp_path).start()
    try:
        response = httpx.get(f"{server.url}/ready", headers={"X-Request-ID": "e2e-42"}, timeout=10)
        schedule = httpx.post(
            f"{server.url}/auctions",
            json=swedish_auction(datetime.now(UTC)),
            headers=auth("bailiff", "bailiff-1"),
            timeout=10,
        )
    finally:
        assert server.stop() == 0
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "e2e-42"
    assert schedule.status_code == 201, schedule.text
    lines = [orjson.loads(line) for line in server.log.read_text().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    requests = [line for line in lines if line["logger"] == REQUEST_LOGGER]
    assert {"request_id": "e2e-42", "method": "GET", "path": "/ready", "status": 200}.items() <= requests[-2].items()
    scheduled = [line for line in lines if line["message"] == "auction scheduled"]
    assert scheduled and scheduled[0]["auction"] == schedule.json()["id"]
    assert any(line["logger"].startswith("uvicorn") and "startup complete" in line["message"] for line in lines)


class _Stream(io.TextIOWrapper):
    """A text stream over bytes that records when its bytes were flushed."""

    def __init__(self) -> None:
        self.bytes = io.BytesIO()
        self.flushed: list[bytes] = []
        super().__init__(self.bytes, encoding="utf-8", line_buffering=True)

    def flush(self) -> None:
        super().flush()
        self.flushed.append(self.bytes.getvalue())


async def test_info_lines_are_flushed_together_soon_and_warnings_at_once() -> None:
    stream = _Stream()
    handler = LineHandler(stream)
    handler.setFormatter(TextFormatter())
    log = logging.getLogger("tests.ops.lines")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    try:
        log.warning("first")
        assert stream.flushed[-1].endswith(b"first\n")  # at once
        log.info("second")
        log.info("third")
        assert not stream.flushed[-1].endswith(b"third\n")  # written, not yet flushed
        for _ in range(200):  # the flush planned on the event loop, once it comes
            if stream.flushed[-1].endswith(b"third\n"):
                break
            await asyncio.sleep(FLUSH_EVERY)
        assert len(stream.flushed) == 2 and b"second\n" in stream.flushed[-1]  # both by one flush
        assert stream.bytes.getvalue().count(b"\n") == 3
    finally:
        log.removeHandler(handler)


def test_outside_an_event_loop_every_line_is_flushed() -> None:
    stream = _Stream()
    handler = LineHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, "alone", (), None))
    assert orjson.loads(stream.flushed[-1])["message"] == "alone"
