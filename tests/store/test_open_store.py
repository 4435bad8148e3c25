from __future__ import annotations

from pathlib import Path

import pytest

from engine.store import open_store, sqlite_path
from engine.store.memory import MemoryEventStore
from engine.store.sqlite import SqliteEventStore


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///auction.db", "auction.db"),
        ("sqlite:///data/auction.db", "data/auction.db"),
        ("sqlite:////var/lib/auction.db", "/var/lib/auction.db"),
        ("/var/lib/auction.db", "/var/lib/auction.db"),
        ("auction.db", "auction.db"),
        ("postgresql://localhost/auction", None),
        ("memory:", None),
    ],
)
def test_sqlite_urls_and_plain_paths_name_a_file(url: str, path: str | None) -> None:
    assert sqlite_path(url) == path


async def test_memory_url_opens_a_fresh_memory_store() -> None:
    store = await open_store("memory:")
    try:
        assert isinstance(store, MemoryEventStore)
        assert await store.head() == 0
    finally:
        await store.close()


async def test_a_relative_sqlite_url_opens_a_file_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await open_store("sqlite:///events.db")
    try:
        assert isinstance(store, SqliteEventStore)
    finally:
        await store.close()

    assert (tmp_path / "events.db").exists()


async def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        await open_store("mysql://localhost/auction")
