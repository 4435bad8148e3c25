"""Sweden: online auctions of movable property by the Enforcement Authority
(Kronofogdemyndigheten) or an external auctioneer (Europe/Stockholm). Rules,
legal basis and readings: docs/rules.md, Sweden."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from engine.policy import LegalRule, SaleTerms
from rules.common import (
    Anchor,
    CountryRules,
    SoftClose,
    TriggerWindow,
    forfeit_rule,
    higher_bid_rule,
    no_proxy_rule,
)

SOURCE = "e-Justice portal, 'Judicial auctions - Sweden' (last update 05/12/2023)"
ORDINANCE = "Debt Enforcement Ordinance (utsökningsförordningen) Chapter 9"

WINDOW = timedelta(minutes=2)
EXTENSION = timedelta(minutes=2)

STARTING_PRICE = LegalRule(
    code="SE-starting-price",
    basis=f"{SOURCE}, §6: the sources state no minimum or starting price for online auctions ({ORDINANCE})",
    reading=(
        "A starting price is taken as given; without one the starting price is 0, meaning any positive first "
        "bid (bids must be above 0)"
    ),
)
DEPOSIT = LegalRule(
    code="SE-deposit",
    basis=(
        f"{SOURCE}, §6: registration asks for identity number, contact details and an alias; "
        "no deposit to bid is mentioned"
    ),
    reading="No deposit is required to be admitted",
)
DURATION = LegalRule(
    code="SE-duration",
    basis=f"{ORDINANCE}, as described in {SOURCE}, §6: bidding is by bid and counterbid up to a given time",
    reading="The end of bidding is set in the notice, not by law: closes_at must be given",
)
INCREMENT = LegalRule(
    code="SE-increment",
    basis=f"{SOURCE}, §6: the sources set no bidding step",
    reading="Free increments: any amount above the best bid",
)
EXTENSION_RULE = LegalRule(
    code="SE-extension",
    basis=(
        f"{SOURCE}, §6 ({ORDINANCE}): if a bid is made when less than two minutes are left, the time is "
        "extended by a further two minutes"
    ),
    reading=(
        "Strict boundary (settled by 'less than'): an accepted bid with deadline - t < 2 min triggers, exactly "
        "2:00 left does not; AMBIG-SE-1: deadline-anchored: new deadline = deadline + 2 min; no cap"
    ),
)
HIGHER_BID = higher_bid_rule("SE")
PROXY = no_proxy_rule("SE", SOURCE)



# -- after bidding (docs/rules.md, After bidding: Sweden)
PAYMENT = LegalRule(
    code="SE-payment",
    basis=f"{SOURCE}: the price of an item bought online is paid within 48 hours of the end of the auction",
    reading="AMBIG-SE-3: 48 elapsed hours from the moment bidding ended, extensions included, across weekends and DST",
)
GRACE = LegalRule(
    code="SE-grace",
    basis=(
        f"{SOURCE}: for a price above SEK 10 000 the Enforcement Authority may allow the rest to be paid within a "
        "month of the sale, when a tenth of the price is paid within the 48 hours"
    ),
    reading="Granted by the bailiff while payment is awaited, once 10% of the price is recorded; ends at the latest "
    "one calendar month after bidding ended",
)
SALE = SaleTerms(
    payment=PAYMENT,
    forfeit=forfeit_rule("SE"),
    payment_days=False,
    fixed_payment=timedelta(hours=48),
    grace=GRACE,
    grace_above=1_000_000,  # SEK 10 000.00
    grace_share=10,
    grace_months=1,
)


class SwedishRules(CountryRules):
    country = "SE"
    zone = ZoneInfo("Europe/Stockholm")
    proxy_allowed = False
    version = "2023-12-05"
    sale = SALE

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
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
    soft_close = SoftClose(TriggerWindow(WINDOW, inclusive=False), EXTENSION, Anchor.DEADLINE, EXTENSION_RULE)
    value_based = False  # no price derives from the value


RULES = SwedishRules()
