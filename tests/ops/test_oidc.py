"""Signing in through a real OpenID Connect provider (oidc-provider on Node.js, tests/ops/oidc/provider.js).

The engine runs under uvicorn on a loopback port with ``AUCTION_OIDC_*`` settings; the provider on
another. The code flow with PKCE is driven with httpx following the redirects and filling in the
provider's own login and consent forms, as a browser would; its access token is then used as any
API client's bearer token. The role and office come from the provider's claims through the
configured mapping; a key rotated at the provider is found through the JWKS read again.
"""

from __future__ import annotations

import asyncio
import http.server
import os
import re
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.app import create_app
from api.auth import InvalidToken, Role
from api.oidc import ClaimMapping, claim, parse_role_map, principal_from_claims
from api.settings import Settings
from tests.api.support import SECRET, auth, swedish_auction
from tests.e2e.support import auction_command, free_port
from tests.ops.oidc_support import Provider, signing_key

AUDIENCE = "https://auction.test/api"
CLIENT_ID = "auction-web"
CLIENT_SECRET = "auction-web-secret-0123456789abcdef"
OFFICE = "okrajno-sodisce-ljubljana"
USERS = {
    # A bailiff: the court's provider names the role in a list of groups and the office in a nested claim.
    "ana.bailiff": {
        "claims": {"name": "Ana"},
        "access": {"court_groups": ["staff", "court:bailiff"], "court": {"office": OFFICE}},
    },
    # A citizen signing in with a national e-ID: no role claim at all, so the default role (bidder).
    "citizen-58": {"claims": {"name": "Citizen"}, "access": {}},
    # An auditor of the same office, named by the group the court maps to the auditor role.
    "olga.auditor": {
        "claims": {"name": "Olga"},
        "access": {"court_groups": ["court:audit"], "court": {"office": OFFICE}},
    },
    # Two of the engine's roles at once: refused, it must be one.
    "two.hats": {"claims": {}, "access": {"court_groups": ["court:bailiff", "court:audit"]}},
}


def oidc_settings(issuer: str) -> Settings:
    return Settings(
        database_url="memory:",
        secret=SECRET,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_audience=AUDIENCE,
        oidc_scopes="openid profile auction",
        oidc_role_claim="court_groups",
        oidc_role_map="court:bailiff=bailiff,court:audit=auditor",
        oidc_default_role="bidder",
        oidc_office_claim="court.office",
    )


def provider_config(engine: str, keys: list[dict[str, Any]]) -> dict[str, Any]:
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{engine}/auth/callback"],
        "post_logout_redirect_uris": [f"{engine}/app/sign-in"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    return {"audience": AUDIENCE, "clients": [client], "keys": keys, "users": USERS}


class World:
    def __init__(self, engine: str, provider: Provider, directory: Path) -> None:
        self.engine = engine
        self.provider = provider
        self.directory = directory
        self.key, self.jwk = signing_key("first")

    def start_provider(self, jwk: dict[str, Any]) -> None:
        self.provider.stop()
        self.provider.start(provider_config(self.engine, [jwk]))

    async def sign_in(self, client: httpx.AsyncClient, login: str, next_path: str = "/app/bailiff") -> httpx.Response:
        """The pages' sign-in: /auth/login, the provider's login and consent forms, the callback,
        then POST /auth/session; every URL on the way is checked to hold no token."""
        page = await client.get(f"{self.engine}/auth/login", params={"next": next_path})
        history = list(page.history)
        for form in ({"prompt": "login", "login": login, "password": "any"}, {"prompt": "consent"}):
            action = re.search(r'<form[^>]+action="([^"]+)"', page.text)
            if action is None:
                break  # consent already given in this provider session
            page = await client.post(httpx.URL(str(page.url)).join(action.group(1)), data=form)
            history += page.history
        assert page.status_code == 200 and page.url.path == "/app/sign-in", (page.status_code, page.url)
        assert page.url.params.get("next") == next_path
        session = await client.post(f"{self.engine}/auth/session")
        if session.status_code == 200:
            token = session.json()["token"]
            for step in [*history, page]:
                assert token not in str(step.url) and token not in step.headers.get("location", "")
            assert "code=" in str(next(s for s in history if s.url.path == "/auth/callback").url)
        return session


@asynccontextmanager
async def served_on(app: Any, port: int) -> AsyncIterator[str]:
    """The app under uvicorn on ``port`` (known ahead: the provider is started first, naming it)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    provider = Provider(tmp_path / "provider", free_port())
    engine_port = free_port()
    world = World(f"http://127.0.0.1:{engine_port}", provider, tmp_path)
    world.start_provider(world.jwk)  # before the engine, which reads its discovery document at start-up
    try:
        async with served_on(create_app(oidc_settings(provider.issuer)), engine_port):
            yield world
    finally:
        provider.stop()


@pytest.fixture
def browser() -> Iterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(follow_redirects=True, timeout=20)
    yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_code_flow_with_pkce_signs_a_bailiff_in_with_the_mapped_role_and_office(
    world: World, browser: httpx.AsyncClient
) -> None:
    async with browser:
        login = await browser.get(f"{world.engine}/auth/login", follow_redirects=False)
        assert login.status_code == 303
        asked = httpx.URL(login.headers["location"])
        assert asked.params["code_challenge_method"] == "S256" and len(asked.params["code_challenge"]) == 43
        assert (
            asked.params["client_id"] == CLIENT_ID and asked.params["redirect_uri"] == f"{world.engine}/auth/callback"
        )

        session = await world.sign_in(browser, "ana.bailiff")
        assert session.status_code == 200, session.text
        body = session.json()
        assert (body["subject"], body["role"], body["office"]) == ("ana.bailiff", "bailiff", OFFICE)
        assert session.headers["cache-control"] == "no-store"
        # The token was handed over once: the cookie is spent.
        assert (await browser.post(f"{world.engine}/auth/session")).status_code == 404

        token = body["token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iss"] == world.provider.issuer and claims["aud"] == AUDIENCE
        # As an API client's bearer token: the bailiff schedules for their office ...
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        scheduled = await browser.post(
            f"{world.engine}/auctions", json=swedish_auction(tomorrow), headers=bearer(token)
        )
        assert scheduled.status_code == 201, scheduled.text
        auction = scheduled.json()["id"]
        # ... which a bailiff of another office (an HS256 development token without one) may not act on.
        other = await browser.post(f"{world.engine}/auctions/{auction}/open", headers=auth("bailiff", "bob"))
        assert other.status_code == 403, other.text
        opened = await browser.post(f"{world.engine}/auctions/{auction}/open", headers=bearer(token))
        assert opened.status_code == 200, opened.text


async def test_a_citizen_without_a_role_claim_is_a_bidder_and_two_roles_are_refused(
    world: World, browser: httpx.AsyncClient
) -> None:
    async with browser:
        citizen = await world.sign_in(browser, "citizen-58", next_path="/")
        assert citizen.status_code == 200, citizen.text
        assert (citizen.json()["role"], citizen.json()["office"]) == ("bidder", None)
    async with httpx.AsyncClient(follow_redirects=True, timeout=20) as other_browser:
        callback_refused = await other_browser.get(f"{world.engine}/auth/login")
        assert callback_refused.status_code == 200  # the provider's login form
        action = re.search(r'<form[^>]+action="([^"]+)"', callback_refused.text)
        assert action is not None
        page = await other_browser.post(
            callback_refused.url.join(action.group(1)), data={"prompt": "login", "login": "two.hats", "password": "x"}
        )
        action = re.search(r'<form[^>]+action="([^"]+)"', page.text)
        assert action is not None
        page = await other_browser.post(page.url.join(action.group(1)), data={"prompt": "consent"})
        assert page.status_code == 401, page.text
        assert page.json()["error"]["code"] == "unauthenticated"
        assert "several roles" in page.json()["error"]["message"]


async def test_a_rotated_signing_key_is_read_from_the_jwks_again(world: World, browser: httpx.AsyncClient) -> None:
    async with browser:
        first = (await world.sign_in(browser, "ana.bailiff")).json()["token"]
        assert jwt.get_unverified_header(first)["kid"] == "first"
        listed = await browser.get(f"{world.engine}/auctions", headers=bearer(first))
        assert listed.status_code == 200
    # The provider restarts with a new key only: the engine holds the old key set.
    _, jwk = signing_key("second")
    world.start_provider(jwk)
    async with httpx.AsyncClient(follow_redirects=True, timeout=20) as again:
        second = (await world.sign_in(again, "ana.bailiff")).json()["token"]
        assert jwt.get_unverified_header(second)["kid"] == "second"
        now = datetime.now(UTC)
        scheduled = await again.post(f"{world.engine}/auctions", json=swedish_auction(now), headers=bearer(second))
        assert scheduled.status_code == 201, scheduled.text


def forged(world: World, **changes: Any) -> str:
    """A token signed with the provider's own key (as the provider would sign it), claims changed."""
    now = datetime.now(UTC)
    claims = {
        "iss": world.provider.issuer,
        "aud": AUDIENCE,
        "sub": "ana.bailiff",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims |= {"court_groups": ["court:bailiff"], **changes}
    return jwt.encode(claims, world.key, algorithm="RS256", headers={"kid": world.jwk["kid"]})


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"exp": datetime.now(UTC) - timedelta(hours=1)}, "expired"),
        ({"aud": "https://another.example/api"}, "audience"),
        ({"iss_is_other": True}, None),
    ],
)
async def test_an_expired_or_wrong_audience_token_is_401(
    world: World, changes: dict[str, Any], says: str | None
) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        good = await client.post(
            f"{world.engine}/auctions", json=swedish_auction(datetime.now(UTC)), headers=bearer(forged(world))
        )
        assert good.status_code == 201, good.text  # the key and claims as the provider makes them are accepted
        if changes.pop("iss_is_other", False):
            other_key, other_jwk = signing_key("first")  # the same key id, another key: the signature fails
            token = jwt.encode(
                jwt.decode(forged(world), options={"verify_signature": False}),
                other_key,
                algorithm="RS256",
                headers={"kid": "first"},
            )
        else:
            token = forged(world, **changes)
        refused = await client.post(
            f"{world.engine}/auctions", json=swedish_auction(datetime.now(UTC)), headers=bearer(token)
        )
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "unauthenticated"
        if says is not None:
            assert says in refused.json()["error"]["message"].lower()


async def test_logout_ends_the_session_at_the_provider_without_a_token_in_the_url(
    world: World, browser: httpx.AsyncClient
) -> None:
    async with browser:
        await world.sign_in(browser, "citizen-58", next_path="/")
        out = await browser.get(f"{world.engine}/auth/logout", follow_redirects=False)
        assert out.status_code == 303
        target = httpx.URL(out.headers["location"])
        assert str(target).startswith(world.provider.issuer)
        assert target.params["client_id"] == CLIENT_ID
        assert target.params["post_logout_redirect_uri"] == f"{world.engine}/app/sign-in"
        assert "id_token_hint" not in target.params
        confirm = await browser.get(target)
        assert confirm.status_code == 200 and "logout" in confirm.text.lower()


async def test_without_a_provider_the_sign_in_routes_say_so() -> None:
    app = create_app(Settings(database_url="memory:", secret=SECRET))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://auction.test") as client:
            assert (await client.get("/auth/config")).json() == {"oidc": False, "issuer": None}
            login = await client.get("/auth/login")
            assert login.status_code == 404 and login.json()["error"]["code"] == "oidc_not_configured"
            assert (await client.post("/auth/session")).status_code == 404
            callback = await client.get("/auth/callback", params={"code": "x", "state": "y"})
            assert callback.status_code == 404


def test_the_settings_refuse_a_bad_role_map_and_an_issuer_without_a_client() -> None:
    with pytest.raises(ValidationError, match="'court-bailiff' is not provider-value=role"):
        Settings(oidc_role_map="court-bailiff")
    with pytest.raises(ValidationError, match="'judge' is no role"):
        Settings(oidc_role_map="court-judge=judge")
    with pytest.raises(ValidationError, match="AUCTION_OIDC_ISSUER needs AUCTION_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://login.example")
    assert parse_role_map(" a=bidder , b:c=auditor ,") == {"a": Role.BIDDER, "b:c": Role.AUDITOR}


@given(
    st.lists(st.sampled_from(["staff", "court:bailiff", "court:audit", "bidder", "auditor", "x"]), max_size=5),
    st.sampled_from([None, Role.BIDDER]),
)
def test_a_role_claim_names_one_role_or_the_token_is_refused(values: list[str], default: Role | None) -> None:
    mapping = ClaimMapping(
        role_claim="groups", role_map={"court:bailiff": Role.BAILIFF, "court:audit": Role.AUDITOR}, default_role=default
    )
    named = {
        {"court:bailiff": Role.BAILIFF, "court:audit": Role.AUDITOR}.get(v)
        or (Role(v) if v in ("bidder", "auditor") else None)
        for v in values
    } - {None}
    claims = {"sub": "someone", "groups": values}
    if len(named) == 1:
        assert principal_from_claims(claims, mapping).role in named
    elif not named and default is not None:
        assert principal_from_claims(claims, mapping).role is default
    else:
        with pytest.raises(InvalidToken):
            principal_from_claims(claims, mapping)


def test_claims_are_found_by_name_first_then_by_dotted_path() -> None:
    claims = {"https://court.example/office": "ljubljana", "realm_access": {"roles": ["bailiff"]}, "a": {"b": 1}}
    assert claim(claims, "https://court.example/office") == "ljubljana"
    assert claim(claims, "realm_access.roles") == ["bailiff"]
    assert claim(claims, "a.b.c") is None and claim(claims, "missing") is None


async def test_a_callback_not_started_here_or_for_another_sign_in_is_refused(world: World) -> None:
    async with httpx.AsyncClient(timeout=20) as browser:
        stray = await browser.get(f"{world.engine}/auth/callback", params={"code": "c", "state": "s"})
        assert stray.status_code == 400 and stray.json()["error"]["code"] == "sign_in_expired"

        login = await browser.get(f"{world.engine}/auth/login")
        assert login.status_code == 303
        state = httpx.URL(login.headers["location"]).params["state"]
        other = await browser.get(f"{world.engine}/auth/callback", params={"code": "c", "state": "another"})
        assert other.status_code == 400 and other.json()["error"]["code"] == "sign_in_state_mismatch"
        denied = await browser.get(
            f"{world.engine}/auth/callback",
            params={"error": "access_denied", "error_description": "the person said no", "state": state},
        )
        assert denied.status_code == 401 and "the person said no" in denied.json()["error"]["message"]
        made_up = await browser.get(f"{world.engine}/auth/callback", params={"code": "made-up", "state": state})
        assert made_up.status_code == 401 and made_up.json()["error"]["code"] == "unauthenticated"
        # Nothing was handed over.
        assert (await browser.post(f"{world.engine}/auth/session")).status_code == 404


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("unknown issuer", "is not this server's identity provider"),
        ("HS256 with the provider's kid", "signed with 'hs256', an algorithm the provider's tokens are not signed"),
        ("alg none", "signed with 'none', an algorithm the provider's tokens are not signed"),
    ],
)
async def test_a_token_of_another_issuer_or_of_an_algorithm_the_provider_does_not_use_is_401(
    world: World, how: str, says: str
) -> None:
    claims = jwt.decode(forged(world), options={"verify_signature": False})
    if how == "unknown issuer":  # well formed, signed with a key of its own, by an issuer nobody configured
        other_key, _ = signing_key("other")
        token = jwt.encode({**claims, "iss": "https://login.elsewhere.example"}, other_key, algorithm="RS256")
    elif how == "HS256 with the provider's kid":  # even signed with this server's own secret
        token = jwt.encode({**claims, "role": "bailiff"}, SECRET, algorithm="HS256", headers={"kid": world.jwk["kid"]})
    else:
        token = jwt.encode({**claims, "role": "bailiff"}, "", algorithm="none", headers={"kid": world.jwk["kid"]})
    async with httpx.AsyncClient(timeout=20) as client:
        refused = await client.post(
            f"{world.engine}/auctions", json=swedish_auction(datetime.now(UTC)), headers=bearer(token)
        )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert says in refused.json()["error"]["message"].lower(), refused.json()["error"]["message"]


class NotFound(http.server.BaseHTTPRequestHandler):
    """A web server that is no identity provider: 404 for everything."""

    def do_GET(self) -> None:  # noqa: N802 (the handler's name)
        self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.mark.parametrize("where", ["a closed port", "a server answering 404"])
def test_auction_serve_refuses_to_start_with_a_provider_it_cannot_ask(tmp_path: Path, where: str) -> None:
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{free_port() if where == 'a closed port' else web.server_address[1]}"
    env = {**os.environ, "AUCTION_SECRET": SECRET, "AUCTION_OIDC_ISSUER": issuer, "AUCTION_OIDC_CLIENT_ID": CLIENT_ID}
    for name in ("AUCTION_DATABASE_URL", "AUCTION_HOST", "AUCTION_PORT"):
        env.pop(name, None)
    database = f"sqlite:///{tmp_path / 'auction.sqlite3'}"
    try:
        ran = subprocess.run(
            [*auction_command(), "serve", "--port", str(free_port()), "--database", database],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        web.shutdown()
        web.server_close()
    assert ran.returncode != 0, ran.stderr
    refusal = [line for line in ran.stderr.splitlines() if "refusing to start" in line]
    assert len(refusal) == 1, ran.stderr
    expected = "connection refused" if where == "a closed port" else "answered 404 not found"
    assert f"{issuer}/.well-known/openid-configuration" in refusal[0] and expected in refusal[0].lower(), refusal[0]
    assert "AUCTION_OIDC_ISSUER" in refusal[0]
    assert "Traceback" not in ran.stderr + ran.stdout
