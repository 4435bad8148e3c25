"""Helpers for driving the pure decider in tests: an auction per country, bidders, a fold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from engine.commands import Command, RecordDeposit, RegisterBidder, ScheduleAuction
from engine.decider import decide, fold
from engine.events import Event
from engine.model import AssetKind, AuctionState
from engine.policy import AuctionRules, Draft
from rules import load_rules

COUNTRIES = ("BG", "HR", "LT", "SI", "SE", "EE", "LV", "CZ", "PT", "GR")

# Opening instants chosen so that every country's derived or given close is legal:
# a Tuesday morning in spring 2026 (no holiday in the next two weeks in any of the five).
OPENS = {
    "BG": datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
    "HR": datetime(2026, 5, 12, 7, 0, tzinfo=UTC),  # 09:00 CEST
    "LT": datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
    "SI": datetime(2026, 6, 10, 8, 0, tzinfo=UTC),  # 10:00 CEST
    "SE": datetime(2026, 5, 15, 15, 0, tzinfo=UTC),
    "EE": datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
    "LV": datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
    "CZ": datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
    "PT": datetime(2026, 5, 12, 9, 0, tzinfo=UTC),
    "GR": datetime(2026, 5, 13, 7, 0, tzinfo=UTC),  # a Wednesday
}
# The notice terms each newer country needs or uses (docs/rules.md, Terms set by the notice).
NOTICE: dict[str, dict[str, object]] = {
    "EE": {"starting_price": 80_000_00, "increment": 500_00, "extension_minutes": 5, "deposit": 8_000_00},
    "LV": {"increment": 1_000_00, "extension_minutes": 3},
    "CZ": {"currency": "CZK", "increment": 10_000_00, "deposit": 50_000_00},
    "PT": {"increment": 500_00, "extension_minutes": 1},
    "GR": {"deposit": 10_000_00, "extension_minutes": 10},
}


PAYMENT_DAYS = 14


def draft_for(country: str, **overrides: object) -> Draft:
    base: dict[str, object] = dict(
        country=country,
        title=f"Test auction {country}",
        asset=AssetKind.IMMOVABLE,
        value=100_000_00,
        currency="EUR",
        opens_at=OPENS[country],
    )
    if country == "BG":
        base["increment"] = 500_00
    if country == "SI":
        base["increment"] = 1_000_00
        base["closes_at"] = OPENS["SI"] + timedelta(minutes=30)
    if country == "SE":
        base["starting_price"] = 10_000_00
        base["closes_at"] = OPENS["SE"] + timedelta(hours=2)
    if country in NOTICE:
        base.update(NOTICE[country], closes_at=OPENS[country] + timedelta(hours=2))
    if country != "SE":  # the notice's payment period (Sweden's is fixed by law)
        base["payment_days"] = PAYMENT_DAYS
    base.update(overrides)
    return Draft(**base)  # type: ignore[arg-type]


@dataclass
class Run:
    """Feeds commands to the pure decider, keeping every event, as a store would."""

    rules: AuctionRules
    state: AuctionState
    events: list[Event] = field(default_factory=list)

    def do(self, command: Command, now: datetime) -> list[Event]:
        new = decide(self.state, command, self.rules, now)
        self.state = fold(self.state, new)
        self.events.extend(new)
        return new


def scheduled(country: str, bidders: int = 3, **overrides: object) -> Run:
    """An auction scheduled ten days ahead, with ``bidders`` registered and admitted."""
    rules = load_rules(country)
    draft = draft_for(country, **overrides)
    run = Run(rules=rules, state=AuctionState(auction_id="a-1"))
    before = draft.opens_at - timedelta(days=10)
    run.do(ScheduleAuction("a-1", draft), before)
    assert run.state.terms is not None
    for n in range(bidders):
        run.do(RegisterBidder(subject=f"person-{n}"), before)
        if run.state.terms.deposit_required:
            run.do(RecordDeposit(f"B-{n + 1}", run.state.terms.deposit_required), before)
    return run
