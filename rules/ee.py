"""Estonia: electronic auctions run by bailiffs in the auction environment of the
Chamber of Bailiffs and Trustees in Bankruptcy (Europe/Tallinn). Rules, legal
basis and readings: docs/rules.md, Estonia."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.model import UTC, AssetKind, Terms, format_money, percent_of
from engine.policy import Draft, LegalRule, Refusal, RuleViolation, SaleTerms
from rules.calendar import calendar_for
from rules.common import (
    CountryRules,
    NoticeSoftClose,
    at_least_one_step,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
    notice_payment_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Estonia' (last update 05/01/2022)"
ATLAS = "EU Enforcement Atlas, update of national information 2021, §3.2"
CODE = "Code of Enforcement Procedure (täitemenetluse seadustik)"

DEPOSIT_CAP_PERCENT = 10
LEAD_DAYS = 10
IMMOVABLE_LEAD_DAYS = 20
EXTENSION_MINUTES = (1, 60)

STARTING_PRICE = LegalRule(
    code="EE-starting-price",
    basis=f"{SOURCE}, §1: an expert sets the value and the starting price of the property",
    reading="The law derives no figure: the notice must give the starting price (starting_price_required)",
)
DEPOSIT = LegalRule(
    code="EE-deposit",
    basis=(
        f"{SOURCE}, §6: the bailiff may require a deposit of up to 10% of the starting price, paid by internet "
        "banking or through the auction environment's payment provider, by the start of the auction"
    ),
    reading=(
        "Optional notice term deposit, at most 10% of the starting price (rounded up to the cent); without it no "
        "deposit is required. A deposit counts only when recorded strictly before opens_at (deposit_late at or "
        "after it). Statutory exemptions are not modelled"
    ),
)
REGISTRATION = LegalRule(
    code="EE-registration",
    basis=f"{SOURCE}, §6: bidders register by the date in the announcement, and in any case before the auction starts",
    reading="A registration at or after opens_at is refused with registration_closed",
)
DURATION = LegalRule(
    code="EE-duration",
    basis=f"{CODE}, as described in {SOURCE}, §6: the auction runs until the end announced for it",
    reading="The end of bidding is set in the notice: closes_at must be given",
)
INCREMENT = LegalRule(
    code="EE-increment",
    basis=f"{SOURCE}, §6: bidding starts at the starting price and goes up in the increment set for the auction",
    reading=(
        "The notice must give the increment (increment_required); the first bid reaches the starting price, "
        "every later bid is at least best + increment (bad_increment otherwise)"
    ),
)
EXTENSION_RULE = LegalRule(
    code="EE-extension",
    basis=(
        f"{SOURCE}, §6: a new bid made within the extension interval before the end pushes the end out by one "
        "interval, again for every such bid; the bailiff sets the interval between 1 and 60 minutes"
    ),
    reading=(
        "The notice must set extension_minutes (1 to 60, both allowed). AMBIG-EE: deadline-anchored: an accepted "
        "bid with deadline - t <= the interval moves the deadline to deadline + the interval; no cap"
    ),
)
LEAD_TIME = LegalRule(
    code="EE-lead-time",
    basis=(
        f"{SOURCE}, §1 and §6: the auction is announced at least 10 days before it takes place, at least 20 days "
        "for immovables (the page's two passages differ; §6 adds the 20 days)"
    ),
    reading=(
        "A warning, never a refusal (the announcement may have been published before the schedule): "
        "lead_time_short when opens_at's local date is sooner than 10 days (immovable: 20) after the local date "
        "the auction was scheduled"
    ),
)
REPORT = LegalRule(
    code="EE-report",
    basis=f"{SOURCE}, §6: the highest bid at the end is the best bid, announced on the working day after the auction",
    reading="Due on the first working day (Estonian public holidays) after the local date on which bidding ended",
)
HIGHER_BID = higher_bid_rule("EE")
PROXY = no_proxy_rule("EE", SOURCE)



# -- after bidding (docs/rules.md, After bidding): the notice's period; no next-best bidder, no next round
SALE = SaleTerms(payment=notice_payment_rule("EE", SOURCE), forfeit=forfeit_rule("EE"))


class EstonianRules(CountryRules):
    country = "EE"
    zone = ZoneInfo("Europe/Tallinn")
    proxy_allowed = False
    version = "2022-01-05"
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
        REPORT,
        LEAD_TIME,
    )
    starting_rule = STARTING_PRICE
    deposit_rule = DEPOSIT
    deposit_deadline_rule = DEPOSIT
    duration_rule = DURATION
    increment_rule = INCREMENT
    higher_bid_rule = HIGHER_BID
    registration_rule = REGISTRATION
    notice_soft_close = NoticeSoftClose(EXTENSION_RULE, True, *EXTENSION_MINUTES)
    notice_terms = frozenset({"increment", "deposit"})
    value_based = False  # the expert's starting price is given; nothing derives from the value

    def report_due(self, closed_at: datetime) -> date:
        """The best bid is announced on the working day after bidding ended (docs/rules.md, Estonia)."""
        return calendar_for(self.country).next_working_day(self.local(closed_at).date())

    def starting_price(self, draft: Draft) -> int:
        return self.given_starting_price(draft)

    def minimum_lead(self, terms: Terms, scheduled_on: date) -> tuple[date, str, LegalRule]:
        days = IMMOVABLE_LEAD_DAYS if terms.asset is AssetKind.IMMOVABLE else LEAD_DAYS
        return scheduled_on + timedelta(days=days), f"{days} days", LEAD_TIME

    def increment(self, draft: Draft) -> int:
        return self.required_increment(draft)

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        if draft.deposit is None:
            return 0
        cap = percent_of(starting_price, DEPOSIT_CAP_PERCENT)
        if draft.deposit > cap:
            raise RuleViolation(
                "deposit_above_cap",
                f"deposit {format_money(draft.deposit)} {draft.currency} is above 10% of the starting price "
                f"({format_money(cap)} {draft.currency})",
                DEPOSIT,
            )
        return draft.deposit

    def deposit_due(self, draft: Draft) -> datetime | None:
        return draft.opens_at.astimezone(UTC) if draft.deposit is not None else None

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        return at_least_one_step(terms, best, amount, INCREMENT)


RULES = EstonianRules()
