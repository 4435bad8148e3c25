"""Portugal: judicial sales by enforcement agents on the e-leilões platform of
the Order of Solicitors and Enforcement Agents (Europe/Lisbon, or the auction's
own Atlantic/Azores or Atlantic/Madeira). Rules, legal basis and readings:
docs/rules.md, Portugal."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine.model import Terms, percent_of
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

SOURCE = "e-Justice portal, 'Judicial auctions - Portugal' (last update 18/12/2023)"
PLATFORM_RULES = "Order 12624/2015 (Diário da República, 2nd series, No 219, 9 November 2015)"

MINIMUM_PERCENT = 85
ZONES = ("Europe/Lisbon", "Atlantic/Azores", "Atlantic/Madeira")

STARTING_PRICE = LegalRule(
    code="PT-starting-price",
    basis=f"{SOURCE}: the minimum value is 85% of the basic value (Code of Civil Procedure Art. 816)",
    reading=(
        "85% of the value (the basic value), rounded up to the cent, derived when not given; a given starting "
        "price below it is refused"
    ),
)
DEPOSIT = LegalRule(
    code="PT-deposit",
    basis=f"{SOURCE} describes no deposit to bid on e-leilões",
    reading="No deposit is required: a notice-set deposit is refused (term_not_used)",
)
DURATION = LegalRule(
    code="PT-duration",
    basis=(
        f"{PLATFORM_RULES} Art. 6, as described in {SOURCE}: each auction publishes its start date and the date and "
        "time by which it concludes"
    ),
    reading="The end of bidding is set in the notice: closes_at must be given; registration stays open until the close",
)
ZONE = LegalRule(
    code="PT-zone",
    basis=f"{SOURCE}: Portugal keeps three time zones, Europe/Lisbon, Atlantic/Azores and Atlantic/Madeira",
    reading=(
        "An auction may name its zone (zone: one of the three), on whose wall clock its times are shown; "
        "without one it is Europe/Lisbon. Durations are elapsed time in every zone"
    ),
)
INCREMENT = LegalRule(
    code="PT-increment",
    basis=f"{SOURCE} sets no bidding step",
    reading=(
        "Optional notice term: with an increment every bid after the first is at least best + increment; "
        "without one any higher amount. The first bid reaches the starting price"
    ),
)
EXTENSION_RULE = LegalRule(
    code="PT-extension",
    basis=f"{SOURCE} gives no soft-close rule for e-leilões",
    reading=(
        "Set by the notice: with extension_minutes (1 to 60) an accepted bid with deadline - t <= the interval moves "
        "the deadline to deadline + the interval (deadline-anchored, no cap); without it there is no extension"
    ),
)
HIGHER_BID = higher_bid_rule("PT")
PROXY = no_proxy_rule("PT", SOURCE)



# -- after bidding (docs/rules.md, After bidding): the notice's period; no next-best bidder, no next round
SALE = SaleTerms(payment=notice_payment_rule("PT", SOURCE), forfeit=forfeit_rule("PT"))


class PortugueseRules(CountryRules):
    country = "PT"
    zone = ZoneInfo("Europe/Lisbon")
    proxy_allowed = False
    version = "2023-12-18"
    sale = SALE

    rule_book = (
        STARTING_PRICE,
        DEPOSIT,
        DURATION,
        ZONE,
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
    notice_soft_close = NoticeSoftClose(EXTENSION_RULE)
    notice_terms = frozenset({"increment", "zone"})

    def floor(self, draft: Draft) -> tuple[int, LegalRule]:
        return percent_of(draft.value, MINIMUM_PERCENT), STARTING_PRICE

    def term_rule(self, term: str) -> LegalRule:
        return ZONE if term == "zone" else super().term_rule(term)

    def auction_zone(self, draft: Draft) -> str | None:
        if draft.zone is not None and draft.zone not in ZONES:
            raise RuleViolation(
                "zone_not_allowed", f"zone {draft.zone!r} is not one of {', '.join(ZONES)}", ZONE
            )
        return draft.zone

    def check_step(self, terms: Terms, best: int | None, amount: int) -> Refusal | None:
        return at_least_one_step(terms, best, amount, INCREMENT)


RULES = PortugueseRules()
