"""Serving the pages: paths beside the JSON API, safe headers, and mount_web being idempotent."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from api.web import PAGES, STATIC_DIR, is_mounted, mount_web
from tests.web.support import Server

PAGE_PATHS = {
    "/": "catalogue.js",
    "/app/auction/abc123": "auction.js",
    "/app/bailiff": "bailiff.js",
    "/app/bailiff/abc123": "bailiff.js",
    "/app/auditor": "auditor.js",
    "/app/auditor/abc123": "auditor.js",
    "/app/sign-in": "sign-in.js",
}


@pytest.mark.parametrize(("path", "script"), sorted(PAGE_PATHS.items()))
def test_each_page_is_served_as_html_with_its_own_module_and_a_strict_content_policy(
    web_server: Server, path: str, script: str
) -> None:
    response = web_server.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f'<script type="module" src="/app/static/js/{script}"></script>' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_scripts_are_served_with_a_javascript_type_so_browsers_run_them_as_modules(web_server: Server) -> None:
    scripts = sorted(path.name for path in (STATIC_DIR / "js").glob("*.js"))
    assert "auction.js" in scripts and "chain.js" in scripts
    for name in scripts:
        response = web_server.client.get(f"/app/static/js/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    css = web_server.client.get("/app/static/css/app.css")
    assert css.headers["content-type"].startswith("text/css")


def test_every_module_a_page_imports_exists(web_server: Server) -> None:
    import re

    for script in (STATIC_DIR / "js").glob("*.js"):
        for imported in re.findall(r'from "\./([a-z-]+\.js)"', script.read_text()):
            assert (STATIC_DIR / "js" / imported).exists(), f"{script.name} imports a missing {imported}"


def test_the_json_api_keeps_its_paths_next_to_the_pages(web_server: Server) -> None:
    catalogue = web_server.client.get("/auctions")
    assert catalogue.status_code == 200
    assert catalogue.headers["content-type"].startswith("application/json")
    assert "auctions" in catalogue.json()
    missing = web_server.client.get("/app/static/js/no-such-file.js")
    assert missing.status_code == 404


def test_mounting_the_pages_twice_changes_nothing() -> None:
    app = FastAPI()
    assert not is_mounted(app)
    mount_web(app)
    routes = [getattr(route, "path", None) for route in app.router.routes]
    mount_web(app)
    assert [getattr(route, "path", None) for route in app.router.routes] == routes
    assert is_mounted(app)
    for path in PAGES:
        assert path in routes
