"""Lithuania: judicial auctions held online by a judicial officer on the
Registrų Centras site (Europe/Vilnius). Rules, legal basis and readings: docs/rules.md, Lithuania."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.model import UTC, AssetKind, AuctionState, percent_of
from engine.policy import Draft, Extension, LegalRule, SaleTerms
from rules.common import (
    CountryRules,
    bid_anchored,
    extension_if_later,
    forfeit_rule,
    higher_bid_rule,
    notice_payment_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Lithuania' (last update 30/01/2024)"
CODE = "Code of Civil Procedure (Civilinio proceso kodeksas)"

LONG_AUCTION_DAYS = 30
SHORT_AUCTION_DAYS = 20
LONG_AUCTION_VALUE = 3_000_000  # EUR 30 000.00 in cents; "greater than" is strict
OVERTIME = timedelta(minutes=5)
REGISTERED = (AssetKind.IMMOVABLE, AssetKind.REGISTERED_MOVABLE)

STARTING_PRICE = LegalRule(
    code="LT-starting-price",
    basis=f"{SOURCE}, §1: the starting price of an asset sold at auction corresponds to 80% of its value",
    reading=(
        "80% of the value, rounded up to the cent, derived when not given; a given starting price below it is "
        "refused. The sources describe a single round, so every round uses the same floor"
    ),
)
DEPOSIT = LegalRule(
    code="LT-deposit",
    basis=(
        f"{SOURCE}, §1 and §6: a bidder registers and pays the bidder's fee, equal to 10% of the starting price, "
        "by online banking"
    ),
    reading="10% of the starting price, rounded up to the cent",
)
DURATION = LegalRule(
    code="LT-duration",
    basis=(
        f"{CODE}, as described in {SOURCE}, §6: auctions start when advertised and end after 30 days for "
        "immovable assets, other assets registered under the law and movables with a unit value greater than "
        "EUR 30 000; after 20 days for all other assets"
    ),
    reading=(
        "AMBIG-LT-3: every registered asset gets 30 days whatever its value, and exactly EUR 30 000.00 is not "
        "greater (20 days). AMBIG-LT-4: a close that is not given is opens_at + 30 or 20 calendar days at the "
        "same Europe/Vilnius wall-clock time"
    ),
)
INCREMENT = LegalRule(
    code="LT-increment",
    basis=(
        f"{SOURCE}, §6: bids are raised manually by entering a bid, or automatically by entering the starting "
        "bid, the maximum bid and the bidding increment"
    ),
    reading=(
        "Manual bids are free (any amount above the best, the first at least the starting price); "
        "proxies step by their own step"
    ),
)
OVERTIME_RULE = LegalRule(
    code="LT-overtime",
    basis=(
        f"{SOURCE}, §6: if at least one bid has been received by the end of the auction, the closing time is "
        "extended by a further 5 minutes"
    ),
    reading=(
        "AMBIG-LT-5: any accepted bid before the scheduled close, however early, starts the overtime: at the "
        "scheduled close the deadline becomes scheduled close + 5 min; with no bid the auction ends there"
    ),
)
EXTENSION_RULE = LegalRule(
    code="LT-extension",
    basis=(
        f"{SOURCE}, §6: for each new bid received during the extended period the auction is extended by an "
        "additional 5 minutes; it ends when no new bid is received within the additional 5-minute period"
    ),
    reading=(
        "AMBIG-LT-1: bid-anchored: an accepted bid at or after the scheduled close sets the deadline to "
        "max(deadline, bid time + 5 min), no cap; AMBIG-LT-2: automatic (proxy) bids count like any other bid"
    ),
)
HIGHER_BID = higher_bid_rule("LT")
PROXY = LegalRule(
    code="LT-proxy",
    basis=(
        f"{SOURCE}, §6: bids may be increased automatically by entering the starting bid, the maximum bid "
        "and the bidding increment"
    ),
    reading=(
        "A proxy bids min(its max, best + its own step) whenever its owner is not leading; "
        "proxies answer in the order they were set, an earlier proxy winning ties (AMBIG-LT-2)"
    ),
)



# -- after bidding (docs/rules.md, After bidding: Lithuania)
NEXT_BEST = LegalRule(
    code="LT-next-best",
    basis=f"{SOURCE}: the sale of an asset whose purchaser did not pay may be offered to the next bidder",
    reading=(
        "[I] After a default the bailiff may offer the sale to the bidder (other than one who defaulted) with "
        "the highest accepted bid, at that bid, with payment_days from the offer's date"
    ),
)
REFUND = LegalRule(
    code="LT-refund",
    basis="Registrų centras auction practice [X: not in the sources]",
    reading="Losing bidders' deposits are due back by the end of the first working day after bidding ended",
)
SALE = SaleTerms(
    payment=notice_payment_rule("LT", SOURCE),
    forfeit=forfeit_rule("LT", f"{SOURCE}: a purchaser of a restricted asset who does not pay loses the deposit"),
    refund=REFUND,
    refund_next_working_day=True,
    next_best=NEXT_BEST,
)


class LithuanianRules(CountryRules):
    country = "LT"
    zone = ZoneInfo("Europe/Vilnius")
    proxy_allowed = True
    version = "2024-01-30"
    sale = SALE

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        DURATION,
        INCREMENT,
        HIGHER_BID,
        OVERTIME_RULE,
        EXTENSION_RULE,
        PROXY,
    )
    starting_rule = STARTING_PRICE
    deposit_rule = DEPOSIT
    duration_rule = DURATION
    increment_rule = INCREMENT
    higher_bid_rule = HIGHER_BID

    def floor(self, draft: Draft) -> tuple[int, LegalRule]:
        return percent_of(draft.value, 80), STARTING_PRICE

    def auction_days(self, draft: Draft) -> int:
        if draft.asset in REGISTERED or draft.value > LONG_AUCTION_VALUE:
            return LONG_AUCTION_DAYS
        return SHORT_AUCTION_DAYS

    def default_close(self, draft: Draft) -> datetime:
        opens = self.local(draft.opens_at)
        last_day = opens.date() + timedelta(days=self.auction_days(draft))
        return self.wall_clock(last_day, opens.time(), DURATION)

    def deposit_required(self, draft: Draft, starting_price: int) -> int:
        return percent_of(starting_price, 10)

    def extension_on_bid(self, state: AuctionState, at: datetime) -> Extension | None:
        deadline, terms = state.deadline, state.terms
        if deadline is None or terms is None:
            return None
        # No pre-close window: only bids in the overtime (at or after the
        # scheduled close, before the deadline in force) move the deadline.
        if at < terms.closes_at or at >= deadline:
            return None
        return extension_if_later(deadline, bid_anchored(deadline, at, OVERTIME), EXTENSION_RULE)

    def extension_at_deadline(self, state: AuctionState) -> Extension | None:
        terms = state.terms
        if terms is None or state.deadline is None or state.best is None:
            return None
        if state.deadline != terms.closes_at:
            return None  # the overtime already ran: bidding ends
        return Extension(terms.closes_at.astimezone(UTC) + OVERTIME, OVERTIME_RULE)


RULES = LithuanianRules()
