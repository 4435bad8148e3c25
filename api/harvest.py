"""``auction harvest``: follows the open-data feeds (``GET /feed``) of several engines and builds one
cross-border catalogue in a SQLite file of its own.

For each source it keeps a checkpoint, the last global position applied, and the
ETag of the head page it last read. A harvest asks for the page after the
checkpoint, follows ``next`` while pages are complete, and applies each page in
one transaction together with the new checkpoint: stopped at any moment, it
resumes where the last committed page ended, and applying a page twice changes
nothing (a lot is keyed by its source and its auction, and a change is applied
only over an older one). An amendment of a lot's details (an ``amended`` item) updates
its description and location. The head page is asked for with ``If-None-Match``: a
304 means nothing new.

The catalogue keeps per lot its country, asset kind, title, description,
location, prices in the source's currency (value, starting price, the current
or final price), dates (opening, deadline) and status; :func:`search_page` filters
on them, and ``auction serve --harvest FILE`` (``api.harvest_app``) serves that search
read-only.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import httpx
import orjson

DEFAULT_LIMIT = 100
TIMEOUT = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    url TEXT PRIMARY KEY,
    after INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    etag_after INTEGER,
    items INTEGER NOT NULL DEFAULT 0,
    harvested_at REAL
);
CREATE TABLE IF NOT EXISTS lots (
    source TEXT NOT NULL,
    auction TEXT NOT NULL,
    country TEXT NOT NULL,
    asset TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    address TEXT,
    municipality TEXT,
    region TEXT,
    currency TEXT NOT NULL,
    value TEXT,
    starting_price TEXT,
    price TEXT,
    price_cents INTEGER,
    status TEXT,
    opens_at TEXT,
    closes_at TEXT,
    leader TEXT,
    sale TEXT,
    ended INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL,
    lot TEXT NOT NULL,
    place_key TEXT,
    text_key TEXT,
    PRIMARY KEY (source, auction)
);
CREATE INDEX IF NOT EXISTS lots_country ON lots (country, asset);
-- The search's order (api.harvest.SORT_KEY): a page is read in order and stops at its limit,
-- within a country too.
CREATE INDEX IF NOT EXISTS lots_deadline ON lots (COALESCE(closes_at, '~'), source, auction);
CREATE INDEX IF NOT EXISTS lots_country_deadline ON lots (country, COALESCE(closes_at, '~'), source, auction);
-- What counting the matches reads instead of the table: a currency's prices (the places: lots_place).
CREATE INDEX IF NOT EXISTS lots_price ON lots (currency, price_cents);
"""


class HarvestError(Exception):
    """A source could not be read (unreachable, an error answer, not a feed)."""


def cents(amount: object) -> int | None:
    if not isinstance(amount, str):
        return None
    try:
        return int(Decimal(amount) * 100)
    except InvalidOperation:
        return None


# What a text search reads, folded once when a lot is harvested (Python's casefold: SQLite's own
# LIKE and lower fold ASCII only): the place (address, municipality, region) and the words (title,
# description), each field apart from the next by a character no one types, so no match spans two.
SEARCH_KEYS = {"place_key": ("address", "municipality", "region"), "text_key": ("title", "description")}
_APART = "\x1f"


def search_key(*fields: object) -> str:
    return _APART.join(field if isinstance(field, str) else "" for field in fields).casefold()


def _fold(text: str | None) -> str | None:
    """:func:`search_key` in SQL, for lots harvested before the keys were kept."""
    return None if text is None else str(text).casefold()


def connect(database: str) -> sqlite3.Connection:
    conn = sqlite3.connect(database, isolation_level=None)  # transactions are explicit
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    conn.create_function("fold", 1, _fold, deterministic=True)
    _add_search_keys(conn)
    conn.execute("CREATE INDEX IF NOT EXISTS lots_place ON lots (place_key)")  # counting by place reads it alone
    return conn


def _add_search_keys(conn: sqlite3.Connection) -> None:
    """A catalogue harvested before the search keys were kept gets them, from the lots it holds."""
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(lots)")}
    missing = [key for key in SEARCH_KEYS if key not in columns]
    if not missing:
        return
    with transaction(conn):
        for key in missing:
            conn.execute(f"ALTER TABLE lots ADD COLUMN {key} TEXT")
            joined = " || char(31) || ".join(f"COALESCE({field}, '')" for field in SEARCH_KEYS[key])
            conn.execute(f"UPDATE lots SET {key} = fold({joined})")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass
class Progress:
    source: str
    after: int
    pages: int = 0
    items: int = 0
    not_modified: int = 0

    def json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "after": self.after,
            "pages": self.pages,
            "items": self.items,
            "not_modified": self.not_modified,
        }


def _apply_lot(conn: sqlite3.Connection, source: str, item: dict[str, Any]) -> None:
    lot = item["lot"]
    location = lot.get("location") if isinstance(lot.get("location"), dict) else {}
    conn.execute(
        """INSERT INTO lots (source, auction, country, asset, title, description, address, municipality, region,
               currency, value, starting_price, price, price_cents, status, opens_at, closes_at, position, lot,
               place_key, text_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source, auction) DO NOTHING""",
        (
            source,
            item["auction"],
            lot["country"],
            lot["asset"],
            lot["title"],
            lot.get("description"),
            location.get("address"),
            location.get("municipality"),
            location.get("region"),
            lot["currency"],
            lot["value"],
            lot["starting_price"],
            cents(lot["starting_price"]),
            lot["status"],
            lot["opens_at"],
            lot["closes_at"],
            item["position"],
            orjson.dumps(lot).decode(),
            search_key(*(location.get(field) for field in SEARCH_KEYS["place_key"])),
            search_key(*(lot.get(field) for field in SEARCH_KEYS["text_key"])),
        ),
    )


def _apply_change(conn: sqlite3.Connection, source: str, item: dict[str, Any]) -> None:
    change = item["change"]
    price = change.get("price")
    conn.execute(
        """UPDATE lots SET status = ?, price = ?, price_cents = COALESCE(?, price_cents),
               closes_at = COALESCE(?, closes_at), leader = ?, sale = ?, ended = ?, position = ?
           WHERE source = ? AND auction = ? AND position < ?""",
        (
            change.get("status"),
            price,
            cents(price),
            change.get("closes_at"),
            change.get("leader"),
            change.get("sale"),
            1 if change.get("ended") else 0,
            item["position"],
            source,
            item["auction"],
            item["position"],
        ),
    )


def _apply_details(conn: sqlite3.Connection, source: str, item: dict[str, Any]) -> None:
    """An ``amended`` item: the new value of each detail it changed (``location`` whole, null when
    cleared) goes into the lot, and the search keys are made again; over an older change only."""
    details = item["details"]
    if not isinstance(details, dict):
        return
    row = conn.execute(
        "SELECT lot FROM lots WHERE source = ? AND auction = ? AND position < ?",
        (source, item["auction"], item["position"]),
    ).fetchone()
    if row is None:
        return
    lot = {**orjson.loads(row["lot"]), **details}
    found = lot.get("location")
    location: dict[str, Any] = found if isinstance(found, dict) else {}
    conn.execute(
        """UPDATE lots SET description = ?, address = ?, municipality = ?, region = ?, lot = ?,
               place_key = ?, text_key = ?
           WHERE source = ? AND auction = ?""",
        (
            lot.get("description"),
            location.get("address"),
            location.get("municipality"),
            location.get("region"),
            orjson.dumps(lot).decode(),
            search_key(*(location.get(field) for field in SEARCH_KEYS["place_key"])),
            search_key(*(lot.get(field) for field in SEARCH_KEYS["text_key"])),
            source,
            item["auction"],
        ),
    )


def apply_items(conn: sqlite3.Connection, source: str, after: int, items: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Apply a page's items past ``after`` (inside the caller's transaction); returns (applied, last position)."""
    applied, last = 0, after
    for item in items:
        position = int(item["position"])
        if position <= after:
            continue
        if "lot" in item:
            _apply_lot(conn, source, item)
        if "details" in item:
            _apply_details(conn, source, item)
        _apply_change(conn, source, item)
        applied += 1
        last = max(last, position)
    return applied, last


class Harvester:
    def __init__(self, database: str, client: httpx.Client | None = None, limit: int = DEFAULT_LIMIT) -> None:
        self.conn = connect(database)
        self.client = client if client is not None else httpx.Client(timeout=TIMEOUT)
        self._own_client = client is None
        self.limit = limit

    def close(self) -> None:
        self.conn.close()
        if self._own_client:
            self.client.close()

    def __enter__(self) -> Harvester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def checkpoint(self, source: str) -> tuple[int, str | None, int]:
        """The last position applied, and the head page last read: its ETag and where it started."""
        row = self.conn.execute("SELECT after, etag, etag_after FROM sources WHERE url = ?", (source,)).fetchone()
        if row is None:
            return 0, None, 0
        after = int(row["after"])
        return after, row["etag"], after if row["etag_after"] is None else int(row["etag_after"])

    def _get(self, url: str, etag: str | None) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = self.client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise HarvestError(f"{url}: {exc}") from None
        if response.status_code not in (200, 304):
            raise HarvestError(f"{url}: HTTP {response.status_code}")
        return response

    def harvest(self, source: str) -> Progress:
        """Read ``source``'s feed from its checkpoint to its head page."""
        source = source.rstrip("/")
        after, etag, start = self.checkpoint(source)
        progress = Progress(source, after)
        # The head page is asked for again from where it started, so that its ETag still applies.
        url = urljoin(source + "/", f"feed?after={start if etag else after}&limit={self.limit}")
        start = start if etag else after
        while True:
            response = self._get(url, etag)
            if response.status_code == 304:
                progress.not_modified += 1
                break
            try:
                page = orjson.loads(response.content)
                items = page["items"]
                complete = bool(page["complete"])
                end = int(page["to"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                raise HarvestError(f"{url}: not a feed page") from None
            with transaction(self.conn):
                applied, last = apply_items(self.conn, source, after, items)
                after = max(last, end) if complete else last
                kept = None if complete else response.headers.get("etag")
                self.conn.execute(
                    """INSERT INTO sources (url, after, etag, etag_after, items, harvested_at) VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (url) DO UPDATE SET after = excluded.after, etag = excluded.etag,
                           etag_after = excluded.etag_after, items = sources.items + excluded.items,
                           harvested_at = excluded.harvested_at""",
                    (source, after, kept, None if kept is None else start, applied, time.time()),
                )
            progress.pages += 1
            progress.items += applied
            progress.after = after
            if not complete:
                break
            etag, start = None, end
            url = urljoin(source + "/", page["links"]["next"].lstrip("/"))
        return progress


# Page sizes of :func:`search_page` (``GET /auctions`` of ``auction serve --harvest``).
PAGE_DEFAULT = 20
PAGE_MAX = 100
# The search's order, soonest deadline first; lots without one after every other (any digit sorts
# before "~"). The same expression as the index lots_deadline, so that SQLite reads pages from it.
SORT_KEY = "COALESCE(closes_at, '~')"


class NotAHarvest(HarvestError):
    """The file is missing or is not a catalogue ``auction harvest`` made."""


def connect_readonly(database: str) -> sqlite3.Connection:
    """The harvest database opened for reading only (a harvester may be writing it at the same time:
    its readers see each committed page whole)."""
    path = Path(database)
    if not path.is_file():
        raise NotAHarvest(f"{database}: no such file")
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotAHarvest(f"{database}: not a harvest database ({exc})") from None
    if not {"lots", "sources"} <= tables:
        conn.close()
        raise NotAHarvest(f"{database}: not a harvest database (no lots and sources tables)")
    if not set(SEARCH_KEYS) <= {row["name"] for row in conn.execute("PRAGMA table_info(lots)")}:
        conn.close()
        raise NotAHarvest(f"{database}: made by an older auction harvest; run auction harvest on it once to update it")
    return conn


@dataclass(frozen=True)
class Filters:
    """What a search asks for; every field left ``None`` (or empty) matches every lot.

    Prices are decimal strings compared in each lot's own currency (its current price, else its
    starting price), never converted; instants are RFC 3339 in UTC as :func:`engine.model.format_instant`
    writes them (the feed's form), so that they compare as text; ``location`` is text found in the
    address, the municipality or the region, ``q`` in the title or the description (both ignoring case)."""

    countries: tuple[str, ...] = ()
    asset: str | None = None
    status: str | None = None
    currency: str | None = None
    min_price: str | None = None
    max_price: str | None = None
    opens_from: str | None = None
    opens_until: str | None = None
    closes_from: str | None = None
    closes_until: str | None = None
    location: str | None = None
    q: str | None = None


def _where(filters: Filters, ordered: bool = False) -> tuple[list[str], list[object]]:
    """The conditions of ``filters``. Counting, SQLite picks the index that narrows most (a country,
    a currency's price range, the deadlines; the place read from its own index). ``ordered``, for a
    page: only a single country and the deadlines may choose the index (the unary ``+`` keeps SQLite
    off the others), so that the page is read in its order from lots_deadline or
    lots_country_deadline and stops at its limit instead of sorting every match."""
    plain = "+" if ordered else ""
    where: list[str] = []
    args: list[object] = []
    if len(filters.countries) == 1:
        where.append("country = ?")
        args.append(filters.countries[0].upper())
    elif filters.countries:
        where.append(f"+country IN ({', '.join('?' * len(filters.countries))})")
        args += [code.upper() for code in filters.countries]
    for column, value in (("asset", filters.asset), ("status", filters.status), ("currency", filters.currency)):
        if value is not None:
            where.append(f"{plain}{column} = ?")
            args.append(value.upper() if column == "currency" else value)
    for condition, amount in (("price_cents >= ?", filters.min_price), ("price_cents <= ?", filters.max_price)):
        if amount is not None:
            where.append(plain + condition)
            args.append(cents(amount))
    for condition, instant in (
        ("opens_at >= ?", filters.opens_from),
        ("opens_at <= ?", filters.opens_until),
        # on the sort key, so that the index lots_deadline finds the range ("~" is after any date)
        (f"{SORT_KEY} >= ? AND {SORT_KEY} < '~'", filters.closes_from),
        (f"{SORT_KEY} <= ?", filters.closes_until),
    ):
        if instant is not None:
            where.append(condition)
            args.append(instant)
    for key, text in (("place_key", filters.location), ("text_key", filters.q)):
        if text:
            where.append(f"instr({plain}{key}, ?) > 0")
            args.append(text.replace(_APART, " ").casefold())
    return where, args


def lot_json(row: sqlite3.Row) -> dict[str, Any]:
    """A harvested lot as ``GET /auctions`` of the harvest server shows it: ``url`` is its page on the
    engine it came from (where to bid), every amount in the lot's own ``currency``."""
    return {
        "source": row["source"],
        "auction": row["auction"],
        "url": f"{row['source']}/app/auction/{row['auction']}",
        "country": row["country"],
        "asset": row["asset"],
        "title": row["title"],
        "description": row["description"],
        "location": {"address": row["address"], "municipality": row["municipality"], "region": row["region"]},
        "currency": row["currency"],
        "value": row["value"],
        "starting_price": row["starting_price"],
        "price": row["price"],
        "status": row["status"],
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "leader": row["leader"],
        "sale": row["sale"],
        "ended": bool(row["ended"]),
    }


# What lot_json reads (not the lot as the feed gave it, kept whole in the column lot).
LOT_COLUMNS = (
    "source, auction, country, asset, title, description, address, municipality, region, currency, value, "
    "starting_price, price, status, opens_at, closes_at, leader, sale, ended"
)


@dataclass(frozen=True)
class Page:
    lots: list[dict[str, Any]]
    total: int
    cursor: str | None  # where the next page starts; None on the last page


def encode_cursor(key: tuple[str, str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, str]:
    """The sort key a cursor names; ``ValueError`` when it is not one :func:`search_page` gave."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise ValueError("not a cursor this server gave") from None
    if not (isinstance(key, list) and len(key) == 3 and all(isinstance(part, str) for part in key)):
        raise ValueError("not a cursor this server gave")
    return key[0], key[1], key[2]


def search_page(
    conn: sqlite3.Connection, filters: Filters, limit: int | None = PAGE_DEFAULT, cursor: str | None = None
) -> Page:
    """The lots matching ``filters``, soonest deadline first (then by source and auction): at most ``limit``
    after ``cursor``, with how many match in all. ``limit=None``: every one."""
    where, args = _where(filters)
    matching = " WHERE " + " AND ".join(where) if where else ""
    total = int(conn.execute("SELECT count(*) FROM lots" + matching, args).fetchone()[0])
    where, args = _where(filters, ordered=True)
    key = SORT_KEY
    if cursor is not None:
        after = decode_cursor(cursor)
        # The first condition is implied by the second, but SQLite seeks an index with it only.
        where.append(f"{key} >= ? AND ({key}, source, auction) > (?, ?, ?)")
        args += [after[0], *after]
    sql = f"SELECT {LOT_COLUMNS}, {key} AS sort_key FROM lots" + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY {key}, source, auction"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit + 1)
    rows = conn.execute(sql, args).fetchall()
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    last = rows[-1] if more and rows else None
    return Page(
        [lot_json(row) for row in rows],
        total,
        None if last is None else encode_cursor((last["sort_key"], last["source"], last["auction"])),
    )


def search(
    conn: sqlite3.Connection,
    *,
    country: str | None = None,
    asset: str | None = None,
    status: str | None = None,
    currency: str | None = None,
    min_price: str | None = None,
    max_price: str | None = None,
    opens_from: str | None = None,
    closes_until: str | None = None,
    q: str | None = None,
) -> list[dict[str, Any]]:
    """Every harvested lot matching every filter given, soonest closing first (:class:`Filters`
    says how each compares)."""
    filters = Filters(
        countries=(country,) if country else (),
        asset=asset,
        status=status,
        currency=currency,
        min_price=min_price,
        max_price=max_price,
        opens_from=opens_from,
        closes_until=closes_until,
        q=q,
    )
    return search_page(conn, filters, limit=None).lots


def run(
    sources: list[str],
    database: str,
    limit: int = DEFAULT_LIMIT,
    follow: bool = False,
    interval: float = 30.0,
    report: Any = None,
) -> int:
    """Harvest every source once (or, with ``follow``, every ``interval`` seconds until stopped);
    ``report`` gets one JSON-ready line per source and pass. Returns how many sources failed in the last pass."""
    with Harvester(database, limit=limit) as harvester:
        while True:
            failed = 0
            for source in sources:
                try:
                    line = harvester.harvest(source).json()
                except HarvestError as exc:
                    failed += 1
                    line = {"source": source.rstrip("/"), "error": str(exc)}
                if report is not None:
                    report(line)
            total = harvester.conn.execute("SELECT count(*) FROM lots").fetchone()[0]
            if report is not None:
                report({"lots": total, "failed": failed})
            if not follow:
                return failed
            time.sleep(interval)
