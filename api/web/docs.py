"""``/docs``: Swagger UI served by the application itself, under the pages' Content-Security-Policy.

FastAPI's own ``/docs`` page loads Swagger UI's script and styles from a CDN (no integrity
hash) and runs an inline script, on the origin whose pages keep the bearer token: whoever
serves that CDN file could read the token. Here the page is plain HTML naming only files of
this server: Swagger UI's bundle and styles vendored under ``static/vendor/swagger-ui`` (with
their licence, Apache-2.0; ``swagger-ui-dist``, the version in its ``VERSION`` below) and
``static/js/docs.js``, which starts it on the OpenAPI document. So the page works with no
network, and the pages' policy (``script-src 'self'``, no inline script) holds for it too.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

VERSION = "5.35.0"  # swagger-ui-dist, vendored as published


def docs_html(title: str, openapi_url: str, static_path: str) -> str:
    assets = f"{static_path}/vendor/swagger-ui"
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)} · API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <script defer src="{assets}/swagger-ui-bundle.js"></script>
  <script defer src="{static_path}/js/docs.js"></script>
</head>
<body>
  <div id="swagger-ui" data-openapi="{escape(openapi_url)}"></div>
</body>
</html>
"""


def mount_docs(app: FastAPI, static_path: str, headers: dict[str, str]) -> None:
    """Answer ``app.docs_url`` with :func:`docs_html` instead of FastAPI's page (nothing if docs are off)."""
    if app.docs_url is None or app.openapi_url is None:
        return
    html = docs_html(app.title, app.openapi_url, static_path)

    async def docs(request: Request) -> Response:
        return HTMLResponse(html, headers=headers)

    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "path", None) != app.docs_url]
    app.add_route(app.docs_url, docs, methods=["GET", "HEAD"], include_in_schema=False)
