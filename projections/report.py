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

from engine import codec
from engine.events import (
    AdmissionRefused,
    AuctionEnded,
    AuctionScheduled,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    BidRejected,
    DeadlineExtended,
    DepositRecorded,
    Event,
    IncidentRecorded,
    ProxyRejected,
    ProxySet,
)
from engine.decider import scheduled_terms
from engine.model import format_instant, format_money
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


def _money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


class _Builder:
    def __init__(self, rules: AuctionRules, anonymise: bool) -> None:
        self.rules = rules
        self.anonymise = anonymise
        self.scheduled: AuctionScheduled | None = None
        self.bidders: dict[str, _Bidder] = {}
        self.bids: list[dict[str, Any]] = []
        self.proxies: list[dict[str, Any]] = []
        self.extensions: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.rules_cited: set[str] = set()
        self.status = "scheduled"
        self.deadline: datetime | None = None
        self.opened: BiddingOpened | None = None
        self.closed_at: datetime | None = None
        self.winner: str | None = None
        self.price: int | None = None
        self.leader: str | None = None
        self.ended: AuctionEnded | None = None
        self.ended_position: int | None = None

    def time(self, value: datetime | None) -> str | None:
        return None if value is None else format_instant(value, self.rules.zone)

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

    def add(self, stored: StoredEvent, event: Event) -> None:
        self.events.append({"position": stored.version, "type": stored.type, "at": self.time(event.at)})
        if isinstance(event, AuctionScheduled):
            self.scheduled = event
            self.deadline = event.closes_at
        elif isinstance(event, BidderRegistered):
            # A sealed identity that was not opened (no key at hand, or erased) shows as None.
            subject = event.subject if isinstance(event.subject, str) else None
            self.bidders[event.bidder_code] = _Bidder(event.bidder_code, subject, event.at, stored.version)
        elif isinstance(event, DepositRecorded):
            bidder = self.bidders[event.bidder_code]
            bidder.deposits.append(
                {"position": stored.version, "amount": _money(event.amount), "at": self.time(event.at)}
            )
            bidder.total = event.total
        elif isinstance(event, BidderAdmitted):
            bidder = self.bidders[event.bidder_code]
            bidder.admitted, bidder.admitted_at, bidder.admission_rule = True, event.at, event.rule
            self.cite(event.rule)
        elif isinstance(event, AdmissionRefused):
            self.bidders[event.bidder_code].refusals.append(
                {"position": stored.version, "reason": event.reason, "rule": event.rule, "at": self.time(event.at)}
            )
            self.cite(event.rule)
        elif isinstance(event, BiddingOpened):
            self.opened = event
            self.status = "open"
        elif isinstance(event, (BidAccepted, BidRejected)):
            accepted = isinstance(event, BidAccepted)
            line = {"position": stored.version, "at": self.time(event.at), **self.who(event.bidder_code)}
            line.update(
                amount=_money(event.amount),
                accepted=accepted,
                reason=None if accepted else event.reason,  # type: ignore[union-attr]
                rule=None if accepted else event.rule,  # type: ignore[union-attr]
                automatic=event.automatic,
            )
            self.bids.append(line)
            if accepted:
                self.price, self.leader = event.amount, event.bidder_code
            else:
                self.cite(event.rule)  # type: ignore[union-attr]
        elif isinstance(event, (ProxySet, ProxyRejected)):
            accepted = isinstance(event, ProxySet)
            line = {"position": stored.version, "at": self.time(event.at), **self.who(event.bidder_code)}
            line.update(
                max=_money(event.max_amount),
                step=_money(event.step),
                accepted=accepted,
                reason=None if accepted else event.reason,  # type: ignore[union-attr]
                rule=None if accepted else event.rule,  # type: ignore[union-attr]
            )
            self.proxies.append(line)
        elif isinstance(event, DeadlineExtended):
            self.extensions.append(
                {
                    "position": stored.version,
                    "at": self.time(event.at),
                    "previous": self.time(event.previous),
                    "deadline": self.time(event.deadline),
                    "rule": event.rule,
                    "basis": event.basis,
                    "reading": event.reading,
                }
            )
            self.deadline = event.deadline
            self.cite(event.rule)
        elif isinstance(event, BiddingClosed):
            self.status, self.closed_at, self.winner, self.price = "closed", event.at, event.winner, event.price
        elif isinstance(event, BiddingFailed):
            self.status, self.closed_at = "failed", event.at
        elif isinstance(event, AuctionEnded):
            self.ended, self.ended_position = event, stored.version
        elif isinstance(event, IncidentRecorded):
            self.incidents.append(
                {
                    "position": stored.version,
                    "at": self.time(event.at),
                    "started_at": self.time(event.started_at),
                    "ended_at": self.time(event.ended_at),
                    "description": event.description,
                }
            )

    def refunds(self) -> list[dict[str, Any]]:
        """Once bidding has ended: every deposit but the winner's goes back (admitted or not)."""
        if self.status not in ("closed", "failed"):
            return []
        return [
            {**self.who(b.code), "amount": _money(b.total), "admitted": b.admitted}
            for b in self.bidders.values()
            if b.code != self.winner and b.total > 0
        ]

    def bidder_lines(self) -> list[dict[str, Any]]:
        return [
            {
                **self.who(b.code),
                "registered_at": self.time(b.registered_at),
                "position": b.registered_position,
                "deposits": b.deposits,
                "deposit_total": _money(b.total),
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
    builder = _Builder(rules, anonymise)
    if decoded is None:
        decoded = [codec.decode(stored.type, stored.data) for stored in events]
    for stored, event in zip(events, decoded, strict=True):
        builder.add(stored, event)
    scheduled = builder.scheduled
    if scheduled is None:
        raise ValueError(f"the events of auction {auction_id!r} do not start with AuctionScheduled")
    warnings = schedule_warnings(rules, scheduled_terms(scheduled))
    for warning in warnings:
        builder.cite(warning.rule.code)
    t = builder.time
    winner = None
    if builder.winner is not None:
        winner = {**builder.who(builder.winner), "price": _money(builder.price)}
    purchaser = None
    if builder.ended is not None and builder.ended.purchaser is not None:
        purchaser = {**builder.who(builder.ended.purchaser), "price": _money(builder.ended.price)}
    return {
        "auction": auction_id,
        "anonymised": anonymise,
        "country": scheduled.country,
        "time_zone": rules.zone.key,
        "rules_version": scheduled.rules_version,
        "terms": {
            "title": scheduled.title,
            "asset": scheduled.asset,
            "value": _money(scheduled.value),
            "currency": scheduled.currency,
            "starting_price": _money(scheduled.starting_price),
            "increment": _money(scheduled.increment),
            "deposit_required": _money(scheduled.deposit_required),
            "deposit_due": t(scheduled.deposit_due),
            "round": scheduled.round,
            "opens_at": t(scheduled.opens_at),
            "closes_at": t(scheduled.closes_at),
        },
        "warnings": [warning.to_json() for warning in warnings],
        "scheduled_at": t(scheduled.at),
        "opened_at": t(builder.opened.at) if builder.opened else None,
        "opened_by": builder.opened.by if builder.opened else None,
        "status": builder.status,
        "closes_at": t(builder.closed_at or builder.deadline),
        "closed_at": t(builder.closed_at),
        "report_due": _report_due(rules, builder.closed_at),
        "winner": winner,
        "price": _money(builder.price),
        "leader": builder.leader,
        "ended": builder.ended is not None,
        "ended_at": t(builder.ended.at) if builder.ended else None,
        "purchaser": purchaser,
        "bidders": builder.bidder_lines(),
        "bids": builder.bids,
        "proxies": [] if anonymise else builder.proxies,
        "extensions": builder.extensions,
        "incidents": builder.incidents,
        "deposits_to_refund": builder.refunds(),
        "rules": builder.rule_lines(),
        "events": builder.events,
        "position": events[-1].version,
        "last_hash": events[-1].hash,
    }
