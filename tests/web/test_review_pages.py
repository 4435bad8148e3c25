"""The sign-in page's ``next`` stays on this site (the server and the page's script alike), and the
API's documentation page runs on this server's own files under the pages' policy, with no network."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.support import Server, expect

LEAVING = [
    "/\\evil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "//evil.example/x",
    "/\\/evil.example/x",
    "/ /evil.example",
    "/\u3000/evil.example",
    "/\x00/evil.example",
    "https://evil.example/x",
    "javascript:alert(1)",
    "evil.example",
    "",
    "/app/sign-in?next=//evil.example",
]
STAYING = ["/", "/app/bailiff", "/app/auction/a-1?x=1#bid", "/app/auditor/a%2F1", "/%5Cliteral", "/app/x:y"]


@pytest.mark.parametrize(
    ("query", "allowed"),
    [
        ("next=/%5Cevil.example/x", False),
        ("next=/%09/evil.example/x", False),
        ("next=//evil.example/x", False),
        ("next=%2F%2Fevil.example", False),
        ("next=/app/bailiff", True),
        ("next=/app/auction/a-1", True),
        ("", True),
    ],
)
def test_the_server_sends_a_sign_in_with_a_foreign_next_back_to_the_bare_page(
    web_server: Server, query: str, allowed: bool
) -> None:
    response = web_server.client.get(f"/app/sign-in?{query}", follow_redirects=False)
    if allowed:
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
    else:
        assert response.status_code == 303
        assert response.headers["location"] == "/app/sign-in"


def test_the_page_script_continues_only_to_paths_on_this_site(browser: Any, web_server: Server) -> None:
    context = browser.new_context(base_url=web_server.url)
    try:
        page = context.new_page()
        page.goto("/app/sign-in")
        expect(page.locator("#token")).to_be_visible()
        verdicts = page.evaluate(
            """async (candidates) => {
                const m = await import('/app/static/js/sign-in.js');
                return candidates.map((c) => [m.isSafeNext(c), new URL(c, location.origin).origin === location.origin]);
            }""",
            LEAVING + STAYING,
        )
        for candidate, (safe, same_origin) in zip(LEAVING + STAYING, verdicts, strict=True):
            assert safe == (candidate in STAYING), candidate
            assert not safe or same_origin, candidate  # whatever it accepts, the browser resolves here
    finally:
        context.close()


def test_a_safe_next_is_where_the_sign_in_page_continues_to(open_page: Any) -> None:
    page = open_page("/app/sign-in?next=/app/bailiff", role="bailiff", subject="bailiff-next")
    expect(page.locator("#continue-link")).to_have_attribute("href", "/app/bailiff")


def test_the_docs_page_runs_on_this_servers_files_alone(browser: Any, web_server: Server) -> None:
    context = browser.new_context(base_url=web_server.url)
    elsewhere: list[str] = []
    violations: list[str] = []

    def only_here(route: Any) -> None:
        if route.request.url.startswith(web_server.url):
            route.continue_()
        else:  # no network: anything not from this server fails
            elsewhere.append(route.request.url)
            route.abort()

    try:
        context.route("**/*", only_here)
        page = context.new_page()
        page.on(
            "console", lambda message: violations.append(message.text) if "Content Security" in message.text else None
        )
        response = page.goto("/docs")
        assert response is not None and response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Judicial e-auction engine")
        expect(page.locator(".opblock-tag-section").first).to_be_visible()
        bid = page.locator(".opblock-post", has=page.locator(".opblock-summary-path", has_text="/bids")).first
        bid.locator(".opblock-summary").click()
        expect(bid.locator(".opblock-body")).to_be_visible()
        assert elsewhere == []
        assert violations == []
    finally:
        context.close()
