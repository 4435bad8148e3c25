"""The search on 10,000 lots in SQLite and in the real PostgreSQL: what it finds, filters combined, paging
while lots arrive; and its projection across restarts: resumed from its checkpoint, made again when missing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from projections.search import SqliteSearchTables
from tests.api.support import running_api
from tests.search.support import every_page, expected, fill, lot_body
from tests.store.support import fresh_postgres_database

LOTS = 10_000
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)  # every lot still to open


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.sqlite3'}"
        return
    async with fresh_postgres_database() as url:
        yield url


SEARCHES: list[dict[str, Any]] = [
    {"q": "stanovanje ljubljana"},
    {"q": "hisa", "region": "Gorenjska", "sort": "price_asc"},
    {"q": "traktor", "price_max": "100000.00", "currency": "EUR"},
    {"q": "okrajno sodisce celje", "kind": "real_estate", "rooms_min": "4", "sort": "newest"},
    {"q": "In 4321/2026"},
    {"municipality": "Škofja Loka", "asset": "immovable", "area_min": "150", "sort": "price_desc"},
    {"q": "vinograd gozd", "closes_before": (NOW + timedelta(days=8)).isoformat()},
    {"country": "SE", "kind": "vehicle", "closes_after": (NOW + timedelta(days=25)).isoformat()},
]


async def test_ten_thousand_lots_are_found_filtered_and_paged_while_new_lots_arrive(database: str) -> None:
    async with running_api(database) as api:
        await fill(api, NOW, LOTS)
        views = (await api.client.get("/auctions")).json()["auctions"]
        assert len(views) == LOTS + 1
        for params in SEARCHES:
            want = expected(views, params)
            assert want, params  # each search finds something
            assert await every_page(api, params) == want, params
        one = views[4321]
        assert one["case_reference"] == "In 4321/2026"
        assert one["id"] in await every_page(api, {"q": "In 4321/2026"})

        # Page through the lots closing soonest while lots keep arriving, some closing before the
        # page being read and some after: each lot there at the start is seen exactly once.
        params = {"q": "stanovanje", "sort": "closing"}
        before = expected(views, params)
        page = (await api.client.get("/auctions", params={**params, "limit": "50"})).json()
        seen = [lot["id"] for lot in page["auctions"]]
        n = LOTS + 1
        while page["next"] is not None:
            for _ in range(3):
                await api.schedule(lot_body(NOW, n, title=f"Stanovanje {n}"))
                n += 1
            page = (await api.client.get(page["next"])).json()
            seen += [lot["id"] for lot in page["auctions"]]
        assert len(seen) == len(set(seen))
        assert [i for i in seen if i in set(before)] == before
        assert n > LOTS + 30  # lots did arrive meanwhile


def _rows_written(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each write of the search's tables carries (SQLite and PostgreSQL alike)."""
    from projections import search

    written: list[int] = []
    for tables in (search.SqliteSearchTables, search.PostgresSearchTables):
        original = tables.write

        async def write(self: Any, rows: Any, checkpoint: int, original: Any = original) -> None:
            written.append(len(rows))
            await original(self, rows, checkpoint)

        monkeypatch.setattr(tables, "write", write)
    return written


async def test_a_restart_resumes_from_the_checkpoint_and_missing_tables_are_made_again(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = _rows_written(monkeypatch)
    async with running_api(database) as api:
        await fill(api, NOW, 300)
        assert len(await every_page(api, {"q": "lot"})) == 301
        checkpoint = api.runtime.search.checkpoint if api.runtime.search else 0
    assert checkpoint == 301 and sum(written) == 301

    written.clear()
    async with running_api(database) as api:
        views = (await api.client.get("/auctions")).json()["auctions"]
        assert await every_page(api, {"q": "lot 17"}) == expected(views, {"q": "lot 17"})
        extra = await api.schedule(lot_body(NOW, 9999, title="Vikendica Bohinj"))
    assert sum(written) == 1  # nothing indexed again at the start: only the new lot

    await _drop_lots_table(database)
    written.clear()
    async with running_api(database) as api:
        assert await every_page(api, {"q": "vikendica"}) == [extra["id"]]
        assert len(await every_page(api, {"q": "lot"})) == 302
    assert sum(written) == 302  # made again, with every lot


async def _drop_lots_table(database: str) -> None:
    if database.startswith("sqlite:///"):
        with sqlite3.connect(database[len("sqlite:///") :]) as c:
            c.execute("DROP TABLE search_lots")
        return
    import asyncpg

    c = await asyncpg.connect(database)
    try:
        await c.execute("DROP TABLE search_lots")
    finally:
        await c.close()


async def test_a_checkpoint_behind_indexes_only_the_lots_changed_after_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    async with running_api(url) as api:
        await fill(api, NOW, 50)
    tables = SqliteSearchTables(str(tmp_path / "log.sqlite3"))
    try:
        assert await tables.open() == 51
    finally:
        await tables.close()
    with sqlite3.connect(tmp_path / "log.sqlite3") as c:
        c.execute("UPDATE search_checkpoint SET position = 41")
        c.execute("DELETE FROM search_lots WHERE auction_id >= 'lot-000045'")
    async with running_api(url) as api:
        assert len(await every_page(api, {"q": "lot"})) == 51
        assert api.runtime.search is not None and api.runtime.search.checkpoint == 51
