"""Signing in on the pages through the OpenID Connect provider: the authorization code flow with PKCE.

The code is exchanged **by the server** (``/auth/callback``), not by a script in the page:

* the token never appears in a URL: the provider sends only the one-time code to the callback, the
  server exchanges it over a direct connection, and hands the access token to the page in the body
  of a same-origin ``POST /auth/session`` (from a short-lived HttpOnly cookie, cleared when read);
* the provider's token endpoint need not allow cross-origin requests from the pages, and a
  confidential client's secret (``AUCTION_OIDC_CLIENT_SECRET``) stays on the server; PKCE is used
  all the same (a public client needs it, and it binds the code to this sign-in);
* several processes behind a proxy may each take a step: what the callback needs (state, nonce, PKCE
  verifier, where to go next) travels in a cookie signed with the server's secret, not in memory.

Routes: ``GET /auth/config`` (whether a provider is configured), ``GET /auth/login?next=/path``,
``GET /auth/callback``, ``POST /auth/session`` and ``GET /auth/logout`` (the provider's end-session
endpoint, naming this client; the ID token is not sent, since it would go into a URL).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.auth import InvalidToken
from api.deps import RuntimeDep
from api.errors import ApiError
from api.oidc import OidcProvider, ProviderUnavailable, pkce_pair
from api.responses import JsonResponse

router = APIRouter(prefix="/auth", tags=["sign-in"])

FLOW_COOKIE = "auction_oidc_flow"
SESSION_COOKIE = "auction_oidc_session"
FLOW_SECONDS = 600  # a sign-in at the provider must come back within this time
SESSION_SECONDS = 120  # the page reads its token this soon after the callback
NO_STORE = {"Cache-Control": "no-store"}
_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s\\\x00-\x1f\x7f]*$")


def safe_next(next_path: str | None) -> str | None:
    """``next_path`` if it is a path on this site (one leading slash, no backslash, no white space or
    control character, not the sign-in page itself), else None: never a way to another origin."""
    if not next_path or not _SAFE_NEXT.match(next_path) or next_path.startswith("/app/sign-in"):
        return None
    return next_path


def _sign(secret: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8", "surrogatepass"), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload).decode() + "." + base64.urlsafe_b64encode(mac).decode()


def _unsign(secret: str, value: str | None) -> dict[str, Any] | None:
    if not value or "." not in value:
        return None
    body, _, mac = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body)
        expected = hmac.new(secret.encode("utf-8", "surrogatepass"), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, base64.urlsafe_b64decode(mac)):
            return None
        data = orjson.loads(payload)
    except (ValueError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _provider(runtime: Any) -> OidcProvider:
    provider: OidcProvider | None = runtime.tokens.oidc
    if provider is None:
        raise ApiError(404, "oidc_not_configured", "no identity provider is configured (AUCTION_OIDC_ISSUER)")
    return provider


def _unavailable(error: ProviderUnavailable) -> ApiError:
    return ApiError(503, "identity_provider_unavailable", str(error), headers={"Retry-After": "5"})


def _redirect_uri(request: Request, runtime: Any) -> str:
    configured: str | None = runtime.settings.oidc_redirect_uri
    return configured or str(request.url_for("oidc_callback"))


def _origin(request: Request, runtime: Any) -> str:
    """The site's origin as the browser sees it: that of the configured callback (behind a TLS proxy,
    the server itself sees plain HTTP), else the request's."""
    configured: str | None = runtime.settings.oidc_redirect_uri
    url = httpx.URL(configured) if configured else httpx.URL(str(request.base_url))
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _secure(request: Request, runtime: Any) -> bool:
    return _origin(request, runtime).startswith("https://")


@router.get("/config", summary="Whether pages sign in through an identity provider")
async def config(runtime: RuntimeDep) -> Response:
    provider: OidcProvider | None = runtime.tokens.oidc
    body = {"oidc": provider is not None, "issuer": provider.issuer if provider else None}
    return JsonResponse(body, headers=NO_STORE)


@router.get("/login", summary="Sign in at the identity provider (authorization code flow with PKCE)")
async def login(request: Request, runtime: RuntimeDep, next: str | None = None) -> Response:  # noqa: A002
    provider = _provider(runtime)
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    redirect_uri = _redirect_uri(request, runtime)
    try:
        target = await asyncio.to_thread(provider.authorization_url, redirect_uri, state, nonce, challenge)
    except ProviderUnavailable as error:
        raise _unavailable(error) from None
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "next": safe_next(next), "at": time.time()}
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    response.set_cookie(
        FLOW_COOKIE,
        _sign(runtime.tokens.secret, orjson.dumps(flow)),
        max_age=FLOW_SECONDS,
        path="/auth/callback",
        httponly=True,
        secure=_secure(request, runtime),
        samesite="lax",  # sent on the provider's top-level redirect back to the callback
    )
    return response


@router.get("/callback", name="oidc_callback", summary="The identity provider's redirect: the code exchanged")
async def callback(
    request: Request,
    runtime: RuntimeDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    provider = _provider(runtime)
    flow = _unsign(runtime.tokens.secret, request.cookies.get(FLOW_COOKIE))
    if flow is None or time.time() - float(flow.get("at", 0)) > FLOW_SECONDS:
        raise ApiError(400, "sign_in_expired", "this sign-in was not started here or took too long: sign in again")
    if not state or not hmac.compare_digest(str(flow.get("state")), state):
        raise ApiError(400, "sign_in_state_mismatch", "the provider's answer is not for this sign-in: sign in again")
    if error is not None:
        raise ApiError(
            401, "sign_in_refused", f"the identity provider refused the sign-in: {error_description or error}"
        )
    if not code:
        raise ApiError(400, "invalid_request", "the provider's answer has no code")
    try:
        tokens = await asyncio.to_thread(
            provider.exchange, code, _redirect_uri(request, runtime), str(flow["verifier"]), str(flow["nonce"])
        )
    except ProviderUnavailable as unavailable:
        raise _unavailable(unavailable) from None
    except InvalidToken as refused:
        raise ApiError(401, "unauthenticated", f"sign-in failed: {refused}") from None
    back = {"provider": "1", **({"next": str(flow["next"])} if flow.get("next") else {})}
    target = f"/app/sign-in?{urlencode(back)}"
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    response.delete_cookie(FLOW_COOKIE, path="/auth/callback")
    response.set_cookie(
        SESSION_COOKIE,
        _sign(runtime.tokens.secret, orjson.dumps({"token": tokens.access_token, "at": time.time()})),
        max_age=SESSION_SECONDS,
        path="/auth/session",
        httponly=True,
        secure=_secure(request, runtime),
        samesite="strict",
    )
    return response


@router.post("/session", summary="The signed-in page's token, once, after the callback")
async def session(request: Request, runtime: RuntimeDep) -> Response:
    handed = _unsign(runtime.tokens.secret, request.cookies.get(SESSION_COOKIE))
    if handed is None or time.time() - float(handed.get("at", 0)) > SESSION_SECONDS:
        raise ApiError(404, "no_session", "no sign-in is waiting for this browser: sign in again")
    token = str(handed["token"])
    try:
        principal = runtime.tokens.read(token)
    except InvalidToken as refused:
        raise ApiError(401, "unauthenticated", f"invalid token: {refused}") from None
    body = {"token": token, "subject": principal.subject, "role": principal.role.value, "office": principal.office}
    response = JsonResponse(body, headers=NO_STORE)
    response.delete_cookie(SESSION_COOKIE, path="/auth/session")
    return response


@router.get("/logout", summary="Sign out at the identity provider too (its end-session endpoint)")
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    provider = _provider(runtime)
    back = _origin(request, runtime) + "/app/sign-in"  # registered at the provider as is
    try:
        target = await asyncio.to_thread(provider.logout_url, back)
    except ProviderUnavailable as error:
        raise _unavailable(error) from None
    return RedirectResponse(target or back, status_code=303, headers=NO_STORE)
