"""Every file the server makes is private (0600) from the moment it exists, whatever the umask:
the SQLite database and its -wal and -shm, the identity keys file and its own, the signed head
file, the local token secret and receipt key (docs/keys.md, "Files private from the start")."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings, write_once
from engine.store import open_store
from tests.api.support import swedish_auction, utc_now

EXPECTED = {
    "auction.sqlite3",
    "auction.sqlite3-wal",
    "auction.sqlite3-shm",
    "auction.sqlite3.keys",
    "auction.sqlite3.keys-wal",
    "auction.sqlite3.keys-shm",
    "auction.sqlite3.head.json",
    ".auction-secret",
    ".auction-receipt-key",
}


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir() if p.is_file()}


@pytest.fixture
def fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and the server's defaults: no secret, key, database or head given."""
    monkeypatch.chdir(tmp_path)
    for name in ("SECRET", "RECEIPT_KEY", "DATABASE_URL", "KEYS_DATABASE_URL", "HEAD_FILE"):
        monkeypatch.delenv(f"AUCTION_{name}", raising=False)
    return tmp_path


async def test_every_file_the_server_makes_in_a_fresh_directory_is_0600(fresh_directory: Path) -> None:
    with umask(0o022):
        app = create_app(Settings())
        async with app.router.lifespan_context(app):
            secret = (fresh_directory / ".auction-secret").read_text().strip()
            bailiff = {"Authorization": f"Bearer {issue_token(secret, 'bailiff', 'bailiff-1')}"}
            bidder = {"Authorization": f"Bearer {issue_token(secret, 'bidder', 'alice@example.test')}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://auction.test") as client:
                scheduled = await client.post("/auctions", json=swedish_auction(utc_now()), headers=bailiff)
                assert scheduled.status_code == 201, scheduled.text
                auction = scheduled.json()["id"]
                registered = await client.post(f"/auctions/{auction}/registrations", headers=bidder)
                assert registered.status_code in (200, 201), registered.text
                bid = await client.post(f"/auctions/{auction}/bids", json={"amount": "1000.00"}, headers=bidder)
                assert bid.status_code == 201, bid.text
            running = modes(fresh_directory)
        stopped = modes(fresh_directory)

    assert EXPECTED <= set(running), f"the server made {sorted(running)}"
    assert {name: mode for name, mode in running.items() if mode != 0o600} == {}
    assert {name: mode for name, mode in stopped.items() if mode != 0o600} == {}


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
async def test_the_store_makes_its_files_0600_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    with umask(mask):
        store = await open_store(str(tmp_path / "log.db"))
        try:
            await store.keep_subject_key("owner", "key", b"\x01" * 32)
            made = modes(tmp_path)
        finally:
            await store.close()

    assert set(made) == {"log.db", "log.db-wal", "log.db-shm", "log.db.keys", "log.db.keys-wal", "log.db.keys-shm"}
    assert set(made.values()) == {0o600}


def test_a_secret_file_is_never_readable_by_others_not_even_before_a_chmod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_chmod = Path.chmod

    def watched_chmod(self: Path, mode: int, **kwargs: object) -> None:
        seen.append(stat.S_IMODE(self.stat().st_mode))  # the mode the file had until now
        real_chmod(self, mode)

    monkeypatch.setattr(Path, "chmod", watched_chmod)
    with umask(0o000):
        assert write_once(tmp_path / ".auction-secret", "s3cret\n") == "s3cret\n"

    assert all(mode == 0o600 for mode in seen), f"the file was {[oct(m) for m in seen]} before a chmod"
    assert modes(tmp_path) == {".auction-secret": 0o600}, "the temporary file is gone, the secret is 0600"
