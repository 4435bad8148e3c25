"""The web pages for bidders, bailiffs and auditors, served by ``auction serve``.

Plain HTML, ES modules and CSS shipped as package data in ``static/``: there is
no build step. Every page talks to the JSON API and the WebSocket feed of the
same server, so the pages live under paths the API never uses:

* ``/``                      the public catalogue
* ``/app/auction/{id}``      one auction for bidders (live price, countdown, bid form)
* ``/app/bailiff[/{id}]``    the bailiff console (schedule; registrations, deposits, open, close)
* ``/app/auditor[/{id}]``    the auditor view (report, price chart, hash-chain check, downloads)
* ``/app/sign-in``           paste a bearer token
* ``/app/static/...``        scripts, styles
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import FileResponse, Response

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
}

# The pages load only their own scripts and styles and talk only to their own origin
# ('self' covers ws:/wss: to the same host), so an injected string can never run.
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


def _page(file_name: str) -> Callable[[Request], Awaitable[Response]]:
    path = STATIC_DIR / file_name

    async def page(request: Request) -> Response:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    page.__name__ = f"web_page_{file_name.removesuffix('.html').replace('-', '_')}"
    return page


def is_mounted(app: FastAPI) -> bool:
    return any(getattr(route, "name", None) == STATIC_ROUTE_NAME for route in app.router.routes)


def mount_web(app: FastAPI) -> None:
    """Serve the pages and their static files on ``app``; calling it again changes nothing."""
    if is_mounted(app):
        return
    # Module scripts are refused unless served with a JavaScript type; some systems map .js otherwise.
    mimetypes.add_type("text/javascript", ".js")
    mimetypes.add_type("text/css", ".css")
    for path, file_name in PAGES.items():
        app.add_route(path, _page(file_name), methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(STATIC_PATH, _StaticFiles(directory=STATIC_DIR), name=STATIC_ROUTE_NAME)


__all__ = ["PAGES", "STATIC_DIR", "is_mounted", "mount_web"]
