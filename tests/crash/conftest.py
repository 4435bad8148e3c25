"""Fixtures for the crash tests: a fresh PostgreSQL database and server processes on it."""

from __future__ import annotations

import pytest

from tests.e2e.server_fixtures import mark_end_to_end, postgres_url, start_server  # noqa: F401 (fixtures)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_end_to_end(items, "crash")
