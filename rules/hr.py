"""Croatia: online judicial auction run by FINA for the court (Europe/Zagreb).
Rules, legal basis and readings: docs/rules.md, Croatia."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.model import AssetKind, Terms, percent_of
from engine.policy import Draft, Gap, LegalRule, RuleViolation, SaleTerms, ScheduleWarning
from rules.calendar import calendar_for, day_label, is_working_day, nth_working_day
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

SOURCE = "e-Justice portal, 'Judicial auctions - Croatia' (last update 12/05/2023)"
ACT = "Enforcement Act (Ovršni zakon, NN 112/12, 25/13, 93/14, 55/16, 73/17; EA)"

WORKING_DAYS = 10
COUNT_HORIZON = timedelta(days=366)  # a close further out is named without counting its working day
EARLIEST_CLOSE = time(9, 0)
LATEST_CLOSE = time(15, 0)
WINDOW = timedelta(minutes=10)
EXTENSION = timedelta(minutes=10)
MOVABLES = (AssetKind.MOVABLE, AssetKind.REGISTERED_MOVABLE)

STARTING_PRICE = LegalRule(
    code="HR-starting-price",
    basis=(
        f"{ACT} Art. 102(1) and (2): at the first online judicial auction real estate may not be sold below "
        "four fifths of its established value, at the second below three fifths; movables may not be sold "
        f"below one half of their estimated value, and are auctioned online under Art. 149(7) ({SOURCE}, §1, §3)"
    ),
    reading=(
        "AMBIG-HR-7: the court's guide price must reach the round's minimum and is derived as that minimum "
        "when not given. AMBIG-HR-8: movable and registered_movable assets use the one-half floor in every "
        "round; immovables and rights use 80% (round 1) and 60% (round 2); a third round is not described"
    ),
)
DEPOSIT = LegalRule(
    code="HR-deposit",
    basis=(
        f"{ACT} Art. 99(1): only persons who have lodged a security deposit may bid; the amount, 10% of "
        "the established value, is outside knowledge (Art. 99, not in the sources)"
    ),
    reading="10% of the value, rounded up to the cent, in both rounds (AMBIG-HR-9: the sources give no amount)",
)
DURATION = LegalRule(
    code="HR-duration",
    basis=(
        f"{SOURCE}, §6: bids are collected over 10 working days, electronically 0-24 h on working and "
        f"non-working days; the auction closes at the time set in the call ({ACT} Art. 97(1), Art. 103(1))"
    ),
    reading=(
        "AMBIG-HR-1: opens_at's local day is day 1 when it is a working day; a close that is not given "
        "falls on working day 10 at opens_at's Europe/Zagreb wall-clock time (and must then meet HR-close-window). "
        "A close given on another working day is kept, with the warning close_date_not_period_end"
    ),
)
CLOSE_WINDOW = LegalRule(
    code="HR-close-window",
    basis=(
        f"{SOURCE}, §6: the time limit for the collection of bids is set between 9 and 15 hours on working days "
        f"({ACT} Art. 103(1))"
    ),
    reading=(
        "AMBIG-HR-2: the scheduled close must lie in 09:00:00-15:00:00 Europe/Zagreb inclusive on a working day; "
        "extensions may run past 15:00"
    ),
)
INCREMENT = LegalRule(
    code="HR-increment",
    basis=f"{SOURCE}: the sources set no bidding step; the guide price is where bidding commences",
    reading="AMBIG-HR-9: free increments; any amount above the best bid, the first at least the starting price",
)
EXTENSION_RULE = LegalRule(
    code="HR-extension",
    basis=(
        f"{SOURCE}, §6: if the most advantageous valid bid is given in the last 10 minutes before the closing "
        "time in the call, bidding is extended by 10 minutes from each last most advantageous valid bid until "
        "10 minutes have elapsed since it"
    ),
    reading=(
        "Bid-anchored (explicit in the text), no cap: new deadline = max(deadline, bid time + 10 min) for an "
        "accepted bid with deadline - t <= 10 min (AMBIG-HR-4); as every bid must exceed the best, every "
        "accepted bid is a new best (AMBIG-HR-3 overridden)"
    ),
)
HIGHER_BID = higher_bid_rule("HR")
PROXY = no_proxy_rule("HR", SOURCE)



# -- after bidding (docs/rules.md, After bidding: Croatia)
PAYMENT = notice_payment_rule("HR", ACT)
NEXT_ROUND = LegalRule(
    code="HR-next-round",
    basis=(
        f"{ACT}, as described in {SOURCE}: when the first auction fails, or its purchaser does not pay, a "
        "second one is held (at least 60% of the value, 50% for movables); if it fails too, enforcement is "
        "suspended"
    ),
    reading=(
        "AMBIG-HR-5/6: the next round opens no earlier than 00:00 local of the day after the round ended + "
        "60 days; the round ended at the bidding end when it failed, at the default when the purchaser defaulted"
    ),
)
LEAD = LegalRule(
    code="HR-lead-time",
    basis=f"{ACT}, as described in {SOURCE}: at least 60 days pass between the call and the start of bidding",
    reading="AMBIG-HR-5 (a): a warning when bidding opens fewer than 60 days after the schedule's date",
)
SALE = SaleTerms(
    payment=PAYMENT,
    forfeit=forfeit_rule("HR"),
    next_round=NEXT_ROUND,
    gap=Gap(days=60, from_next_day=True, defaulted_end="default"),
    last_round=("enforcement_suspended", NEXT_ROUND),
)


class CroatianRules(CountryRules):
    country = "HR"
    zone = ZoneInfo("Europe/Zagreb")
    proxy_allowed = False
    version = "2023-05-12"
    sale = SALE
    lead_days = (60, LEAD)

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        DURATION,
        CLOSE_WINDOW,
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
    soft_close = SoftClose(TriggerWindow(WINDOW, inclusive=True), EXTENSION, Anchor.BID, EXTENSION_RULE)
    max_round = 2

    def floor(self, draft: Draft) -> tuple[int, LegalRule]:
        if draft.asset in MOVABLES:
            percent = 50
        else:
            percent = 80 if draft.round == 1 else 60
        return percent_of(draft.value, percent), STARTING_PRICE

    def default_close(self, draft: Draft) -> datetime:
        opens = self.local(draft.opens_at)
        last_day = nth_working_day(self.country, opens.date(), WORKING_DAYS)
        return self.wall_clock(last_day, opens.time(), DURATION)

    def check_close(self, draft: Draft, closes_at: datetime) -> None:
        local = self.local(closes_at)
        if not is_working_day(self.country, local.date()):
            raise RuleViolation(
                "closes_at_not_allowed",
                f"closes_at {local.isoformat()} is not on a Croatian working day",
                CLOSE_WINDOW,
            )
        if not EARLIEST_CLOSE <= local.time() <= LATEST_CLOSE:
            raise RuleViolation(
                "closes_at_not_allowed",
                f"closes_at {local.isoformat()} is not between 09:00 and 15:00 Europe/Zagreb"
                + ("" if draft.closes_at is not None else "; give closes_at explicitly"),
                CLOSE_WINDOW,
            )

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return percent_of(draft.value, 10)

    def warnings(self, terms: Terms) -> tuple[ScheduleWarning, ...]:
        """A close that is not on working day 10 of the chosen count is warned about, not refused
        (docs/rules.md, Schedule warnings)."""
        calendar = calendar_for(self.country)
        first_day = self.local(terms.opens_at).date()
        close_day = self.local(terms.closes_at).date()
        last_day = calendar.nth_working_day(first_day, WORKING_DAYS)
        if close_day == last_day:
            return ()  # the usual case: no need to count the close's working day
        if close_day - first_day > COUNT_HORIZON:
            position = f"more than {COUNT_HORIZON.days} days after day 1"  # not counted day by day
        else:
            position = f"working day {calendar.working_days_between(first_day, close_day)}"
        warning = self.period_end_warning(
            terms,
            last_day,
            position,
            f"the bidding period of {WORKING_DAYS} working days counted from {day_label(first_day)} "
            "(day 1 when it is a working day)",
        )
        return () if warning is None else (warning,)


RULES = CroatianRules()
