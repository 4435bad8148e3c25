"""The auction report, rebuilt from an auction's events and its country's rules.

Pure: :func:`build_report` takes the stored events of one auction (in stream
order) and the rule book, and returns a JSON-ready dict. Times are shown on
the country's wall clock (``rules.zone``). The report lists the terms, every
registration, deposit, admission and refusal, every bid received (refused
ones with their reason and rule), every extension with the rule that caused
it, the technical incidents the bailiff recorded, the winner and price, the
deposits to refund, and the rule book's warnings about the schedule (computed
from the AuctionScheduled terms; they are not events).

``anonymise=True`` (a bidder's copy) replaces every identity by the bidder
code and leaves out the proxies' maxima, which are other bidders' secrets.
Identities are stored sealed (``engine.vault``): the caller passes the events
with identities opened for a full report; one whose key was erased shows
``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine import codec
from engine.events import Event
from engine.meaning import evolve, meaning_of, money
from engine.model import AuctionState, format_instant
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
            "bids": [], "proxies": [], "extensions": [], "incidents": [], "sale": [], "ledger": [], "suspensions": []
        }
        self.events: list[dict[str, Any]] = []
        self.rules_cited: set[str] = set()

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
        meaning_of(event).report(event, self)

    def refunds(self) -> list[dict[str, Any]]:
        """Once bidding has ended: every deposit but the winner's goes back (admitted or not)."""
        if self.state.closed_at is None:
            return []
        winner = self.state.leader
        return [
            {**self.who(b.code), "amount": money(b.total), "admitted": b.admitted}
            for b in self.bidders.values()
            if b.code != winner and b.total > 0
        ]

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
) -> dict[str, Any]:
    """``decoded``: the same events already decoded with their identities opened
    (``AuctionService.decode``); without it, identities show as ``None``."""
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
        "bidders": builder.bidder_lines(),
        "bids": builder.sections["bids"],
        "proxies": [] if anonymise else builder.sections["proxies"],
        "extensions": builder.sections["extensions"],
        "incidents": builder.sections["incidents"],
        "sale_course": builder.sections["sale"],
        "ledger": builder.sections["ledger"],
        "suspensions": builder.sections["suspensions"],
        "deposits_to_refund": builder.refunds(),
        "rules": builder.rule_lines(),
        "events": builder.events,
        "position": events[-1].version,
        "last_hash": events[-1].hash,
    }
