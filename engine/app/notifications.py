"""Each person's notifications: the projection task that makes them, their live delivery, the e-mail outbox.

:class:`Notifications` folds the log into notices (``projections.notifications``)
in a task of its own, beside the read models, with a checkpoint of its own kept
in the database: at start-up it folds the whole log again (to know every
auction's state and whose each bidder code is) but keeps only the notices of
events past that checkpoint, so a restart neither loses nor repeats one. The
identities behind bidder codes are opened here, through the vault, one page of
registrations at a time; the fold itself never sees them, only each person's
key handle (:func:`engine.vault.owner_of`).

Every process may run it: the notices' dedupe keys make the second writer's
rows no-ops. Each process's live feeds (``/ws/me``) follow the notices table by
number, so a notice written by another process reaches them too.

E-mail goes through an outbox filled in the transaction that keeps the notice
(``NotificationBook.record``): :meth:`Notifications.deliver` sends what is due,
with the notice's dedupe key as the ``Message-ID``, and marks a row sent only
once the SMTP server accepted it. A crash in between sends the message again
with the same ``Message-ID`` (at least once, and a mail system that sees the
same id twice shows it once); a refusal is tried again later, waiting longer
each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

from engine.clock import Clock
from engine.errors import AuctionNotFound
from engine.store.base import EventStore
from engine.vault import SubjectVault, owner_of
from projections.notifications import KINDS, Notice, NoticeFold, NotificationBook, Outgoing, Stored

__all__ = ["InvalidAddress", "Mail", "Mailer", "Notifications", "SmtpMailer", "check_address", "render"]

log = logging.getLogger(__name__)

# A retried e-mail waits 2, 4, 8 … seconds, at most an hour; after this many attempts it is given up.
RETRY_FIRST = 2.0
RETRY_MAX = 3600.0
MAX_ATTEMPTS = 40
PAGE_SIZE = 1000
# The projection folds at most every 50 ms when woken: under a stream of bids each fold then takes
# what arrived meanwhile in one read and one transaction, instead of one for each commit.
PACE = 0.05

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^[^@\s<>()\[\],;:\"\\]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")


class InvalidAddress(ValueError):
    """An e-mail address the engine will not write to."""


def check_address(address: str) -> str:
    """``address`` if it is one plain mailbox (``name@domain.tld``, at most 254 characters)."""
    if len(address) > 254 or not _ADDRESS.match(address):
        raise InvalidAddress("the e-mail address must be one plain address, name@domain (at most 254 characters)")
    return address


@dataclass(frozen=True)
class Mail:
    to: str
    message_id: str  # the notice's dedupe key: the same message if it is ever sent again
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Hand ``mail`` to the mail system; returns once it accepted it, raises otherwise."""
        ...


class SmtpMailer:
    """Sends through one SMTP relay (``AUCTION_SMTP_*``), one connection a message, in a thread."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password, self.timeout = starttls, username, password, timeout

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = f"<{mail.message_id}@{self.sender.rpartition('@')[2] or 'auction.invalid'}>"
        message["Date"] = format_datetime(datetime.now().astimezone())
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    def _send(self, mail: Mail) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(mail))

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send, mail)


_LABELS = {
    "bidder_code": "your bidder code",
    "amount": "amount",
    "price": "price",
    "winner": "winning bidder",
    "purchaser": "purchaser",
    "closes_at": "bidding closes at",
    "previous": "previous deadline",
    "payment_due": "payment due by",
    "due": "due by",
    "reason": "reason",
    "minutes": "minutes left",
}


def render(notice: Stored) -> tuple[str, str, str]:
    """A notice as an e-mail: its subject, plain text and HTML (every value escaped)."""
    body = notice.body
    title = str(body.get("title") or body.get("auction"))
    subject = f"{KINDS.get(notice.kind, notice.kind)}: {title}"
    lines = [(label, str(body[name])) for name, label in _LABELS.items() if body.get(name) is not None]
    text = "\n".join(
        [subject, "", f"auction: {body.get('auction')}", *(f"{label}: {value}" for label, value in lines), ""]
    )
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in lines)
    page = (
        f"<!doctype html><html><body><h1>{html.escape(subject)}</h1>"
        f"<p>auction {html.escape(str(body.get('auction')))}</p><table>{rows}</table></body></html>"
    )
    return subject, text, page


class Notifications:
    def __init__(
        self,
        store: EventStore,
        book: NotificationBook,
        vault: SubjectVault,
        clock: Clock,
        mailer: Mailer | None = None,
        interval: float = 1.0,
    ) -> None:
        self.store = store
        self.book = book
        self.vault = vault
        self.clock = clock
        self.mailer = mailer
        self.interval = interval
        self.fold = NoticeFold()
        self._kept = 0  # the checkpoint in the database: notices of events up to it are kept already
        self._seen = 0  # the last notice number handed to this process's live feeds
        self._feeds: dict[str, set[asyncio.Queue[Stored]]] = {}
        self._wake = asyncio.Event()
        self._mail = asyncio.Event()
        self._lock = asyncio.Lock()
        self._sending = asyncio.Lock()

    # ------------------------------------------------------------ the projection

    async def start(self) -> None:
        """Fold the log up to now (keeping only what is past the checkpoint) before serving."""
        self._kept = await self.book.checkpoint()
        self._seen = await self.book.last_id()
        await self.catch_up()

    def notify(self) -> None:
        """Something was appended (the read models' listener): fold it now."""
        self._wake.set()

    async def catch_up(self) -> int:
        """Fold every event visible now; keep the new notices and the checkpoint together."""
        async with self._lock:
            try:
                await self._fold_all()
            except BaseException:
                if self.fold.position > self._kept:
                    # Folded but not kept: fold again from the start (the checkpoint did not move, so
                    # the notices past it are made again), rather than go on past notices never kept.
                    self.fold = NoticeFold()
                raise
            await self._dispatch()
            return self.fold.position

    async def _fold_all(self) -> None:
        while True:
            rows = await self.store.read_rows(after=self.fold.position, limit=PAGE_SIZE)
            if not rows:
                break
            registrant = await self._registrants(rows)
            watchers = await self.book.watchers()
            old = [row for row in rows if row[0] <= self._kept]
            self.fold.apply(old, registrant, watchers)  # already kept: folded for the state only
            notices = self.fold.apply(rows, registrant, watchers)
            last = rows[-1][0]
            if last > self._kept:
                await self._record(notices, last)
                self._kept = last
            if len(rows) < PAGE_SIZE:
                break

    async def _registrants(self, rows: Sequence[tuple[int, str, int, str, dict[str, Any]]]) -> Any:
        sealed = [
            row[4]["subject"]
            for row in rows
            if row[3] == "BidderRegistered" and row[0] > self.fold.position and isinstance(row[4].get("subject"), dict)
        ]
        opened = await self.vault.open_many(sealed) if sealed else []
        people = {
            item.get("ciphertext"): owner_of(subject)
            for item, subject in zip(sealed, opened, strict=True)
            if subject is not None
        }

        def registrant(subject: dict[str, Any]) -> str | None:
            return people.get(subject.get("ciphertext"))

        return registrant

    async def _record(self, notices: Sequence[Notice], position: int | None) -> None:
        if await self.book.record(notices, position, self.clock.now()):
            self._mail.set()

    async def tick(self) -> None:
        """The time-driven notices due now (closing soon), kept once each, on the log as it is now."""
        await self.catch_up()
        async with self._lock:
            due = self.fold.reminders(self.clock.now(), await self.book.watchers())
            if due:
                await self._record(due, None)
            await self._dispatch()

    async def run(self) -> None:
        """The task body: fold when woken and every ``interval``, then the reminders due."""
        failures = 0
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.tick()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                if failures == 1:
                    log.exception("notifications: catch-up failed at position %s", self.fold.position)
                await asyncio.sleep(self.interval)
            await asyncio.sleep(PACE)

    # ------------------------------------------------------------ the live feeds

    def subscribe(self, subject: str) -> asyncio.Queue[Stored]:
        """A queue of the person's notices from now on (read the backlog after subscribing)."""
        queue: asyncio.Queue[Stored] = asyncio.Queue()
        self._feeds.setdefault(owner_of(subject), set()).add(queue)
        return queue

    def unsubscribe(self, subject: str, queue: asyncio.Queue[Stored]) -> None:
        owner = owner_of(subject)
        feeds = self._feeds.get(owner)
        if feeds is not None:
            feeds.discard(queue)
            if not feeds:
                del self._feeds[owner]

    async def _dispatch(self) -> None:
        """Hand every notice kept since the last look (by any process) to its person's feeds."""
        while True:
            rows = await self.book.after(self._seen, PAGE_SIZE)
            for row in rows:
                for queue in self._feeds.get(row.owner, ()):
                    queue.put_nowait(row)
                self._seen = row.id
            if len(rows) < PAGE_SIZE:
                return

    # ------------------------------------------------------------ e-mail

    async def deliver(self) -> int:
        """Send the e-mails due; how many the SMTP server accepted."""
        if self.mailer is None:
            return 0
        sent = 0
        async with self._sending:
            for item in await self.book.due(self.clock.now()):
                if await self._send(item):
                    sent += 1
        return sent

    async def _send(self, item: Outgoing) -> bool:
        assert self.mailer is not None
        (address,) = await self.vault.open_many([item.sealed])
        if address is None:  # the person's key was erased: the address is gone with it
            await self.book.drop(item.notice.key)
            return False
        subject, text, page = render(item.notice)
        try:
            await self.mailer.send(Mail(address, item.notice.key, subject, text, page))
        except (OSError, smtplib.SMTPException) as error:
            attempts = item.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.warning("notifications: e-mail %s given up after %s attempts: %r", item.notice.key, attempts, error)
                await self.book.drop(item.notice.key)
                return False
            wait = min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)
            await self.book.retry(item.notice.key, attempts, self.clock.now() + timedelta(seconds=wait), repr(error))
            log.info("notifications: e-mail %s not accepted (attempt %s): %r", item.notice.key, attempts, error)
            return False
        await self.book.sent(item.notice.key, self.clock.now())
        return True

    async def run_outbox(self) -> None:
        """The outbox task: send what is due when a notice was kept, and every ``interval``."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._mail.wait()
            self._mail.clear()
            try:
                await self.deliver()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifications: the outbox failed")
                await asyncio.sleep(self.interval)

    # ------------------------------------------------------------ a person's requests

    async def watch(self, subject: str, auction_id: str) -> None:
        if auction_id not in self.fold.states:
            await self.catch_up()  # scheduled a moment ago, maybe by another process
            if auction_id not in self.fold.states:
                raise AuctionNotFound(auction_id)
        await self.book.watch(owner_of(subject), auction_id, self.clock.now())

    async def unwatch(self, subject: str, auction_id: str) -> None:
        await self.book.unwatch(owner_of(subject), auction_id)

    async def watchlist(self, subject: str) -> list[dict[str, Any]]:
        out = []
        for auction_id, since in await self.book.watchlist(owner_of(subject)):
            state = self.fold.states.get(auction_id)
            out.append(
                {
                    "auction": auction_id,
                    "since": since,
                    "title": state.terms.title if state is not None and state.terms is not None else None,
                    "status": state.status.value if state is not None else None,
                }
            )
        return out

    async def page(self, subject: str, before: int | None, limit: int) -> dict[str, Any]:
        rows = await self.book.page(owner_of(subject), before, limit)
        return {
            "notifications": [row.to_json() for row in rows],
            "next_before": rows[-1].id if len(rows) == limit else None,
        }

    async def backlog(self, subject: str, after: int) -> list[Stored]:
        """The person's notices numbered above ``after``, in order (a feed resuming)."""
        return await self.book.after(after, PAGE_SIZE, owner_of(subject))

    async def set_email(self, subject: str, address: str | None) -> None:
        """Opt in with ``address`` (sealed with the person's key), or out with None."""
        sealed = None if address is None else await self.vault.seal_for(subject, check_address(address))
        await self.book.set_email(owner_of(subject), sealed, self.clock.now())

    async def email(self, subject: str) -> str | None:
        sealed = await self.book.email(owner_of(subject))
        if sealed is None:
            return None
        (address,) = await self.vault.open_many([sealed])
        return address
