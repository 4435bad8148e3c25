"""The catalogue's search on L lots, beside a plain indexed SELECT of the same table in the same run.

    .venv/bin/python benchmarks/search.py [--database URL …] [--lots L] [--seconds S]

Without ``--database``: a SQLite file in a temporary directory and, when
``AUCTION_TEST_POSTGRES_URL`` names a PostgreSQL server (``set -a; . /tmp/servers.env``, or
benchmarks/run.sh's servers), a fresh database on it. Each database gets L lots
(tests/search/support.py's catalogue: Slovenian titles, descriptions and places, written
through the store's ``append_batch``), and the application (``create_app``, requests through
httpx's ASGI transport) indexes them as it starts. Then, each for S seconds, one after another:

- in the database, through the search's own connection: the first page (20 lots) of each
  search, and the baseline: a plain indexed SELECT of 20 lots in closing order
  (``search_lots`` by its closing index), the same table, connection and thread hop;
- over HTTP: ``GET /auctions?q=…`` and, the baseline, ``GET /auctions?limit=20`` (a page of
  the same search without words) and ``GET /auctions/{id}``.

Each line gives the median and the 99th percentile in milliseconds and the calls per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.ratelimit import LOAD_TEST_ENVIRONMENT  # noqa: E402
from projections.search import PostgresSearchTables, SqliteSearchTables, make_search  # noqa: E402
from tests.api.support import running_api  # noqa: E402
from tests.search.support import fill  # noqa: E402

SEARCHES = [
    ("one word", {"q": "stanovanje"}),
    ("two words, a prefix", {"q": "hisa ljublj"}),
    ("words and filters", {"q": "stanovanje", "region": "Gorenjska", "price_max": "200000.00", "sort": "price_asc"}),
    ("a case number", {"q": "In 4321/2026"}),
    ("a rare word, newest", {"q": "traktor vinograd", "sort": "newest"}),
]
PLAIN = "SELECT auction_id, closes_us FROM search_lots ORDER BY closes_us, auction_id LIMIT 21"


async def timed(name: str, seconds: float, call: Callable[[int], Awaitable[Any]]) -> None:
    durations: list[float] = []
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        started = time.perf_counter()
        await call(len(durations))
        durations.append(time.perf_counter() - started)
    durations.sort()
    p50 = statistics.median(durations) * 1000
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))] * 1000
    rate = len(durations) / (time.perf_counter() - began)
    print(f"  {name:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   {rate:8,.0f}/s")


def search_of(params: dict[str, str]) -> Any:
    from engine.model import parse_money

    return make_search(
        params.get("q"),
        region=params.get("region"),
        sort=params.get("sort"),
        price_max=parse_money(params["price_max"]) if "price_max" in params else None,
    )


async def plain_select(tables: Any) -> Any:
    if isinstance(tables, SqliteSearchTables):
        return await tables._run(lambda c: c.execute(PLAIN).fetchall())
    assert isinstance(tables, PostgresSearchTables)
    async with tables._pool.acquire() as c:
        return await c.fetch(PLAIN)


async def measure(database: str, lots: int, seconds: float) -> None:
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    async with running_api(database) as api:
        started = time.perf_counter()
        await fill(api, now, lots)
        filled = time.perf_counter() - started
    async with running_api(database) as api:  # a restart: the search resumes from its checkpoint
        runtime = api.runtime
        assert runtime.search is not None
        kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
        print(f"{kind}: {lots + 1} lots, filled and indexed in {filled:.1f} s; at position {runtime.search.checkpoint}")
        tables = runtime.search.tables
        print(" in the database, a page of 20:")
        await timed("plain indexed SELECT (closing order)", seconds, lambda n: plain_select(tables))
        for name, params in SEARCHES:
            search = search_of(params)
            found = await tables.search(search, None, 20)
            await timed(
                f"search: {name} ({found.total} match)",
                seconds,
                lambda n, search=search: tables.search(search, None, 20),
            )
        print(" over HTTP:")
        client = api.client
        one = (await client.get("/auctions", params={"limit": "1"})).json()["auctions"][0]["id"]
        await timed("GET /auctions/{id}", seconds, lambda n: client.get(f"/auctions/{one}"))
        await timed("GET /auctions?limit=20 (no words)", seconds, lambda n: client.get("/auctions?limit=20"))
        for name, params in SEARCHES:
            await timed(
                f"GET /auctions?q=… {name}", seconds, lambda n, params=params: client.get("/auctions", params=params)
            )
        following = (await client.get("/auctions", params={"q": "stanovanje"})).json()["next"]
        await timed("GET /auctions?q=stanovanje, the page after", seconds, lambda n: client.get(following))


async def main(databases: list[str], lots: int, seconds: float) -> None:
    os.environ.update(LOAD_TEST_ENVIRONMENT)
    with tempfile.TemporaryDirectory() as directory:
        if not databases:
            databases = [f"sqlite:///{Path(directory) / 'search.sqlite3'}"]
            if os.environ.get("AUCTION_TEST_POSTGRES_URL"):
                databases.append("fresh-postgres")
        for database in databases:
            if database == "fresh-postgres":
                from tests.store.support import fresh_postgres_database

                async with fresh_postgres_database() as url:
                    await measure(url, lots, seconds)
            else:
                await measure(database, lots, seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", default=[], help="a store URL (repeatable)")
    parser.add_argument("--lots", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.lots, args.seconds))
