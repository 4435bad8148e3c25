"""``auction serve --harvest FILE``: the cross-border catalogue that ``auction harvest`` builds,
served read-only to the public.

No engine runs behind it: no store, no scheduler, no token. The harvest database is
opened read-only for each request (``api.harvest.connect_readonly``), so a harvester
following the sources (``auction harvest --follow``) may write it at the same time and
each request sees its last committed page. Nothing can be written through this server:
every method but GET and HEAD is answered 405 before any route is looked at. A lot is
bid for on the engine it came from: every lot carries ``url``, its page there.

* ``GET /``          the catalogue page (``static/harvest.html``), with the schema.org
                     JSON-LD of the lots it shows first, in the reader's language as the
                     engine's pages are (``api.web.language``: ``?lang=``, cookie, Accept-Language)
* ``GET /i18n/{lang}.json``  a language's catalogue for the page (the engine's own)
* ``GET /auctions``  the search (:func:`search`), paged with a cursor
* ``GET /sources``   the engines harvested and their checkpoints
* ``GET /health``    ready, with the number of lots
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.errors import ApiError
from api.harvest import (
    PAGE_DEFAULT,
    PAGE_MAX,
    Filters,
    HarvestError,
    connect_readonly,
    decode_cursor,
    search_page,
)
from api.i18n import SOURCE_LANGUAGE
from api.web import PAGE_HEADERS, STATIC_PATH, mount_static, page_response
from api.web.docs import mount_docs
from api.web.language import I18N_PATH, catalogue
from engine.model import InvalidValue, format_instant, parse_instant
from projections.feed import catalogue_jsonld, offer_jsonld

READ_METHODS = frozenset({"GET", "HEAD"})
STATUSES = ("scheduled", "open", "suspended", "closed", "failed", "cancelled")
TEXT_LIMIT = 200

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_ASSET = re.compile(r"^[a-z_]{1,40}$")
_AMOUNT = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,2})?$")

DESCRIPTION = """
The cross-border catalogue of judicial e-auctions that `auction harvest` collected from the engines'
open-data feeds. Read-only and public: no token, no writes (every method but GET and HEAD is 405).

* Each lot keeps its source engine (`source`) and its page there (`url`): bids are made there.
* Amounts are decimal strings in the lot's own `currency`, never converted: a price range needs `currency`.
* Times are RFC 3339 with an offset; every refusal is `{"error": {"code": "...", "message": "..."}}`.
"""


class ReadOnly:
    """ASGI middleware: every HTTP method but GET and HEAD is refused with 405, whatever the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in READ_METHODS:
            response = errors.error_response(
                405,
                "read_only",
                "this server only shows the harvested catalogue: bid on the lot's own engine (its url)",
                {"Allow": "GET, HEAD"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _instant(name: str, value: str | None) -> str | None:
    """An RFC 3339 instant with an offset, as the harvested lots hold theirs (UTC, so that they compare as text)."""
    if value is None:
        return None
    try:
        return format_instant(parse_instant(value, name))
    except InvalidValue as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    except OverflowError:  # a date at the calendar's very end or start, moved out of it by its offset
        raise ApiError(422, "invalid_request", f"{name} {value[:40]!r} is out of range") from None


def _checked(name: str, value: str | None, pattern: re.Pattern[str], what: str) -> str | None:
    if value is not None and not pattern.fullmatch(value):
        raise ApiError(422, "invalid_request", f"{name} must be {what}, not {value[:40]!r}")
    return value


def _text(name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > TEXT_LIMIT:
        raise ApiError(422, "invalid_request", f"{name} is at most {TEXT_LIMIT} characters")
    return value.strip()


def search_filters(
    *,
    country: list[str] | None = None,
    asset: str | None = None,
    status: str | None = None,
    currency: str | None = None,
    min_price: str | None = None,
    max_price: str | None = None,
    opens_from: str | None = None,
    opens_until: str | None = None,
    closes_from: str | None = None,
    closes_until: str | None = None,
    location: str | None = None,
    q: str | None = None,
) -> Filters:
    """The query's filters, each checked; what is wrong is a 422 naming it. An empty value is no filter."""
    countries = tuple(code.upper() for code in country or [] if code)
    for code in countries:
        _checked("country", code, _COUNTRY, "a two-letter country code")
    asset, status, currency = asset or None, status or None, currency or None
    _checked("asset", asset, _ASSET, "an asset kind such as immovable or movable")
    if status is not None and status not in STATUSES:
        raise ApiError(422, "invalid_request", f"status must be one of {', '.join(STATUSES)}")
    _checked("currency", currency, _CURRENCY, "a three-letter currency code")
    min_price, max_price = min_price or None, max_price or None
    _checked("min_price", min_price, _AMOUNT, "an amount such as 1000.00")
    _checked("max_price", max_price, _AMOUNT, "an amount such as 1000.00")
    if (min_price is not None or max_price is not None) and currency is None:
        raise ApiError(
            422,
            "currency_required",
            "a price range is in one currency: give currency (amounts are never converted between currencies)",
        )
    if min_price is not None and max_price is not None and Decimal(min_price) > Decimal(max_price):
        raise ApiError(422, "invalid_request", "min_price is above max_price")
    dates = {
        name: _instant(name, value or None)
        for name, value in (
            ("opens_from", opens_from),
            ("opens_until", opens_until),
            ("closes_from", closes_from),
            ("closes_until", closes_until),
        )
    }
    for start, end in (("opens_from", "opens_until"), ("closes_from", "closes_until")):
        low, high = dates[start], dates[end]
        if low is not None and high is not None and parse_instant(low) > parse_instant(high):
            raise ApiError(422, "invalid_request", f"{start} is after {end}")
    return Filters(
        countries=countries,
        asset=asset,
        status=status,
        currency=currency.upper() if currency else None,
        min_price=min_price,
        max_price=max_price,
        location=_text("location", location),
        q=_text("q", q),
        **dates,
    )


def filters_of(params: Mapping[str, str], countries: list[str]) -> Filters:
    """:func:`search_filters` from a query string (the catalogue page's own)."""
    names = (
        "asset",
        "status",
        "currency",
        "min_price",
        "max_price",
        "opens_from",
        "opens_until",
        "closes_from",
        "closes_until",
        "location",
        "q",
    )
    return search_filters(country=countries, **{name: params.get(name) for name in names})


def offer_of(lot: dict[str, Any]) -> dict[str, Any]:
    """A harvested lot as schema.org JSON-LD: the ``Offer`` its own engine publishes (``offer_jsonld``),
    with the identifiers and the page on that engine."""
    return offer_jsonld({**lot, "id": lot["auction"]}, lot["source"])


def _instant_of(timestamp: float | None) -> str | None:
    return None if timestamp is None else format_instant(datetime.fromtimestamp(timestamp, UTC))


@dataclass(frozen=True)
class PageSettings:
    """The settings the pages' language is chosen with (``api.web.language`` reads ``app.state.runtime.settings``;
    this server has no engine's runtime): the deployment's ``AUCTION_DEFAULT_LANGUAGE``."""

    default_language: str = SOURCE_LANGUAGE
    accessibility_contact: str = ""


@dataclass(frozen=True)
class _Runtime:
    settings: PageSettings


def create_harvest_app(database: str, default_language: str = SOURCE_LANGUAGE) -> FastAPI:
    """The read-only catalogue server of the harvest database ``database`` (``NotAHarvest`` if it is not one);
    its page is in ``default_language`` for a reader who asks for none the engine has."""
    connect_readonly(database).close()  # refuse a missing or foreign file at once

    @contextmanager
    def reading() -> Iterator[sqlite3.Connection]:
        try:
            conn = connect_readonly(database)
        except HarvestError as exc:
            raise ApiError(503, "catalogue_unavailable", str(exc)) from None
        try:
            yield conn
        finally:
            conn.close()

    app = FastAPI(
        title="Judicial e-auctions: cross-border catalogue",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    errors.install(app)
    app.add_middleware(ReadOnly)
    app.state.runtime = _Runtime(PageSettings(default_language))

    @app.get("/auctions", tags=["catalogue"])
    def auctions(
        request: Request,
        country: Annotated[list[str] | None, Query(description="a country code; repeat for several")] = None,
        asset: Annotated[str | None, Query(description="the asset kind: immovable, movable, ...")] = None,
        status: Annotated[str | None, Query(description=f"one of {', '.join(STATUSES)}")] = None,
        currency: Annotated[str | None, Query(description="the lots' own currency; needed with a price range")] = None,
        min_price: Annotated[str | None, Query(description="the current (else starting) price at least")] = None,
        max_price: Annotated[str | None, Query(description="the current (else starting) price at most")] = None,
        opens_from: Annotated[str | None, Query(description="opening at or after (RFC 3339)")] = None,
        opens_until: Annotated[str | None, Query(description="opening at or before (RFC 3339)")] = None,
        closes_from: Annotated[str | None, Query(description="deadline at or after (RFC 3339)")] = None,
        closes_until: Annotated[str | None, Query(description="deadline at or before (RFC 3339)")] = None,
        location: Annotated[str | None, Query(description="text in the address, municipality or region")] = None,
        q: Annotated[str | None, Query(description="text in the title or description")] = None,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
        cursor: Annotated[str | None, Query(max_length=400, description="`cursor` of the previous page")] = None,
    ) -> dict[str, Any]:
        """Harvested lots matching every filter given, soonest deadline first, at most ``limit`` a page;
        ``next`` (with ``cursor``) is the page after, null on the last. ``total`` counts every match.
        Each lot: ``source`` (its engine), ``auction`` (its id there), ``url`` (its page there, where
        bids are made), country, asset, title, description, location, ``currency`` and the amounts in it
        (value, starting_price, price), status, dates, leader (a bidder code) and sale."""
        filters = search_filters(
            country=country,
            asset=asset,
            status=status,
            currency=currency,
            min_price=min_price,
            max_price=max_price,
            opens_from=opens_from,
            opens_until=opens_until,
            closes_from=closes_from,
            closes_until=closes_until,
            location=location,
            q=q,
        )
        if cursor is not None:
            try:
                decode_cursor(cursor)
            except ValueError as exc:
                raise ApiError(422, "invalid_request", f"cursor: {exc}") from None
        with reading() as conn:
            page = search_page(conn, filters, limit, cursor)
        following = None
        if page.cursor is not None:
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            following = "/auctions?" + urlencode([*query, ("cursor", page.cursor)])
        return {"auctions": page.lots, "total": page.total, "limit": limit, "cursor": page.cursor, "next": following}

    @app.get("/sources", tags=["catalogue"])
    def sources() -> dict[str, Any]:
        """The engines harvested: each feed's URL, the last position applied, and when it was last read."""
        with reading() as conn:
            rows = conn.execute("SELECT url, after, items, harvested_at FROM sources ORDER BY url").fetchall()
            counts = dict(conn.execute("SELECT source, count(*) FROM lots GROUP BY source").fetchall())
        return {
            "sources": [
                {
                    "url": row["url"],
                    "after": row["after"],
                    "lots": counts.get(row["url"], 0),
                    "harvested_at": _instant_of(row["harvested_at"]),
                }
                for row in rows
            ]
        }

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Ready to serve; ``lots``: how many the catalogue holds."""
        with reading() as conn:
            lots = conn.execute("SELECT count(*) FROM lots").fetchone()[0]
        return {"status": "ok", "mode": "harvest", "lots": lots}

    def catalogue_page(request: Request) -> Response:
        """The page, with the JSON-LD of the lots it shows first (none when its query is refused)."""
        document = None
        try:
            filters = filters_of(request.query_params, request.query_params.getlist("country"))
        except ApiError:
            filters = None
        if filters is not None:
            with reading() as conn:
                page = search_page(conn, filters, PAGE_DEFAULT)
            document = catalogue_jsonld((offer_of(lot) for lot in page.lots), str(request.url))
        return page_response("harvest.html", document, request)

    app.add_route("/", catalogue_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(I18N_PATH, catalogue, methods=["GET", "HEAD"], include_in_schema=False)
    mount_static(app)
    mount_docs(app, STATIC_PATH, PAGE_HEADERS)  # Swagger UI from this server's files, as the engine's
    return app


def run(database: str, host: str, port: int, access_log: bool = False, default_language: str = SOURCE_LANGUAGE) -> None:
    """Serve the harvest database under uvicorn with the engine's graceful stop (no WebSocket, no lifespan)."""
    import uvicorn

    from api.server import GRACEFUL_SHUTDOWN, GracefulServer

    app = create_harvest_app(database, default_language)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ws="none",
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        log_level="info",
        access_log=access_log,
    )
    GracefulServer(config, app).run()
