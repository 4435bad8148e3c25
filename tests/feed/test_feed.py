"""The open-data feed (``GET /feed``, ``/feed.atom``): paging at fixed boundaries, complete pages
that never change, revalidation, no identity anywhere, and an Atom rendition feedparser reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import orjson

from engine.clock import ManualClock
from projections.feed import IMMUTABLE, ITEM_SCHEMA
from tests.api.deadline_support import move_clock, status_becomes
from tests.api.support import BAILIFF, Api, running_api, swedish_auction

START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)
SUBJECTS = ["alice.andersson@example.test", "bjorn.berg@example.test", "cecilia.carlsson@example.test"]


async def busy(api: Api, auctions: int = 3, bids: int = 4) -> list[str]:
    """A few SE auctions with registrations and bids; returns their ids."""
    ids = []
    for n in range(auctions):
        auction = await api.schedule(swedish_auction(START, title=f"Lot {n}"))
        ids.append(auction["id"])
        for subject in SUBJECTS:
            await api.register(auction["id"], subject)
        for k in range(bids):
            response = await api.bid(auction["id"], SUBJECTS[k % len(SUBJECTS)], f"{2000 + 100 * k}.00")
            assert response.status_code == 201, response.text
    return ids


async def page(api: Api, after: int | None, limit: int, path: str = "/feed") -> dict[str, Any]:
    query = f"?limit={limit}" + ("" if after is None else f"&after={after}")
    response = await api.client.get(path + query)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def every_page(api: Api, limit: int) -> list[dict[str, Any]]:
    pages = [await page(api, 0, limit)]
    while pages[-1]["complete"]:
        link = pages[-1]["links"]["next"]
        response = await api.client.get(link)
        assert response.status_code == 200
        pages.append(response.json())
    return pages


async def test_pages_cut_at_fixed_boundaries_hold_every_public_change_once_in_global_order() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        ids = await busy(api)
        head = await api.all_events()
        pages = await every_page(api, 4)

        assert len(pages) == head // 4 + 1
        for k, found in enumerate(pages):
            assert (found["from"], found["to"]) == (4 * k + 1, 4 * k + 4)
            assert all(found["from"] <= item["position"] <= found["to"] for item in found["items"])
            assert found["links"]["first"] == "/feed?after=0&limit=4"
            assert ("prev-archive" in found["links"]) == (k > 0)
        items = [item for found in pages for item in found["items"]]
        positions = [item["position"] for item in items]
        assert positions == sorted(set(positions))
        # Every live message of every auction, exactly once, with its stream version.
        for auction_id in ids:
            mine = [item for item in items if item["auction"] == auction_id]
            assert [item["type"] for item in mine] == ["scheduled", "opened"] + ["bid"] * 4
            assert mine[0]["lot"]["title"].startswith("Lot ") and mine[0]["lot"]["currency"] == "SEK"
            assert mine[-1]["change"]["price"] == "2300.00" and mine[-1]["change"]["leader"].startswith("B-")
            events = await api.events(auction_id)
            by_version = {event["version"]: event["position"] for event in events}
            assert all(by_version[item["version"]] == item["position"] for item in mine)
        for item in items:
            assert set(ITEM_SCHEMA["required"]) <= item.keys()
            assert set(ITEM_SCHEMA["properties"]["change"]["required"]) <= item["change"].keys()

        # Without after: the head page, the subscription document; after inside a page: the rest of it.
        current = await page(api, None, 4)
        assert current == pages[-1] and current["complete"] is False
        rest = await page(api, 5, 4)
        assert (rest["from"], rest["to"]) == (5, 8)
        assert [i["position"] for i in rest["items"]] == [i["position"] for i in pages[1]["items"] if i["position"] > 5]


async def test_a_complete_page_never_changes_and_the_head_page_is_briefly_cacheable() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        await busy(api, auctions=2)
        first = await api.client.get("/feed?after=0&limit=5")
        assert first.headers["cache-control"] == IMMUTABLE
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert '</feed?after=5&limit=5>; rel="next"' in first.headers["link"]
        head_before = await api.client.get("/feed?limit=5")
        assert head_before.headers["cache-control"] == "public, max-age=5"

        auction = await api.schedule(swedish_auction(START, title="Later lot"))
        await api.register(auction["id"], SUBJECTS[0])
        await api.bid(auction["id"], SUBJECTS[0], "5000.00")
        await move_clock(api, clock, START + timedelta(hours=2))
        await status_becomes(api, auction["id"], "closed")

        again = await api.client.get("/feed?after=0&limit=5")
        assert (again.content, again.headers["etag"]) == (first.content, etag)
        api.app.state.feed_pages = None  # rendered again from the store: the same bytes
        assert (await api.client.get("/feed?after=0&limit=5")).content == first.content
        head_after = await api.client.get("/feed?limit=5")
        assert head_after.headers["etag"] != head_before.headers["etag"]


async def test_a_complete_page_is_the_same_after_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auction.sqlite3'}"
    clock = ManualClock(START)
    async with running_api(url, clock=clock) as api:
        await busy(api, auctions=2)
        before = [await api.client.get(f"/feed?after={after}&limit=3") for after in (0, 3, 6)]
        atom = await api.client.get("/feed.atom?after=0&limit=3")
    async with running_api(url, clock=clock) as api:
        after = [await api.client.get(f"/feed?after={after}&limit=3") for after in (0, 3, 6)]
        assert [(r.content, r.headers["etag"]) for r in after] == [(r.content, r.headers["etag"]) for r in before]
        assert (await api.client.get("/feed.atom?after=0&limit=3")).content == atom.content


async def test_if_none_match_revalidates_with_304() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        await busy(api, auctions=1)
        for path in ("/feed?after=0&limit=3", "/feed?limit=3", "/feed.atom?after=0&limit=3"):
            first = await api.client.get(path)
            etag = first.headers["etag"]
            for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
                response = await api.client.get(path, headers={"If-None-Match": sent})
                assert response.status_code == 304, (path, sent)
                assert response.content == b""
                assert response.headers["etag"] == etag
                assert response.headers["cache-control"] == first.headers["cache-control"]
            assert (await api.client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200
        # The head page changes with the next change: the old ETag no longer matches.
        head = await api.client.get("/feed?limit=100")
        await api.schedule(swedish_auction(START))
        changed = await api.client.get("/feed?limit=100", headers={"If-None-Match": head.headers["etag"]})
        assert changed.status_code == 200 and changed.headers["etag"] != head.headers["etag"]


async def test_no_identity_appears_in_any_feed_page_or_rendition() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        ids = await busy(api, auctions=2)
        await move_clock(api, clock, START + timedelta(hours=2))
        for auction_id in ids:
            await status_becomes(api, auction_id, "closed")
            ended = await api.client.post(f"/auctions/{auction_id}/close", headers=BAILIFF)
            assert ended.status_code == 200, ended.text
        texts = []
        for limit in (1, 7, 1000):
            pages = await every_page(api, limit)
            texts += [orjson.dumps(found).decode() for found in pages]
            for after in range(0, (await api.all_events()) + 1, limit):
                texts.append((await api.client.get(f"/feed.atom?after={after}&limit={limit}")).text)
        for auction_id in ids:
            texts.append((await api.client.get(f"/auctions/{auction_id}/jsonld")).text)
        texts.append((await api.client.get("/feed/dcat.jsonld")).text)
        for text in texts:
            for subject in [*SUBJECTS, "bailiff-1"]:
                assert subject not in text
        joined = "\n".join(texts)
        assert '"leader":"B-' in joined and '"purchaser":"B-' in joined and '"type":"declared"' in joined


async def test_the_atom_rendition_parses_with_feedparser() -> None:
    clock = ManualClock(START)
    async with running_api(clock=clock) as api:
        await busy(api, auctions=2)
        json_page = await page(api, 4, 4)
        response = await api.client.get("/feed.atom?after=4&limit=4")
        assert response.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(response.content)

        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.feed.id == "http://auction.test/feed"
        rels = {link.rel: link.href for link in parsed.feed.links}
        assert rels["next"] == "http://auction.test/feed.atom?after=8&limit=4"
        assert rels["prev-archive"] == "http://auction.test/feed.atom?after=0&limit=4"
        assert rels["current"] == "http://auction.test/feed.atom?limit=4"
        assert len(parsed.entries) == len(json_page["items"])
        for entry, item in zip(parsed.entries, json_page["items"], strict=True):
            assert orjson.loads(entry.content[0].value) == item
            assert entry.id.endswith(f"/auctions/{item['auction']}#event-{item['version']}")
            assert entry.tags[0].term == item["type"]
            assert entry.updated_parsed is not None
        empty = feedparser.parse((await api.client.get("/feed.atom?after=1000&limit=4")).content)
        assert not empty.bozo and empty.entries == []


async def test_bad_paging_parameters_are_refused() -> None:
    async with running_api() as api:
        for query in ("after=-1", "limit=0", "limit=1001", "after=x"):
            assert (await api.client.get(f"/feed?{query}")).status_code == 422
        assert (await api.client.get("/auctions/nope/jsonld")).status_code == 404
