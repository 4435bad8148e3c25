"""End-to-end fixtures: a database per test (SQLite file or fresh PostgreSQL database) and servers on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.support import Server, fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'auction.sqlite3'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def start_server(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts a server on the test's database; every server started is stopped afterwards."""
    servers: list[Server] = []

    def start(redis_url: str | None = None) -> Server:
        server = Server(database_url, tmp_path, redis_url)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)
