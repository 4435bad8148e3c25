"""What a request may bring before the application reads it: a body of bounded size, sent
with credentials, holding text.

Raw ASGI, in front of every HTTP route, the bid lane included (``api.app.AuctionApp`` calls
:func:`admit` before anything else), so that nothing is read that will not be used:

* **Size.** A body larger than its limit is refused with 413 ``request_too_large``: at once
  when its ``Content-Length`` says so (not a byte of it is read), else as soon as the
  ``http.request`` chunks counted pass the limit (a chunked upload). JSON bodies are small
  (``AUCTION_MAX_JSON_BODY``, 64 KiB by default: the largest document the API takes, an
  auction's terms with its lot details, is a few kilobytes); the uploads of a lot's photos
  and documents (``POST /auctions/{id}/photos``, ``/documents``) have a limit of their own,
  ``AUCTION_MAX_UPLOAD_BYTES`` (20 MiB by default), checked the same way (:func:`body_limit`).
* **Credentials.** Every endpoint that takes a body needs a bearer token, so a request with a
  body and no token that verifies is refused with 401 before its body is read: an anonymous
  client cannot make the server hold a body at all. The role is checked by the endpoint, as
  before.
* **Text.** A token that verifies but whose subject is not text (a lone UTF-16 surrogate) is
  refused with 422 ``invalid_subject`` (:class:`api.auth.UnusableToken`). The JSON routes
  parse with the standard library, which reads a lone surrogate (``"\\ud800"``) into a string
  no store can hold; such a body is refused with 422 ``invalid_request``. Only a body with a
  backslash in it is looked at, first by orjson (which refuses lone surrogates, so a body it
  reads has none); a bid never is.

A refusal sent before the body was read closes the connection (``Connection: close``), so the
server reads no more of it either.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from api.auth import InvalidToken, UnusableToken
from api.deps import principal_from_header
from api.errors import ApiError, answer_to

# Path prefix -> body limit in bytes, for other routes that take uploads.
UPLOADS: dict[str, int] = {}
# The uploads of a lot's photos and documents (api.routes.files): AUCTION_MAX_UPLOAD_BYTES.
_FILE_UPLOAD = re.compile(r"^/auctions/[^/]+/(?:photos|documents)$")
# Methods whose requests may carry a body, which then needs credentials.
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CLOSE = {"Connection": "close"}
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive`` when the chunks pass the limit; the exception handlers
    (and the bid lane's :func:`api.errors.answer_to`) answer it as 413 ``request_too_large``."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes", headers=dict(_CLOSE))


class NotText(HTTPException):
    def __init__(self) -> None:
        super().__init__(422, "body: a string holds a lone UTF-16 surrogate, which is not text")


def body_limit(path: str, json_limit: int, upload_limit: int | None = None) -> int:
    if upload_limit is not None and _FILE_UPLOAD.match(path):
        return upload_limit
    for prefix, limit in UPLOADS.items():
        if path.startswith(prefix):
            return limit
    return json_limit


async def admit(state: State, scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """The ``receive`` the application gets for this HTTP request, or None when the request was
    refused here (the answer is sent) without reading its body. On the bid path (a few
    microseconds): one pass over the headers and one look-up of the token already verified."""
    runtime: Any = getattr(state, "runtime", None)
    if runtime is None:
        return receive  # not started: nothing to check against
    length: bytes | None = None
    chunked = False
    authorization: bytes | None = None
    textual = True  # a JSON body, or one of no declared type (an upload's bytes are not looked at)
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value
        elif name == b"authorization":
            authorization = value
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"content-type":
            textual = b"json" in value.lower()
    limit = runtime.settings.max_json_body
    path: str = scope["path"]
    if UPLOADS or path.endswith(("/photos", "/documents")):  # a look at the path's end on the bid path
        limit = body_limit(path, limit, runtime.settings.max_upload_bytes)
    declared = _declared(length)
    if declared is not None and declared > limit:
        await _refuse(scope, receive, send, BodyTooLarge(limit))
        return None
    verified = False
    if authorization is not None:
        try:
            verified = _verified(authorization, runtime.tokens)
        except UnusableToken as error:
            await _refuse(scope, receive, send, ApiError(422, "invalid_subject", str(error)))
            return None
    if not verified and (chunked or declared) and scope["method"] in _WRITES:
        await _refuse(scope, receive, send, _unauthenticated(authorization, runtime.tokens))
        return None
    return _Counting(receive, limit, textual)


def _verified(authorization: bytes, tokens: Any) -> bool:
    """Whether the header holds a bearer token that verifies (read as api.deps reads it);
    :class:`UnusableToken` for one that verifies but names no text."""
    scheme, _, credentials = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return False
    try:
        tokens.read(credentials)
    except UnusableToken:
        raise
    except InvalidToken:
        return False
    return True


def _unauthenticated(authorization: bytes | None, tokens: Any) -> ApiError:
    """The 401 the endpoint would give (api.deps' words), closing the connection."""
    try:
        principal_from_header(authorization.decode("latin-1") if authorization is not None else None, tokens)
        error = ApiError(401, "unauthenticated", "a bearer token is required", headers=dict(_CHALLENGE))
    except ApiError as refused:
        error = refused
    error.headers = {**(error.headers or {}), **_CLOSE}
    return error


def _declared(length: bytes | None) -> int | None:
    if length is None:
        return None
    try:
        return int(length)
    except ValueError:
        return None  # the HTTP server refuses it; the chunks are counted all the same


async def _refuse(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    from starlette.requests import Request

    await answer_to(Request(scope, receive), error)(scope, receive, send)


class _Counting:
    """A ``receive`` that counts the body's chunks against ``limit`` and, when a JSON body has a
    backslash in it, checks once it is whole that its strings are text."""

    __slots__ = ("chunks", "escaped", "limit", "receive", "size", "textual")

    def __init__(self, receive: Receive, limit: int, textual: bool = True) -> None:
        self.receive = receive
        self.limit = limit
        self.textual = textual
        self.size = 0
        self.chunks: list[bytes] = []
        self.escaped = False

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] != "http.request":
            return message
        chunk: bytes = message.get("body", b"")
        self.size += len(chunk)
        if self.size > self.limit:
            raise BodyTooLarge(self.limit)
        if not self.textual:
            return message
        self.chunks.append(chunk)
        self.escaped = self.escaped or b"\\" in chunk
        if self.escaped and not message.get("more_body", False) and _holds_lone_surrogate(b"".join(self.chunks)):
            raise NotText()
        return message


def _holds_lone_surrogate(body: bytes) -> bool:
    """True when ``body`` is JSON that the standard library reads into a string with a lone surrogate."""
    try:
        orjson.loads(body)
        return False  # orjson refuses lone surrogates: it read none
    except orjson.JSONDecodeError:
        pass
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the route says so
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        pass
    return False
