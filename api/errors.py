"""Every refusal the HTTP API gives, in the contract's shape.

``{"error": {"code": "<snake_case>", "message": "<human text>"}}`` for every
4xx, whether it comes from our own checks (:class:`ApiError`), from the
engine (``CommandRejected``, ``RuleViolation``, raised by the application's handlers
and translated by :func:`from_engine`), from request validation
(``invalid_request``) or from routing (``not_found``, ``method_not_allowed``).
A store that cannot be reached or cannot write now answers 503 ``store_unavailable``
with ``Retry-After`` (:func:`store_unavailable`). Unexpected failures answer 500
``internal_error`` without details.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.responses import REPLAYED, JsonResponse
from engine.app.transparency import LogForked
from engine.errors import AuctionNotFound, DomainError
from engine.model import format_money
from engine.policy import RuleViolation
from engine.store.base import ConcurrencyConflict

log = logging.getLogger(__name__)

# Engine refusals that are about the request's content rather than the auction's state.
UNPROCESSABLE = frozenset(
    {
        "closes_at_in_past",
        "invalid_amount",
        "invalid_subject",
        "invalid_incident",
        "unknown_country",
        "invalid_request",
        # after bidding: what was asked cannot be, whatever the auction's state
        "payment_exceeds_price",
        "invalid_reason",
        "invalid_reference",
        "invalid_date",
        "role_not_used",
        "idempotency_key_reused",  # a repeated Idempotency-Key with another request (IETF draft: 422)
    }
)
NOT_FOUND = frozenset({"auction_not_found", "unknown_bidder"})

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    431: "headers_too_large",
}

# What an error message may quote of the request: a longer value is cut to its first
# ECHO_LIMIT characters and "…", so that a refusal never sends a large input back.
ECHO_LIMIT = 64
# A quoted value as repr() and the engine write it: the quote not inside a word (an apostrophe is).
_LONG = f"{{{ECHO_LIMIT + 1},}}"
_QUOTED = re.compile(rf"(?<!\w)(?:'(?:[^'\\]|\\.){_LONG}'|\"(?:[^\"\\]|\\.){_LONG}\")(?!\w)")


def clipped(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` itself, or its first ``limit`` characters and "…"."""
    return text if len(text) <= limit else text[:limit] + "…"


def _clip_quoted(match: re.Match[str]) -> str:
    quoted = match.group()
    return quoted[0] + clipped(quoted[1:-1]) + quoted[-1]


def clipped_quotes(message: str) -> str:
    """``message`` with every quoted value longer than :data:`ECHO_LIMIT` cut (:func:`clipped`):
    the input a refusal repeats (``amount '1111…' is not ...``), wherever the message came from."""
    return _QUOTED.sub(_clip_quoted, message) if len(message) > ECHO_LIMIT else message


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JsonResponse:
    return JsonResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def refusal_response(
    what: str, amount: int, reason: str, rule: str | None, position: int, replayed: bool, **extra: Any
) -> JsonResponse:
    """409 for a refused bid or proxy: the refusal was recorded at ``position``, the code is its reason;
    ``extra`` fields go into the error (a bid's ``minimum``)."""
    message = f"{what} of {format_money(amount)} refused: {reason.replace('_', ' ')}"
    if rule:
        message += f" ({rule})"
    headers = {REPLAYED: "true"} if replayed else None
    return error_response(409, reason, message, headers, rule=rule, position=position, **extra)


def from_engine(error: Exception) -> ApiError:
    """The HTTP answer to an exception the engine raised for a command."""
    if isinstance(error, AuctionNotFound):
        return ApiError(404, error.code, error.message)
    if isinstance(error, RuleViolation):
        extra: dict[str, Any] = {"rule": error.rule.code} if error.rule is not None else {}
        return ApiError(422, error.code, str(error), **extra)
    if isinstance(error, DomainError):
        if error.code in NOT_FOUND:
            return ApiError(404, error.code, error.message)
        if error.code in UNPROCESSABLE:
            return ApiError(422, error.code, error.message)
        return ApiError(409, error.code, error.message)
    if isinstance(error, ConcurrencyConflict):
        return ApiError(503, "busy", "too many concurrent writers on this auction; retry", headers={"Retry-After": "1"})
    raise TypeError(f"not an engine refusal: {error!r}")


# The store cannot be reached or cannot write for now: the database restarting or refusing
# connections, a connection lost mid-query, the pool closing, a full disk, a file locked past the
# busy timeout. Nothing was decided on a failed append; should its commit have landed after all,
# a retry with the same Idempotency-Key gets its first answer (docs/operations.md).
STORE_RETRY_AFTER = "2"
_STORE_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, timed out
    asyncpg.PostgresConnectionError,  # class 08, and a connection lost mid-query
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up, cancelled
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: disk full, out of memory, too many connections
    asyncpg.InternalClientError,  # a connection the server dropped while its protocol was mid-operation
)
_ASYNCPG_GONE = ("pool is closing", "pool is closed", "connection is closed")
_SQLITE_UNAVAILABLE = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN")
STORE_ERRORS = (*_STORE_UNREACHABLE, asyncpg.InterfaceError, sqlite3.Error)


def store_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the store is out of reach or out of space, not that a request is wrong;
    or when it was raised while handling such an error (a clean-up on a connection already lost)."""
    seen = 0
    link: BaseException | None = error
    while link is not None and seen < 5:
        if _unavailable(link):
            return True
        link, seen = link.__cause__ or link.__context__, seen + 1
    return False


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, _STORE_UNREACHABLE):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return str(error) in _ASYNCPG_GONE
    if isinstance(error, sqlite3.Error):
        return str(getattr(error, "sqlite_errorname", "")).startswith(_SQLITE_UNAVAILABLE)
    return False


def validation_message(errors: Sequence[Any]) -> str:
    """FastAPI's (or pydantic's) validation errors in one line: ``where: what; ...``."""
    parts = []
    for item in errors[:5]:
        where = ".".join(clipped(str(part)) for part in item.get("loc", ()) if part != "body") or "body"
        message = clipped_quotes(str(item.get("msg", "invalid")))
        parts.append(f"{where}: {clipped(message, 4 * ECHO_LIMIT)}")
    return "; ".join(parts) or "invalid request"


def answer_to(request: Request, error: Exception) -> JsonResponse:
    """The answer to ``error`` raised while serving ``request``: every exception handler of
    :func:`install` is this function, and the bid lane (``api.app``) calls it directly."""
    if isinstance(error, ApiError):
        return error_response(error.status, error.code, clipped_quotes(error.message), error.headers, **error.extra)
    if isinstance(error, RequestValidationError):
        return error_response(422, "invalid_request", validation_message(error.errors()))
    if isinstance(error, ENGINE_REFUSALS):
        # The handlers raise the engine's refusals as they are: each becomes its HTTP answer here.
        answer = from_engine(error)
        message = clipped_quotes(answer.message)
        return error_response(answer.status, answer.code, message, answer.headers, **answer.extra)
    if isinstance(error, StarletteHTTPException):
        code = _HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
        message = clipped_quotes(error.detail) if isinstance(error.detail, str) else code.replace("_", " ")
        return error_response(error.status_code, code, message, getattr(error, "headers", None))
    if isinstance(error, LogForked):  # logged once, when it was found (engine.app.transparency)
        return error_response(503, "log_integrity", f"the event log failed its integrity check: {error}")
    if store_unavailable(error):
        log.warning("store unavailable on %s %s: %r", request.method, request.url.path, error)
        message = "the event store is unavailable; retry shortly"
        return error_response(503, "store_unavailable", message, {"Retry-After": STORE_RETRY_AFTER})
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal_error", "internal error")


ENGINE_REFUSALS = (DomainError, RuleViolation, ConcurrencyConflict)


def install(app: FastAPI) -> None:
    async def handler(request: Request, error: Exception) -> JsonResponse:
        return answer_to(request, error)

    # The store's errors by class, so that they are answered where the others are (an ``Exception``
    # handler answers too, but its exception is raised again to the server, which logs it).
    kinds = (ApiError, RequestValidationError, *ENGINE_REFUSALS, StarletteHTTPException, LogForked, *STORE_ERRORS)
    for kind in (*kinds, Exception):
        app.add_exception_handler(kind, handler)
