"""A verified log folded into reports: the same report builder as the live engine, from a file.

``as_of`` rebuilds the reports from the events recorded by that instant, and is
the reports' instant too (refunds overdue then); without it, the instant is now."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from engine.policy import AuctionRules
from engine.store.base import StoredEvent
from engine.streams import auction_of
from projections.audit.log import LogError
from projections.report import build_report

RulesLookup = Callable[[str], AuctionRules]


def replay_reports(
    events: Sequence[StoredEvent],
    rules_for: RulesLookup,
    as_of: datetime | None = None,
    anonymise: bool = False,
) -> list[dict[str, Any]]:
    by_auction: dict[str, list[StoredEvent]] = {}
    for event in events:
        if as_of is not None and event.recorded_at > as_of:
            continue
        auction_id = auction_of(event.stream)
        assert auction_id is not None
        by_auction.setdefault(auction_id, []).append(event)
    reports = []
    for auction_id, stream in by_auction.items():
        country = stream[0].data.get("country")
        if stream[0].type != "AuctionScheduled" or not isinstance(country, str):
            raise LogError(f"event at position {stream[0].position}: an auction's log starts with AuctionScheduled")
        reports.append(build_report(auction_id, stream, rules_for(country), anonymise=anonymise, as_of=as_of))
    return reports
