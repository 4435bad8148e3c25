"""Harvest databases made from feed items, as ``auction harvest`` applies them, and the JSON-LD
data blocks of a served page."""

from __future__ import annotations

import html.parser
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from api.harvest import apply_items, connect, transaction


@dataclass
class Lot:
    """One harvested lot, as the feed's ``scheduled`` item gives it and its last change leaves it."""

    source: str
    auction: str
    country: str
    title: str
    starting_price: str
    opens_at: str
    closes_at: str
    currency: str = "EUR"
    asset: str = "immovable"
    status: str = "scheduled"
    price: str | None = None
    description: str | None = None
    location: dict[str, str] | None = None

    def lot(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.auction,
            "country": self.country,
            "title": self.title,
            "asset": self.asset,
            "value": self.starting_price,
            "currency": self.currency,
            "starting_price": self.starting_price,
            "status": "scheduled",
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "price": None,
        }
        if self.description is not None:
            found["description"] = self.description
        if self.location is not None:
            found["location"] = self.location
        return found

    def items(self, position: int) -> list[dict[str, Any]]:
        """Its ``scheduled`` item at ``position`` and, when it has moved on, a change after it."""
        state = {"status": "scheduled", "price": None, "leader": None, "closes_at": self.closes_at, "ended": False}
        found = [
            {
                "position": position,
                "auction": self.auction,
                "version": 1,
                "type": "scheduled",
                "lot": self.lot(),
                "change": state,
            }
        ]
        if self.status != "scheduled" or self.price is not None:
            change = {**state, "status": self.status, "price": self.price, "leader": "B-1" if self.price else None}
            found.append(
                {"position": position + 1, "auction": self.auction, "version": 2, "type": "bid", "change": change}
            )
        return found


def apply_lots(conn: sqlite3.Connection, lots: list[Lot]) -> None:
    """Apply the lots' items, each source's in one transaction with its checkpoint, as a harvest does."""
    for source in sorted({lot.source for lot in lots}):
        row = conn.execute("SELECT after FROM sources WHERE url = ?", (source,)).fetchone()
        after = 0 if row is None else int(row["after"])
        items: list[dict[str, Any]] = []
        for lot in (lot for lot in lots if lot.source == source):
            items += lot.items(after + len(items) + 1)
        with transaction(conn):
            applied, last = apply_items(conn, source, after, items)
            conn.execute(
                """INSERT INTO sources (url, after, items, harvested_at) VALUES (?, ?, ?, 1800000000.0)
                   ON CONFLICT (url) DO UPDATE SET after = excluded.after, items = sources.items + excluded.items""",
                (source, last, applied),
            )


def harvest_file(path: Path, lots: list[Lot]) -> Path:
    """A harvest database at ``path`` holding ``lots``."""
    conn = connect(str(path))
    try:
        apply_lots(conn, lots)
    finally:
        conn.close()
    return path


class _DataBlocks(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._inside = dict(attrs).get("type") == "application/ld+json"
            if self._inside:
                self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.blocks[-1] += data


def jsonld_blocks(page: str) -> list[Any]:
    """The JSON of every ``<script type="application/ld+json">`` of an HTML page, as a browser reads it."""
    parser = _DataBlocks()
    parser.feed(page)
    parser.close()
    return [orjson.loads(block) for block in parser.blocks]


DATA_TYPES = ("application/ld+json", "application/json")


def only_own_scripts(page: str) -> list[str | None]:
    """The types of the page's scripts, checked to be the page's own modules (each from a file) or data
    blocks, which never run: no script written into the page can run."""
    found = scripts(page)
    for script in found:
        if script.get("type") == "module":
            assert (script.get("src") or "").startswith("/app/static/js/"), script
        else:
            assert script.get("type") in DATA_TYPES and "src" not in script, script
    return [script.get("type") for script in found]


def scripts(page: str) -> list[dict[str, str | None]]:
    """The attributes of every ``<script>`` of an HTML page."""
    parser = _DataBlocks()
    parser.feed(page)
    parser.close()
    return parser.scripts
