"""Feed pages served per second, from the page cache and from the store, beside ``GET /auctions``.

    .venv/bin/python benchmarks/feed.py [--database URL] [--auctions A] [--bids B] [--limit N] [--seconds S]
                                        [--harvest-lots H]

One in-process application (the same ``create_app`` as ``auction serve``, requests through
httpx's ASGI transport, no sockets) on the given store (default an in-memory one) is seeded
with A SE auctions of B bids each through the API. Then, each for S seconds, one after
another in the same run:

- ``GET /auctions``: the catalogue, the baseline;
- ``GET /feed`` from the store: complete pages in turn, the page cache emptied before each
  request (the rows read, the items made, the page rendered and hashed);
- ``GET /feed`` from the cache: the same complete pages, kept once rendered;
- ``GET /feed`` revalidated: the same with ``If-None-Match`` (304);
- a lot's page with its JSON-LD written in, beside the sign-in page (a file as it is).

Then ``auction serve --harvest``'s application on a harvest database of H lots in four
countries (made as a harvest makes it): ``GET /auctions`` unfiltered, by country, by place
and by a price range, first pages and the pages after them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.ratelimit import LOAD_TEST_ENVIRONMENT  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from tests.api.support import running_api, swedish_auction  # noqa: E402

START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)


async def rate(name: str, seconds: float, call: Callable[[int], Awaitable[httpx.Response]], status: int) -> float:
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        response = await call(done)
        assert response.status_code == status, (name, response.status_code, response.text[:200])
        done += 1
    per_second = done / (time.perf_counter() - began)
    print(f"{name:<32} {per_second:>10,.0f} requests/s  ({done} requests)")
    return per_second


async def main(database: str, auctions: int, bids: int, limit: int, seconds: float) -> None:
    os.environ.update(LOAD_TEST_ENVIRONMENT)  # the seeding writes from one client, faster than anyone bids
    async with running_api(database, clock=ManualClock(START)) as api:
        for n in range(auctions):
            auction = await api.schedule(swedish_auction(START, title=f"Lot {n}"))
            subjects = [f"bidder-{k}@example.test" for k in range(3)]
            for subject in subjects:
                await api.register(auction["id"], subject)
            for k in range(bids):
                await api.bid(auction["id"], subjects[k % 3], f"{2000 + 10 * k}.00")
        head = await api.all_events()
        pages = head // limit
        print(f"{auctions} auctions, {head} events, {pages} complete pages of {limit}")
        client = api.client

        def page(n: int) -> str:
            return f"/feed?after={(n % pages) * limit}&limit={limit}"

        async def catalogue(n: int) -> httpx.Response:
            return await client.get("/auctions")

        async def from_store(n: int) -> httpx.Response:
            api.app.state.feed_pages = None
            return await client.get(page(n))

        async def from_cache(n: int) -> httpx.Response:
            return await client.get(page(n))

        etags = {n: (await client.get(page(n))).headers["etag"] for n in range(pages)}

        async def revalidated(n: int) -> httpx.Response:
            return await client.get(page(n), headers={"If-None-Match": etags[n % pages]})

        base = await rate("GET /auctions", seconds, catalogue, 200)
        store = await rate("GET /feed (from the store)", seconds, from_store, 200)
        cache = await rate("GET /feed (from the cache)", seconds, from_cache, 200)
        await rate("GET /feed (If-None-Match, 304)", seconds, revalidated, 304)
        print(f"from the store / GET /auctions: {store / base:.2f}; from the cache / GET /auctions: {cache / base:.2f}")
        lot = f"/app/auction/{auction['id']}"

        async def lot_page(n: int) -> httpx.Response:
            return await client.get(lot)

        async def plain_page(n: int) -> httpx.Response:
            return await client.get("/app/sign-in")

        await rate("a lot's page, with its JSON-LD", seconds, lot_page, 200)
        await rate("the sign-in page (a file)", seconds, plain_page, 200)


async def harvest_search(count: int, seconds: float) -> None:
    from api.harvest import connect
    from api.harvest_app import create_harvest_app
    from tests.feed.support import Lot, apply_lots

    chosen = random.Random(1)
    places = [("Split", "Splitsko-dalmatinska"), ("Šiauliai", "Šiaulių apskritis"), ("Kaunas", "Kauno apskritis")]
    places += [("Göteborg", "Västra Götaland")]
    lots = []
    for n in range(count):
        country, currency = chosen.choice([("HR", "EUR"), ("LT", "EUR"), ("SE", "SEK"), ("EE", "EUR")])
        municipality, region = chosen.choice(places)
        closes = f"2027-{chosen.randint(3, 9):02d}-{chosen.randint(10, 28)}T08:00:00+00:00"
        price = f"{chosen.randint(1000, 500000)}.00"
        location = {"municipality": municipality, "region": region}
        source = f"https://engine-{n % 4}.example"
        lots.append(
            Lot(
                source,
                f"a{n}",
                country,
                f"Lot {n}",
                price,
                "2027-03-01T08:00:00+00:00",
                closes,
                currency,
                location=location,
            )
        )
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "harvest.sqlite3")
        conn = connect(path)
        try:
            apply_lots(conn, lots)
        finally:
            conn.close()
        print(f"a harvest of {count} lots")
        app = create_harvest_app(path)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://harvest.test") as client:
            for name, query in (
                ("everything", ""),
                ("country=LT", "country=LT"),
                ("location=šiauliai", "location=%C5%A1iauliai"),
                ("currency=EUR, a price range", "currency=EUR&min_price=100000&max_price=200000"),
            ):
                following = (await client.get(f"/auctions?{query}")).json()["next"]

                async def first(n: int, query: str = query) -> httpx.Response:
                    return await client.get(f"/auctions?{query}")

                async def after(n: int, following: str = following) -> httpx.Response:
                    return await client.get(following)

                await rate(f"GET /auctions {name}", seconds, first, 200)
                await rate("  the page after", seconds, after, 200)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="memory:")
    parser.add_argument("--auctions", type=int, default=100)
    parser.add_argument("--bids", type=int, default=10)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--harvest-lots", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.auctions, args.bids, args.limit, args.seconds))
    asyncio.run(harvest_search(args.harvest_lots, args.seconds))
