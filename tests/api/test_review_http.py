"""The HTTP surface against what a hostile client sends: bodies too large or without credentials
(refused before they are read), lone surrogates, echoed input, the sign-in page's ``next``, the
live feed's ``after`` beyond the auction, the docs page's assets, and the server's connection limits."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.settings import Settings
from tests.api.support import (
    BAILIFF,
    SECRET,
    Api,
    bidder,
    free_socket,
    running_api,
    served,
    swedish_auction,
    utc_now,
)

JSON = {"Content-Type": "application/json"}
ENDLESS = 16 * 1024 * 1024


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    return str(error["message"])


class Wire:
    """A raw ASGI request to the application: what it reads of the body, and what it answers."""

    def __init__(self, body: bytes, chunk: int, *, endless: bool = False) -> None:
        self.body = body
        self.chunk = chunk
        self.endless = endless
        self.read = 0  # body bytes the application took
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.endless:  # as good as endless: 16 MiB, far past any limit (and the end of a test without one)
            self.read += self.chunk
            return {"type": "http.request", "body": b" " * self.chunk, "more_body": self.read < ENDLESS}
        piece = self.body[self.read : self.read + self.chunk]
        self.read += len(piece)
        return {"type": "http.request", "body": piece, "more_body": self.read < len(self.body)}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def answer(self) -> dict[str, Any]:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))  # type: ignore[no-any-return]


async def call(api: Api, path: str, wire: Wire, headers: dict[str, str], method: str = "POST") -> Wire:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("auction.test", 80),
        "state": {},
    }
    await api.app(scope, wire.receive, wire.send)
    return wire


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with running_api() as running:
        yield running


# ------------------------------------------------------------------ 1. body size and credentials


BIG = 100 * 1024 * 1024  # what a client may announce


@pytest.mark.parametrize("path", ["/auctions", "/auctions/{id}/bids", "/auctions/{id}/incidents", "/nowhere"])
async def test_a_body_announced_larger_than_the_limit_is_refused_with_413_unread(api: Api, path: str) -> None:
    auction = await api.schedule(swedish_auction(utc_now()))
    headers = {**BAILIFF, **JSON, "Content-Length": str(BIG)}
    wire = await call(api, path.format(id=auction["id"]), Wire(b"", 65536, endless=True), headers)
    assert wire.read == 0
    assert wire.status == 413 and wire.answer["error"]["code"] == "request_too_large"
    assert wire.headers["connection"] == "close"


@pytest.mark.parametrize("path", ["/auctions", "/auctions/{id}/bids"])
async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(api: Api, path: str) -> None:
    auction = await api.schedule(swedish_auction(utc_now()))
    headers = {**bidder("alice"), **BAILIFF, **JSON, "Transfer-Encoding": "chunked"}
    wire = await call(api, path.format(id=auction["id"]), Wire(b"", 16 * 1024, endless=True), headers)
    assert wire.status == 413 and wire.answer["error"]["code"] == "request_too_large"
    assert wire.read <= 64 * 1024 + 16 * 1024  # one chunk past the limit, no more


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic YWxpY2U6c2VjcmV0", "Bearer " + jwt.encode({"sub": "x"}, "k" * 40)],
    ids=["none", "garbage", "basic", "other-secret"],
)
@pytest.mark.parametrize("path", ["/auctions", "/auctions/{id}/bids", "/auctions/{id}/proxy", "/nowhere"])
async def test_a_body_without_valid_credentials_gets_401_before_it_is_read(
    api: Api, path: str, authorization: str | None
) -> None:
    auction = await api.schedule(swedish_auction(utc_now()))
    before = await api.all_events()
    body = b'{"amount": "1500.00"}'
    headers = {**JSON, "Content-Length": str(len(body))}
    if authorization is not None:
        headers["Authorization"] = authorization
    wire = await call(api, path.format(id=auction["id"]), Wire(body, 4), headers)
    assert wire.read == 0
    assert wire.status == 401 and wire.answer["error"]["code"] == "unauthenticated"
    assert wire.headers["www-authenticate"] == "Bearer" and wire.headers["connection"] == "close"
    assert await api.all_events() == before


async def test_bodies_within_the_limit_and_bodiless_posts_are_served_as_before(api: Api) -> None:
    now = utc_now()
    title = "x" * 150
    auction = await api.schedule(swedish_auction(now, title=title))
    assert auction["title"] == title
    registered = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=bidder("alice"))
    assert registered.status_code in (200, 201)
    assert (await api.bid(auction["id"], "alice", "1500.00")).status_code == 201
    # no body, no token: the endpoint's own 401; reads are public
    anonymous = await api.client.post(f"/auctions/{auction['id']}/registrations")
    error_of(anonymous, 401, "unauthenticated")
    assert "connection" not in anonymous.headers
    assert (await api.client.get(f"/auctions/{auction['id']}")).status_code == 200


async def test_the_json_limit_is_a_setting() -> None:
    async with running_api(max_json_body=1024) as api:
        body = swedish_auction(utc_now(), title="t" * 2000)
        response = await api.client.post("/auctions", json=body, headers=BAILIFF)
        assert error_of(response, 413, "request_too_large") == "the request body is larger than 1024 bytes"
        assert (await api.client.post("/auctions", json=swedish_auction(utc_now()), headers=BAILIFF)).is_success


# ------------------------------------------------------------------ 6. lone surrogates


def _incident(fields: str) -> str:
    """An incident's JSON with ``fields`` written as they are (escapes included) before ``started_at``."""
    return "{" + fields + ', "started_at": "' + utc_now().isoformat() + '"}'


def _with_surrogate(auction_id: str) -> list[tuple[str, str]]:
    return [
        (f"/auctions/{auction_id}/incidents", _incident('"description": "down\\ud800"')),
        (f"/auctions/{auction_id}/incidents", _incident('"description": "\\udc00 down"')),
        (f"/auctions/{auction_id}/incidents", _incident('"description": "x", "\\ud800": 1')),
        ("/auctions", json.dumps(swedish_auction(utc_now())).replace('"title": "', '"title": "\\ud83d', 1)),
        (f"/auctions/{auction_id}/bids", '{"amount": "1500.00\\ud800"}'),
    ]


async def test_a_lone_surrogate_in_a_json_body_is_a_422_and_records_nothing(api: Api) -> None:
    auction = await api.schedule(swedish_auction(utc_now()))
    await api.register(auction["id"], "alice")
    before = await api.all_events()
    for path, body in _with_surrogate(auction["id"]):
        headers = {**BAILIFF, **JSON} if "bids" not in path else {**bidder("alice"), **JSON}
        response = await api.client.post(path, content=body.encode(), headers=headers)
        error_of(response, 422, "invalid_request")
    assert await api.all_events() == before
    # a surrogate pair is text, and an escaped backslash is no escape
    fine = _incident('"description": "down \\ud83d\\ude00 \\\\ud800"')
    recorded = await api.client.post(f"/auctions/{auction['id']}/incidents", content=fine, headers={**BAILIFF, **JSON})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["description"] == "down \U0001f600 \\ud800"


async def test_only_json_bodies_are_looked_at_for_surrogates(api: Api) -> None:
    body = _incident('"description": "down\\ud800"').encode()
    for kind in ("text/plain", "multipart/form-data; boundary=x", "application/octet-stream"):
        response = await api.client.post("/auctions", content=body, headers={**BAILIFF, "Content-Type": kind})
        assert "surrogate" not in error_of(response, 422, "invalid_request")  # the route's own answer
    for kind in ("application/json", "application/merge-patch+json; charset=utf-8"):
        response = await api.client.post("/auctions", content=body, headers={**BAILIFF, "Content-Type": kind})
        assert "surrogate" in error_of(response, 422, "invalid_request")


@pytest.mark.parametrize("claims", [{"sub": "\ud800"}, {"sub": "b-1", "office": "court \udfff"}])
async def test_a_token_whose_subject_is_not_text_is_a_422(api: Api, claims: dict[str, str]) -> None:
    auction = await api.schedule(swedish_auction(utc_now()))
    before = await api.all_events()
    forged = jwt.encode({"role": "bidder", "exp": time.time() + 600, **claims}, SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {forged}"}
    response = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=headers)
    error_of(response, 422, "invalid_subject")
    bid = await api.client.post(f"/auctions/{auction['id']}/bids", json={"amount": "1500.00"}, headers=headers)
    error_of(bid, 422, "invalid_subject")
    assert await api.all_events() == before
    error_of(await api.client.get(f"/auctions/{auction['id']}", headers=headers), 422, "invalid_subject")


async def test_a_token_signed_with_another_secret_says_so_and_how_to_share_it(api: Api) -> None:
    from api.auth import issue_token

    elsewhere = issue_token("another-directory-secret-0123456789abcdef", "bailiff", "b-1")
    response = await api.client.get("/auctions/x/events", headers={"Authorization": f"Bearer {elsewhere}"})
    message = error_of(response, 401, "unauthenticated")
    assert "signature does not match this server's secret" in message
    assert "AUCTION_SECRET" in message and ".auction-secret" in message


# ------------------------------------------------------------------ 10. echoed input


async def test_refusals_quote_at_most_a_short_prefix_of_the_input(api: Api) -> None:
    auction = await api.schedule(swedish_auction(utc_now()))
    await api.register(auction["id"], "alice")
    long = "1" * 60_000
    cases = [
        ("/auctions", {**swedish_auction(utc_now()), "value": long}, BAILIFF),
        ("/auctions", {**swedish_auction(utc_now()), "opens_at": "2" * 60_000}, BAILIFF),
        ("/auctions", {**swedish_auction(utc_now()), "k" * 60_000: 1}, BAILIFF),
        (f"/auctions/{auction['id']}/bids", {"amount": long}, bidder("alice")),
        (f"/auctions/{auction['id']}/proxy", {"max": long, "step": "1.00"}, bidder("alice")),
    ]
    for path, body, headers in cases:
        response = await api.client.post(path, json=body, headers=headers)
        message = error_of(response, 422, "invalid_request")
        assert len(response.content) < 1000, response.text[:300]
        assert "…" in message
        assert "1" * 64 + "…" in message or "2" * 64 + "…" in message or "k" * 64 + "…" in message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=65, max_size=3000), quote=st.sampled_from(["'", '"']))
def test_a_quoted_value_in_any_message_is_cut_to_64_characters(text: str, quote: str) -> None:
    from api.errors import clipped_quotes

    value = repr(text) if quote == "'" else json.dumps(text)
    message = clipped_quotes(f"amount {value} is not an amount")
    assert len(message) <= len("amount  is not an amount") + 64 + 3
    assert message.startswith(f"amount {value[:65]}")


def test_apostrophes_and_short_quotes_are_left_as_they_are() -> None:
    from api.auth import WRONG_SECRET
    from api.errors import clipped_quotes

    assert clipped_quotes(WRONG_SECRET) == WRONG_SECRET
    short = "no auction 'a-1' in 'this database', say 'x' " * 5
    assert clipped_quotes(short) == short


# ------------------------------------------------------------------ helpers for the tests below


def _settings(**values: Any) -> Settings:
    return Settings(database_url="memory:", secret=SECRET, **values)


async def _eventually(condition: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@asynccontextmanager
async def under_auction_serve(**values: Any) -> AsyncIterator[tuple[Api, str]]:
    """The application under uvicorn configured as ``auction serve`` configures it (the live feed
    on api.routes.live.LiveSocket, the connection limits and the head deadline), on a loopback port."""
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_config

    settings = _settings(**values)
    app = create_app(settings)
    sock = free_socket()
    config = uvicorn_config(app, "127.0.0.1", 0, log_level="warning", settings=settings)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await _eventually(lambda: server.started or task.done())
        host, port = sock.getsockname()[:2]
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
            yield Api(app, client), f"{host}:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


# ------------------------------------------------------------------ 11. connection limits


def test_the_connection_settings_reach_uvicorn() -> None:
    from api.app import create_app
    from api.server import HeaderDeadline, uvicorn_config

    settings = _settings(limit_concurrency=7, timeout_keep_alive=3, header_timeout=0.25, max_header_bytes=2048)
    config = uvicorn_config(create_app(settings), "127.0.0.1", 0, settings=settings)
    assert (config.limit_concurrency, config.timeout_keep_alive, config.h11_max_incomplete_event_size) == (7, 3, 2048)
    assert isinstance(config.http, type) and issubclass(config.http, HeaderDeadline)
    assert (config.http.header_timeout, config.http.max_header_bytes) == (0.25, 2048)
    defaults = uvicorn_config(create_app(_settings()), "127.0.0.1", 0)
    assert defaults.limit_concurrency == Settings.model_fields["limit_concurrency"].default
    assert defaults.http.header_timeout == Settings.model_fields["header_timeout"].default  # type: ignore[union-attr]


def test_auction_serve_runs_with_the_settings_connection_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.server

    seen: list[Any] = []
    monkeypatch.setattr(api.server.GracefulServer, "run", lambda self, sockets=None: seen.append(self.config))
    api.server.run(_settings(limit_concurrency=11, timeout_keep_alive=2, header_timeout=1.5, max_header_bytes=4096))
    (config,) = seen
    assert (config.limit_concurrency, config.timeout_keep_alive) == (11, 2)
    assert (config.http.header_timeout, config.http.max_header_bytes) == (1.5, 4096)


async def _read_to_end(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(10):  # the server closes well before; this only bounds a failure
        return await reader.read()


async def test_a_request_head_that_does_not_arrive_in_time_is_answered_408_and_closed() -> None:
    async with under_auction_serve(header_timeout=0.3) as (api, address):
        host, port = address.split(":")
        silent = await asyncio.open_connection(host, int(port))
        trickling = await asyncio.open_connection(host, int(port))
        trickling[1].write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        for reader, writer in (silent, trickling):
            answer = await _read_to_end(reader)
            assert answer.startswith(b"HTTP/1.1 408 ") and b'"code":"request_timeout"' in answer
            writer.close()
        # a whole head in time is served, and so is the next one on the same connection
        reader, writer = await asyncio.open_connection(host, int(port))
        for _ in range(2):
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            status = await reader.readline()
            assert status.startswith(b"HTTP/1.1 200 "), status
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
        writer.close()
        assert (await api.client.get("/health")).status_code == 200


async def test_a_request_head_larger_than_the_limit_is_answered_431_and_closed() -> None:
    async with under_auction_serve(max_header_bytes=2048) as (_, address):
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        fillers = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"y" * 100) for n in range(30))
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n" + fillers)  # 3.5 KB, and no end of the head
        answer = await _read_to_end(reader)
        assert answer.startswith(b"HTTP/1.1 431 ") and b'"code":"headers_too_large"' in answer
        writer.close()


async def test_a_live_watcher_outlives_the_head_deadline() -> None:
    from websockets.asyncio.client import connect

    async with under_auction_serve(header_timeout=0.3) as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}") as socket:
            assert json.loads(await socket.recv())["type"] == "snapshot"
            await asyncio.sleep(0.6)  # twice the deadline: the upgraded connection is not timed
            accepted = await api.bid(auction["id"], "alice", "1500.00")
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert message["position"] == accepted.json()["position"]


# ------------------------------------------------------------------ 12. after beyond the auction


async def _closed_with(address: str, path: str) -> tuple[int | None, str]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(f"ws://{address}{path}") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await socket.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


@pytest.mark.parametrize("server", ["asgi-route", "auction-serve"])
async def test_an_after_beyond_the_current_position_is_closed_with_4400_naming_it(server: str) -> None:
    from api.app import create_app

    if server == "asgi-route":
        app = create_app(_settings())
        context: Any = served_api(app)
    else:
        context = under_auction_serve()
    async with context as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        position = (await api.bid(auction["id"], "alice", "1500.00")).json()["position"]
        for after in (position + 1, 10**17):
            code, reason = await _closed_with(address, f"/ws/auctions/{auction['id']}?after={after}")
            assert code == 4400
            assert reason == f"after={after} is beyond the auction's current position {position}"
        # at the current position: nothing to resend, then live
        from websockets.asyncio.client import connect

        async with connect(f"ws://{address}/ws/auctions/{auction['id']}?after={position}") as socket:
            assert json.loads(await socket.recv())["type"] == "snapshot"
            later = (await api.bid(auction["id"], "alice", "1600.00")).json()["position"]
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["position"] == later


@asynccontextmanager
async def served_api(app: Any) -> AsyncIterator[tuple[Api, str]]:
    async with served(app) as address:
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            yield Api(app, client), address


# ------------------------------------------------------------------ 3. the sign-in page's next


@pytest.mark.parametrize(
    "query",
    [
        "next=/%5Cevil.example/x",
        "next=/%09/evil.example/x",
        "next=//evil.example",
        "next=/%0A/evil.example",
        "next=https://evil.example",
        "next=/app/sign-in",
        "next=/app/bailiff&next=//evil.example",
    ],
)
async def test_a_sign_in_page_asked_to_continue_elsewhere_is_sent_back_without_next(api: Api, query: str) -> None:
    response = await api.client.get(f"/app/sign-in?{query}")
    assert response.status_code == 303 and response.headers["location"] == "/app/sign-in"
    assert (await api.client.get("/app/sign-in?next=/app/bailiff")).status_code == 200


@given(st.text(max_size=40))
def test_an_accepted_next_is_always_one_path_on_this_site(text: str) -> None:
    from urllib.parse import urlsplit

    from api.web.navigation import safe_next

    for value in (text, "/" + text):
        if safe_next(value):
            assert value.startswith("/") and value[1:2] not in ("/", "\\")
            assert not any(c.isspace() or ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F or c == "\\" for c in value)
            assert urlsplit("https://auction.test" + value).netloc == "auction.test"


# ------------------------------------------------------------------ 14. the docs page


async def test_the_docs_page_names_only_this_servers_files_under_the_pages_policy(api: Api) -> None:
    import re

    from api.web import PAGE_HEADERS

    docs = await api.client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert docs.headers["content-security-policy"] == PAGE_HEADERS["Content-Security-Policy"]
    assert "<script>" not in docs.text and "http" not in docs.text.lower().replace("http-equiv", "")
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/app/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets and "/app/static/js/docs.js" in assets
    for asset in assets:
        if asset.startswith("data:"):
            continue
        served = await api.client.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["content-type"].split(";")[0] in ("text/javascript", "text/css"), asset
    assert (await api.client.get("/openapi.json")).json()["info"]["title"] == "Judicial e-auction engine"
