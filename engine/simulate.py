"""Dry-run a scenario (docs/scenarios.md, ``auction simulate``) on a simulated clock.

The scenario goes through the same service, decider and rule books as the live
engine, on an in-memory store; only the clock is manual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.clock import ManualClock
from engine.commands import Advance, Command, PlaceBid, RecordDeposit, RegisterBidder, ScheduleAuction, SetProxy
from engine.errors import DomainError
from engine.events import (
    BidAccepted,
    BidderRegistered,
    BidRejected,
    DeadlineExtended,
    Event,
    ProxyRejected,
)
from engine.model import (
    AssetKind,
    InvalidValue,
    Status,
    format_instant,
    format_money,
    parse_instant,
    parse_money,
)
from engine.policy import Draft, RuleViolation, schedule_warnings
from engine.service import AuctionService, RulesLookup
from engine.store.base import EventStore

AUCTION_ID = "simulation"
AUCTION_KEYS = {
    "asset", "value", "currency", "starting_price", "increment", "opens_at", "closes_at", "round", "title",
    "extension_minutes", "deposit", "zone",
}
ACTIONS = ("register", "bid", "proxy")


class ScenarioError(ValueError):
    """The scenario cannot be run; the message is one line naming the problem."""


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    body: dict[str, Any]
    index: int


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a JSON object")
    return value


def _name(body: dict[str, Any], where: str) -> str:
    bidder = body.get("bidder")
    if not isinstance(bidder, str) or not bidder.strip():
        raise ScenarioError(f"{where}.bidder must be a non-empty string")
    return bidder


def parse_scenario(raw: Any, rules_for: RulesLookup) -> tuple[Draft, list[Step], datetime]:
    try:
        return _parse(raw, rules_for)
    except InvalidValue as exc:
        raise ScenarioError(str(exc)) from None


def _parse(raw: Any, rules_for: RulesLookup) -> tuple[Draft, list[Step], datetime]:
    scenario = _object(raw, "the scenario")
    country = scenario.get("country")
    if not isinstance(country, str):
        raise ScenarioError("country must be an ISO 3166-1 alpha-2 code such as \"HR\"")
    try:
        rules_for(country)
    except LookupError as exc:
        raise ScenarioError(str(exc).strip("'\"")) from None
    auction = _object(scenario.get("auction"), "auction")
    unknown = set(auction) - AUCTION_KEYS
    if unknown:
        raise ScenarioError(f"auction has unknown field(s): {', '.join(sorted(unknown))}")
    asset = auction.get("asset")
    try:
        asset_kind = AssetKind(asset)
    except ValueError:
        raise ScenarioError(
            f"auction.asset {asset!r} must be one of {', '.join(a.value for a in AssetKind)}"
        ) from None
    round_ = auction.get("round", 1)
    if not isinstance(round_, int) or isinstance(round_, bool) or round_ not in (1, 2):
        raise ScenarioError("auction.round must be 1 or 2")
    currency = auction.get("currency", "EUR")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise ScenarioError("auction.currency must be an ISO 4217 code such as \"EUR\"")
    if "value" not in auction:
        raise ScenarioError("auction.value is required")
    if "opens_at" not in auction:
        raise ScenarioError("auction.opens_at is required")

    def optional_money(key: str) -> int | None:
        return parse_money(auction[key], f"auction.{key}") if auction.get(key) is not None else None

    minutes = auction.get("extension_minutes")
    if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)):
        raise ScenarioError("auction.extension_minutes must be a whole number of minutes")
    zone = auction.get("zone")
    if zone is not None and not isinstance(zone, str):
        raise ScenarioError("auction.zone must be an IANA zone name such as \"Atlantic/Azores\"")

    draft = Draft(
        country=country,
        title=str(auction.get("title") or "Simulated auction"),
        asset=asset_kind,
        value=parse_money(auction["value"], "auction.value"),
        currency=currency.upper(),
        opens_at=parse_instant(auction["opens_at"], "auction.opens_at"),
        starting_price=optional_money("starting_price"),
        increment=optional_money("increment"),
        closes_at=(
            parse_instant(auction["closes_at"], "auction.closes_at") if auction.get("closes_at") is not None else None
        ),
        round=round_,
        extension_minutes=minutes,
        deposit=optional_money("deposit"),
        zone=zone,
    )
    raw_steps = scenario.get("steps", [])
    if not isinstance(raw_steps, list):
        raise ScenarioError("steps must be a list")
    steps: list[Step] = []
    previous: datetime | None = None
    for index, raw_step in enumerate(raw_steps):
        where = f"steps[{index}]"
        step = _object(raw_step, where)
        actions = [key for key in step if key != "at"]
        if len(actions) != 1 or actions[0] not in ACTIONS:
            raise ScenarioError(f"{where} must have \"at\" and exactly one of register, bid, proxy")
        if "at" not in step:
            raise ScenarioError(f"{where}.at is required")
        at = parse_instant(step["at"], f"{where}.at")
        if previous is not None and at < previous:
            raise ScenarioError(f"{where}.at is earlier than the step before it: steps must be in time order")
        previous = at
        action = actions[0]
        body = _object(step[action], f"{where}.{action}")
        _name(body, f"{where}.{action}")
        if action == "register" and body.get("deposit") is not None:
            parse_money(body["deposit"], f"{where}.register.deposit")
        if action == "bid":
            parse_money(body.get("amount"), f"{where}.bid.amount")
        if action == "proxy":
            parse_money(body.get("max"), f"{where}.proxy.max")
            parse_money(body.get("step"), f"{where}.proxy.step")
        steps.append(Step(at=at, action=action, body=body, index=index))
    if "until" not in scenario:
        raise ScenarioError("until is required")
    until = parse_instant(scenario["until"], "until")
    if previous is not None and until < previous:
        raise ScenarioError("until is earlier than the last step")
    return draft, steps, until


class _Recorder:
    """Collects the result's ``bids`` and ``events`` in the order the engine produced them."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.bids: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def record(self, events: tuple[Event, ...], tz: Any, caller: str | None) -> None:
        for event in events:
            if isinstance(event, BidderRegistered):
                self.names[event.bidder_code] = event.subject
            entry: dict[str, Any] = {"type": type(event).__name__, "at": format_instant(event.at, tz)}
            if isinstance(event, DeadlineExtended):
                entry.update(deadline=format_instant(event.deadline, tz), rule=event.rule)
            if isinstance(event, (BidAccepted, BidRejected)):
                bidder = self.names.get(event.bidder_code or "", caller)
                entry.update(bidder=bidder, amount=format_money(event.amount))
                self.bids.append(
                    {
                        "bidder": bidder,
                        "amount": format_money(event.amount),
                        "at": format_instant(event.at, tz),
                        "accepted": isinstance(event, BidAccepted),
                        "reason": event.reason if isinstance(event, BidRejected) else None,
                        "automatic": event.automatic,
                    }
                )
                if isinstance(event, BidRejected):
                    entry.update(reason=event.reason, rule=event.rule)
            if isinstance(event, ProxyRejected):
                # A refused instruction places no bid: it shows here only, never in ``bids``.
                bidder = self.names.get(event.bidder_code or "", caller)
                entry.update(bidder=bidder, reason=event.reason, rule=event.rule)
            self.events.append(entry)


async def run_scenario(raw: Any, store: EventStore, rules_for: RulesLookup) -> dict[str, Any]:
    draft, steps, until = parse_scenario(raw, rules_for)
    rules = rules_for(draft.country)
    tz: ZoneInfo = rules.zone
    start = min([draft.opens_at] + [s.at for s in steps])
    clock = ManualClock(start)
    service = AuctionService(store, rules_for, clock)
    recorder = _Recorder()
    codes: dict[str, str] = {}

    async def run(command: Command, caller: str | None = None) -> None:
        outcome = await service.execute(AUCTION_ID, command)
        recorder.record(outcome.events, tz, caller)

    try:
        scheduled = await service.execute(AUCTION_ID, ScheduleAuction(AUCTION_ID, draft))
    except RuleViolation as exc:
        raise ScenarioError(str(exc)) from None
    except DomainError as exc:
        raise ScenarioError(exc.message) from None
    terms = (await service.load(AUCTION_ID)).terms
    if terms is not None and terms.zone is not None:
        tz = ZoneInfo(terms.zone)  # the auction's own zone, which the rules accepted (PT), shows every time
    recorder.record(scheduled.events, tz, None)

    for step in steps:
        clock.set(step.at)
        name = step.body["bidder"]
        try:
            if step.action == "register":
                if name not in codes:
                    outcome = await service.execute(AUCTION_ID, RegisterBidder(subject=name))
                    recorder.record(outcome.events, tz, name)
                    codes[name] = next(e.bidder_code for e in outcome.events if isinstance(e, BidderRegistered))
                deposit = parse_money(step.body.get("deposit") or "0.00", "deposit")
                if deposit > 0:
                    await run(RecordDeposit(codes[name], deposit), name)
            elif step.action == "bid":
                await run(PlaceBid(codes.get(name), parse_money(step.body["amount"])), name)
            else:
                await run(
                    SetProxy(codes.get(name), parse_money(step.body["max"]), parse_money(step.body["step"])), name
                )
        except DomainError as exc:
            raise ScenarioError(f"steps[{step.index}]: {exc.message}") from None
    clock.set(until)
    await run(Advance())
    state = await service.load(AUCTION_ID)
    assert state.terms is not None
    closes = state.closed_at if state.closed_at is not None else state.deadline
    winner = recorder.names.get(state.leader or "") if state.status is Status.CLOSED else None
    return {
        "country": draft.country,
        "status": state.status.value,
        "opens_at": format_instant(state.terms.opens_at, tz),
        "closes_at": format_instant(closes, tz) if closes else None,
        "scheduled_close": format_instant(state.terms.closes_at, tz),
        "winner": winner,
        "leader": recorder.names.get(state.leader or ""),
        "price": format_money(state.price) if state.price is not None else None,
        "starting_price": format_money(state.terms.starting_price),
        "increment": format_money(state.terms.increment) if state.terms.increment is not None else None,
        "deposit_required": format_money(state.terms.deposit_required),
        "currency": state.terms.currency,
        # Computed from the terms, as the API does: warnings never block and are not events.
        "warnings": [warning.to_json() for warning in schedule_warnings(rules, state.terms, state.scheduled_at)],
        "bids": recorder.bids,
        "events": recorder.events,
    }
