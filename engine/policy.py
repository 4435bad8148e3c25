"""The contract between the engine and a country's rule book.

The engine never imports a country module: it receives an object satisfying
:class:`AuctionRules` (looked up through the ``auction.rules`` entry point
group) and asks it the questions the law answers. Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from engine.model import AssetKind, AuctionState, Terms


@dataclass(frozen=True)
class LegalRule:
    """One rule a country object applies, with the text it encodes.

    ``code`` is stable and goes into events (``BG-extension``); ``basis`` cites
    the law; ``reading`` says which interpretation was chosen where the text is
    ambiguous (the AMBIG labels of docs/rules.md).
    """

    code: str
    basis: str
    reading: str = ""


@dataclass(frozen=True)
class Draft:
    """What the bailiff asks for; fields left ``None`` are derived by the rules."""

    country: str
    title: str
    asset: AssetKind
    value: int
    currency: str
    opens_at: datetime
    starting_price: int | None = None
    increment: int | None = None
    closes_at: datetime | None = None
    round: int = 1
    # Terms of the notice where the law leaves a figure to the bailiff; a country
    # whose rules do not use one refuses it (docs/rules.md, Terms set by the notice).
    extension_minutes: int | None = None
    deposit: int | None = None
    zone: str | None = None
    payment_days: int | None = None
    previous: str | None = None  # the auction this next round repeats (set by the engine)


@dataclass(frozen=True)
class Gap:
    """How soon the next round may open after this one ended.

    ``months``: that many calendar months after the end instant; ``days``: 00:00 local of the
    end's local date (``from_next_day``: the day after it) + that many days. ``defaulted_end``
    names the end instant of a round whose purchaser defaulted: ``declaration`` or ``default``
    (a failed round ends when bidding ended)."""

    months: int = 0
    days: int = 0
    from_next_day: bool = False
    defaulted_end: str = "bidding"


@dataclass(frozen=True)
class SaleTerms:
    """A country's figures for what follows the bidding, each with the rule that states it.

    ``payment``: the deadline's rule; with ``payment_days`` the notice sets the period (required
    when the auction is scheduled), else ``fixed_payment`` after bidding ended (SE). Every
    refusal after bidding names one of these rules."""

    payment: LegalRule
    forfeit: LegalRule
    payment_days: bool = True
    fixed_payment: timedelta | None = None
    payment_cap_months: int | None = None  # SI: at the latest the end of that day, bidding end + months
    refund: LegalRule | None = None  # the refund's due date, where the law sets one
    refund_days: int | None = None  # within these days of the date bidding ended (SI)
    refund_next_working_day: bool = False  # by the first working day after bidding ended (LT)
    next_best: LegalRule | None = None  # the sale may be offered to the next-best bidder after a default
    preemption: LegalRule | None = None
    preemption_window: timedelta | None = None
    grace: LegalRule | None = None  # SE
    grace_above: int = 0  # the price above which a grace period may be granted
    grace_share: int = 10  # percent of the price to be paid within the fixed period
    grace_months: int = 1  # after bidding ended, at the latest
    next_round: LegalRule | None = None  # None: a new sale is a new auction, round 1
    request_days: int | None = None  # the next round asked for within these days of the failure (BG)
    gap: Gap = Gap()
    previous_percent: int | None = None  # the next round's starting price as a share of this round's (BG)
    last_round: tuple[str, LegalRule] | None = None  # what becomes of the property after the last round


class RuleViolation(ValueError):
    """A proposed schedule that the country's law does not allow."""

    def __init__(self, code: str, message: str, rule: LegalRule | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        if self.rule is not None:
            return f"{self.message} ({self.rule.code}: {self.rule.basis})"
        return self.message


@dataclass(frozen=True)
class Refusal:
    """Why a bid, proxy or admission is refused: a stable snake_case reason and the rule."""

    reason: str
    rule: LegalRule | None = None
    message: str = ""


@dataclass(frozen=True)
class Extension:
    """A new deadline and the rule that moved it there."""

    deadline: datetime
    rule: LegalRule


@dataclass(frozen=True)
class ScheduleWarning:
    """Something about accepted terms that the bailiff should look at, without blocking.

    A value, not an exception: the schedule stands as given. ``code`` is stable
    snake_case (``close_date_not_period_end``), ``message`` says it for people
    with the dates involved, ``rule`` is the rule whose reading raises it. The
    engine computes warnings from the terms whenever it shows them; they are
    never stored in events.
    """

    code: str
    message: str
    rule: LegalRule

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "rule": self.rule.code}


@runtime_checkable
class AuctionRules(Protocol):
    country: str
    zone: ZoneInfo
    proxy_allowed: bool
    version: str  # the "last update" of the sources this rule book follows

    def rules(self) -> tuple[LegalRule, ...]:
        """Every rule this rule book applies (for documentation and reports)."""
        ...

    def schedule(self, draft: Draft) -> Terms:
        """Derive what the law fixes and validate the rest; raise :class:`RuleViolation`."""
        ...

    def admission(self, terms: Terms, deposit: int, at: datetime) -> Refusal | None:
        """``None`` when a bidder who has paid ``deposit`` in total by ``at`` may bid."""
        ...

    def check_bid(self, state: AuctionState, amount: int, at: datetime) -> Refusal | None:
        """Amount rules only (minimum, steps). The engine has already checked
        status, deadline and admission."""
        ...

    def extension_on_bid(self, state: AuctionState, at: datetime) -> Extension | None:
        """After a bid accepted at ``at`` (``state`` is before the bid), the new
        deadline if the soft-close rule moves it later, else ``None``."""
        ...

    def extension_at_deadline(self, state: AuctionState) -> Extension | None:
        """When the deadline in force is reached: a new deadline (Lithuanian
        overtime) or ``None`` to end bidding there."""
        ...

    def hard_stop(self, terms: Terms) -> datetime | None:
        """The instant no extension may pass (Bulgaria's 48 h), if any."""
        ...

    def local(self, instant: datetime) -> datetime:
        """The instant on the country's wall clock."""
        ...

    def report_due(self, closed_at: datetime) -> date | None:
        """The day the law wants the auction report by, where it fixes one (Bulgaria)."""
        ...

    # -- after bidding: the sale (docs/rules.md, After bidding) ---------------

    max_round: int | None
    sale: SaleTerms
    notice_terms: frozenset[str]  # the terms of the notice this country's rules use (docs/rules.md)

    def check_sale_terms(self, draft: Draft) -> None:
        """Raise :class:`RuleViolation` when the draft lacks a term the sale will need (``payment_days``)."""
        ...

    def payment_deadline(self, state: AuctionState, declared_at: datetime) -> tuple[datetime, LegalRule]:
        """When the price is due for a purchaser declared (or offered the sale) at ``declared_at``."""
        ...

    def declaration_refusal(self, state: AuctionState, at: datetime) -> Refusal | None:
        """Why the purchaser cannot be declared at ``at`` yet."""
        ...

    def preemption_refusal(self, state: AuctionState, at: datetime) -> Refusal | None:
        """Why no pre-emption declaration can be made at ``at``."""
        ...

    def refund_deadline(self, terms: Terms, ended: datetime) -> tuple[datetime | None, LegalRule | None]:
        """By when a deposit is to be paid back after the auction ended at ``ended``, and the rule."""
        ...

    def grace_refusal(self, state: AuctionState, until: datetime, at: datetime) -> Refusal | None:
        """Why the payment deadline cannot be moved to ``until``."""
        ...

    def next_round_earliest(self, state: AuctionState) -> datetime:
        """The earliest opening of the round after this failed or defaulted one."""
        ...

    def next_round_request_by(self, state: AuctionState) -> datetime | None:
        """The end of the period in which the next round must be asked for, if any."""
        ...

    def next_round_floor(self, state: AuctionState) -> tuple[int, LegalRule] | None:
        """A starting-price floor the next round takes from this one, if any."""
        ...


@runtime_checkable
class WarnsOnSchedule(Protocol):
    """The optional part of a rule book: warnings about terms it accepted.

    Not part of :class:`AuctionRules`, so that a rule book without it still
    loads; :func:`schedule_warnings` asks for it where it exists.
    """

    def warnings(self, terms: Terms) -> tuple[ScheduleWarning, ...]:
        """Non-blocking remarks on ``terms`` (which ``schedule`` returned), in a stable order."""
        ...


@runtime_checkable
class LimitsRegistration(Protocol):
    """The optional part of a rule book whose law closes registration before bidding ends."""

    def registration(self, terms: Terms, at: datetime) -> Refusal | None:
        """``None`` when a bidder may still register at ``at``, else why not (``registration_closed``)."""
        ...


def registration_refusal(rules: AuctionRules, terms: Terms, at: datetime) -> Refusal | None:
    """Why the rule book refuses a registration at ``at``; ``None`` for one without a window."""
    if isinstance(rules, LimitsRegistration):
        return rules.registration(terms, at)
    return None


@runtime_checkable
class WarnsOnLeadTime(Protocol):
    """The optional part of a rule book whose law wants the notice out some time before opening."""

    def lead_time_warnings(self, terms: Terms, scheduled_at: datetime) -> tuple[ScheduleWarning, ...]:
        """Non-blocking remarks on the time between scheduling at ``scheduled_at`` and the opening."""
        ...


def schedule_warnings(
    rules: AuctionRules, terms: Terms, scheduled_at: datetime | None = None
) -> tuple[ScheduleWarning, ...]:
    """The rule book's warnings about ``terms`` (and, given when the auction was scheduled,
    about its lead time); ``()`` for one that has none."""
    found: tuple[ScheduleWarning, ...] = ()
    if isinstance(rules, WarnsOnSchedule):
        found = tuple(rules.warnings(terms))
    if scheduled_at is not None and isinstance(rules, WarnsOnLeadTime):
        found += tuple(rules.lead_time_warnings(terms, scheduled_at))
    return found
