"""The pages in the reader's language: the choice made on the server, the catalogue written into the page.

Each page is answered with ``<html lang>`` set to the language chosen (``api.i18n.choose_language``:
``?lang=``, the ``lang`` cookie, ``Accept-Language``, ``AUCTION_DEFAULT_LANGUAGE``), where the choice
came from (``data-lang-source``: the page's script tries the browser's ``navigator.languages`` when
it was only the default), and that language's catalogue as a JSON data block, so that the page's
script translates before it first renders, with no second request. A ``?lang=`` is kept in the
cookie. ``GET /i18n/{lang}.json`` serves the same catalogue to a page that has none written in.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.errors import ApiError
from api.i18n import COOKIE, COOKIE_MAX_AGE, ENDONYMS, LANGUAGES, SOURCE_LANGUAGE, choose_language, translator

I18N_PATH = "/i18n/{language}.json"
CATALOGUE_ID = "i18n-catalogue"


def _settings(request: Request) -> Any:
    return getattr(getattr(request.app.state, "runtime", None), "settings", None)


def page_language(request: Request) -> tuple[str, str]:
    """The language to answer ``request`` in, and the source of that choice."""
    settings = _settings(request)
    default = getattr(settings, "default_language", SOURCE_LANGUAGE)
    return choose_language(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
        default,
    )


def catalogue_document(language: str, request: Request | None = None) -> dict[str, Any]:
    """The page's catalogue, with what every page needs besides: the languages offered and the site's contact."""
    settings = _settings(request) if request is not None else None
    return {
        **translator(language).browser_catalogue(),
        "languages": {code: ENDONYMS[code] for code in LANGUAGES},
        "accessibility_contact": getattr(settings, "accessibility_contact", ""),
    }


def _data_block(document: dict[str, Any]) -> bytes:
    body = orjson.dumps(document).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    return f'<script type="application/json" id="{CATALOGUE_ID}">'.encode() + body + b"</script>"


def localise(html: bytes, language: str, source: str, document: dict[str, Any]) -> bytes:
    """The page with its ``<html lang>`` set and its catalogue at the end of its ``<head>``."""
    html = html.replace(b'<html lang="en">', f'<html lang="{language}" data-lang-source="{source}">'.encode(), 1)
    end = html.find(b"</head>")
    if end < 0:
        raise ValueError("the page has no </head>")
    return html[:end] + b"  " + _data_block(document) + b"\n" + html[end:]


def language_headers(request: Request, language: str, source: str) -> dict[str, str]:
    headers = {"Content-Language": language, "Vary": "Accept-Language, Cookie"}
    if source == "query":
        headers["Set-Cookie"] = f"{COOKIE}={language}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax"
    return headers


async def catalogue(request: Request) -> Response:
    """``GET /i18n/{lang}.json``: one language's catalogue for the pages."""
    language = request.path_params["language"]
    if language not in LANGUAGES:
        raise ApiError(404, "unknown_language", f"no catalogue for {language!r}; languages: {', '.join(LANGUAGES)}")
    body = orjson.dumps(catalogue_document(language, request))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-cache"})


__all__ = ["CATALOGUE_ID", "I18N_PATH", "catalogue", "catalogue_document", "language_headers", "localise"]
