"""Shared machinery of the country rule books.

Three things live here so that the five country modules only state their law:

* wall-clock time: converting instants to a country's zone and building an
  instant from a local date and time, refusing local times that a DST change
  makes non-existent or ambiguous (docs/rules.md, Rules every country shares: Time);
* soft close: the trigger window (``<=`` or ``<``) and the two anchors
  (bid-anchored ``max(deadline, t + L)``, deadline-anchored ``deadline + L``),
  and :class:`NoticeSoftClose` for a country whose law leaves the interval to
  the notice (docs/rules.md, Terms set by the notice);
* :class:`CountryRules`, a template satisfying :class:`engine.policy.AuctionRules`
  whose hooks each country overrides, with the warnings a country may give
  about a schedule it accepts (:meth:`CountryRules.warnings`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import ClassVar
from zoneinfo import ZoneInfo

from engine.model import UTC, AuctionState, Sale, Status, Terms, format_money, percent_of
from engine.policy import Draft, Extension, LegalRule, Refusal, RuleViolation, SaleTerms, ScheduleWarning
from rules.calendar import calendar_for, day_label

ZERO = timedelta(0)

# Warning codes (engine.policy.ScheduleWarning): the schedule stands, the bailiff is told.
CLOSE_NOT_PERIOD_END = "close_date_not_period_end"
CLOSE_NOT_WORKING_DAY = "close_date_not_working_day"
LEAD_TIME_SHORT = "lead_time_short"


# --------------------------------------------------------------------------
# Wall-clock time


class LocalTimeError(ValueError):
    """A local date and time that does not name exactly one instant."""

    def __init__(self, kind: str, wall: datetime, zone: ZoneInfo) -> None:
        self.kind = kind  # "nonexistent" (spring-forward gap) or "ambiguous" (autumn fold)
        self.wall = wall
        self.zone = zone
        if kind == "nonexistent":
            text = f"{wall:%Y-%m-%d %H:%M:%S} does not exist in {zone.key} (the clocks jump over it)"
        else:
            text = f"{wall:%Y-%m-%d %H:%M:%S} happens twice in {zone.key} (the clocks go back over it)"
        super().__init__(text)


def require_aware(value: datetime, what: str = "time") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} has no UTC offset")
    return value


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant on the zone's wall clock (same instant, local offset)."""
    return require_aware(instant, "instant").astimezone(zone)


def local_instant(zone: ZoneInfo, day: date, wall: time) -> datetime:
    """The UTC instant at which the zone's clocks show ``day`` ``wall``.

    Raises :class:`LocalTimeError` when the clocks skip that time or show it
    twice: the rules refuse to guess (docs/rules.md, Rules every country shares: Time).
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    earlier = naive.replace(tzinfo=zone, fold=0)
    later = naive.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        # zoneinfo gives the two folds different offsets both in a gap and in
        # a fold; only a time that really exists survives the round trip.
        round_trip = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        kind = "ambiguous" if round_trip == naive else "nonexistent"
        raise LocalTimeError(kind, naive, zone)
    return earlier.astimezone(UTC)


def local_midnight(zone: ZoneInfo, day: date) -> datetime:
    """The instant ``day`` begins on the zone's wall clock (UTC)."""
    return local_instant(zone, day, time(0))


# --------------------------------------------------------------------------
# Soft close


@dataclass(frozen=True)
class TriggerWindow:
    """The last stretch before the deadline in which an accepted bid extends.

    ``inclusive`` decides the edge: ``deadline - t <= length`` (Bulgaria,
    Croatia, Slovenia) or ``deadline - t < length`` (Sweden's "less than").
    A bid at or after the deadline is never inside: it is late (docs/rules.md,
    Rules every country shares: Bidding).
    """

    length: timedelta
    inclusive: bool

    def contains(self, deadline: datetime, at: datetime) -> bool:
        # Subtract in UTC: two datetimes sharing one ZoneInfo subtract as wall clocks.
        remaining = deadline.astimezone(UTC) - at.astimezone(UTC)
        if remaining <= ZERO:
            return False
        return remaining <= self.length if self.inclusive else remaining < self.length


class Anchor(str, Enum):
    BID = "bid"  # new deadline = max(deadline, t + L)
    DEADLINE = "deadline"  # new deadline = deadline + L


# Durations are added in UTC so that they are elapsed time even when the
# caller passes local datetimes (a ZoneInfo datetime adds wall-clock time).


def bid_anchored(deadline: datetime, at: datetime, length: timedelta) -> datetime:
    return max(deadline.astimezone(UTC), at.astimezone(UTC) + length)


def deadline_anchored(deadline: datetime, length: timedelta) -> datetime:
    return deadline.astimezone(UTC) + length


def extension_if_later(current: datetime, new: datetime, rule: LegalRule) -> Extension | None:
    """An :class:`Extension` only when the deadline actually moves later."""
    return Extension(new, rule) if new > current else None


@dataclass(frozen=True)
class SoftClose:
    """A pre-close window rule: an accepted bid inside ``window`` moves the
    deadline by ``length`` from the bid time or from the deadline."""

    window: TriggerWindow
    length: timedelta
    anchor: Anchor
    rule: LegalRule

    def triggers(self, deadline: datetime, at: datetime) -> bool:
        return self.window.contains(deadline, at)

    def new_deadline(self, deadline: datetime, at: datetime) -> datetime:
        if self.anchor is Anchor.BID:
            return bid_anchored(deadline, at, self.length)
        return deadline_anchored(deadline, self.length)


@dataclass(frozen=True)
class NoticeSoftClose:
    """The soft close of a country whose law gives no figure of its own: the notice
    sets ``extension_minutes`` (``minimum`` to ``maximum``, both allowed), and an
    accepted bid with deadline - t <= that interval moves the deadline to
    deadline + the interval (deadline-anchored, no cap). Without the term there is
    no extension, unless ``required`` makes the term compulsory."""

    rule: LegalRule
    required: bool = False
    minimum: int = 1
    maximum: int = 60

    def check(self, minutes: int | None) -> None:
        if minutes is None:
            if self.required:
                raise RuleViolation(
                    "extension_minutes_required",
                    f"the notice must set the extension interval (extension_minutes, {self.minimum} to {self.maximum})",
                    self.rule,
                )
            return
        if not self.minimum <= minutes <= self.maximum:
            raise RuleViolation(
                "extension_minutes_out_of_range",
                f"extension_minutes {minutes} is outside {self.minimum} to {self.maximum} minutes",
                self.rule,
            )

    def for_minutes(self, minutes: int | None) -> SoftClose | None:
        if minutes is None:
            return None
        interval = timedelta(minutes=minutes)
        return SoftClose(TriggerWindow(interval, inclusive=True), interval, Anchor.DEADLINE, self.rule)


# --------------------------------------------------------------------------
# Shared legal rules


def higher_bid_rule(country: str) -> LegalRule:
    return LegalRule(
        code=f"{country}-higher-bid",
        basis=(
            "e-Justice portal, 'Judicial auctions' glossary: a counter bid is a new, higher bid, "
            "and the award goes to whoever offers the highest price when the auction ends"
        ),
        reading=(
            "Rule every country shares (docs/rules.md): a bid must exceed the current best bid; an equal or "
            "lower bid is refused as bid_too_low (there is no 'valid but not leading' bid)"
        ),
    )


def at_least_one_step(terms: Terms, best: int | None, amount: int, rule: LegalRule) -> Refusal | None:
    """A notice's increment as a minimum raise: every bid after the first at least best +
    increment (the first only has to reach the starting price); free without an increment."""
    if terms.increment is None or best is None:
        return None
    minimum = best + terms.increment
    if amount < minimum:
        return Refusal("bad_increment", rule, f"the bid must be at least {_money(minimum, terms.currency)}")
    return None


def no_proxy_rule(country: str, source: str) -> LegalRule:
    return LegalRule(
        code=f"{country}-proxy",
        basis=f"{source} describes no automatic (proxy) bidding",
        reading="Rule every country shares (docs/rules.md): automatic bidding is refused with proxy_not_allowed",
    )


# --------------------------------------------------------------------------
# The template


def _money(cents: int, currency: str) -> str:
    return f"{format_money(cents)} {currency}".rstrip()


# The terms of a notice that carry a figure the law leaves to the bailiff (Draft fields).
NOTICE_TERMS = ("increment", "extension_minutes", "deposit", "zone", "payment_days")
PAYMENT_DAYS = range(1, 184)  # docs/rules.md, After bidding: a notice's payment period, 1 to 183 days


# --------------------------------------------------------------------------
# After bidding: the sale (docs/rules.md, After bidding)


def months_after(instant: datetime, zone: ZoneInfo, months: int) -> datetime:
    """``months`` calendar months after ``instant``: the same wall-clock time on the same day of
    the month, or on the month's last day where it has no such day (31 Jan + 1 month = 28 Feb)."""
    local = to_local(instant, zone)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    try:
        return local_instant(zone, date(year, month, day), local.timetz().replace(tzinfo=None))
    except LocalTimeError:  # the wall time falls in a DST change: its first reading
        return datetime.combine(date(year, month, day), local.time(), tzinfo=zone).astimezone(UTC)


def end_of_days(zone: ZoneInfo, day: date, days: int) -> datetime:
    """"Within ``days`` days of ``day``": the local midnight that ends ``day`` + ``days``
    (an act at that instant or later is late)."""
    return local_midnight(zone, day + timedelta(days=days + 1))


def notice_payment_rule(country: str, source: str, reading: str = "") -> LegalRule:
    """The payment deadline a country leaves to the notice (``payment_days``)."""
    return LegalRule(
        code=f"{country}-payment",
        basis=f"{source}: the purchaser pays the price within the period that the sale's notice or order sets",
        reading=reading
        or (
            "The notice's payment_days (1 to 183) is required; the price is due before 24:00 local at the end "
            "of the declaration's local date + payment_days [X: the sources give no period]"
        ),
    )


def forfeit_rule(country: str, basis: str = "") -> LegalRule:
    return LegalRule(
        code=f"{country}-forfeit",
        basis=basis or "A purchaser who does not pay the price in time loses the deposit",
        reading=(
            "At the payment deadline, with the price not covered, the sale is defaulted at that instant and the "
            "purchaser's deposit is forfeited [I; Lithuanian law states it for restricted assets]"
        ),
    )


def no_next_round_rule(country: str) -> LegalRule:
    return LegalRule(
        code=f"{country}-next-round",
        basis="The sources describe no further round of an online sale",
        reading="A failed or defaulted sale is not repeated here: a new sale is a new auction, round 1",
    )


class CountryRules:
    """A country's rule book; satisfies :class:`engine.policy.AuctionRules`.

    The template runs the steps every country shares (validation of the
    draft, the bid rules every country shares (docs/rules.md), admission, soft close, capping);
    a country module sets the class attributes and overrides the hooks
    ``floor``, ``default_close``, ``check_close``, ``deposit_required``,
    ``deposit_due`` and ``check_step`` where its law says something.
    """

    country: str
    zone: ZoneInfo
    proxy_allowed: bool = False
    version: str  # "last update" of the country's e-Justice page this book follows

    rule_book: ClassVar[tuple[LegalRule, ...]]
    starting_rule: ClassVar[LegalRule]
    deposit_rule: ClassVar[LegalRule]
    duration_rule: ClassVar[LegalRule]
    increment_rule: ClassVar[LegalRule]
    higher_bid_rule: ClassVar[LegalRule]
    deposit_deadline_rule: ClassVar[LegalRule | None] = None
    soft_close: ClassVar[SoftClose | None] = None
    notice_soft_close: ClassVar[NoticeSoftClose | None] = None  # the interval is a term of the notice
    cap_rule: ClassVar[LegalRule | None] = None
    registration_rule: ClassVar[LegalRule | None] = None  # set where registration closes at opens_at

    # Which of NOTICE_TERMS this country's rules use (``extension_minutes`` also where
    # ``notice_soft_close`` is set); any other one given is refused, never ignored.
    notice_terms: ClassVar[frozenset[str]] = frozenset()  # payment_days: added where ``sale.payment_days``

    max_round: ClassVar[int | None] = None  # rounds the law describes (None: any)
    sale: ClassVar[SaleTerms]  # what follows the bidding (docs/rules.md, After bidding)
    value_based: ClassVar[bool] = True  # prices derive from the value, which must be positive

    # -- AuctionRules ------------------------------------------------------

    def rules(self) -> tuple[LegalRule, ...]:
        """The rule book, then the rules of the sale after bidding and the lead time."""
        sale = self.sale
        more = [
            sale.payment, sale.forfeit, sale.refund, sale.next_best, sale.preemption, sale.grace, sale.next_round,
            self.lead_days[1] if self.lead_days is not None else None,
        ]
        extra = tuple(rule for rule in dict.fromkeys(more) if rule is not None and rule not in self.rule_book)
        return self.rule_book + extra

    def report_due(self, closed_at: datetime) -> date | None:
        return None

    def local(self, instant: datetime) -> datetime:
        return to_local(instant, self.zone)

    def schedule(self, draft: Draft) -> Terms:
        self._check_draft(draft)
        opens_at = draft.opens_at.astimezone(UTC)
        starting = self.starting_price(draft)
        closes_at = draft.closes_at.astimezone(UTC) if draft.closes_at is not None else self.default_close(draft)
        if closes_at <= opens_at:
            raise RuleViolation(
                "closes_at_not_after_opens_at",
                f"closes_at {closes_at.isoformat()} is not after opens_at {opens_at.isoformat()}",
                self.duration_rule,
            )
        self.check_open(draft, opens_at)
        self.check_close(draft, closes_at)
        return Terms(
            country=self.country,
            title=draft.title,
            asset=draft.asset,
            value=draft.value,
            currency=draft.currency,
            starting_price=starting,
            increment=self.increment(draft),
            opens_at=opens_at,
            closes_at=closes_at,
            round=draft.round,
            deposit_required=self.deposit_required(draft, starting),
            deposit_due=self.deposit_due(draft),
            extension_minutes=draft.extension_minutes,
            zone=self.auction_zone(draft),
            payment_days=draft.payment_days,
            previous=draft.previous,
        )

    def admission(self, terms: Terms, deposit: int, at: datetime) -> Refusal | None:
        if terms.deposit_due is not None and at >= terms.deposit_due:
            # Late first: once the deadline has passed no further payment can help.
            return Refusal(
                "deposit_late",
                self.deposit_deadline_rule or self.deposit_rule,
                f"deposits count only when credited before {self.local(terms.deposit_due).isoformat()}",
            )
        if deposit < terms.deposit_required:
            return Refusal(
                "deposit_short",
                self.deposit_rule,
                f"deposit {_money(deposit, terms.currency)} is short of the required "
                f"{_money(terms.deposit_required, terms.currency)}",
            )
        return None

    def check_bid(self, state: AuctionState, amount: int, at: datetime) -> Refusal | None:
        terms = state.terms
        if terms is None:
            return Refusal("auction_not_open", None, "the auction is not scheduled")
        best = state.price
        if best is not None:
            if amount <= best:
                return Refusal(
                    "bid_too_low",
                    self.higher_bid_rule,
                    f"{_money(amount, terms.currency)} does not exceed the best bid {_money(best, terms.currency)}",
                )
        elif amount <= 0 or amount < terms.starting_price:
            return Refusal(
                "bid_too_low",
                self.starting_rule,
                f"the first bid must reach the starting price {_money(terms.starting_price, terms.currency)}"
                + (" and be positive" if terms.starting_price == 0 else ""),
            )
        return self.check_step(terms, best, amount)

    def registration(self, terms: Terms, at: datetime) -> Refusal | None:
        """``registration_closed`` at or after opens_at where ``registration_rule`` is set
        (:class:`engine.policy.LimitsRegistration`); registration stays open otherwise."""
        if self.registration_rule is None or at < terms.opens_at:
            return None
        return Refusal(
            "registration_closed",
            self.registration_rule,
            f"registration closed when bidding opened at {self.local(terms.opens_at).isoformat()}",
        )

    def soft_close_for(self, terms: Terms) -> SoftClose | None:
        """The country's own soft close, else the one the notice's ``extension_minutes`` sets."""
        if self.soft_close is not None:
            return self.soft_close
        if self.notice_soft_close is not None:
            return self.notice_soft_close.for_minutes(terms.extension_minutes)
        return None

    def extension_on_bid(self, state: AuctionState, at: datetime) -> Extension | None:
        deadline, terms = state.deadline, state.terms
        if deadline is None or terms is None:
            return None
        soft_close = self.soft_close_for(terms)
        if soft_close is None:
            return None
        if not soft_close.triggers(deadline, at):
            return None
        new, rule = soft_close.new_deadline(deadline, at), soft_close.rule
        stop = self.hard_stop(terms)
        if stop is not None:
            stop += state.suspended_for  # a suspension moves the cap by its length (docs/rules.md)
        if stop is not None and new > stop:
            new, rule = stop, self.cap_rule or rule  # truncated to the cap (AMBIG-BG-3)
        return extension_if_later(deadline, new, rule)

    def extension_at_deadline(self, state: AuctionState) -> Extension | None:
        return None

    def hard_stop(self, terms: Terms) -> datetime | None:
        return None

    # -- after bidding (docs/rules.md, After bidding) ------------------------

    def payment_deadline(self, state: AuctionState, declared_at: datetime) -> tuple[datetime, LegalRule]:
        """When the price is due for a purchaser declared (or offered the sale) at ``declared_at``."""
        terms, ended = state.terms, state.closed_at
        assert terms is not None and ended is not None
        zone = self.zone_for(terms)
        if self.sale.fixed_payment is not None:
            return ended + self.sale.fixed_payment, self.sale.payment  # elapsed time, across DST
        if terms.payment_days is None:
            raise RuleViolation(
                "payment_days_required",
                f"{self.country} rules take the payment period from the notice, which gave none",
                self.sale.payment,
            )
        due = end_of_days(zone, to_local(declared_at, zone).date(), terms.payment_days)
        if self.sale.payment_cap_months is not None:
            cap_day = to_local(months_after(ended, zone, self.sale.payment_cap_months), zone).date()
            due = min(due, end_of_days(zone, cap_day, 0))
        return due, self.sale.payment

    def declaration_refusal(self, state: AuctionState, at: datetime) -> Refusal | None:
        """Why the purchaser cannot be declared at ``at`` yet (SI: the pre-emption window)."""
        window = self.sale.preemption_window
        if window is None or state.closed_at is None or state.status is not Status.CLOSED:
            return None
        if at < state.closed_at + window:
            return Refusal(
                "preemption_window_open",
                self.sale.preemption,
                f"holders of a pre-emption right may declare until {self.local(state.closed_at + window).isoformat()}",
            )
        return None

    def preemption_refusal(self, state: AuctionState, at: datetime) -> Refusal | None:
        """Why no pre-emption declaration can be made at ``at`` (the window, the country)."""
        rule, window = self.sale.preemption, self.sale.preemption_window
        if rule is None or window is None:
            return Refusal("preemption_not_provided", None, f"{self.country} rules know no pre-emption right")
        if state.status is not Status.CLOSED or state.closed_at is None:
            return Refusal("preemption_window_closed", rule, "pre-emption is declared after bidding ended with a bid")
        if at >= state.closed_at + window or state.ended:
            return Refusal(
                "preemption_window_closed",
                rule,
                f"the window for pre-emption ended at {self.local(state.closed_at + window).isoformat()}",
            )
        return None

    def refund_deadline(self, terms: Terms, ended: datetime) -> tuple[datetime | None, LegalRule | None]:
        """By when a non-purchaser's deposit is to be paid back, where the law sets a date."""
        zone = self.zone_for(terms)
        day = to_local(ended, zone).date()
        if self.sale.refund_days is not None:
            return end_of_days(zone, day, self.sale.refund_days), self.sale.refund
        if self.sale.refund_next_working_day:
            return end_of_days(zone, calendar_for(self.country).next_working_day(day), 0), self.sale.refund
        return None, None

    def grace_refusal(self, state: AuctionState, until: datetime, at: datetime) -> Refusal | None:
        """Why the payment deadline cannot be moved to ``until`` (only SE grants grace)."""
        rule = self.sale.grace
        if rule is None:
            return Refusal("grace_not_provided", None, f"{self.country} rules give no grace period")
        assert state.terms is not None and state.closed_at is not None and state.purchase_price is not None
        price, currency = state.purchase_price, state.terms.currency
        if price <= self.sale.grace_above:
            return Refusal(
                "grace_not_allowed",
                rule,
                f"a grace period needs a price above {_money(self.sale.grace_above, currency)}",
            )
        share = percent_of(price, self.sale.grace_share)
        if state.paid < share:
            return Refusal(
                "grace_not_allowed",
                rule,
                f"{self.sale.grace_share} % of the price ({_money(share, currency)}) must be paid first",
            )
        latest = months_after(state.closed_at, self.zone_for(state.terms), self.sale.grace_months)
        if until > latest:
            return Refusal(
                "grace_too_long", rule, f"a grace period ends at the latest at {self.local(latest).isoformat()}"
            )
        if state.payment_due is not None and until <= state.payment_due:
            return Refusal("grace_too_short", rule, "a grace period must end after the deadline in force")
        return None

    def round_ended(self, state: AuctionState) -> datetime | None:
        """When this round ended for counting the next one's earliest opening (None: not yet)."""
        if state.status is Status.FAILED:
            return state.closed_at
        if state.sale is Sale.DEFAULTED:
            return {"declaration": state.ended_at, "default": state.defaulted_at}.get(
                self.sale.gap.defaulted_end, state.closed_at
            )
        return None

    def next_round_earliest(self, state: AuctionState) -> datetime:
        assert state.terms is not None
        ended = self.round_ended(state)
        assert ended is not None
        zone, gap = self.zone_for(state.terms), self.sale.gap
        if gap.months:
            return months_after(ended, zone, gap.months)
        day = to_local(ended, zone).date() + timedelta(days=1 if gap.from_next_day else 0)
        return local_midnight(zone, day + timedelta(days=gap.days))

    def next_round_request_by(self, state: AuctionState) -> datetime | None:
        """The end of the period in which the next round must be asked for (BG: a week)."""
        ended = state.defaulted_at if state.sale is Sale.DEFAULTED else state.closed_at
        if self.sale.request_days is None or ended is None or state.terms is None:
            return None
        zone = self.zone_for(state.terms)
        return end_of_days(zone, to_local(ended, zone).date(), self.sale.request_days)

    def next_round_floor(self, state: AuctionState) -> tuple[int, LegalRule] | None:
        """A starting price floor the next round takes from this one (BG: 90 % of it)."""
        if self.sale.previous_percent is None or state.terms is None or self.sale.next_round is None:
            return None
        return percent_of(state.terms.starting_price, self.sale.previous_percent), self.sale.next_round

    # -- hooks ------------------------------------------------------------

    def floor(self, draft: Draft) -> tuple[int, LegalRule] | None:
        """The lowest starting price the law allows and the rule saying so (None: no floor)."""
        return None

    def starting_price(self, draft: Draft) -> int:
        floor = self.floor(draft)
        if draft.starting_price is None:
            return 0 if floor is None else floor[0]
        if floor is not None and draft.starting_price < floor[0]:
            amount, rule = floor
            raise RuleViolation(
                "starting_price_too_low",
                f"starting price {_money(draft.starting_price, draft.currency)} is below the legal minimum "
                f"{_money(amount, draft.currency)} for a round-{draft.round} sale of {draft.asset.value} property",
                rule,
            )
        return draft.starting_price

    def increment(self, draft: Draft) -> int | None:
        return draft.increment

    def default_close(self, draft: Draft) -> datetime:
        raise RuleViolation(
            "closes_at_required",
            f"{self.country} law leaves the end of bidding to the order or notice: closes_at must be given",
            self.duration_rule,
        )

    def check_open(self, draft: Draft, opens_at: datetime) -> None:
        return None

    def check_close(self, draft: Draft, closes_at: datetime) -> None:
        return None

    def auction_zone(self, draft: Draft) -> str | None:
        """The auction's own zone, where the country has several (the ``zone`` term); None: ``zone``."""
        return None

    def zone_for(self, terms: Terms) -> ZoneInfo:
        """The wall clock an auction's times are shown on: its own zone, else the country's."""
        return ZoneInfo(terms.zone) if terms.zone is not None else self.zone

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return 0

    def deposit_due(self, draft: Draft) -> datetime | None:
        return None

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        """Step rules beyond "higher than the best"; free by default."""
        return None

    lead_days: ClassVar[tuple[int, LegalRule] | None] = None  # a lead time in calendar days

    def minimum_lead(self, terms: Terms, scheduled_on: date) -> tuple[date, str, LegalRule] | None:
        """The earliest local opening date the law allows for a notice out on ``scheduled_on``,
        the lead in words and its rule; ``None`` where the law sets no lead time."""
        if self.lead_days is None:
            return None
        days, rule = self.lead_days
        return scheduled_on + timedelta(days=days), f"{days} day{'s' if days != 1 else ''}", rule

    def lead_time_warnings(self, terms: Terms, scheduled_at: datetime) -> tuple[ScheduleWarning, ...]:
        """``lead_time_short`` when bidding opens sooner after scheduling than the law's lead time
        (:class:`engine.policy.WarnsOnLeadTime`). Only a warning: the engine cannot know when the
        notice was published elsewhere."""
        scheduled_on = self.local(scheduled_at).date()
        found = self.minimum_lead(terms, scheduled_on)
        if found is None:
            return ()
        earliest, lead, rule = found
        opens_on = self.local(terms.opens_at).date()
        if opens_on >= earliest:
            return ()
        return (
            ScheduleWarning(
                LEAD_TIME_SHORT,
                f"bidding opens on {day_label(opens_on)}, sooner than {lead} after the schedule of "
                f"{day_label(scheduled_on)} (not before {day_label(earliest)}); the schedule stands",
                rule,
            ),
        )

    def warnings(self, terms: Terms) -> tuple[ScheduleWarning, ...]:
        """What the bailiff should look at in terms :meth:`schedule` accepted
        (:class:`engine.policy.WarnsOnSchedule`); none by default. Countries
        whose law counts the bidding period build theirs from the helpers below."""
        return ()

    # -- helpers for country modules --------------------------------------

    def required_increment(self, draft: Draft) -> int:
        """The notice's increment where the law wants one (``increment_required`` without it)."""
        if draft.increment is None:
            raise RuleViolation(
                "increment_required", f"{self.country} rules need the notice's increment", self.increment_rule
            )
        return draft.increment

    def given_starting_price(self, draft: Draft) -> int:
        """The notice's starting price where the law fixes no figure (``starting_price_required``)."""
        if draft.starting_price is None:
            raise RuleViolation(
                "starting_price_required",
                f"{self.country} law derives no starting price: the notice must give it",
                self.starting_rule,
            )
        return draft.starting_price

    def value_as_starting_price(self, draft: Draft) -> int:
        """A starting price the law sets equal to the value: derived as it, a different one refused."""
        if draft.starting_price is not None and draft.starting_price != draft.value:
            raise RuleViolation(
                "starting_price_not_value",
                f"starting price {_money(draft.starting_price, draft.currency)} is not the value "
                f"{_money(draft.value, draft.currency)}, which the law makes the starting price",
                self.starting_rule,
            )
        return draft.value

    def registered_deposit(self, draft: Draft) -> int:
        """The bailiff-set deposit where the law requires one but names no amount (``deposit_required``)."""
        if draft.deposit is None:
            raise RuleViolation(
                "deposit_required",
                f"{self.country} bidders must lodge a deposit the bailiff sets: the notice must give it",
                self.deposit_rule,
            )
        return draft.deposit

    def wall_clock(self, day: date, wall: time, rule: LegalRule) -> datetime:
        """``local_instant`` in this country's zone, as a :class:`RuleViolation` when it fails."""
        try:
            return local_instant(self.zone, day, wall)
        except LocalTimeError as error:
            raise RuleViolation(
                f"local_time_{error.kind}",
                f"the derived close {error}; give closes_at with an explicit offset",
                rule,
            ) from error

    def period_end_warning(
        self, terms: Terms, last_day: date, position: str, period: str
    ) -> ScheduleWarning | None:
        """``close_date_not_period_end`` when the close's local date is not
        ``last_day``, the end of the bidding period as ``duration_rule`` counts it.
        ``position`` names the close's day in that count ("day 8"), ``period`` the
        count ("the 7-day bidding period counted from ...")."""
        close_day = self.local(terms.closes_at).date()
        if close_day == last_day:
            return None
        return ScheduleWarning(
            CLOSE_NOT_PERIOD_END,
            f"the close is on {day_label(close_day)} ({position}), but {period} ends on {day_label(last_day)}; "
            "the close stands as given",
            self.duration_rule,
        )

    def last_day_warning(self, terms: Terms) -> ScheduleWarning | None:
        """``close_date_not_working_day`` when the close's local date is a weekend
        day or a public holiday of the country, where its law allows such a close."""
        close_day = self.local(terms.closes_at).date()
        why = calendar_for(self.country).why_not_working(close_day)
        if why is None:
            return None
        return ScheduleWarning(
            CLOSE_NOT_WORKING_DAY,
            f"the last day of bidding, {day_label(close_day)}, is not a working day: it is {why}; "
            "the close stands as given",
            self.duration_rule,
        )

    def _check_draft(self, draft: Draft) -> None:
        if draft.country.upper() != self.country:
            raise RuleViolation("wrong_country", f"a {draft.country} draft given to the {self.country} rules")
        for what, value in (("opens_at", draft.opens_at), ("closes_at", draft.closes_at)):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise RuleViolation(
                    "time_without_offset", f"{what} {value.isoformat()} has no UTC offset", self.duration_rule
                )
        if draft.round < 1:
            raise RuleViolation("round_invalid", "the round is counted from 1", self.starting_rule)
        if self.max_round is not None and draft.round > self.max_round:
            raise RuleViolation(
                "round_not_provided",
                f"{self.country} law describes rounds 1 to {self.max_round}, not round {draft.round}",
                self.starting_rule,
            )
        if draft.value < 0 or (self.value_based and draft.value == 0):
            raise RuleViolation(
                "value_invalid", "the value must be a positive amount: prices derive from it", self.starting_rule
            )
        if draft.starting_price is not None and draft.starting_price < 0:
            raise RuleViolation("starting_price_invalid", "the starting price cannot be negative", self.starting_rule)
        if draft.increment is not None and draft.increment <= 0:
            raise RuleViolation("increment_invalid", "an increment must be a positive amount", self.increment_rule)
        self._check_notice_terms(draft)

    def term_rule(self, term: str) -> LegalRule:
        """The rule that says what this country does with a notice term (named when it is refused)."""
        if term == "increment":
            return self.increment_rule
        if term == "deposit":
            return self.deposit_rule
        if term == "payment_days":
            return self.sale.payment
        if term == "extension_minutes":
            if self.notice_soft_close is not None:
                return self.notice_soft_close.rule
            return self.soft_close.rule if self.soft_close is not None else self.duration_rule
        return self.duration_rule

    def _check_notice_terms(self, draft: Draft) -> None:
        used = (
            self.notice_terms
            | ({"extension_minutes"} if self.notice_soft_close is not None else set())
            | ({"payment_days"} if self.sale.payment_days else set())
        )
        for term in NOTICE_TERMS:
            if getattr(draft, term) is not None and term not in used:
                rule = self.term_rule(term)
                raise RuleViolation(
                    "term_not_used",
                    f"{self.country} rules have no use for a notice-set {term}: {rule.reading}",
                    rule,
                )
        if self.notice_soft_close is not None:
            self.notice_soft_close.check(draft.extension_minutes)
        if draft.deposit is not None and draft.deposit <= 0:
            raise RuleViolation(
                "deposit_invalid", "a deposit set by the notice must be a positive amount", self.deposit_rule
            )
        if draft.payment_days is not None and draft.payment_days not in PAYMENT_DAYS:
            raise RuleViolation(
                "payment_days_invalid",
                f"payment_days must be {PAYMENT_DAYS.start} to {PAYMENT_DAYS.stop - 1}, not {draft.payment_days}",
                self.sale.payment,
            )

    def check_sale_terms(self, draft: Draft) -> None:
        """The notice's payment period, where the country takes it from the notice (scheduling
        through the API; a dry run that never reaches a declaration may leave it out)."""
        if self.sale.payment_days and draft.payment_days is None:
            raise RuleViolation(
                "payment_days_required",
                f"{self.country} rules take the purchaser's payment period from the notice: payment_days "
                f"({PAYMENT_DAYS.start} to {PAYMENT_DAYS.stop - 1}) must be given",
                self.sale.payment,
            )
