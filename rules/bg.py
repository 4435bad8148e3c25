"""Bulgaria: electronic judicial auction run by a bailiff on the Ministry of
Justice platform (Europe/Sofia). Rules, legal basis and readings: docs/rules.md, Bulgaria."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.model import UTC, AssetKind, Terms, format_money, percent_of
from engine.policy import Draft, Gap, LegalRule, Refusal, RuleViolation, SaleTerms, ScheduleWarning
from rules.calendar import calendar_for, day_label
from rules.common import (
    Anchor,
    CountryRules,
    SoftClose,
    TriggerWindow,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
    notice_payment_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Bulgaria' (last update 05/10/2023)"

CLOSING_TIME = time(17, 0)
BIDDING_DAYS = 7
WINDOW = timedelta(minutes=10)
EXTENSION = timedelta(minutes=10)
CAP = timedelta(hours=48)

STARTING_PRICE = LegalRule(
    code="BG-starting-price",
    basis=(
        f"{SOURCE}, §1: the opening bid at the judicial sale of immovable property is 80% of its value; "
        "the starting bid for movables at an oral auction or judicial sale is 85% of their value; items "
        "valued above BGN 5 000, motor vehicles, ships and aircraft are sold under the procedure for immovables"
    ),
    reading=(
        "AMBIG-BG-11: 80% of the value for immovable and registered_movable assets, 85% for movable "
        "assets and rights; a starting price is derived when not given and a given one below it is refused. "
        "The tax-assessment and insurance-value floors are not modelled (the draft carries neither)"
    ),
)
SECOND_SALE = LegalRule(
    code="BG-second-sale-price",
    basis=(
        f"{SOURCE}, §1: a new sale follows the rules of the first one and its starting bid is 90% of the "
        "starting bid in the first sale"
    ),
    reading=(
        "Round 2's minimum is 90% of the round-1 price derived from the same value (72% of the value for "
        "immovables, 76.5% for movables), each step rounded up to the cent; no third round is described"
    ),
)
DEPOSIT = LegalRule(
    code="BG-deposit",
    basis=f"{SOURCE}, §6: to participate, each bidder pays a deposit equal to 10% of the opening bid",
    reading=(
        "10% of the starting price, rounded up to the cent. The creditor exemption stated for the classic "
        "sale (AMBIG-BG-6) is not applied by these rules"
    ),
)
DURATION = LegalRule(
    code="BG-duration",
    basis=(
        f"{SOURCE}, §6: the electronic judicial auction is open for bidding for 7 days and ends at 17:00 "
        "on the last day of this period"
    ),
    reading=(
        "AMBIG-BG-4: calendar days with opens_at's local day as day 1, so a close that is not given is "
        "opens_at's local date + 6 days at 17:00 Europe/Sofia. The close in the notice is kept as given; the "
        "engine only warns (close_date_not_period_end) when its local date is not that day, and "
        "(close_date_not_working_day) when the last day of bidding is a weekend day or a Bulgarian public "
        "holiday, which the text does not forbid"
    ),
)
CLOSE_TIME = LegalRule(
    code="BG-close-time",
    basis=f"{SOURCE}, §6: the auction ends at 17:00 on the last day of the bidding period",
    reading="A given closes_at must be exactly 17:00:00 on the Europe/Sofia wall clock",
)
INCREMENT = LegalRule(
    code="BG-increment",
    basis=f"{SOURCE}, §6: bids are made in single increments",
    reading=(
        "AMBIG-BG-7: the notice must give the step; the first bid equals the starting price and "
        "every later bid is exactly the best bid plus one step (no jump bids)"
    ),
)
EXTENSION_RULE = LegalRule(
    code="BG-extension",
    basis=(
        f"{SOURCE}, §6: where a new bid is placed in the last 10 minutes the auction is automatically "
        "extended by a further 10 minutes; it ends when no bid has been placed in the last 10 minutes"
    ),
    reading=(
        "AMBIG-BG-1: bid-anchored: new deadline = max(deadline, bid time + 10 min); AMBIG-BG-2: an "
        "accepted bid with deadline - t <= 10 min is in the window"
    ),
)
CAP_RULE = LegalRule(
    code="BG-cap",
    basis=f"{SOURCE}, §6: the automatic extension runs for no more than 48 hours",
    reading=(
        "AMBIG-BG-3: measured from the scheduled close as 48 elapsed hours (not wall-clock across DST); "
        "an extension that would pass the cap is truncated to it, and bids at or after the cap are late"
    ),
)
HIGHER_BID = higher_bid_rule("BG")
PROXY = no_proxy_rule("BG", SOURCE)
REPORT = LegalRule(
    code="BG-report",
    basis=(
        f"{SOURCE}, §6: on the first working day after bidding ends the bailiff draws up a report listing the "
        "applications, the authorised and unauthorised bidders with reasons, the bids and any technical problems, "
        "and declares the highest bidder purchaser; the auction ends when the bailiff signs it"
    ),
    reading=(
        "Due on the first working day (holidays calendar, weekend substitutes included) after the local date on "
        "which bidding ended; signing is the bailiff's AuctionEnded (AMBIG-BG-9)"
    ),
)



# -- after bidding (docs/rules.md, After bidding: Bulgaria)
PAYMENT = notice_payment_rule(
    "BG",
    SOURCE,
    "payment_days is required: the sources set no period (7 days or two weeks are usual) [X]; the price is due "
    "before 24:00 local at the end of the declaration's date + payment_days",
)
NEXT_ROUND = LegalRule(
    code="BG-next-round",
    basis=(
        f"{SOURCE}, §1: when the property is not sold or the purchaser does not pay, the creditor may ask within "
        "a week for a new sale, held no earlier than one month after the first one ended, at 90% of its "
        "starting bid; there is no offer to the next-best bidder, and after the second sale the property "
        "leaves the estate"
    ),
    reading=(
        "AMBIG-BG-10: the round ended at the bidding end when it failed, at the purchaser's declaration when "
        "the purchaser defaulted; the next round opens no earlier than one calendar month after that, is asked "
        "for within 7 days of the failure or default, and starts at no less than 90% of this round's starting price"
    ),
)
LEAD = LegalRule(
    code="BG-lead-time",
    basis=f"{SOURCE}, §1: the sale is announced at least a day before it begins",
    reading="A warning, never a refusal, when bidding opens on the scheduling date itself",
)
SALE = SaleTerms(
    payment=PAYMENT,
    forfeit=forfeit_rule("BG"),
    next_round=NEXT_ROUND,
    request_days=7,
    gap=Gap(months=1, defaulted_end="declaration"),
    previous_percent=90,
    last_round=("property_leaves_estate", NEXT_ROUND),
)


class BulgarianRules(CountryRules):
    country = "BG"
    zone = ZoneInfo("Europe/Sofia")
    proxy_allowed = False
    version = "2023-10-05"
    sale = SALE
    lead_days = (1, LEAD)

    rule_book = (
        STARTING_PRICE,
        SECOND_SALE,
        DEPOSIT,
        DURATION,
        CLOSE_TIME,
        INCREMENT,
        HIGHER_BID,
        EXTENSION_RULE,
        CAP_RULE,
        PROXY,
        REPORT,
    )
    starting_rule = STARTING_PRICE
    deposit_rule = DEPOSIT
    duration_rule = DURATION
    increment_rule = INCREMENT
    higher_bid_rule = HIGHER_BID
    soft_close = SoftClose(TriggerWindow(WINDOW, inclusive=True), EXTENSION, Anchor.BID, EXTENSION_RULE)
    cap_rule = CAP_RULE
    max_round = 2
    notice_terms = frozenset({"increment"})

    def report_due(self, closed_at: datetime) -> date:
        """The bailiff's report is due on the first working day after bidding ends (docs/rules.md, Bulgaria)."""
        return calendar_for("BG").next_working_day(self.local(closed_at).date())

    def floor(self, draft: Draft) -> tuple[int, LegalRule]:
        percent = 80 if draft.asset in (AssetKind.IMMOVABLE, AssetKind.REGISTERED_MOVABLE) else 85
        first = percent_of(draft.value, percent)
        if draft.round == 1:
            return first, STARTING_PRICE
        return percent_of(first, 90), SECOND_SALE

    def increment(self, draft: Draft) -> int:
        if draft.increment is None:
            raise RuleViolation(
                "increment_required",
                "Bulgarian bids go up in single fixed steps: the increment must be given",
                INCREMENT,
            )
        return draft.increment

    def default_close(self, draft: Draft) -> datetime:
        last_day = self.local(draft.opens_at).date() + timedelta(days=BIDDING_DAYS - 1)
        return self.wall_clock(last_day, CLOSING_TIME, DURATION)

    def check_close(self, draft: Draft, closes_at: datetime) -> None:
        local = self.local(closes_at)
        if local.time() != CLOSING_TIME:
            raise RuleViolation(
                "closes_at_not_allowed",
                f"closes_at {local.isoformat()} is not 17:00:00 Europe/Sofia",
                CLOSE_TIME,
            )

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return percent_of(starting_price, 10)

    def warnings(self, terms: Terms) -> tuple[ScheduleWarning, ...]:
        """AMBIG-BG-4: warn, never refuse, when the close is not on day 7 or the last day is not a working day."""
        first_day = self.local(terms.opens_at).date()
        close_day = self.local(terms.closes_at).date()
        found = (
            self.period_end_warning(
                terms,
                first_day + timedelta(days=BIDDING_DAYS - 1),
                f"day {(close_day - first_day).days + 1}",
                f"the {BIDDING_DAYS}-day bidding period counted from {day_label(first_day)} as day 1",
            ),
            self.last_day_warning(terms),
        )
        return tuple(warning for warning in found if warning is not None)

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        if terms.increment is None:
            return None
        expected = terms.starting_price if best is None else best + terms.increment
        if amount != expected:
            return Refusal(
                "bad_increment",
                INCREMENT,
                f"the next bid must be exactly {format_money(expected)} {terms.currency}".rstrip(),
            )
        return None

    def hard_stop(self, terms: Terms) -> datetime:
        return terms.closes_at.astimezone(UTC) + CAP  # in UTC, so 48 elapsed hours across DST


RULES = BulgarianRules()
