"""The contract between the engine and a country's rule book.

The engine never imports a country module: it receives an object satisfying
:class:`AuctionRules` (looked up through the ``auction.rules`` entry point
group) and asks it the questions the law answers. Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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
