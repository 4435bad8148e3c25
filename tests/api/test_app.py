"""The application: built in its lifespan, documented, and served by ``auction serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from api import cli
from api.app import create_app
from api.settings import Settings
from tests.api.support import SECRET, running_api


def test_creating_the_app_opens_nothing(tmp_path: Path) -> None:
    database = tmp_path / "auction.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{database}", secret=SECRET))
    assert app.title
    assert not database.exists()
    assert not hasattr(app.state, "runtime")


async def test_the_lifespan_opens_the_store_and_closing_it_stops_everything(tmp_path: Path) -> None:
    database = tmp_path / "auction.sqlite3"
    async with running_api(f"sqlite:///{database}") as api:
        assert database.exists()
        tasks = list(api.runtime.tasks)
        assert all(not task.done() for task in tasks)
    assert all(task.done() for task in tasks)


async def test_the_openapi_schema_documents_the_contracts_endpoints() -> None:
    async with running_api() as api:
        schema = (await api.client.get("/openapi.json")).json()
        docs = await api.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = schema["paths"]
    for path, method in [
        ("/auctions", "post"),
        ("/auctions", "get"),
        ("/auctions/{auction_id}", "get"),
        ("/auctions/{auction_id}/open", "post"),
        ("/auctions/{auction_id}/close", "post"),
        ("/auctions/{auction_id}/registrations", "post"),
        ("/auctions/{auction_id}/registrations/{bidder_code}/deposit", "post"),
        ("/auctions/{auction_id}/bids", "post"),
        ("/auctions/{auction_id}/bids", "get"),
        ("/auctions/{auction_id}/proxy", "post"),
        ("/auctions/{auction_id}/report", "get"),
        ("/auctions/{auction_id}/events", "get"),
    ]:
        assert method in paths[path], (method, path)
    amount = schema["components"]["schemas"]["AmountIn"]["properties"]["amount"]
    assert amount["type"] == "string"


def test_serve_with_no_options_uses_the_embedded_sqlite_file_on_the_loopback_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AUCTION_DATABASE_URL", "AUCTION_REDIS_URL", "AUCTION_HOST", "AUCTION_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    seen: list[Settings] = []
    import api.server

    monkeypatch.setattr(api.server, "run", seen.append)

    assert cli.main(["serve"]) == 0

    (settings,) = seen
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url == "sqlite:///auction.sqlite3"  # relative: the working directory
    assert os.listdir(tmp_path) == []  # nothing is opened before the server starts


async def test_health_reports_the_read_models_checkpoint() -> None:
    async with running_api() as api:
        body: dict[str, Any] = (await api.client.get("/health")).json()
        assert body == {"status": "ok", "checkpoint": 0}


async def test_the_openapi_schema_documents_the_plain_bid_route_with_its_body_and_answers() -> None:
    async with running_api() as api:
        schema = (await api.client.get("/openapi.json")).json()
    operation = schema["paths"]["/auctions/{auction_id}/bids"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BidIn"}
    answers = operation["responses"]
    assert answers["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BidOut"}
    for status in ("401", "403", "404", "409", "422"):
        assert answers[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert {p["name"]: p["in"] for p in operation["parameters"]} == {"auction_id": "path", "Idempotency-Key": "header"}
    assert operation["security"] == [{"HTTPBearer": []}]
    components = schema["components"]["schemas"]
    assert set(components["BidOut"]["properties"]) >= {"amount", "position", "closes_at", "received_at", "receipt"}
    assert components["BidIn"]["properties"]["amount"]["type"] == "string"
    assert components["BidIn"]["properties"]["confirm"]["type"] == "boolean"


def test_bids_are_answered_by_a_plain_starlette_endpoint_not_by_fastapis_dependency_solving() -> None:
    from starlette.routing import Route

    from api.routes.bids import PlainRoute, place_bid

    app = create_app(Settings(database_url="memory:", secret=SECRET))
    (route,) = [
        r
        for r in app.routes
        if isinstance(r, Route) and r.path == "/auctions/{auction_id}/bids" and "POST" in (r.methods or ())
    ]
    assert isinstance(route, PlainRoute) and route.answer is place_bid
