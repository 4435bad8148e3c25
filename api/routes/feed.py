"""The public open-data feed: ``GET /feed`` (JSON), ``GET /feed.atom``, the feed's DCAT-AP description,
its item schema, and each lot as schema.org JSON-LD.

Pages are built by ``projections.feed`` from the store's rows and the read model's change
messages, up to the read model's checkpoint. A complete page never changes: it is kept
here once rendered (:class:`PageCache`) and answered from memory with
``Cache-Control: immutable``; the head page is rendered on every request and cacheable
for a few seconds. Every page has a strong ETag; ``If-None-Match`` answers 304.
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import islice
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import AuctionId, RuntimeDep, runtime_of
from api.errors import ApiError
from engine.app.queries import Queries
from projections import feed

router = APIRouter(tags=["feed"])

CACHE_PAGES = 4096

After = Annotated[
    int | None, Query(ge=0, le=2**63 - 1, description="start after this global position (omitted: the head page)")
]
Limit = Annotated[int, Query(ge=1, le=feed.MAX_LIMIT, description="the page size; pages cut at multiples of it")]


class PageCache:
    """Complete pages as rendered, the least recently used dropped first."""

    def __init__(self, owner: object, size: int = CACHE_PAGES) -> None:
        self.owner = owner
        self.size = size
        self.pages: OrderedDict[tuple[str, str, int, int], feed.Rendered] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, str, int, int]) -> feed.Rendered | None:
        found = self.pages.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self.pages.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, int, int], rendered: feed.Rendered) -> None:
        self.pages[key] = rendered
        if len(self.pages) > self.size:
            self.pages.popitem(last=False)


def page_cache(request: Request) -> PageCache:
    """This server's cache (one per running application: a restarted lifespan starts empty)."""
    runtime = runtime_of(request)
    cache: PageCache | None = getattr(request.app.state, "feed_pages", None)
    if cache is None or cache.owner is not runtime:
        cache = PageCache(runtime)
        request.app.state.feed_pages = cache
    return cache


async def build(request: Request, fmt: str, after: int, limit: int, base: str) -> feed.Rendered:
    """The page starting after ``after``, from the store (no cache)."""
    runtime = runtime_of(request)
    page = feed.bounds(after, limit)
    model = runtime.model
    head = model.checkpoint
    upto = min(page.end, head)
    rows = await runtime.store.read_rows(after=page.after, limit=upto - page.after) if upto > page.after else []
    page_items = list(feed.items((row for row in rows if row[0] <= upto), model))
    complete = head >= page.end
    if fmt == "atom":
        return feed.render_atom(page, page_items, complete, base)
    return feed.render_json(page, page_items, complete)


async def serve_page(request: Request, fmt: str, after: int | None, limit: int) -> Response:
    base = str(request.base_url).rstrip("/") if fmt == "atom" else ""
    if after is None:  # the subscription document: the head page
        after = runtime_of(request).model.checkpoint // limit * limit
    cache = page_cache(request)
    key = (fmt, base, after, limit)
    rendered = cache.get(key)
    if rendered is None:
        rendered = await build(request, fmt, after, limit, base)
        if rendered.complete:
            cache.put(key, rendered)
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": rendered.cache_control,
        "Link": feed.link_header(rendered.links),
        "Vary": "Accept-Encoding",
    }
    if feed.matches(request.headers.get("if-none-match"), rendered.etag):
        return Response(status_code=304, headers=headers)
    media = "application/atom+xml" if fmt == "atom" else "application/json"
    return Response(rendered.body, media_type=media, headers=headers)


@router.get("/feed", response_class=Response, responses={200: {"content": {"application/json": {}}}, 304: {}})
async def feed_page(request: Request, after: After = None, limit: Limit = feed.DEFAULT_LIMIT) -> Response:
    """The open-data feed: items in global position order (each lot as scheduled, every public
    change), page ``k`` covering positions ``(k*limit, (k+1)*limit]``. Without ``after``, the head
    page. A complete page is immutable (``Cache-Control: immutable``, a strong ``ETag``);
    ``If-None-Match`` answers 304. Links (``next``, ``prev-archive``, ``current``, ...) in the body and
    in ``Link`` headers. Bidders appear by their per-auction code only."""
    return await serve_page(request, "json", after, limit)


@router.get("/feed.atom", response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
async def feed_atom(request: Request, after: After = None, limit: Limit = feed.DEFAULT_LIMIT) -> Response:
    """The same page as an Atom feed (RFC 4287, paged as RFC 5005 describes)."""
    return await serve_page(request, "atom", after, limit)


@router.get("/feed/schema.json", response_class=Response)
async def feed_schema() -> Response:
    """The JSON Schema of a feed item."""
    return Response(orjson.dumps(feed.ITEM_SCHEMA), media_type="application/schema+json")


@router.get("/feed/dcat.jsonld", response_class=Response)
async def feed_dcat(request: Request, runtime: RuntimeDep) -> Response:
    """A DCAT-AP description of the feed, for open-data portals."""
    base = str(request.base_url).rstrip("/")
    countries = {summary.country for summary in runtime.model.summaries()}
    body = orjson.dumps(feed.dcat_catalogue(base, countries))
    return Response(body, media_type="application/ld+json", headers={"Cache-Control": "public, max-age=300"})


@router.get("/auctions/{auction_id}/jsonld", response_class=Response)
async def auction_jsonld(request: Request, auction_id: AuctionId) -> Response:
    """The lot as schema.org JSON-LD (an ``Offer``), as it is now."""
    offer = lot_jsonld(request, auction_id)
    if offer is None:
        raise ApiError(404, "auction_not_found", f"no auction {auction_id!r}")
    return Response(orjson.dumps(offer), media_type="application/ld+json")


# How many lots the catalogue page's JSON-LD lists at most (the first ones the page shows).
CATALOGUE_JSONLD_LIMIT = 100


def _queries(request: Request) -> Queries | None:
    runtime = getattr(request.app.state, "runtime", None)  # None: the pages mounted on an app without an engine
    return None if runtime is None else runtime.queries


def lot_jsonld(request: Request, auction_id: str) -> dict[str, Any] | None:
    """The lot's ``Offer`` made from the auction's public view as it is now (its location included when
    the view has one), or None for no such auction. ``/auctions/{id}/jsonld`` answers it, and the
    lot's page (``api.web``) embeds it."""
    queries = _queries(request)
    summary = None if queries is None else runtime_of(request).model.summary(auction_id)
    if queries is None or summary is None:
        return None
    return feed.offer_jsonld(queries.view(summary), str(request.base_url).rstrip("/"))


def catalogue_page_jsonld(request: Request) -> dict[str, Any] | None:
    """The catalogue page's ``ItemList``: the ``Offer`` of each lot the page lists for its query
    (``country``, ``status``), in its order, the first :data:`CATALOGUE_JSONLD_LIMIT`."""
    queries = _queries(request)
    if queries is None:
        return None
    country = (request.query_params.get("country") or "").upper() or None
    status = request.query_params.get("status") or None
    shown = (
        summary
        for summary in runtime_of(request).model.summaries()
        if country in (None, summary.country) and status in (None, summary.status.value)
    )
    base = str(request.base_url).rstrip("/")
    offers = (feed.offer_jsonld(queries.view(summary), base) for summary in islice(shown, CATALOGUE_JSONLD_LIMIT))
    return feed.catalogue_jsonld(offers, str(request.url))
