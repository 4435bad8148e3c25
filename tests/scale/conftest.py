"""Fixtures for the scale-out tests: a fresh PostgreSQL database and server processes on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.support import Server, fresh_postgres_database


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts ``auction serve`` on a database (and optionally a Redis); every server is stopped afterwards."""
    servers: list[Server] = []

    def start(database_url: str, redis_url: str | None = None) -> Server:
        server = Server(database_url, tmp_path, redis_url)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        if server.process is not None and server.process.poll() is None:
            server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.path).replace("\\", "/")
        if "tests/scale/" in path:
            item.add_marker(pytest.mark.e2e)
