"""A real ``auction serve`` process on a free loopback port, and fresh PostgreSQL databases."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.auth import issue_token
from tests.store.support import fresh_postgres_database, postgres_server_url  # noqa: F401 (re-exported)

SECRET = "e2e-secret-long-enough-for-hs256-signatures-0123456789"
POSTGRES_URL_ENV = "AUCTION_TEST_POSTGRES_URL"
REDIS_URL_ENV = "AUCTION_TEST_REDIS_URL"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


def auth(role: str, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role, subject)}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def auction_command() -> list[str]:
    script = Path(sys.executable).with_name("auction")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


class Server:
    """``auction serve --port P --database URL`` with ``AUCTION_SECRET`` set, as an operator runs it."""

    def __init__(self, database_url: str, directory: Path, redis_url: str | None = None) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log = directory / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        env = {**os.environ, "AUCTION_SECRET": SECRET}
        for name in ("AUCTION_DATABASE_URL", "AUCTION_REDIS_URL", "AUCTION_HOST", "AUCTION_PORT"):
            env.pop(name, None)
        command = auction_command() + ["serve", "--port", str(self.port), "--database", self.database_url]
        if self.redis_url is not None:
            command += ["--redis", self.redis_url]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=self.directory, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM); returns the exit code (uvicorn re-raises the signal once it has
        shut down cleanly, so a graceful stop ends with -SIGTERM)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"the server did not stop on SIGTERM:\n{self.log.read_text()}") from None

    def server_errors(self) -> list[str]:
        return [
            line for line in self.log.read_text(errors="replace").splitlines() if "Traceback" in line or " 500 " in line
        ]


def redis_server_url() -> str:
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REDIS_URL_ENV} is not set: CI must run the Redis end-to-end tests", pytrace=False)
        pytest.skip(f"{REDIS_URL_ENV} is not set")
    return url


async def eventually(check: object, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Poll the coroutine function ``check`` until it returns true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)
