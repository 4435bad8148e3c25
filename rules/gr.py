"""Greece: electronic auctions on eauction.gr, with a notary of the district
attending (Europe/Athens). Rules, legal basis and readings: docs/rules.md, Greece."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.model import AssetKind, Terms
from engine.policy import Draft, LegalRule, Refusal, RuleViolation, SaleTerms
from rules.calendar import DAY_NAMES, calendar_for, day_label
from rules.common import (
    CountryRules,
    NoticeSoftClose,
    at_least_one_step,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
    notice_payment_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Greece' (last update 04/07/2023)"
CODE = "Code of Civil Procedure"

AUCTION_WEEKDAYS = (2, 3, 4)  # Wednesday, Thursday, Friday

STARTING_PRICE = LegalRule(
    code="GR-starting-price",
    basis=(
        f"{SOURCE}: the seizure report states a starting bid, which for immovables equals the market value set by an "
        f"independent expert ({CODE} Art. 954 movables, Art. 992 immovables)"
    ),
    reading=(
        "Immovables: the starting price is the value (the market value), derived when not given, a different one "
        "refused (starting_price_not_value); other assets: the notice must give it (starting_price_required)"
    ),
)
DEPOSIT = LegalRule(
    code="GR-deposit",
    basis=f"{SOURCE}: bidders must lodge a bid security and be certified in the electronic system ({CODE} Art. 959)",
    reading="The notice must set the bid security (deposit, above zero); its amount is not stated in the sources",
)
REGISTRATION = LegalRule(
    code="GR-registration",
    basis=f"{SOURCE}: bidders are certified in the electronic system before they take part ({CODE} Art. 959)",
    reading="Registration is open until bidding opens: one at or after opens_at is refused with registration_closed",
)
DURATION = LegalRule(
    code="GR-duration",
    basis=f"{SOURCE}: the auction's date and time are set in the seizure report and its published extract",
    reading="The end of bidding is set in the notice: closes_at must be given",
)
AUCTION_DAY = LegalRule(
    code="GR-auction-day",
    basis=f"{SOURCE}: auctions are held on working days, namely Wednesday, Thursday and Friday",
    reading=(
        "opens_at's local date (Europe/Athens) must be a Wednesday, Thursday or Friday that is a working day "
        "(Greek public holidays); otherwise the schedule is refused (opens_at_not_allowed)"
    ),
)
INCREMENT = LegalRule(
    code="GR-increment",
    basis=f"{SOURCE} sets no bidding step",
    reading=(
        "Optional notice term: with an increment every bid after the first is at least best + increment; "
        "without one any higher amount. The first bid reaches the starting price"
    ),
)
EXTENSION_RULE = LegalRule(
    code="GR-extension",
    basis=f"{SOURCE} gives no soft-close rule for eauction.gr",
    reading=(
        "Set by the notice: with extension_minutes (1 to 60) an accepted bid with deadline - t <= the interval moves "
        "the deadline to deadline + the interval (deadline-anchored, no cap); without it there is no extension"
    ),
)
HIGHER_BID = higher_bid_rule("GR")
PROXY = no_proxy_rule("GR", SOURCE)



# -- after bidding (docs/rules.md, After bidding): the notice's period; no next-best bidder, no next round
SALE = SaleTerms(payment=notice_payment_rule("GR", SOURCE), forfeit=forfeit_rule("GR"))


class GreekRules(CountryRules):
    country = "GR"
    zone = ZoneInfo("Europe/Athens")
    proxy_allowed = False
    version = "2023-07-04"
    sale = SALE

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        REGISTRATION,
        DURATION,
        AUCTION_DAY,
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
    notice_soft_close = NoticeSoftClose(EXTENSION_RULE)
    notice_terms = frozenset({"increment", "deposit"})
    value_based = False  # only an immovable's starting price derives from the value

    def starting_price(self, draft: Draft) -> int:
        if draft.asset is AssetKind.IMMOVABLE:
            if draft.value <= 0:
                raise RuleViolation("value_invalid", "an immovable's starting price is its value", STARTING_PRICE)
            return self.value_as_starting_price(draft)
        return self.given_starting_price(draft)

    def check_open(self, draft: Draft, opens_at: datetime) -> None:
        day = self.local(opens_at).date()
        why = calendar_for(self.country).why_not_working(day)
        if day.weekday() not in AUCTION_WEEKDAYS or why is not None:
            because = why or f"a {DAY_NAMES[day.weekday()]}"
            raise RuleViolation(
                "opens_at_not_allowed",
                f"the auction day {day_label(day)} is {because}: "
                "auctions open on a working Wednesday, Thursday or Friday",
                AUCTION_DAY,
            )

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return self.registered_deposit(draft)

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        return at_least_one_step(terms, best, amount, INCREMENT)


RULES = GreekRules()
