"""Fixtures for the web pages: a real server, Debian's Chromium driven by Playwright, screenshots.

The server is ``auction serve`` in a subprocess when the application mounts the pages
by itself; otherwise the same application with :func:`api.web.mount_web` runs under
uvicorn in a thread. Browser tests are skipped when ``/usr/bin/chromium`` or the
``playwright`` package is missing, unless ``CI`` is ``true`` (then they fail).
Screenshots go to ``$AUCTION_TEST_ARTIFACTS`` (default ``test-artifacts/screenshots``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ProcessServer,
    Server,
    ThreadServer,
    app_mounts_pages,
    token,
)

SCREENSHOTS = pytest.StashKey[list[Path]]()
SERVER_MODE = pytest.StashKey[str]()
DEFAULT_ARTIFACTS = "test-artifacts/screenshots"


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install 'playwright>=1.40')"
    return None


def require_browser() -> None:
    reason = _missing_browser()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("web-server")
    runner: ProcessServer | ThreadServer
    if app_mounts_pages(f"sqlite:///{directory / 'probe.sqlite3'}"):
        runner = ProcessServer(directory)
        mode = "process"
    else:
        runner = ThreadServer(directory)
        mode = "thread"
    server = Server(runner.url, mode)
    pytestconfig.stash[SERVER_MODE] = mode
    try:
        yield server
    finally:
        server.close()
        runner.stop()


@pytest.fixture(scope="session")
def artifacts(pytestconfig: pytest.Config) -> Path:
    folder = Path(os.environ.get("AUCTION_TEST_ARTIFACTS") or DEFAULT_ARTIFACTS)
    if not folder.is_absolute():
        folder = pytestconfig.rootpath / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(artifacts: Path, pytestconfig: pytest.Config) -> Callable[..., Path]:
    """shot(page, name, full_page=True): save a screenshot as ``<artifacts>/<name>.png``."""

    def save(page: Any, name: str, full_page: bool = True) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        pytestconfig.stash.setdefault(SCREENSHOTS, []).append(path)
        return path

    return save


# Package scope, not session: while Playwright's sync API runs it keeps its own event
# loop set as the running loop of the main thread, and asyncio tests collected after
# this package (pytest tests/web tests/crash) would then fail to start theirs.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


# Put the token in localStorage once per tab (a reload after signing out must not bring it back).
SEED_TOKEN = """
(() => {
  if (sessionStorage.getItem("test-seeded")) return;
  sessionStorage.setItem("test-seeded", "1");
  localStorage.setItem("auction.token", %s);
})();
"""

PageOpener = Callable[..., Any]


@pytest.fixture
def open_page(browser: Any, web_server: Server) -> Iterator[PageOpener]:
    """open_page(path, role=None, subject=None, viewport=None, init_script=None) -> a Page in a fresh context.

    Every page's uncaught script errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(
        path: str,
        role: str | None = None,
        subject: str | None = None,
        *,
        viewport: dict[str, int] | None = None,
        init_script: str | None = None,
    ) -> Any:
        context = browser.new_context(
            base_url=web_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            locale="en-GB",
            timezone_id="America/New_York",  # far from every auction's zone: pages must show the country's time
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        if role is not None:
            assert subject is not None
            context.add_init_script(SEED_TOKEN % json.dumps(token(role, subject)))
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{path}: {error}"))
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the pages: {errors}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    mode = config.stash.get(SERVER_MODE, None)
    if mode is not None:
        if mode == "process":
            how = "`auction serve` in a subprocess"
        else:
            how = "the app with mount_web() under uvicorn in a thread"
        terminalreporter.write_line(f"web pages were tested against {how}")
    saved = config.stash.get(SCREENSHOTS, [])
    if saved:
        folder = saved[0].parent
        terminalreporter.write_line(f"web page screenshots ({len(saved)}): {folder}")
