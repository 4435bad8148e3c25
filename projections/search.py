"""The catalogue's search: a projection into the log's own database, searched with its full-text index.

``GET /auctions?q=…`` finds lots by the words of their title, description, location
(address, municipality, region), case reference and court, combined with filters
(country, asset kind, lot kind, status, starting price, closing time, region,
municipality, area, rooms) and sorted by a key a cursor can page on. The rows live
in the same database as the log (tables ``search_lots`` and ``search_checkpoint``,
made by this module when missing), so that a search is one indexed query of that
database: SQLite's FTS5 beside the SQLite log, a ``tsvector`` with a GIN index beside
the PostgreSQL one (the ``memory:`` store gets a SQLite database in memory).

- **Words.** A text is folded in Python before either database sees it: case folded,
  diacritics taken off (NFKD), cut into runs of letters and digits. Both databases
  index the same words, and a query is those words, each matching the words that begin
  with it, all of them required: ``"*:-NEAR OR`` is the words ``near`` and ``or``, never
  an operator, and a query without a word filters nothing. PostgreSQL's configuration
  is ``simple`` (no stemming, no stop words): the lots are written in ten languages, most
  of which PostgreSQL has no stemmer for, one configuration for all keeps the two
  databases finding the same lots, and the prefix match does what a stemmer would do for
  the inflected forms most searches need (``stanovanj`` finds ``stanovanje``, ``stanovanja``).
- **Sorting and paging.** Results are ordered by a key (the closing time, the scheduling
  time or the starting price) and the lot's id, and a page continues after the last
  key of the page before (a keyset cursor): a lot scheduled while someone pages never
  shifts the pages after it, so no lot is shown twice or skipped. There is no order by
  rank: a rank moves as lots arrive, which a cursor could not follow. The cursor is
  signed (HMAC-SHA256 with a key of the server's) over the key and the search it
  belongs to: a changed cursor, or one used for another search, is :class:`InvalidCursor`.
- **Prices.** The price range and the price sort read the starting price, the notice's
  figure: it is known before bidding, fixed once scheduled (so a page's order does not
  move under a bid), and the one a bidder compares lots by.
- **Catching up.** The read models (``projections.readmodel``) tell this projection which
  auctions changed (:meth:`SearchProjection.changed`, a listener of the catch-up task);
  each flush writes the rows whose searched fields changed and the checkpoint (the
  global position the rows reflect) in one transaction. At start-up the projection reads
  the log from its checkpoint to the read models' position to learn which auctions
  changed while it was not running; without its tables (a new database, or a schema of
  an earlier version) it makes them and indexes every auction. Several processes may
  write the same tables: a row is only ever replaced by a later version of its auction.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import orjson

from engine.model import Status
from engine.store.base import EventStore
from engine.streams import auction_of
from projections.catalogue import AuctionSummary
from projections.waiting import wait_event

T = TypeVar("T")
log = logging.getLogger(__name__)

SCHEMA_VERSION = 1  # a different version in the database: its tables are made again and refilled
MAX_WORDS = 16  # words in one query
MAX_LIMIT = 100  # lots in one page
DEFAULT_LIMIT = 20
# The statuses of an auction still to come or under way; the others (closed, failed, cancelled) are
# ended, and a search shows them only when asked for (``status=`` one of them, or ``include_ended``).
CURRENT = (Status.SCHEDULED.value, Status.OPEN.value, Status.SUSPENDED.value)
STATUSES = (*CURRENT, Status.CLOSED.value, Status.FAILED.value, Status.CANCELLED.value)
# sort name -> (column, descending)
SORTS: dict[str, tuple[str, bool]] = {
    "closing": ("closes_us", False),  # closing soonest: the deadline in force
    "newest": ("scheduled_us", True),  # scheduled last first
    "price_asc": ("starting_price", False),
    "price_desc": ("starting_price", True),
}
# Positions the checkpoint may lag behind while no searched field changed (bids change none): written
# then anyway, so that a restart re-reads at most that much of the log.
CHECKPOINT_LAG = 10_000

_WORD = re.compile(r"[^\W_]+")


class InvalidCursor(ValueError):
    """A cursor this server did not give for this search."""


# ------------------------------------------------------------------ words


def fold(text: str) -> str:
    """Case folded, without diacritics (``Šmarje`` → ``smarje``, ``Göteborg`` → ``goteborg``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str | None) -> list[str]:
    """The words a text is indexed and searched by: runs of letters and digits, folded."""
    return _WORD.findall(fold(text)) if text else []


def fts5_match(terms: Sequence[str]) -> str:
    """An FTS5 query for all of ``terms``, each as a prefix; each quoted, so never an operator."""
    return " ".join(f'"{term}"*' for term in terms)


def ts_query(terms: Sequence[str]) -> str:
    """A PostgreSQL ``to_tsquery`` text for all of ``terms``, each as a prefix."""
    return " & ".join(f"{term}:*" for term in terms)


# ------------------------------------------------------------------ rows


def _micros(value: datetime) -> int:
    return int((value - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)


@dataclass(frozen=True)
class LotRow:
    """What the search keeps of an auction: the fields it filters and sorts on, and its words."""

    auction_id: str
    version: int
    country: str
    asset: str
    kind: str | None
    status: str
    currency: str
    starting_price: int
    closes_us: int
    scheduled_us: int
    region: str | None
    municipality: str | None
    area_m2: float | None
    rooms: int | None
    document: str

    def searched(self) -> tuple[Any, ...]:
        """Everything but the version: a row is written again only when one of these changed."""
        return (
            self.country,
            self.asset,
            self.kind,
            self.status,
            self.currency,
            self.starting_price,
            self.closes_us,
            self.scheduled_us,
            self.region,
            self.municipality,
            self.area_m2,
            self.rooms,
            self.document,
        )

    def values(self) -> tuple[Any, ...]:
        return (self.auction_id, self.version, *self.searched())


def lot_row(summary: AuctionSummary) -> LotRow:
    details = summary.state.details
    location = details.location if details is not None else None
    facts = details.asset_details if details is not None else None
    texts: list[str | None] = [summary.title]
    if details is not None:
        texts += [details.description, details.case_reference, details.court]
    if location is not None:
        texts += [location.address, location.municipality, location.region]
    return LotRow(
        auction_id=summary.auction_id,
        version=summary.position,
        country=summary.country,
        asset=summary.asset,
        kind=facts.kind if facts is not None else None,
        status=summary.status.value,
        currency=summary.currency,
        starting_price=summary.starting_price,
        closes_us=_micros(summary.closes_at),
        scheduled_us=_micros(summary.scheduled_at),
        region=fold(location.region) if location is not None and location.region else None,
        municipality=fold(location.municipality) if location is not None and location.municipality else None,
        area_m2=facts.area_m2 if facts is not None else None,
        rooms=facts.rooms if facts is not None else None,
        document=" ".join(w for text in texts for w in words(text)),
    )


# ------------------------------------------------------------------ the search asked for


@dataclass(frozen=True)
class Search:
    """A search: the words, the filters (each ``None`` when not asked for), the order."""

    terms: tuple[str, ...] = ()
    country: str | None = None
    asset: str | None = None
    kind: str | None = None
    statuses: tuple[str, ...] = CURRENT
    currency: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    closes_after: datetime | None = None
    closes_before: datetime | None = None
    region: str | None = None
    municipality: str | None = None
    area_min: float | None = None
    area_max: float | None = None
    rooms_min: int | None = None
    sort: str = "closing"

    def digest(self) -> str:
        """What a cursor is bound to: this search, whatever page."""
        parts = [repr(getattr(self, name)) for name in self.__dataclass_fields__]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def make_search(
    q: str | None = None,
    *,
    status: str | None = None,
    include_ended: bool = False,
    region: str | None = None,
    municipality: str | None = None,
    sort: str | None = None,
    **filters: Any,
) -> Search:
    """A :class:`Search` from what a request gave; ``ValueError`` naming what cannot be one."""
    terms = tuple(dict.fromkeys(words(q)))  # each word once, in order
    if len(terms) > MAX_WORDS:
        raise ValueError(f"q: at most {MAX_WORDS} words")
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"status: one of {', '.join(STATUSES)}")
        statuses: tuple[str, ...] = (status,)
    else:
        statuses = STATUSES if include_ended else CURRENT
    sort = sort or "closing"
    if sort not in SORTS:
        raise ValueError(f"sort: one of {', '.join(SORTS)}")
    return Search(
        terms=terms,
        statuses=statuses,
        region=fold(region) if region else None,
        municipality=fold(municipality) if municipality else None,
        sort=sort,
        **filters,
    )


def _where(search: Search, columns: str = "") -> tuple[list[str], list[Any]]:
    """The conditions other than the words, with ``?`` for their values."""
    where: list[str] = []
    args: list[Any] = []

    def equal(column: str, value: object) -> None:
        if value is not None:
            where.append(f"{columns}{column} = ?")
            args.append(value)

    equal("country", search.country)
    equal("asset", search.asset)
    equal("kind", search.kind)
    equal("currency", search.currency)
    equal("region", search.region)
    equal("municipality", search.municipality)
    if len(search.statuses) < len(STATUSES):
        where.append(f"{columns}status IN ({', '.join('?' for _ in search.statuses)})")
        args += search.statuses
    for column, operator, value in (
        ("starting_price", ">=", search.price_min),
        ("starting_price", "<=", search.price_max),
        ("closes_us", ">=", None if search.closes_after is None else _micros(search.closes_after)),
        ("closes_us", "<", None if search.closes_before is None else _micros(search.closes_before)),
        ("area_m2", ">=", search.area_min),
        ("area_m2", "<=", search.area_max),
        ("rooms", ">=", search.rooms_min),
    ):
        if value is not None:
            where.append(f"{columns}{column} {operator} ?")
            args.append(value)
    return where, args


# ------------------------------------------------------------------ cursors


def cursor_secret(server_secret: str) -> bytes:
    """The cursors' key, from the server's secret: every process of one deployment reads the others' cursors."""
    return hmac.digest(server_secret.encode(), b"auction search cursor", "sha256")


Key = tuple[int, str]  # the sort column's value and the auction id of a page's last lot


def encode_cursor(secret: bytes, search: Search, key: Key) -> str:
    payload = base64.urlsafe_b64encode(orjson.dumps([search.sort, key[0], key[1], search.digest()])).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.digest(secret, payload, "sha256")[:18])
    return f"{payload.decode()}.{signature.decode()}"


def decode_cursor(secret: bytes, search: Search, cursor: str) -> Key:
    """The key a cursor continues after; :class:`InvalidCursor` unless this server gave it for ``search``."""
    payload, _, signature = cursor.partition(".")
    try:
        expected = base64.urlsafe_b64encode(hmac.digest(secret, payload.encode("ascii"), "sha256")[:18]).decode()
    except UnicodeEncodeError:  # not ASCII: no cursor of ours
        raise InvalidCursor("not a cursor this server gave") from None
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise InvalidCursor("not a cursor this server gave")
    try:
        sort, value, auction_id, digest = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        raise InvalidCursor("not a cursor this server gave") from None
    if sort != search.sort or digest != search.digest():
        raise InvalidCursor("this cursor belongs to another search: repeat the search's parameters with it")
    if not (isinstance(value, int) and isinstance(auction_id, str)):
        raise InvalidCursor("not a cursor this server gave")
    return value, auction_id


@dataclass(frozen=True)
class Found:
    auction_ids: list[str]
    total: int
    last: Key | None  # the key to continue after; None on the last page


# ------------------------------------------------------------------ the databases


class SearchTables(Protocol):
    """Where the search's rows are kept and searched: the log's database."""

    async def open(self) -> int:
        """Make the tables when missing (or of another schema version); the checkpoint they are at."""
        ...

    async def write(self, rows: Sequence[LotRow], checkpoint: int) -> None:
        """Replace these rows (each only by a later version) and move the checkpoint, in one transaction."""
        ...

    async def search(self, search: Search, after: Key | None, limit: int) -> Found: ...

    async def close(self) -> None: ...


_SQLITE_TABLES = """
CREATE TABLE IF NOT EXISTS search_checkpoint (
    name TEXT PRIMARY KEY, position INTEGER NOT NULL, schema_version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS search_lots (
    id INTEGER PRIMARY KEY, auction_id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,
    country TEXT NOT NULL, asset TEXT NOT NULL, kind TEXT, status TEXT NOT NULL, currency TEXT NOT NULL,
    starting_price INTEGER NOT NULL, closes_us INTEGER NOT NULL, scheduled_us INTEGER NOT NULL,
    region TEXT, municipality TEXT, area_m2 REAL, rooms INTEGER, document TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS search_lots_closing ON search_lots (closes_us, auction_id);
CREATE INDEX IF NOT EXISTS search_lots_newest ON search_lots (scheduled_us, auction_id);
CREATE INDEX IF NOT EXISTS search_lots_price ON search_lots (starting_price, auction_id);
CREATE INDEX IF NOT EXISTS search_lots_place ON search_lots (country, region, municipality);
CREATE VIRTUAL TABLE IF NOT EXISTS search_words USING fts5(
    document, content='search_lots', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
CREATE TRIGGER IF NOT EXISTS search_lots_added AFTER INSERT ON search_lots BEGIN
    INSERT INTO search_words (rowid, document) VALUES (new.id, new.document); END;
CREATE TRIGGER IF NOT EXISTS search_lots_changed AFTER UPDATE OF document ON search_lots BEGIN
    INSERT INTO search_words (search_words, rowid, document) VALUES ('delete', old.id, old.document);
    INSERT INTO search_words (rowid, document) VALUES (new.id, new.document); END;
"""
_SQLITE_DROP = """
DROP TRIGGER IF EXISTS search_lots_added; DROP TRIGGER IF EXISTS search_lots_changed;
DROP TABLE IF EXISTS search_words; DROP TABLE IF EXISTS search_lots; DROP TABLE IF EXISTS search_checkpoint;
"""
_LOT_COLUMNS = (
    "auction_id, version, country, asset, kind, status, currency, starting_price, closes_us, scheduled_us,"
    " region, municipality, area_m2, rooms, document"
)
_UPDATED = ", ".join(f"{c} = excluded.{c}" for c in _LOT_COLUMNS.replace(" ", "").split(",")[1:])
NAME = "catalogue"  # the checkpoint's row


class SqliteSearchTables:
    """The search beside a SQLite log: its own connection to the log's file, on its own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-index")
        self._connection: sqlite3.Connection | None = None

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            if self._connection is None:
                self._connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
                self._connection.execute("PRAGMA synchronous=NORMAL")  # a lost checkpoint is caught up again
            return work(self._connection)

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    async def open(self) -> int:
        def open_(c: sqlite3.Connection) -> int:
            if _sqlite_schema(c) != SCHEMA_VERSION:  # missing, part missing, or of another version
                c.executescript("BEGIN IMMEDIATE;" + _SQLITE_DROP + "COMMIT;")
            # Each statement is made only if missing: several processes opening together make them once.
            c.executescript("BEGIN IMMEDIATE;" + _SQLITE_TABLES + "COMMIT;")
            c.execute("INSERT INTO search_checkpoint VALUES (?, 0, ?) ON CONFLICT DO NOTHING", (NAME, SCHEMA_VERSION))
            return int(c.execute("SELECT position FROM search_checkpoint WHERE name = ?", (NAME,)).fetchone()[0])

        return await self._run(open_)

    async def write(self, rows: Sequence[LotRow], checkpoint: int) -> None:
        def write(c: sqlite3.Connection) -> None:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.executemany(
                    f"INSERT INTO search_lots ({_LOT_COLUMNS}) VALUES ({', '.join('?' * 15)})"
                    f" ON CONFLICT (auction_id) DO UPDATE SET {_UPDATED} WHERE excluded.version > search_lots.version",
                    [row.values() for row in rows],
                )
                c.execute("UPDATE search_checkpoint SET position = max(position, ?) WHERE name = ?", (checkpoint, NAME))
                c.execute("COMMIT")
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise

        await self._run(write)

    async def search(self, search: Search, after: Key | None, limit: int) -> Found:
        where, args = _where(search, "l.")
        if search.terms:
            where.append("l.id IN (SELECT rowid FROM search_words WHERE search_words MATCH ?)")
            args.append(fts5_match(search.terms))
        column, descending = SORTS[search.sort]
        paged, page_args = list(where), list(args)
        if after is not None:
            paged.append(f"(l.{column}, l.auction_id) {'<' if descending else '>'} (?, ?)")
            page_args += after
        order = " DESC" if descending else ""
        sql = (
            f"SELECT l.auction_id, l.{column} FROM search_lots AS l{_and(paged)}"
            f" ORDER BY l.{column}{order}, l.auction_id{order} LIMIT ?"
        )

        def read(c: sqlite3.Connection) -> Found:
            rows = c.execute(sql, [*page_args, limit + 1]).fetchall()
            total = int(c.execute(f"SELECT count(*) FROM search_lots AS l{_and(where)}", args).fetchone()[0])
            return _found(rows, total, limit)

        return await self._run(read)

    async def close(self) -> None:
        def close(_: sqlite3.Connection) -> None:
            if self._connection is not None:
                self._connection.close()

        if self._connection is not None:
            await self._run(close)
        self._executor.shutdown(wait=False)


def _sqlite_schema(c: sqlite3.Connection) -> int | None:
    """The schema version of the search's tables; None unless every one of them is there."""
    names = {row[0] for row in c.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_%'")}
    if not {"search_checkpoint", "search_lots", "search_words"} <= names:
        return None
    try:
        row = c.execute("SELECT schema_version FROM search_checkpoint WHERE name = ?", (NAME,)).fetchone()
    except sqlite3.OperationalError:  # no such table
        return None
    return None if row is None else int(row[0])


def _and(where: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(where) if where else ""


def _found(rows: Sequence[Sequence[Any]], total: int, limit: int) -> Found:
    more = len(rows) > limit
    page = rows[:limit]
    last = (int(page[-1][1]), str(page[-1][0])) if more and page else None
    return Found([str(row[0]) for row in page], total, last)


_POSTGRES_TABLES = """
CREATE TABLE IF NOT EXISTS search_checkpoint (
    name text PRIMARY KEY, position bigint NOT NULL, schema_version integer NOT NULL);
CREATE TABLE IF NOT EXISTS search_lots (
    auction_id text PRIMARY KEY, version bigint NOT NULL,
    country text NOT NULL, asset text NOT NULL, kind text, status text NOT NULL, currency text NOT NULL,
    starting_price bigint NOT NULL, closes_us bigint NOT NULL, scheduled_us bigint NOT NULL,
    region text, municipality text, area_m2 double precision, rooms integer, document text NOT NULL,
    words tsvector NOT NULL);
CREATE INDEX IF NOT EXISTS search_lots_closing ON search_lots (closes_us, auction_id);
CREATE INDEX IF NOT EXISTS search_lots_newest ON search_lots (scheduled_us, auction_id);
CREATE INDEX IF NOT EXISTS search_lots_price ON search_lots (starting_price, auction_id);
CREATE INDEX IF NOT EXISTS search_lots_place ON search_lots (country, region, municipality);
CREATE INDEX IF NOT EXISTS search_lots_words ON search_lots USING gin (words);
"""
_POSTGRES_DROP = "DROP TABLE IF EXISTS search_lots; DROP TABLE IF EXISTS search_checkpoint;"
# Made one process at a time (several may start together on one database).
_POSTGRES_LOCK = 7_260_301


def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, …``."""
    parts = sql.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


class PostgresSearchTables:
    """The search beside a PostgreSQL log: a small pool of its own on the log's database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Any = None

    async def open(self) -> int:
        import asyncpg

        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=4)
        async with self._pool.acquire() as c, c.transaction():
            await c.execute("SELECT pg_advisory_xact_lock($1)", _POSTGRES_LOCK)
            version = None
            if await c.fetchval(
                "SELECT to_regclass('search_checkpoint') IS NOT NULL AND to_regclass('search_lots') IS NOT NULL"
            ):
                version = await c.fetchval("SELECT schema_version FROM search_checkpoint WHERE name = $1", NAME)
            if version != SCHEMA_VERSION:  # missing, part missing, or of another version: made again
                await c.execute(_POSTGRES_DROP)
            await c.execute(_POSTGRES_TABLES)
            await c.execute(
                "INSERT INTO search_checkpoint VALUES ($1, 0, $2) ON CONFLICT DO NOTHING", NAME, SCHEMA_VERSION
            )
            return int(await c.fetchval("SELECT position FROM search_checkpoint WHERE name = $1", NAME))

    async def write(self, rows: Sequence[LotRow], checkpoint: int) -> None:
        placeholders = ", ".join(f"${i}" for i in range(1, 16))
        async with self._pool.acquire() as c, c.transaction():
            await c.executemany(
                f"INSERT INTO search_lots ({_LOT_COLUMNS}, words) VALUES ({placeholders}, to_tsvector('simple', $15))"
                f" ON CONFLICT (auction_id) DO UPDATE SET {_UPDATED}, words = excluded.words"
                " WHERE excluded.version > search_lots.version",
                [row.values() for row in rows],
            )
            await c.execute(
                "UPDATE search_checkpoint SET position = greatest(position, $1) WHERE name = $2", checkpoint, NAME
            )

    async def search(self, search: Search, after: Key | None, limit: int) -> Found:
        where, args = _where(search, "l.")
        if search.terms:
            where.append("l.words @@ to_tsquery('simple', ?)")
            args.append(ts_query(search.terms))
        column, descending = SORTS[search.sort]
        paged, page_args = list(where), list(args)
        if after is not None:
            paged.append(f"(l.{column}, l.auction_id) {'<' if descending else '>'} (?, ?)")
            page_args += after
        order = " DESC" if descending else ""
        sql = (
            f"SELECT l.auction_id, l.{column} FROM search_lots AS l{_and(paged)}"
            f" ORDER BY l.{column}{order}, l.auction_id{order} LIMIT ?"
        )
        async with self._pool.acquire() as c:
            rows = await c.fetch(_numbered(sql), *page_args, limit + 1)
            total = await c.fetchval(_numbered(f"SELECT count(*) FROM search_lots AS l{_and(where)}"), *args)
        return _found([(row[0], row[1]) for row in rows], int(total), limit)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


def search_tables(database_url: str, sqlite_file: str | None) -> SearchTables:
    """The search's tables in the database of the log ``database_url`` names (``sqlite_file``:
    the SQLite file it names, if it is one; ``memory:`` gets a SQLite database in memory)."""
    if database_url.startswith(("postgresql://", "postgres://")):
        return PostgresSearchTables(database_url)
    return SqliteSearchTables(sqlite_file or ":memory:")


# ------------------------------------------------------------------ the projection


class ReadModelView(Protocol):
    """What the projection reads of the read models (``projections.readmodel.ReadModel``)."""

    checkpoint: int

    def summary(self, auction_id: str) -> AuctionSummary | None: ...

    def summaries(self) -> list[AuctionSummary]: ...


@dataclass
class SearchProjection:
    """Keeps the search's tables current from the read models, and searches them."""

    tables: SearchTables
    model: ReadModelView
    store: EventStore
    secret: bytes
    pace: float = 0.05  # a flush waits this long after a change, to write what follows it too
    checkpoint: int = 0  # the position the tables are at (as this process last wrote or read them)
    _pending: set[str] = field(default_factory=set)
    _indexed: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        """Open the tables and index what changed since their checkpoint (everything, when they are new)."""
        self.checkpoint = await self.tables.open()
        target = self.model.checkpoint
        if self.checkpoint == 0:
            self._pending.update(s.auction_id for s in self.model.summaries())
        else:
            after = self.checkpoint
            while after < target:
                page = await self.store.read_rows(after=after, limit=10_000)
                if not page:
                    break
                self._pending.update(a for _, stream, *_ in page if (a := auction_of(stream)) is not None)
                after = page[-1][0]
        await self.flush()

    def changed(self, summary: AuctionSummary) -> None:
        """A listener of the catch-up task: the auction's summary changed."""
        self._pending.add(summary.auction_id)
        self._wake.set()

    async def flush(self, force: bool = False) -> None:
        """Write the rows changed since the last flush, with the read models' checkpoint."""
        async with self._lock:
            # Taken together, with no await between: every event up to ``checkpoint`` is folded
            # into the read models, and each auction it changed is in ``pending`` or was written.
            checkpoint = self.model.checkpoint
            pending, self._pending = self._pending, set()
            rows = [lot_row(s) for a in pending if (s := self.model.summary(a)) is not None]
            rows = [row for row in rows if self._indexed.get(row.auction_id) != row.searched()]
            if not rows and not force and checkpoint - self.checkpoint < CHECKPOINT_LAG:
                return
            if not rows and checkpoint <= self.checkpoint:
                return
            try:
                await self.tables.write(rows, checkpoint)
            except BaseException:
                self._pending |= pending  # written by the next flush
                raise
            for row in rows:
                self._indexed[row.auction_id] = row.searched()
            self.checkpoint = max(self.checkpoint, checkpoint)

    async def run(self, interval: float = 1.0) -> None:
        """The task body: flush after changes, ``pace`` seconds later."""
        while True:
            await wait_event(self._wake, interval)
            self._wake.clear()
            await asyncio.sleep(self.pace)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("search index flush failed; retried at the next change")

    async def search(
        self, search: Search, cursor: str | None, limit: int
    ) -> tuple[list[AuctionSummary], int, str | None]:
        """The page of lots: their summaries, how many match in all, and the next page's cursor."""
        after = None if cursor is None else decode_cursor(self.secret, search, cursor)
        if self._pending:
            await self.flush()  # what this process just folded is found at once
        found = await self.tables.search(search, after, limit)
        summaries = [s for a in found.auction_ids if (s := self.model.summary(a)) is not None]
        following = None if found.last is None else encode_cursor(self.secret, search, found.last)
        return summaries, found.total, following

    async def close(self) -> None:
        try:
            await self.flush(force=True)
        finally:
            await self.tables.close()
