"""Fixtures shared by the suites that run servers on a database they pick per test (crash, scale)."""

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


def mark_end_to_end(items: list[pytest.Item], folder: str) -> None:
    for item in items:
        if f"tests/{folder}/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)
