"""Servers a fault test can break: a PostgreSQL cluster of its own, and a small filesystem it can fill.

The suite's shared PostgreSQL (``AUCTION_TEST_POSTGRES_URL``) must not be stopped under
the other tests, so a test that restarts the database makes its own cluster with the
binaries ``AUCTION_TEST_PG_BIN`` names (``scripts/servers.sh`` exports it), in a
directory of its own, on a free port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import free_port

PG_BIN_ENV = "AUCTION_TEST_PG_BIN"


def required(reason: str) -> None:
    """Skip for ``reason`` locally; in CI, where everything needed is there, fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the fault tests (use scripts/test.sh as root)", pytrace=False)
    pytest.skip(reason)


class PostgresCluster:
    """``initdb`` + ``pg_ctl`` in a temporary directory: a server the test may stop and start again
    on the same port and data. As root, PostgreSQL runs as the ``postgres`` user (it refuses root)."""

    def __init__(self) -> None:
        binaries = os.environ.get(PG_BIN_ENV)
        if not binaries or not (Path(binaries) / "pg_ctl").exists():
            required(f"{PG_BIN_ENV} does not name a directory with pg_ctl and initdb")
        self.bin = Path(str(binaries))
        self.as_root = os.geteuid() == 0
        if self.as_root and shutil.which("runuser") is None:
            required("running as root without runuser: cannot start PostgreSQL as another user")
        self.directory = Path(tempfile.mkdtemp(prefix="auction-fault-pg."))
        self.directory.chmod(0o755)
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if self.as_root:
            shutil.chown(self.directory, "postgres")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        done = subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stdout}{done.stderr}{tail}")

    def init(self) -> PostgresCluster:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> PostgresCluster:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.directory}"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "server.log"), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected, a clean shutdown; ``immediate``: as a crash."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            with contextlib.suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().init()
    try:
        yield cluster.start()
    finally:
        cluster.remove()


@contextlib.contextmanager
def small_filesystem(size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on a fresh directory (needs root), unmounted afterwards."""
    if os.geteuid() != 0:
        required("mounting a small tmpfs needs root")
    directory = Path(tempfile.mkdtemp(prefix="auction-fault-fs."))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        directory.rmdir()
        required(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)
