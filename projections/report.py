"""The auction report, rebuilt from an auction's events and its country's rules.

Pure: :func:`build_report` takes the stored events of one auction (in stream
order) and the rule book, and returns a JSON-ready dict. Times are shown on
the country's wall clock (``rules.zone``). The report lists the terms, every
registration, deposit, admission and refusal, every bid received (refused
ones with their reason and rule), every extension with the rule that caused
it, the technical incidents the bailiff recorded, the winner and price, the
deposits to refund, and the rule book's warnings about the schedule (computed
from the AuctionScheduled terms; they are not events). It lists the lot's
details as they stand (``details``, ``engine.details``) and every amendment of
them (``amendments``: the fields changed, old and new, the reason, the official). The lot's
photos and documents: every publication, withdrawal and reordering with its time, the file's
SHA-256 and the official (``files``), and those public at the report's end (``published``), so
an auditor can prove which document was public when.

After bidding it follows the sale: the declaration (purchaser, price, payment
deadline), payments and what is still due, the transfer decision, a default
and the forfeiture, offers to the next-best bidder, grace and pre-emption
(``sale_course``); each bidder's deposit (``ledger``), the refunds due and
those overdue at the report's instant (``as_of``: the instant asked for, else
now; overdue = still due with a due date at or before it); suspensions and
resumptions with the time left; a cancellation; the next round and the
round this one repeats; the terminal outcome; and every official who acted,
with their acts (``officials``).

``anonymise=True`` (a bidder's copy) replaces every identity by the bidder
code and leaves out the proxies' maxima, which are other bidders' secrets.
Identities are stored sealed (``engine.vault``): the caller passes the events
with identities opened for a full report; one whose key was erased shows
``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine import codec
from engine.details import details_json
from engine.events import Event
from engine.meaning import evolve, file_json, meaning_of, money
from engine.model import AuctionState, Ledger, Sale, Status, format_instant
from engine.policy import AuctionRules, schedule_warnings
from engine.store.base import StoredEvent


@dataclass
class _Bidder:
    code: str
    subject: str | None
    registered_at: datetime
    registered_position: int
    deposits: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    admitted: bool = False
    admitted_at: datetime | None = None
    admission_rule: str | None = None
    refusals: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Deposit:
    """Where one bidder's deposit went after bidding, as instants (the lines hold the local times)."""

    due: datetime | None = None  # the refund's due date, once one was set
    due_rule: str | None = None
    refunded_at: datetime | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)


# The act an official performed, by the event that records it (the report's names for them).
ACTS = {
    "AuctionScheduled": "scheduled",
    "BiddingOpened": "opened",
    "AuctionEnded": "declared",
    "IncidentRecorded": "incident",
    "DetailsAmended": "amended",
    "PhotoPublished": "photo_published",
    "DocumentPublished": "document_published",
    "PhotoWithdrawn": "photo_withdrawn",
    "DocumentWithdrawn": "document_withdrawn",
    "PhotosOrdered": "photos_ordered",
    "PaymentRecorded": "payment",
    "DepositRefunded": "refund",
    "TransferDecided": "transfer",
    "GraceGranted": "grace",
    "SaleOffered": "offered",
    "AuctionSuspended": "suspended",
    "AuctionResumed": "resumed",
    "AuctionCancelled": "cancelled",
    "NextRoundScheduled": "next_round",
}


class _Builder:
    """The report being built: the auction's state (folded with the engine's ``evolve``) and
    the lines each event's meaning adds (``engine.meaning.Report``)."""

    def __init__(self, auction_id: str, rules: AuctionRules, anonymise: bool) -> None:
        self.rules = rules
        self.anonymise = anonymise
        self.state = AuctionState(auction_id=auction_id)
        self.position = 0
        self.bidders: dict[str, _Bidder] = {}
        self.sections: dict[str, list[dict[str, Any]]] = {
            "bids": [], "proxies": [], "extensions": [], "incidents": [], "sale": [], "ledger": [], "suspensions": [],
            "amendments": [], "files": [],
        }
        self.events: list[dict[str, Any]] = []
        self.rules_cited: set[str] = set()
        self.deposits: dict[str, _Deposit] = {}
        self.officials: dict[tuple[str, str | None], list[dict[str, Any]]] = {}

    @property
    def zone(self) -> ZoneInfo:
        """The auction's own zone where its terms name one (PT), else the country's."""
        terms = self.state.terms
        return ZoneInfo(terms.zone) if terms is not None and terms.zone is not None else self.rules.zone

    def time(self, value: datetime | None) -> str | None:
        return None if value is None else format_instant(value, self.zone)

    def who(self, code: str | None) -> dict[str, Any]:
        """The bidder fields of a line: always the code, the identity only in the full report."""
        out: dict[str, Any] = {"bidder_code": code}
        if not self.anonymise:
            bidder = self.bidders.get(code or "")
            out["subject"] = bidder.subject if bidder is not None else None
        return out

    def cite(self, rule: str | None) -> None:
        if rule:
            self.rules_cited.add(rule)

    def line(self, section: str, fields: dict[str, Any]) -> None:
        self.sections[section].append({"position": self.position, **fields})

    def enrol(self, code: str, subject: object, at: datetime) -> None:
        # A sealed identity that was not opened (no key at hand, or erased) shows as None.
        self.bidders[code] = _Bidder(code, subject if isinstance(subject, str) else None, at, self.position)

    def bidder(self, code: str) -> _Bidder:
        return self.bidders[code]

    def add(self, stored: StoredEvent, event: Event) -> None:
        self.position = stored.version
        self.events.append({"position": stored.version, "type": stored.type, "at": self.time(event.at)})
        self.state = evolve(self.state, event, stored.version)
        ledger_lines = len(self.sections["ledger"])
        meaning_of(event).report(event, self)
        if len(self.sections["ledger"]) > ledger_lines:
            self._deposit_moved(event, self.sections["ledger"][ledger_lines:])
        official = getattr(event, "official", None)
        if isinstance(official, str):
            act = ACTS.get(stored.type, stored.type)
            if stored.type == "AuctionEnded" and getattr(event, "purchaser", None) is None:
                act = "declared_failed"
            acts = self.officials.setdefault((official, getattr(event, "office", None)), [])
            acts.append({"act": act, "at": self.time(event.at), "position": self.position})

    def _deposit_moved(self, event: Event, lines: list[dict[str, Any]]) -> None:
        code = getattr(event, "bidder_code", None)
        bidder = self.state.bidder(code) if isinstance(code, str) else None
        if bidder is None:
            return
        deposit = self.deposits.setdefault(bidder.code, _Deposit())
        deposit.lines += [{k: v for k, v in line.items() if k not in ("bidder_code", "subject")} for line in lines]
        if bidder.ledger is Ledger.REFUND_DUE:
            deposit.due, deposit.due_rule = bidder.refund_due, getattr(event, "rule", None)
        elif bidder.ledger is Ledger.REFUNDED:
            deposit.refunded_at = event.at

    # ------------------------------------------------------------ deposits

    def refunds(self) -> list[dict[str, Any]]:
        """The deposits to pay back, from the ledger: those whose refund is due, and once bidding
        has ended (or the auction was cancelled) those still held by anyone but the purchaser to be
        (the best bidder, or the pre-emption holder who declared), admitted or not."""
        state = self.state
        over = state.closed_at is not None or state.status is Status.CANCELLED
        keep = state.purchaser if state.ended else (state.preemptor or state.leader)
        lines = []
        for b in state.bidders:
            line = self.bidders.get(b.code)
            if b.deposit <= 0 or line is None:
                continue
            if b.ledger is Ledger.REFUND_DUE or (over and b.ledger is Ledger.HELD and b.code != keep):
                lines.append({**self.who(b.code), "amount": money(b.deposit), "admitted": line.admitted})
        return lines

    def ledger(self, instant: datetime) -> list[dict[str, Any]]:
        """Each bidder who paid a deposit: where it stands, its amount, its refund's due date, and how it got there."""
        entries = []
        for b in self.state.bidders:
            if b.deposit <= 0:
                continue
            deposit = self.deposits.get(b.code, _Deposit())
            # A refund's due date, while it is due and once it was made (then: was it on time?); a
            # deposit credited to the price again after an offer (or later forfeited) has none.
            refund = b.ledger in (Ledger.REFUND_DUE, Ledger.REFUNDED)
            entries.append(
                {
                    **self.who(b.code),
                    "amount": money(b.deposit),
                    "status": b.ledger.value,
                    "due": self.time(deposit.due) if refund else None,
                    "rule": deposit.due_rule if refund else None,
                    "overdue": _overdue(b.ledger, deposit.due, instant),
                    "refunded_at": self.time(deposit.refunded_at),
                    "lines": deposit.lines,
                }
            )
        return entries

    def officials_lines(self) -> list[dict[str, Any]]:
        return [
            {"official": official, "office": office, "acts": acts}
            for (official, office), acts in self.officials.items()
        ]

    def suspension_lines(self) -> list[dict[str, Any]]:
        """The suspensions and resumptions; a resumption repeats the reason and the time that was left."""
        out: list[dict[str, Any]] = []
        last: dict[str, Any] | None = None
        for line in self.sections["suspensions"]:
            if line.get("act") == "suspended":
                last = line
                out.append(line)
                continue
            extra: dict[str, Any] = {}
            if last is not None:
                extra = {"reason": last.get("reason"), "left_seconds": last.get("left_seconds")}
            out.append({**line, **extra})
            last = None
        return out

    def bidder_lines(self) -> list[dict[str, Any]]:
        return [
            {
                **self.who(b.code),
                "registered_at": self.time(b.registered_at),
                "position": b.registered_position,
                "deposits": b.deposits,
                "deposit_total": money(b.total),
                "admitted": b.admitted,
                "admitted_at": self.time(b.admitted_at),
                "admission_rule": b.admission_rule,
                "refusals": b.refusals,
            }
            for b in self.bidders.values()
        ]

    def rule_lines(self) -> list[dict[str, Any]]:
        by_code = {rule.code: rule for rule in self.rules.rules()}
        return [
            {
                "code": code,
                "basis": by_code[code].basis if code in by_code else None,
                "reading": by_code[code].reading if code in by_code else None,
            }
            for code in sorted(self.rules_cited)
        ]


def _overdue(status: Ledger, due: datetime | None, instant: datetime) -> bool:
    """A refund still due whose due date is at or before ``instant``."""
    return status is Ledger.REFUND_DUE and due is not None and due <= instant


def _last(lines: list[dict[str, Any]], act: str) -> dict[str, Any] | None:
    found = [line for line in lines if line.get("act") == act]
    return {k: v for k, v in found[-1].items() if k != "act"} if found else None


def _report_due(rules: AuctionRules, closed_at: datetime | None) -> str | None:
    if closed_at is None:
        return None
    due = rules.report_due(closed_at)
    return due.isoformat() if due is not None else None


def build_report(
    auction_id: str,
    events: Sequence[StoredEvent],
    rules: AuctionRules,
    anonymise: bool = False,
    decoded: Sequence[Event] | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """``decoded``: the same events already decoded with their identities opened
    (``AuctionService.decode``); without it, identities show as ``None``. ``as_of``: the
    report's instant, at which refunds are overdue (by default now)."""
    instant = as_of if as_of is not None else datetime.now(UTC)
    if not events:
        raise LookupError(f"no auction {auction_id!r}")
    builder = _Builder(auction_id, rules, anonymise)
    if decoded is None:
        decoded = [codec.decode(stored.type, stored.data) for stored in events]
    for stored, event in zip(events, decoded, strict=True):
        builder.add(stored, event)
    state, terms = builder.state, builder.state.terms
    if terms is None or state.scheduled_at is None:
        raise ValueError(f"the events of auction {auction_id!r} do not start with AuctionScheduled")
    warnings = schedule_warnings(rules, terms, state.scheduled_at)
    for warning in warnings:
        builder.cite(warning.rule.code)
    t = builder.time
    closed = state.closed_at is not None
    winner = None
    if closed and state.best is not None:
        winner = {**builder.who(state.best.bidder_code), "price": money(state.price)}
    purchaser = None
    if state.ended and state.purchaser is not None:
        purchaser = {**builder.who(state.purchaser), "price": money(state.purchase_price)}
    on_sale = state.sale is not None and state.purchase_price is not None
    ledger = builder.ledger(instant)
    refunds_due = [
        {k: v for k, v in entry.items() if k not in ("status", "refunded_at", "lines")}
        for entry in ledger
        if entry["status"] == Ledger.REFUND_DUE.value
    ]
    course = builder.sections["sale"]
    suspension = None
    if state.suspension is not None:
        suspension = {
            "since": t(state.suspension.at),
            "reason": state.suspension.reason,
            "deadline": t(state.suspension.deadline),
            "left_seconds": (state.suspension.deadline - state.suspension.at).total_seconds(),
        }
    return {
        "auction": auction_id,
        "anonymised": anonymise,
        "country": terms.country,
        "time_zone": builder.zone.key,
        "rules_version": state.rules_version,
        "terms": {
            "title": terms.title,
            "asset": terms.asset.value,
            "value": money(terms.value),
            "currency": terms.currency,
            "starting_price": money(terms.starting_price),
            "increment": money(terms.increment),
            "deposit_required": money(terms.deposit_required),
            "deposit_due": t(terms.deposit_due),
            "round": terms.round,
            "opens_at": t(terms.opens_at),
            "closes_at": t(terms.closes_at),
        },
        "details": details_json(state.details),
        "amendments": builder.sections["amendments"],
        "files": builder.sections["files"],
        "published": {
            kind: [file_json(f) for f in state.files if f.kind == kind and f.public] for kind in ("photo", "document")
        },
        "warnings": [warning.to_json() for warning in warnings],
        "scheduled_at": t(state.scheduled_at),
        "opened_at": t(state.opened_at),
        "opened_by": state.opened_by,
        "status": state.status.value,
        "closes_at": t(state.closes_at),
        "closed_at": t(state.closed_at),
        "report_due": _report_due(rules, state.closed_at),
        "winner": winner,
        "price": money(state.price),
        "leader": state.leader,
        "ended": state.ended,
        "ended_at": t(state.ended_at),
        "purchaser": purchaser,
        "as_of": t(instant),
        "sale": state.sale.value if state.sale is not None else None,
        "payment_due": t(state.payment_due),
        "payment_overdue": state.sale is Sale.AWAITING_PAYMENT
        and state.payment_due is not None
        and state.payment_due <= instant,
        "paid": money(state.paid) if on_sale else None,
        "price_due": money((state.purchase_price or 0) - state.paid) if on_sale else None,
        "transfer": _last(course, "transfer"),
        "cancelled": _last(course, "cancelled"),
        "suspension": suspension,
        "next_round": _last(course, "next_round"),
        "previous": terms.previous,
        "outcome": state.outcome,
        "bidders": builder.bidder_lines(),
        "bids": builder.sections["bids"],
        "proxies": [] if anonymise else builder.sections["proxies"],
        "extensions": builder.sections["extensions"],
        "incidents": builder.sections["incidents"],
        "sale_course": course,
        "ledger": ledger,
        "refunds_due": refunds_due,
        "refunds_overdue": [entry for entry in refunds_due if entry["overdue"]],
        "suspensions": builder.suspension_lines(),
        "officials": builder.officials_lines(),
        "deposits_to_refund": builder.refunds(),
        "rules": builder.rule_lines(),
        "events": builder.events,
        "position": events[-1].version,
        "last_hash": events[-1].hash,
    }
