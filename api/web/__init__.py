"""The web pages for bidders, bailiffs and auditors, served by ``auction serve``.

Plain HTML, ES modules and CSS shipped as package data in ``static/``: there is
no build step. Every page talks to the JSON API and the WebSocket feed of the
same server, so the pages live under paths the API never uses:

* ``/``                      the public catalogue
* ``/app/auction/{id}``      one auction for bidders (live price, countdown, bid form)
* ``/app/bailiff[/{id}]``    the bailiff console (schedule; registrations, deposits, open, close)
* ``/app/auditor[/{id}]``    the auditor view (report, price chart, hash-chain check, downloads)
* ``/app/sign-in``           paste a bearer token
* ``/app/accessibility``     the accessibility statement
* ``/i18n/{lang}.json``      a language's catalogue (``api.web.language``)
* ``/i18n/{lang}/words``     an amount in words (``api.web.words``)
* ``/app/static/...``        scripts, styles

The catalogue and each auction's page carry the schema.org JSON-LD of what they show
(``api.routes.feed`` makes it, the same as ``/auctions/{id}/jsonld``), written into the
page here, so that a crawler reads it without running the page's script.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from api.deps import checked_auction_id
from api.errors import ApiError
from api.routes.feed import catalogue_page_jsonld, lot_jsonld
from api.web.docs import mount_docs
from api.web.language import I18N_PATH, catalogue, catalogue_document, language_headers, localise, page_language
from api.web.navigation import refuse_foreign_next
from api.web.words import words

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/app/static"
STATIC_ROUTE_NAME = "web-static"

# Page path -> HTML file. Page paths never collide with the API (/auctions..., /ws/..., /health, /docs).
PAGES: dict[str, str] = {
    "/": "index.html",
    "/app/auction/{auction_id}": "auction.html",
    "/app/bailiff": "bailiff.html",
    "/app/bailiff/{auction_id}": "bailiff.html",
    "/app/auditor": "auditor.html",
    "/app/auditor/{auction_id}": "auditor.html",
    "/app/sign-in": "sign-in.html",
    "/app/accessibility": "accessibility.html",
}


def _lot_page_jsonld(request: Request) -> dict[str, Any] | None:
    try:
        auction_id = checked_auction_id(request.path_params["auction_id"])
    except ApiError:
        return None
    return lot_jsonld(request, auction_id)


# Page path -> its JSON-LD (None: the page shows nothing to describe, e.g. an unknown auction).
PAGE_JSONLD: dict[str, Callable[[Request], dict[str, Any] | None]] = {
    "/": catalogue_page_jsonld,
    "/app/auction/{auction_id}": _lot_page_jsonld,
}

# The pages load only their own scripts and styles and talk only to their own origin
# ('self' covers ws:/wss: to the same host), so an injected string can never run. A JSON-LD
# block (<script type="application/ld+json">) is a data block: browsers never run it, and
# script-src does not apply to it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # No fingerprinted file names: browsers revalidate (ETag) so an upgrade is seen at once.
    "Cache-Control": "no-cache",
}
PAGE_HEADERS = {**COMMON_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}


class _StaticFiles(StaticFiles):
    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(COMMON_HEADERS)
        return response


def jsonld_script(document: dict[str, Any]) -> bytes:
    """``document`` as a ``<script type="application/ld+json">`` data block. ``<``, ``>`` and ``&`` are
    written as JSON escapes (``\\u003c``...), which read back as the same text: nothing in the data,
    a title holding ``</script>`` or ``<!--`` say, can end the block or change how the page parses."""
    body = orjson.dumps(document).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    return b'<script type="application/ld+json">' + body + b"</script>"


def with_jsonld(html: bytes, document: dict[str, Any] | None) -> bytes:
    """The page with ``document``'s data block at the end of its ``<head>`` (unchanged for None)."""
    if document is None:
        return html
    end = html.find(b"</head>")
    if end < 0:
        raise ValueError("the page has no </head>")
    return html[:end] + b"  " + jsonld_script(document) + b"\n" + html[end:]


def page_response(file_name: str, document: dict[str, Any] | None, request: Request | None = None) -> Response:
    """A page of ``static/`` with the pages' headers and, when given, its JSON-LD; with ``request``, in the
    language chosen for it (``api.web.language``)."""
    html = with_jsonld((STATIC_DIR / file_name).read_bytes(), document)
    if request is None:
        return Response(html, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)
    language, source = page_language(request)
    html = localise(html, language, source, catalogue_document(language, request))
    headers = {**PAGE_HEADERS, **language_headers(request, language, source)}
    return Response(html, media_type="text/html; charset=utf-8", headers=headers)


# Page path -> a check that may answer instead of the page (the sign-in page's next: api.web.navigation).
PAGE_GUARDS: dict[str, Callable[[Request, dict[str, str]], Response | None]] = {"/app/sign-in": refuse_foreign_next}


def _page(
    file_name: str,
    jsonld: Callable[[Request], dict[str, Any] | None] | None = None,
    guard: Callable[[Request, dict[str, str]], Response | None] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        if guard is not None and (answer := guard(request, COMMON_HEADERS)) is not None:
            return answer
        return page_response(file_name, jsonld(request) if jsonld is not None else None, request)

    page.__name__ = f"web_page_{file_name.removesuffix('.html').replace('-', '_')}"
    return page


def is_mounted(app: FastAPI) -> bool:
    return any(getattr(route, "name", None) == STATIC_ROUTE_NAME for route in app.router.routes)


def mount_web(app: FastAPI) -> None:
    """Serve the pages and their static files on ``app``; calling it again changes nothing."""
    if is_mounted(app):
        return
    for path, file_name in PAGES.items():
        page = _page(file_name, PAGE_JSONLD.get(path), PAGE_GUARDS.get(path))
        app.add_route(path, page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(I18N_PATH, catalogue, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route("/i18n/{language}/words", words, methods=["GET"], include_in_schema=False)  # api.web.words
    mount_static(app)
    mount_docs(app, STATIC_PATH, PAGE_HEADERS)  # /docs from this server's own files (api.web.docs)


def mount_static(app: FastAPI) -> None:
    """Serve the scripts and styles alone (``auction serve --harvest`` has pages of its own)."""
    # Module scripts are refused unless served with a JavaScript type; some systems map .js otherwise.
    mimetypes.add_type("text/javascript", ".js")
    mimetypes.add_type("text/css", ".css")
    app.mount(STATIC_PATH, _StaticFiles(directory=STATIC_DIR), name=STATIC_ROUTE_NAME)


__all__ = ["PAGES", "PAGE_HEADERS", "STATIC_DIR", "is_mounted", "mount_static", "mount_web", "page_response"]
