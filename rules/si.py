"""Slovenia: online public auction of immovables (and rights) on e-dražbe,
conducted automatically for the court (Europe/Ljubljana). Rules, legal basis
and readings: docs/rules.md, Slovenia."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.model import Terms, format_money, percent_of
from engine.policy import Draft, Gap, LegalRule, Refusal, SaleTerms
from rules.calendar import working_days_before
from rules.common import (
    Anchor,
    CountryRules,
    SoftClose,
    TriggerWindow,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Slovenia' (last update 15/05/2023)"
ACT = "Claim Enforcement and Security Act (ZIZ, as amended by ZIZ-L, UL RS No 11/18)"
ONLINE_RULES = (
    "Rules on announcements of sales in the online search engine and online public auctions in "
    "enforcement proceedings (UL RS No 195/20)"
)

DEPOSIT_WORKING_DAYS = 3
WINDOW = timedelta(minutes=2)
EXTENSION = timedelta(minutes=2)

STARTING_PRICE = LegalRule(
    code="SI-starting-price",
    basis=(
        f"{ACT} Art. 188: at the first sale immovable property may not be sold below 70% of its determined "
        "value, at the second sale (on the creditor's proposal) not below half of it; Art. 184: the order for "
        "sale states the price at which the property may be sold"
    ),
    reading=(
        "AMBIG-SI-7: the starting price is the order's price, which must reach 70% (round 1) or 50% (round 2) "
        "of the value and is derived as that minimum when not given. The parties' agreement to go lower is not "
        "modelled; no third round is described"
    ),
)
DEPOSIT = LegalRule(
    code="SI-deposit",
    basis=(
        f"{ACT} Art. 185: public auctions may be attended by those who paid a deposit of one tenth of the "
        "determined value of the immovable property"
    ),
    reading="10% of the value (not of the starting price, so the same in round 2), rounded up to the cent",
)
DEPOSIT_DEADLINE = LegalRule(
    code="SI-deposit-deadline",
    basis=(
        f"{ACT} Art. 185: the deposit is paid at least three working days prior to the auction; for an online "
        "auction an exemption must be proposed three working days prior to its start"
    ),
    reading=(
        "AMBIG-SI-5: the deposit must be credited by the end of the 3rd working day before opens_at's "
        "local date (Europe/Ljubljana), i.e. before the local midnight that follows it; a deposit recorded at "
        "or after that instant is deposit_late"
    ),
)
DURATION = LegalRule(
    code="SI-duration",
    basis=(
        f"{ONLINE_RULES}, as described in {SOURCE}, §6: an online public auction starts automatically at the time "
        "in the order for sale or the announcement and lasts as long as determined there"
    ),
    reading="The end of bidding is not derivable from the law: closes_at must be given",
)
INCREMENT = LegalRule(
    code="SI-increment",
    basis=(
        f"{SOURCE}, §6 ({ONLINE_RULES}): the bidder raises the starting price or the currently most favourable "
        "bid by at least the bid increment determined in the order for sale or the announcement; if none is "
        "determined, by an amount of their choosing"
    ),
    reading=(
        "AMBIG-SI-4: with an increment, the first bid must be at least starting price + increment and later "
        "bids at least best + increment; an amount above the best (or reaching the starting price) that misses "
        "the step is bad_increment, an amount not above the best (or below the starting price) is bid_too_low. "
        "Without an increment any higher amount, the first at least the starting price"
    ),
)
EXTENSION_RULE = LegalRule(
    code="SI-extension",
    basis=(
        f"{SOURCE}, §6: if a bid is made two minutes prior to the end of the online public auction, its duration "
        "is extended on each occasion by an additional two minutes (Enforcement Atlas update 2021, §3.8.4)"
    ),
    reading=(
        "AMBIG-SI-1: an accepted bid with deadline - t <= 2 min triggers; AMBIG-SI-2 deadline-anchored: new "
        "deadline = deadline + 2 min; AMBIG-SI-3: any accepted bid; no cap"
    ),
)
HIGHER_BID = higher_bid_rule("SI")
PROXY = no_proxy_rule("SI", SOURCE)



# -- after bidding (docs/rules.md, After bidding: Slovenia)
PAYMENT = LegalRule(
    code="SI-payment",
    basis=f"{ACT} Art. 184: the order for sale sets the payment period, which may not exceed six months",
    reading=(
        "payment_days is required; the price is due before 24:00 local at the end of the declaration's date + "
        "payment_days, or at the end of the date bidding ended + 6 calendar months if that is earlier"
    ),
)
REFUND = LegalRule(
    code="SI-refund",
    basis=f"{ACT} Art. 185: the deposits of bidders who did not succeed are returned within 15 days of the auction",
    reading="AMBIG-SI-6: calendar days, counted from the local date bidding ended",
)
NEXT_BEST = LegalRule(
    code="SI-next-best",
    basis=f"{ACT}, court practice [X]: when the purchaser does not pay, the sale may go to the next-best bidder",
    reading="The bidder with the highest accepted bid (other than one who defaulted), at that bid",
)
PREEMPTION = LegalRule(
    code="SI-preemption",
    basis=f"{ACT}, court practice [X]: the holder of a pre-emption right may buy at the best price offered",
    reading=(
        "A holder registered as preemption_holder and admitted may declare in [bidding end, bidding end + 10 "
        "min); the first declaration wins; the purchaser cannot be declared before the window ends"
    ),
)
NEXT_ROUND = LegalRule(
    code="SI-next-round",
    basis=(
        f"{ACT} Art. 188, 189 (Enforcement Atlas 2021): a second sale on the creditor's proposal, at no less than "
        "half the value; if it fails too, enforcement is terminated"
    ),
    reading="AMBIG-SI-6: no earlier than 00:00 local of the date bidding ended + 30 calendar days",
)
LEAD = LegalRule(
    code="SI-lead-time",
    basis=f"{ACT} Art. 181: the sale is announced at least 30 days before it takes place",
    reading="A warning when bidding opens fewer than 30 days after the schedule's date",
)
SALE = SaleTerms(
    payment=PAYMENT,
    forfeit=forfeit_rule("SI"),
    payment_cap_months=6,
    refund=REFUND,
    refund_days=15,
    next_best=NEXT_BEST,
    preemption=PREEMPTION,
    preemption_window=timedelta(minutes=10),
    next_round=NEXT_ROUND,
    gap=Gap(days=30),
    last_round=("enforcement_terminated", NEXT_ROUND),
)


class SlovenianRules(CountryRules):
    country = "SI"
    zone = ZoneInfo("Europe/Ljubljana")
    proxy_allowed = False
    version = "2023-05-15"
    sale = SALE
    lead_days = (30, LEAD)

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        DEPOSIT_DEADLINE,
        DURATION,
        INCREMENT,
        HIGHER_BID,
        EXTENSION_RULE,
        PROXY,
    )
    starting_rule = STARTING_PRICE
    deposit_rule = DEPOSIT
    deposit_deadline_rule = DEPOSIT_DEADLINE
    duration_rule = DURATION
    increment_rule = INCREMENT
    higher_bid_rule = HIGHER_BID
    soft_close = SoftClose(TriggerWindow(WINDOW, inclusive=True), EXTENSION, Anchor.DEADLINE, EXTENSION_RULE)
    max_round = 2
    notice_terms = frozenset({"increment"})

    def floor(self, draft: Draft) -> tuple[int, LegalRule]:
        return percent_of(draft.value, 70 if draft.round == 1 else 50), STARTING_PRICE

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return percent_of(draft.value, 10)

    def deposit_due(self, draft: Draft) -> datetime:
        last_day = working_days_before(self.country, self.local(draft.opens_at).date(), DEPOSIT_WORKING_DAYS)
        return self.wall_clock(last_day + timedelta(days=1), time(0), DEPOSIT_DEADLINE)

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        if terms.increment is None:
            return None
        minimum = (terms.starting_price if best is None else best) + terms.increment
        if amount < minimum:
            return Refusal(
                "bad_increment",
                INCREMENT,
                f"the bid must be at least {format_money(minimum)} {terms.currency}".rstrip(),
            )
        return None


RULES = SlovenianRules()
