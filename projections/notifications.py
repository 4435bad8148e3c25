"""Each person's notices, derived from the event log: who is told what, and where it is kept.

:class:`NoticeFold` folds the log (the auctions' events, with the engine's own
``evolve``) and says, for each event, which people it concerns and what they
are told: the bidder who was outbid, admitted or refused, every bidder and
watcher of an auction that opens, is extended, suspended, resumed, cancelled
or closes (won or lost, with the last bid), the purchaser whose payment is
due, the bidder whose deposit is due back. :meth:`NoticeFold.reminders` adds
the time-driven ones: 10 minutes and 1 minute before the deadline in force,
moving with every extension. The fold is pure: it never opens an identity
itself, it is handed the person behind each registration (``owner_of``, an
:func:`engine.vault.owner_of` handle), so a registration whose key was erased
(``auction forget``) concerns nobody.

Every notice has a dedupe key made from what it is about (the event's global
position, or the auction, threshold and deadline of a reminder) and the person
it is for: folding the same log again, in this process after a restart or in
another process, makes the same keys, and :class:`NotificationBook` keeps each
key once. The book is a few tables beside the log (migrations ``005`` SQLite,
``006`` PostgreSQL): the notices, the outbox of e-mails to send (filled in the
same transaction as the notice it is for), the watchlist and the sealed e-mail
addresses. They are personal data, never in the append-only log: a watch is no
act of the auction, and ``auction forget`` deletes a person's rows for good.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from engine import codec
from engine.events import (
    AdmissionRefused,
    AuctionCancelled,
    AuctionEnded,
    AuctionResumed,
    AuctionSuspended,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    DeadlineExtended,
    DepositForfeited,
    DepositRefunded,
    Event,
    GraceGranted,
    PreemptionDeclared,
    RefundDue,
    SaleDefaulted,
    SaleOffered,
    SalePaid,
)
from engine.meaning import evolve
from engine.model import AuctionState, Status, format_instant, format_money
from engine.store.base import EventRow
from engine.store.migrate import load, sqlite_statements
from engine.streams import auction_of

if TYPE_CHECKING:
    import asyncpg

# Before the deadline in force, the reminders: the larger first. Once a smaller one is due the
# larger ones are not sent any more (a server that was down at 10 minutes sends the 1 minute one).
REMINDERS: tuple[timedelta, ...] = (timedelta(minutes=10), timedelta(minutes=1))

# What each kind of notice is, in a line (the e-mail's subject; the pages translate by kind).
KINDS: dict[str, str] = {
    "admitted": "You are admitted to bid",
    "refused": "Your admission was refused",
    "opening": "Bidding is open",
    "outbid": "You were outbid",
    "closing_soon": "Bidding closes soon",
    "extended": "The deadline was extended",
    "won": "You won the auction",
    "lost": "The auction was won by another bidder",
    "closed": "Bidding closed",
    "failed": "The auction ended without a sale",
    "preempted": "A pre-emption right was exercised",
    "payment_due": "Payment due",
    "payment_moved": "The payment deadline moved",
    "paid": "The price is paid",
    "defaulted": "The sale defaulted",
    "deposit_due_back": "Your deposit is due back",
    "deposit_refunded": "Your deposit was paid back",
    "deposit_forfeited": "Your deposit was forfeited",
    "suspended": "The auction is suspended",
    "resumed": "The auction resumed",
    "cancelled": "The auction was cancelled",
}


@dataclass(frozen=True)
class Notice:
    """One thing one person is told. ``body`` is JSON-ready; it names the person's own bidder
    code at most, never anyone's identity."""

    owner: str
    key: str
    kind: str
    auction_id: str
    at: datetime
    body: dict[str, Any]


def dedupe_key(*parts: object) -> str:
    """A notice's key: the same for the same notice however often the log is folded."""
    text = "\x00".join(str(part) for part in parts)
    return hashlib.sha256(b"auction-notice\x00" + text.encode("utf-8")).hexdigest()[:40]


OwnerOf = Callable[[str, str], str | None]  # (auction id, bidder code) -> the person, if known


@dataclass
class NoticeFold:
    """The auctions as their events left them, and who stands behind each bidder code."""

    states: dict[str, AuctionState] = field(default_factory=dict)
    owners: dict[str, dict[str, str]] = field(default_factory=dict)  # auction -> bidder code -> person
    # auction -> when its deadline in force came into force (an extension, a resumption); absent: as scheduled
    since: dict[str, datetime] = field(default_factory=dict)
    position: int = 0

    def people(self, auction_id: str, watchers: Iterable[str] = ()) -> list[str]:
        """Every bidder of the auction (by person) and every watcher, each once, in a stable order."""
        found = self.owners.get(auction_id, {}).values()
        return list(dict.fromkeys([*found, *sorted(watchers)]))

    def apply(
        self,
        rows: Iterable[EventRow],
        registrant: Callable[[dict[str, Any]], str | None],
        watchers: Mapping[str, Iterable[str]],
    ) -> list[Notice]:
        """Fold ``rows`` (global order; rows at or below the position already folded are
        skipped) and return their notices. ``registrant`` names the person behind a
        registration's sealed subject (None: unknown or erased); ``watchers`` the people
        watching each auction."""
        notices: list[Notice] = []
        for position, stream, version, type_, data in rows:
            if position <= self.position:
                continue
            self.position = position
            auction_id = auction_of(stream)
            if auction_id is None:
                continue
            before = self.states.get(auction_id)
            if before is None:
                if version != 1:
                    continue
                before = AuctionState(auction_id=auction_id)
            elif version <= before.version:
                continue
            try:
                event = codec.decode(type_, data)
            except (ValueError, TypeError):
                continue  # the read models log it; a notice is not worth stopping for
            after = evolve(before, event, version)
            if after.terms is None:
                continue
            self.states[auction_id] = after
            if isinstance(event, DeadlineExtended | AuctionResumed):
                self.since[auction_id] = event.at
            if isinstance(event, BidderRegistered):
                subject = data.get("subject")
                owner = registrant(subject) if isinstance(subject, dict) else None
                if owner is not None:
                    self.owners.setdefault(auction_id, {})[event.bidder_code] = owner
                continue
            notices.extend(self._notices(position, before, after, event, watchers.get(auction_id, ())))
        return notices

    def _owner(self, auction_id: str, code: str | None) -> str | None:
        return None if code is None else self.owners.get(auction_id, {}).get(code)

    def _code_of(self, auction_id: str, owner: str) -> str | None:
        for code, person in self.owners.get(auction_id, {}).items():
            if person == owner:
                return code
        return None

    def _notices(
        self, position: int, before: AuctionState, after: AuctionState, event: Event, watchers: Iterable[str]
    ) -> list[Notice]:
        auction_id = after.auction_id
        out: list[Notice] = []

        def tell(owner: str | None, kind: str, **extra: Any) -> None:
            if owner is None:
                return
            body = base_body(after, kind, event.at)
            code = self._code_of(auction_id, owner)
            if code is not None:
                body["bidder_code"] = code
            body.update({name: value for name, value in extra.items() if value is not None})
            out.append(Notice(owner, dedupe_key(position, kind, owner), kind, auction_id, event.at, body))

        def tell_all(kind: str, **extra: Any) -> None:
            for owner in self.people(auction_id, watchers):
                tell(owner, kind, **extra)

        match event:
            case BidderAdmitted(bidder_code=code):
                tell(self._owner(auction_id, code), "admitted")
            case AdmissionRefused(bidder_code=code, reason=reason):
                tell(self._owner(auction_id, code), "refused", reason=reason)
            case BiddingOpened():
                tell_all("opening", closes_at=instant(after.deadline))
            case BidAccepted(bidder_code=code, amount=amount):
                previous = before.best.bidder_code if before.best is not None else None
                if previous is not None and previous != code:
                    tell(self._owner(auction_id, previous), "outbid", amount=format_money(amount))
            case DeadlineExtended(deadline=deadline, previous=earlier):
                tell_all("extended", closes_at=instant(deadline), previous=instant(earlier))
            case BiddingClosed(winner=winner, price=price):
                for owner in self.people(auction_id, watchers):
                    own = self._code_of(auction_id, owner)
                    kind = "won" if own == winner else "lost" if own is not None else "closed"
                    tell(owner, kind, price=format_money(price), winner=winner)
            case BiddingFailed():
                tell_all("failed")
            case PreemptionDeclared(bidder_code=code, price=price):
                tell_all("preempted", price=format_money(price), purchaser=code)
            case AuctionEnded(purchaser=purchaser, price=price, payment_due=due) if purchaser is not None:
                tell(self._owner(auction_id, purchaser), "payment_due", price=money(price), payment_due=instant(due))
            case SaleOffered(bidder_code=code, price=price, payment_due=due):
                tell(self._owner(auction_id, code), "payment_due", price=format_money(price), payment_due=instant(due))
            case GraceGranted(until=until):
                tell(self._owner(auction_id, after.purchaser), "payment_moved", payment_due=instant(until))
            case SalePaid(purchaser=purchaser):
                tell(self._owner(auction_id, purchaser), "paid")
            case SaleDefaulted(purchaser=purchaser):
                tell(self._owner(auction_id, purchaser), "defaulted")
            case RefundDue(bidder_code=code, amount=amount, due=due):
                tell(self._owner(auction_id, code), "deposit_due_back", amount=format_money(amount), due=instant(due))
            case DepositRefunded(bidder_code=code, amount=amount):
                tell(self._owner(auction_id, code), "deposit_refunded", amount=format_money(amount))
            case DepositForfeited(bidder_code=code, amount=amount):
                tell(self._owner(auction_id, code), "deposit_forfeited", amount=format_money(amount))
            case AuctionSuspended(reason=reason):
                tell_all("suspended", reason=reason)
            case AuctionResumed(deadline=deadline):
                tell_all("resumed", closes_at=instant(deadline))
            case AuctionCancelled(reason=reason):
                tell_all("cancelled", reason=reason)
        return out

    def reminders(self, now: datetime, watchers: Mapping[str, Iterable[str]]) -> list[Notice]:
        """The closing-soon notices due at ``now``: for each open auction, the smallest threshold
        of :data:`REMINDERS` its deadline in force is within. Keyed by the deadline: an extension
        makes new ones, due when the new deadline comes that close (see :func:`due_reminder`)."""
        out: list[Notice] = []
        for auction_id, state in self.states.items():
            deadline = state.deadline
            if state.status is not Status.OPEN or deadline is None or now >= deadline:
                continue
            due = due_reminder(deadline, now, self.since.get(auction_id))
            if due is None:
                continue
            for owner in self.people(auction_id, watchers.get(auction_id, ())):
                body = base_body(state, "closing_soon", now)
                body.update(closes_at=instant(deadline), minutes=int(due.total_seconds() // 60))
                code = self._code_of(auction_id, owner)
                if code is not None:
                    body["bidder_code"] = code
                key = dedupe_key("closing_soon", auction_id, int(due.total_seconds()), instant(deadline), owner)
                out.append(Notice(owner, key, "closing_soon", auction_id, deadline - due, body))
        return out


def due_reminder(deadline: datetime, now: datetime, since: datetime | None = None) -> timedelta | None:
    """The threshold of :data:`REMINDERS` due at ``now`` for ``deadline``: the smallest one whose
    instant (``deadline - threshold``) has come; None before the first or at the deadline.

    ``since``: when ``deadline`` came into force (an extension), if not as scheduled. Only the
    thresholds the time then left was above count: a deadline moved to 2 minutes from the bid
    brings the 1-minute reminder again, not the 10-minute one (the extension notice said it)."""
    if now >= deadline:
        return None
    due = [
        threshold
        for threshold in REMINDERS
        if now >= deadline - threshold and (since is None or deadline - since > threshold)
    ]
    return min(due) if due else None


def base_body(state: AuctionState, kind: str, at: datetime) -> dict[str, Any]:
    title = state.terms.title if state.terms is not None else ""
    return {"kind": kind, "auction": state.auction_id, "title": title, "at": format_instant(at)}


def instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


# ---------------------------------------------------------------------------------------- the book


def stamp(value: datetime) -> str:
    """Times as the tables keep them: UTC, fixed width, so that text order is time order."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Stored:
    """A notice as the book holds it: its number (growing; pages and the live feed follow it)."""

    id: int
    owner: str
    key: str
    kind: str
    auction_id: str
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.body}


@dataclass(frozen=True)
class Outgoing:
    """An e-mail waiting in the outbox: the notice, the sealed address, how often it was tried."""

    notice: Stored
    sealed: dict[str, str]
    attempts: int


def _stored(row: Sequence[Any]) -> Stored:
    return Stored(int(row[0]), row[1], row[2], row[3], row[4], orjson.loads(row[5]))


_NOTICE_COLUMNS = "n.id, n.owner, n.dedupe_key, n.kind, n.auction_id, n.body"


class Sql:
    """The few statements the book runs, written once with ``$n`` parameters: asyncpg takes them
    as they are, SQLite as ``?n``. Each :meth:`transaction` runs a function of ``(sql, args) ->
    rows`` calls in one transaction."""

    Run = Callable[[str, Sequence[Any]], Awaitable[list[Sequence[Any]]]]

    async def transaction(self, work: Callable[[Sql.Run], Awaitable[Any]], write: bool = True) -> Any:
        """``work`` in one transaction; ``write=False`` for one that only reads (SQLite then takes
        no write lock, which the log's own appends would wait for)."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteSql(Sql):
    """One connection of its own to the log's file (or to memory, for ``memory:``), its statements
    run one after another in a thread of its own, one transaction at a time.

    One thread, not the loop's pool: a task cancelled while a statement runs (a server stopping)
    still has its ``ROLLBACK`` run after that statement, never before it, so no transaction is
    left open holding the file's write lock, which the log's own appends would wait for."""

    def __init__(self, connection: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self._connection = connection
        self._thread = thread
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | None) -> SqliteSql:
        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(path or ":memory:", isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout = 10000")
            if path is None:  # memory: the tables are made here; a file has them from its migrations
                for migration in load("sqlite"):
                    if "notification" in migration.name:
                        for statement in sqlite_statements(migration.sql):
                            connection.execute(statement)
            return connection

        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notifications-sqlite")
        return cls(await asyncio.get_running_loop().run_in_executor(thread, connect), thread)

    def _in_thread(self, call: Callable[[], Any]) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self._thread, call)

    def _end(self, statement: str) -> None:
        if self._connection.in_transaction:
            self._connection.execute(statement)

    async def transaction(self, work: Callable[[Sql.Run], Awaitable[Any]], write: bool = True) -> Any:
        connection = self._connection

        async def run(sql: str, args: Sequence[Any]) -> list[Sequence[Any]]:
            rows: list[Sequence[Any]] = await self._in_thread(
                lambda: connection.execute(sql.replace("$", "?"), tuple(args)).fetchall()
            )
            return rows

        async with self._lock:
            begun = self._in_thread(lambda: connection.execute("BEGIN IMMEDIATE" if write else "BEGIN"))
            try:
                await begun
                result = await work(run)
                await asyncio.shield(self._in_thread(lambda: self._end("COMMIT")))
            except BaseException:
                # Queued behind whatever statement is still running (a COMMIT that failed included);
                # it runs even if this await is cancelled, and does nothing once no transaction is open.
                await asyncio.shield(self._in_thread(lambda: self._end("ROLLBACK")))
                raise
            return result

    async def close(self) -> None:
        await self._in_thread(self._connection.close)
        self._thread.shutdown(wait=False)


class PostgresSql(Sql):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresSql:
        import asyncpg

        return cls(await asyncpg.create_pool(url, min_size=1, max_size=4))

    async def transaction(self, work: Callable[[Sql.Run], Awaitable[Any]], write: bool = True) -> Any:
        async with self._pool.acquire() as connection, connection.transaction(readonly=not write):

            async def run(sql: str, args: Sequence[Any]) -> list[Sequence[Any]]:
                return list(await connection.fetch(sql, *args))

            return await work(run)

    async def close(self) -> None:
        await self._pool.close()


class NotificationBook:
    """The notices, the outbox, the watchlist and the sealed addresses, in the log's database."""

    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    @classmethod
    async def open(cls, database_url: str) -> NotificationBook:
        """The book of the log at ``database_url`` (migrated by the store already): its own
        connection to the same database; ``memory:`` keeps it in memory."""
        from engine.store import sqlite_path  # the URL forms the store itself reads

        if database_url.startswith(("postgresql://", "postgres://")):
            return cls(await PostgresSql.open(database_url))
        return cls(await SqliteSql.open(None if database_url == "memory:" else sqlite_path(database_url)))

    async def close(self) -> None:
        await self._sql.close()

    # ------------------------------------------------------------ the projection's writes

    async def checkpoint(self) -> int:
        async def read(run: Sql.Run) -> int:
            rows = await run("SELECT position FROM notification_checkpoint WHERE id = 1", ())
            return int(rows[0][0])

        result: int = await self._sql.transaction(read, write=False)
        return result

    async def record(self, notices: Sequence[Notice], position: int | None, now: datetime) -> int:
        """Keep ``notices`` (a key already kept is skipped) and, in the same transaction, an
        outbox row for each new one whose person gave an address, and the checkpoint
        ``position`` (never moved back; None: leave it). How many notices were new."""

        async def write(run: Sql.Run) -> int:
            new = 0
            for notice in notices:
                inserted = await run(
                    "INSERT INTO notifications (dedupe_key, owner, auction_id, kind, at, body)"
                    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                    (
                        notice.key,
                        notice.owner,
                        notice.auction_id,
                        notice.kind,
                        stamp(notice.at),
                        orjson.dumps(notice.body).decode(),
                    ),
                )
                if not inserted:
                    continue
                new += 1
                await run(
                    "INSERT INTO notification_outbox (dedupe_key, owner, next_attempt_at)"
                    " SELECT CAST($1 AS TEXT), owner, CAST($2 AS TEXT) FROM notification_emails WHERE owner = $3"
                    " ON CONFLICT (dedupe_key) DO NOTHING",
                    (notice.key, stamp(now), notice.owner),
                )
            if position is not None:
                await run(
                    "UPDATE notification_checkpoint SET position = $1 WHERE id = 1 AND position < $1", (position,)
                )
            return new

        result: int = await self._sql.transaction(write)
        return result

    # ------------------------------------------------------------ reads

    async def page(self, owner: str, before: int | None, limit: int) -> list[Stored]:
        """The person's notices, newest first, with a number below ``before`` (None: the newest)."""

        async def read(run: Sql.Run) -> list[Stored]:
            rows = await run(
                f"SELECT {_NOTICE_COLUMNS} FROM notifications n WHERE n.owner = $1 AND n.id < $2"
                " ORDER BY n.id DESC LIMIT $3",
                (owner, before if before is not None else 2**62, limit),
            )
            return [_stored(row) for row in rows]

        result: list[Stored] = await self._sql.transaction(read, write=False)
        return result

    async def after(self, after: int, limit: int, owner: str | None = None) -> list[Stored]:
        """Notices numbered above ``after`` in order (one person's, or everyone's for the live feed)."""

        async def read(run: Sql.Run) -> list[Stored]:
            where, args = ("AND n.owner = $3", (after, limit, owner)) if owner is not None else ("", (after, limit))
            rows = await run(
                f"SELECT {_NOTICE_COLUMNS} FROM notifications n WHERE n.id > $1 {where} ORDER BY n.id LIMIT $2", args
            )
            return [_stored(row) for row in rows]

        result: list[Stored] = await self._sql.transaction(read, write=False)
        return result

    async def last_id(self) -> int:
        async def read(run: Sql.Run) -> int:
            rows = await run("SELECT max(id) FROM notifications", ())
            return int(rows[0][0] or 0)

        result: int = await self._sql.transaction(read, write=False)
        return result

    async def pending_mail(self) -> int:
        """E-mails in the outbox not sent yet (for the metrics)."""

        async def read(run: Sql.Run) -> int:
            rows = await run("SELECT count(*) FROM notification_outbox WHERE sent_at IS NULL", ())
            return int(rows[0][0] or 0)

        result: int = await self._sql.transaction(read, write=False)
        return result

    # ------------------------------------------------------------ watches

    async def watch(self, owner: str, auction_id: str, now: datetime) -> None:
        await self._sql.transaction(
            lambda run: run(
                "INSERT INTO watches (owner, auction_id, since) VALUES ($1, $2, $3)"
                " ON CONFLICT (owner, auction_id) DO NOTHING",
                (owner, auction_id, stamp(now)),
            )
        )

    async def unwatch(self, owner: str, auction_id: str) -> None:
        await self._sql.transaction(
            lambda run: run("DELETE FROM watches WHERE owner = $1 AND auction_id = $2", (owner, auction_id))
        )

    async def watchlist(self, owner: str) -> list[tuple[str, str]]:
        """``(auction id, since)`` of each auction the person watches, in the order they began."""
        rows = await self._sql.transaction(
            lambda run: run(
                "SELECT auction_id, since FROM watches WHERE owner = $1 ORDER BY since, auction_id", (owner,)
            )
        )
        return [(str(row[0]), str(row[1])) for row in rows]

    async def watchers(self) -> dict[str, set[str]]:
        """Everyone watching, by auction."""
        rows = await self._sql.transaction(lambda run: run("SELECT auction_id, owner FROM watches", ()), write=False)
        found: dict[str, set[str]] = {}
        for auction_id, owner in rows:
            found.setdefault(str(auction_id), set()).add(str(owner))
        return found

    # ------------------------------------------------------------ addresses and the outbox

    async def set_email(self, owner: str, sealed: dict[str, str] | None, now: datetime) -> None:
        """Keep the person's sealed address (None: they opt out; what waits unsent is dropped)."""

        async def write(run: Sql.Run) -> None:
            if sealed is None:
                await run("DELETE FROM notification_emails WHERE owner = $1", (owner,))
                await run("DELETE FROM notification_outbox WHERE owner = $1 AND sent_at IS NULL", (owner,))
                return
            await run(
                "INSERT INTO notification_emails (owner, sealed, updated_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (owner) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
                (owner, orjson.dumps(sealed).decode(), stamp(now)),
            )

        await self._sql.transaction(write)

    async def email(self, owner: str) -> dict[str, str] | None:
        rows = await self._sql.transaction(
            lambda run: run("SELECT sealed FROM notification_emails WHERE owner = $1", (owner,)), write=False
        )
        return orjson.loads(rows[0][0]) if rows else None

    async def due(self, now: datetime, lease: timedelta = timedelta(minutes=2), limit: int = 50) -> list[Outgoing]:
        """E-mails not sent yet whose next attempt has come, oldest notice first, each claimed for
        ``lease`` (its next attempt moved that far: another sender, in this process or another,
        skips it meanwhile; a sender that dies holding it leaves it to be tried when the lease ends)."""

        async def claim(run: Sql.Run) -> list[Outgoing]:
            rows = await run(
                f"SELECT {_NOTICE_COLUMNS}, e.sealed, o.attempts, o.next_attempt_at FROM notification_outbox o"
                " JOIN notifications n ON n.dedupe_key = o.dedupe_key"
                " JOIN notification_emails e ON e.owner = o.owner"
                " WHERE o.sent_at IS NULL AND o.next_attempt_at <= $1 ORDER BY n.id LIMIT $2",
                (stamp(now), limit),
            )
            claimed = []
            for row in rows:
                taken = await run(
                    "UPDATE notification_outbox SET next_attempt_at = $1"
                    " WHERE dedupe_key = $2 AND next_attempt_at = $3 AND sent_at IS NULL RETURNING dedupe_key",
                    (stamp(now + lease), row[2], row[8]),
                )
                if taken:
                    claimed.append(Outgoing(_stored(row[:6]), orjson.loads(row[6]), int(row[7])))
            return claimed

        result: list[Outgoing] = await self._sql.transaction(claim)
        return result

    async def sent(self, key: str, now: datetime) -> None:
        """The SMTP server accepted the message: never again."""
        await self._sql.transaction(
            lambda run: run("UPDATE notification_outbox SET sent_at = $1 WHERE dedupe_key = $2", (stamp(now), key))
        )

    async def retry(self, key: str, attempts: int, at: datetime, error: str) -> None:
        await self._sql.transaction(
            lambda run: run(
                "UPDATE notification_outbox SET attempts = $1, next_attempt_at = $2, last_error = $3"
                " WHERE dedupe_key = $4 AND sent_at IS NULL",
                (attempts, stamp(at), error[:500], key),
            )
        )

    async def drop(self, key: str) -> None:
        """An e-mail that can never go (the address was erased)."""
        await self._sql.transaction(lambda run: run("DELETE FROM notification_outbox WHERE dedupe_key = $1", (key,)))

    # ------------------------------------------------------------ erasure

    async def forget(self, owner: str) -> int:
        """Delete every row of the person: notices, outbox, watches, address. How many rows went."""

        async def erase(run: Sql.Run) -> int:
            count = 0
            for table in ("notification_outbox", "notifications", "watches", "notification_emails"):
                rows = await run(f"DELETE FROM {table} WHERE owner = $1 RETURNING 1", (owner,))
                count += len(rows)
            return count

        result: int = await self._sql.transaction(erase)
        return result
