"""In Chromium: the sign-in page's button signs a bidder, a bailiff and an auditor in at a real OpenID Connect provider.

``auction serve`` runs with ``AUCTION_OIDC_*`` pointing at oidc-provider (tests/ops/oidc/provider.js);
the browser clicks the page's button, fills in the provider's login and consent forms, comes back
through the server's callback and lands where it was going, signed in with the role and office
mapped from the provider's claims. No URL the browser asks for ever holds the token. Signing out
there goes to the provider's end-session page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Server, free_port
from tests.ops.oidc_support import Provider, signing_key
from tests.ops.test_oidc import AUDIENCE, CLIENT_ID, CLIENT_SECRET, provider_config
from tests.web.conftest import require_browser
from tests.web.support import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Provider]]:
    require_browser()
    provider = Provider(tmp_path / "provider", free_port())
    for name, value in {
        "AUCTION_OIDC_ISSUER": provider.issuer,
        "AUCTION_OIDC_CLIENT_ID": CLIENT_ID,
        "AUCTION_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "AUCTION_OIDC_AUDIENCE": AUDIENCE,
        "AUCTION_OIDC_SCOPES": "openid profile auction",
        "AUCTION_OIDC_ROLE_CLAIM": "court_groups",
        "AUCTION_OIDC_ROLE_MAP": "court:bailiff=bailiff,court:audit=auditor",
        "AUCTION_OIDC_DEFAULT_ROLE": "bidder",
        "AUCTION_OIDC_OFFICE_CLAIM": "court.office",
    }.items():
        monkeypatch.setenv(name, value)
    server = Server(f"sqlite:///{tmp_path / 'auction.sqlite3'}", tmp_path)
    try:
        _, jwk = signing_key("browser")
        provider.start(provider_config(server.url, [jwk]))  # first: the server reads its discovery document at start
        server.start()
        yield server, provider
    finally:
        provider.stop()
        server.stop()


# Each role's login at the provider, the page that role uses, and the role the server mapped from the claims.
ROLES = [
    ("citizen-58", "/", "bidder"),  # no role claim: the default role
    ("ana.bailiff", "/app/bailiff", "bailiff"),  # court:bailiff in court_groups
    ("olga.auditor", "/app/auditor", "auditor"),  # court:audit in court_groups
]


@pytest.mark.parametrize(("login", "landing", "role"), ROLES, ids=[role for _, _, role in ROLES])
def test_the_sign_in_button_signs_each_role_in_at_the_provider(
    signed_world: tuple[Server, Provider], login: str, landing: str, role: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, provider = signed_world
    asked: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page: Any = chromium.new_page()
            page.on("request", lambda request: asked.append(request.url))
            page.goto(f"{server.url}/app/sign-in?next={landing}")
            expect(page.locator("#provider-sign-in")).to_be_visible()
            page.locator("#provider-sign-in-link").click()

            page.wait_for_url(f"{provider.issuer}/**")
            page.locator("input[name=login]").fill(login)
            page.locator("input[name=password]").fill("any")
            page.locator("button[type=submit]").click()
            page.locator("button[type=submit]").click()  # the provider's consent

            page.wait_for_url(f"{server.url}{landing}")
            expect(page.locator("#who-subject")).to_have_text(login)
            expect(page.locator("#who-role")).to_have_text(role)
            expect(page.locator("#who-role")).to_have_class(re.compile(rf"\brole-{role}\b"))
            token = page.evaluate("localStorage.getItem('auction.token')")
            assert token and token.count(".") == 2
            assert not [url for url in asked if token in url]
            assert any("/auth/callback?code=" in url for url in asked)

            page.goto(f"{server.url}/app/sign-in")
            expect(page.locator("#provider-sign-out-button")).to_be_visible()
            page.locator("#provider-sign-out-button").click()
            page.wait_for_url(f"{provider.issuer}/**")
            assert page.evaluate("localStorage.getItem('auction.token')") is None
        finally:
            chromium.close()
    assert not server.server_errors()
