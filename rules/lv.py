"""Latvia: e-auctions run by judicial officers on the e-auction site of the
Register of Enforcement Cases (Europe/Riga). Rules, legal basis and readings:
docs/rules.md, Latvia."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from engine.model import UTC, AssetKind, Terms, format_money, percent_of
from engine.policy import Draft, LegalRule, Refusal, RuleViolation, SaleTerms
from rules.common import (
    CountryRules,
    NoticeSoftClose,
    at_least_one_step,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
    notice_payment_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Latvia' (last update 30/01/2024)"
LAW = "Civil Procedure Law (Civilprocesa likums)"

INCREMENT_PERCENT = (1, 10)  # of the starting price, both bounds allowed
# Outside the sources: the e-Justice page states no deposit. The figure follows the Civil
# Procedure Law, Art. 609 (security of 10% of the starting price); correct it here.
DEPOSIT_PERCENT = 10

STARTING_PRICE = LegalRule(
    code="LV-starting-price",
    basis=(
        f"{SOURCE}: the judicial officer values the property at its forced-sale value, which is the starting "
        "price; where there are two valuations, the higher one"
    ),
    reading=(
        "The starting price is the value (the draft's value is the forced-sale value, the higher of two "
        "valuations); derived when not given, and a given one that differs is refused (starting_price_not_value)"
    ),
)
DEPOSIT = LegalRule(
    code="LV-deposit",
    basis=(
        f"Not stated in {SOURCE}; outside the sources: {LAW} Art. 609, a security of 10% of the starting price "
        "(kept as DEPOSIT_PERCENT in rules/lv.py, to be corrected there)"
    ),
    reading="10% of the starting price, rounded up to the cent, counting only when recorded strictly before opens_at",
)
DURATION = LegalRule(
    code="LV-duration",
    basis=f"{LAW} Art. 606(3), as described in {SOURCE}: the notice states the auction's terms",
    reading="The end of bidding is set in the notice: closes_at must be given; registration stays open until the close",
)
INCREMENT = LegalRule(
    code="LV-increment",
    basis=(
        f"{SOURCE}: the judicial officer sets the bidding increment at no less than 1% and no more than 10% of "
        "the starting price"
    ),
    reading=(
        "The notice must give the increment, 1% to 10% of the starting price inclusive (each bound rounded up to the "
        "cent); the first bid reaches the starting price, every later bid is at least best + increment"
    ),
)
LEAD_TIME = LegalRule(
    code="LV-lead-time",
    basis=(
        f"{SOURCE}: the notice of an immovable's auction is published at least one month before the auction, in "
        "Latvijas Vēstnesis and on the e-auction site; the page's wording for a longer period at the enforcing "
        "party's request is unclear"
    ),
    reading=(
        "A warning for immovables, never a refusal: lead_time_short when opens_at's local date is before the same "
        "day of the next month after the local date the auction was scheduled (or that month's last day if it has "
        "no such day)"
    ),
)
EXTENSION_RULE = LegalRule(
    code="LV-extension",
    basis=f"{SOURCE} gives no soft-close rule for the e-auction site",
    reading=(
        "Set by the notice: with extension_minutes (1 to 60) an accepted bid with deadline - t <= the interval moves "
        "the deadline to deadline + the interval (deadline-anchored, no cap); without it there is no extension"
    ),
)
HIGHER_BID = higher_bid_rule("LV")
PROXY = no_proxy_rule("LV", SOURCE)


def one_month_after(day: date) -> date:
    """The same day of the next month, or that month's last day when it has no such day (31 Jan -> 28 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))



# -- after bidding (docs/rules.md, After bidding): the notice's period; no next-best bidder, no next round
SALE = SaleTerms(payment=notice_payment_rule("LV", SOURCE), forfeit=forfeit_rule("LV"))


class LatvianRules(CountryRules):
    country = "LV"
    zone = ZoneInfo("Europe/Riga")
    proxy_allowed = False
    version = "2024-01-30"
    sale = SALE

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        DURATION,
        INCREMENT,
        HIGHER_BID,
        EXTENSION_RULE,
        PROXY,
        LEAD_TIME,
    )
    starting_rule = STARTING_PRICE
    deposit_rule = DEPOSIT
    duration_rule = DURATION
    increment_rule = INCREMENT
    higher_bid_rule = HIGHER_BID
    notice_soft_close = NoticeSoftClose(EXTENSION_RULE)
    notice_terms = frozenset({"increment"})

    def starting_price(self, draft: Draft) -> int:
        return self.value_as_starting_price(draft)

    def increment(self, draft: Draft) -> int:
        increment = self.required_increment(draft)
        starting = draft.value
        low, high = (percent_of(starting, percent) for percent in INCREMENT_PERCENT)
        if not low <= increment <= high:
            raise RuleViolation(
                "increment_out_of_range",
                f"increment {format_money(increment)} {draft.currency} is outside 1% to 10% of the starting price "
                f"({format_money(low)} to {format_money(high)} {draft.currency})",
                INCREMENT,
            )
        return increment

    def minimum_lead(self, terms: Terms, scheduled_on: date) -> tuple[date, str, LegalRule] | None:
        if terms.asset is not AssetKind.IMMOVABLE:
            return None
        return one_month_after(scheduled_on), "one month", LEAD_TIME

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return percent_of(starting_price, DEPOSIT_PERCENT)

    def deposit_due(self, draft: Draft) -> datetime:
        return draft.opens_at.astimezone(UTC)

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        return at_least_one_step(terms, best, amount, INCREMENT)


RULES = LatvianRules()
