"""Czechia: judicial (enforcement) auctions that the notice may hold online, on
the portals the Auctions Portal lists (Europe/Prague, CZK). Rules, legal basis
and readings: docs/rules.md, Czechia."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.model import UTC, AssetKind, Terms, ceil_div
from engine.policy import Draft, LegalRule, Refusal, RuleViolation, SaleTerms
from rules.common import (
    Anchor,
    CountryRules,
    SoftClose,
    TriggerWindow,
    at_least_one_step,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
    notice_payment_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Czechia' (last update 05/10/2023)"
LAWS = "Act 99/1963 (Code of Civil Procedure), Act 120/2001 (Enforcement Code), Decree 418/2001"

CURRENCY = "CZK"
RESERVE = {AssetKind.IMMOVABLE: (2, 3), AssetKind.REGISTERED_MOVABLE: (2, 3)}  # else one third
MOVABLE_RESERVE = (1, 3)
# Outside the sources: the e-Justice page gives no soft close. The 5 minutes follow the
# Code of Civil Procedure §336o (an electronic auction ends 5 minutes after the last bid);
# correct them here.
WINDOW = timedelta(minutes=5)
EXTENSION = timedelta(minutes=5)

STARTING_PRICE = LegalRule(
    code="CZ-starting-price",
    basis=(
        f"{SOURCE} ({LAWS}): at the first auction the reserve price of real estate is two thirds of the value the "
        "bailiff sets from the expert report; that of movables one third of their value"
    ),
    reading=(
        "Two thirds of the value for immovable and registered_movable assets, one third for movable assets and "
        "rights, rounded up to the heller; derived when not given, a given starting price below it refused"
    ),
)
DEPOSIT = LegalRule(
    code="CZ-deposit",
    basis=f"{SOURCE}: participants in an online auction must authenticate and pay a deposit; its amount is not stated",
    reading=(
        "The notice must set the deposit (deposit, above zero); it counts only when recorded strictly before opens_at"
    ),
)
REGISTRATION = LegalRule(
    code="CZ-registration",
    basis=f"{SOURCE}: participants must authenticate in the auction system and pay the deposit before they bid",
    reading="Registration is open until bidding opens: one at or after opens_at is refused with registration_closed",
)
DURATION = LegalRule(
    code="CZ-duration",
    basis=f"{SOURCE}: the auction notice names the venue, which may be online, and the auction's time",
    reading="The end of bidding is set in the notice: closes_at must be given; the currency is CZK",
)
INCREMENT = LegalRule(
    code="CZ-increment",
    basis=(
        f"Not stated in {SOURCE}; outside the sources: the auction notice sets the minimum bid increment "
        "(a requirement of these rules, to be corrected in rules/cz.py if the law says otherwise)"
    ),
    reading=(
        "The notice must give the increment (increment_required); the first bid reaches the starting price, every "
        "later bid is at least best + increment"
    ),
)
EXTENSION_RULE = LegalRule(
    code="CZ-extension",
    basis=(
        f"Not stated in {SOURCE}; outside the sources: Code of Civil Procedure §336o, bidding ends when no bid has "
        "been made for 5 minutes (kept as WINDOW and EXTENSION in rules/cz.py, to be corrected there)"
    ),
    reading=(
        "Bid-anchored: an accepted bid with deadline - t < 5 min (strict) moves the deadline to bid time + 5 min, "
        "so bidding ends after 5 quiet minutes; no cap"
    ),
)
HIGHER_BID = higher_bid_rule("CZ")
PROXY = no_proxy_rule("CZ", SOURCE)



# -- after bidding (docs/rules.md, After bidding): the notice's period; no next-best bidder, no next round
SALE = SaleTerms(payment=notice_payment_rule("CZ", SOURCE), forfeit=forfeit_rule("CZ"))


class CzechRules(CountryRules):
    country = "CZ"
    zone = ZoneInfo("Europe/Prague")
    proxy_allowed = False
    version = "2023-10-05"
    sale = SALE

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        REGISTRATION,
        DURATION,
        INCREMENT,
        HIGHER_BID,
        EXTENSION_RULE,
        PROXY,
    )
    starting_rule = STARTING_PRICE
    deposit_rule = DEPOSIT
    duration_rule = DURATION
    increment_rule = INCREMENT
    higher_bid_rule = HIGHER_BID
    registration_rule = REGISTRATION
    soft_close = SoftClose(TriggerWindow(WINDOW, inclusive=False), EXTENSION, Anchor.BID, EXTENSION_RULE)
    notice_terms = frozenset({"increment", "deposit"})

    def floor(self, draft: Draft) -> tuple[int, LegalRule]:
        numerator, denominator = RESERVE.get(draft.asset, MOVABLE_RESERVE)
        return ceil_div(draft.value * numerator, denominator), STARTING_PRICE

    def increment(self, draft: Draft) -> int:
        return self.required_increment(draft)

    def check_open(self, draft: Draft, opens_at: datetime) -> None:
        # Checked with the opening: the currency is the one term the rest of the schedule does not touch.
        if draft.currency != CURRENCY:
            raise RuleViolation(
                "currency_not_allowed", f"a Czech auction is held in {CURRENCY}, not {draft.currency}", DURATION
            )

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return self.registered_deposit(draft)

    def deposit_due(self, draft: Draft) -> datetime:
        return draft.opens_at.astimezone(UTC)

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        return at_least_one_step(terms, best, amount, INCREMENT)


RULES = CzechRules()
