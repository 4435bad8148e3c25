from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.store.support import fresh_postgres_database


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url
