"""Test PostgreSQL databases: one fresh database per test, on the server named by the environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES_URL_ENV = "AUCTION_TEST_POSTGRES_URL"


def postgres_server_url() -> str:
    """The test server's URL; skips without one, except in CI, where a missing server is a failure."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{POSTGRES_URL_ENV} is not set: CI must run the PostgreSQL tests (use scripts/test.sh)", pytrace=False
            )
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    return url


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty database on the test server, dropped afterwards.

    A fresh database rather than TRUNCATE: the events table refuses TRUNCATE and DELETE.
    """
    import asyncpg

    server = postgres_server_url()
    name = f"auction_test_{uuid.uuid4().hex[:20]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server, name)
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
