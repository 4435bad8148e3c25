"""Server processes under measurement, and what /proc tells about them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from api.ratelimit import LOAD_TEST_ENVIRONMENT

SECRET = "benchmark-secret-long-enough-for-hs256-signatures-0123456789"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``auction serve`` as an operator runs it (SQLite or PostgreSQL, optionally Redis)."""

    def __init__(
        self, database_url: str, directory: Path, redis_url: str | None = None, launcher: list[str] | None = None
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.directory = directory
        self.launcher = launcher  # instead of the ``auction`` script, e.g. [python, a variant's script]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = {**os.environ, **LOAD_TEST_ENVIRONMENT, "AUCTION_SECRET": SECRET}  # a few addresses, many bids
        for name in ("AUCTION_DATABASE_URL", "AUCTION_REDIS_URL", "AUCTION_HOST", "AUCTION_PORT"):
            env.pop(name, None)
        script = Path(sys.executable).with_name("auction")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
        if self.launcher is not None:
            command = list(self.launcher)
        command += ["serve", "--port", str(self.port), "--database", self.database_url]
        if self.redis_url:
            command += ["--redis", self.redis_url]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=self.directory, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
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

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE


def postgres_pids(port: int) -> list[int]:
    """The PostgreSQL server listening on ``port``: its postmaster and every child (backends, WAL writer...)."""
    parents: dict[int, int] = {}
    postmaster = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            pid = int(entry.name)
            status = (entry / "status").read_text()
            parents[pid] = int(status.split("PPid:")[1].split()[0])
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
        if b"-p" in arguments and arguments[arguments.index(b"-p") + 1] == str(port).encode():
            postmaster = pid
    if postmaster is None:
        return []
    return [postmaster] + [pid for pid, parent in parents.items() if parent == postmaster]


def total_cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def create_database(server_url: str, prefix: str = "auction_bench") -> str:
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def drop_database(server_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
