"""Dry-run a scenario (docs/scenarios.md, ``auction simulate``) on a simulated clock.

The scenario goes through the same service, decider and rule books as the live
engine, on an in-memory store; only the clock is manual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.clock import ManualClock
from engine.commands import (
    Advance,
    Cancel,
    Command,
    DeclarePreemption,
    EndAuction,
    GrantGrace,
    OfferNextBest,
    Official,
    PlaceBid,
    RecordDeposit,
    RecordPayment,
    RecordRefund,
    RegisterBidder,
    Resume,
    ScheduleAuction,
    SetProxy,
    StartNextRound,
    Suspend,
)
from engine.errors import DomainError
from engine.events import (
    BidAccepted,
    BidderRegistered,
    BidRejected,
    DeadlineExtended,
    Event,
    NextRoundScheduled,
    ProxyRejected,
)
from engine.model import (
    AssetKind,
    AuctionState,
    InvalidValue,
    Status,
    format_instant,
    format_money,
    parse_instant,
    parse_money,
)
from engine.policy import Draft, RuleViolation, schedule_warnings
from engine.sale import scheduled_round
from engine.service import AuctionService, RulesLookup
from engine.store.base import EventStore

AUCTION_ID = "simulation"
AUCTION_KEYS = {
    "asset", "value", "currency", "starting_price", "increment", "opens_at", "closes_at", "round", "title",
    "extension_minutes", "deposit", "zone", "payment_days",
}
BIDDING_STEPS = ("register", "bid", "proxy")
# The steps after bidding (docs/scenarios.md); a scenario with any of them needs the sale's terms.
SALE_STEPS = ("declare", "preempt", "pay", "refund", "offer_next", "grace", "suspend", "resume", "cancel", "next_round")
ACTIONS = BIDDING_STEPS + SALE_STEPS
NAMED = ("register", "bid", "proxy", "preempt", "refund")  # the steps that name a bidder
BAILIFF = Official(subject="bailiff", office="simulation")


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
    payment_days = auction.get("payment_days")
    if payment_days is not None and (not isinstance(payment_days, int) or isinstance(payment_days, bool)):
        raise ScenarioError("auction.payment_days must be a whole number of days")
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
        payment_days=payment_days,
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
            raise ScenarioError(f"{where} must have \"at\" and exactly one of {', '.join(ACTIONS)}")
        if "at" not in step:
            raise ScenarioError(f"{where}.at is required")
        at = parse_instant(step["at"], f"{where}.at")
        if previous is not None and at < previous:
            raise ScenarioError(f"{where}.at is earlier than the step before it: steps must be in time order")
        previous = at
        action = actions[0]
        body = _object(step[action], f"{where}.{action}")
        if action in NAMED:
            _name(body, f"{where}.{action}")
        _check_step(action, body, where)
        if action == "register" and body.get("deposit") is not None:
            parse_money(body["deposit"], f"{where}.register.deposit")
        if action == "bid":
            parse_money(body.get("amount"), f"{where}.bid.amount")
        if action == "proxy":
            parse_money(body.get("max"), f"{where}.proxy.max")
            parse_money(body.get("step"), f"{where}.proxy.step")
        steps.append(Step(at=at, action=action, body=body, index=index))
    if draft.payment_days is None and any(step.action in SALE_STEPS for step in steps):
        try:
            rules_for(country).check_sale_terms(draft)
        except RuleViolation as exc:
            raise ScenarioError(f"a scenario with steps after bidding needs the sale's terms: {exc}") from None
    if "until" not in scenario:
        raise ScenarioError("until is required")
    until = parse_instant(scenario["until"], "until")
    if previous is not None and until < previous:
        raise ScenarioError("until is earlier than the last step")
    return draft, steps, until


def _check_step(action: str, body: dict[str, Any], where: str) -> None:
    """The shape of an after-bidding step's fields (the rules judge their content when it runs)."""
    if action == "register" and body.get("role") is not None and not isinstance(body["role"], str):
        raise ScenarioError(f"{where}.register.role must be a string such as \"preemption_holder\"")
    if action == "pay":
        parse_money(body.get("amount"), f"{where}.pay.amount")
    if action == "grace":
        parse_instant(body.get("until"), f"{where}.grace.until")
    if action in ("suspend", "cancel") and not isinstance(body.get("reason"), str):
        raise ScenarioError(f"{where}.{action}.reason must be a string")
    if action == "next_round":
        parse_instant(body.get("opens_at"), f"{where}.next_round.opens_at")
        if body.get("closes_at") is not None:
            parse_instant(body["closes_at"], f"{where}.next_round.closes_at")
        if body.get("starting_price") is not None:
            parse_money(body["starting_price"], f"{where}.next_round.starting_price")


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


def _deposits(state: AuctionState, names: dict[str, str], tz: Any) -> list[dict[str, Any]]:
    return [
        {
            "bidder": names.get(b.code, b.code),
            "amount": format_money(b.deposit),
            "status": b.ledger.value,
            "due": format_instant(b.refund_due, tz) if b.refund_due is not None else None,
        }
        for b in state.bidders
        if b.deposit > 0
    ]


def _round_json(state: AuctionState, names: dict[str, str], tz: Any) -> dict[str, Any]:
    assert state.terms is not None
    closes = state.closed_at if state.closed_at is not None else state.deadline
    return {
        "round": state.terms.round,
        "opens_at": format_instant(state.terms.opens_at, tz),
        "closes_at": format_instant(closes, tz) if closes else None,
        "starting_price": format_money(state.terms.starting_price),
        "status": state.status.value,
        "winner": names.get(state.leader or "") if state.status is Status.CLOSED else None,
        "price": format_money(state.price) if state.price is not None else None,
    }


def _start(draft: Draft, steps: list[Step], rules: Any) -> datetime:
    """When the simulated notice is published: at the first step or the opening, whichever is
    earlier, and at the latest a day before the deposit deadline (docs/scenarios.md)."""
    start = min([draft.opens_at] + [s.at for s in steps])
    try:
        terms = rules.schedule(draft)
    except (RuleViolation, ValueError, OverflowError):
        return start  # the schedule itself will say what is wrong
    if terms.deposit_required > 0 and terms.deposit_due is not None and terms.deposit_due <= start:
        start = terms.deposit_due - timedelta(days=1)
    return start


async def run_scenario(raw: Any, store: EventStore, rules_for: RulesLookup) -> dict[str, Any]:
    draft, steps, until = parse_scenario(raw, rules_for)
    rules = rules_for(draft.country)
    tz: ZoneInfo = rules.zone
    clock = ManualClock(_start(draft, steps, rules))
    service = AuctionService(store, rules_for, clock)
    recorder = _Recorder()
    refused: list[dict[str, Any]] = []
    codes: dict[tuple[str, str], str] = {}  # (auction, name) -> bidder code
    sale_steps = any(step.action in SALE_STEPS for step in steps)
    current = AUCTION_ID  # the round the steps go to: a next_round step moves them on

    async def run(command: Command, caller: str | None = None) -> tuple[Event, ...]:
        outcome = await service.execute(current, command)
        recorder.record(outcome.events, tz, caller)
        return outcome.events

    try:
        scheduled = await service.execute(
            AUCTION_ID, ScheduleAuction(AUCTION_ID, draft, BAILIFF, sale_terms_required=sale_steps)
        )
    except RuleViolation as exc:
        raise ScenarioError(str(exc)) from None
    except DomainError as exc:
        raise ScenarioError(exc.message) from None
    terms = (await service.load(AUCTION_ID)).terms
    if terms is not None and terms.zone is not None:
        tz = ZoneInfo(terms.zone)  # the auction's own zone, which the rules accepted (PT), shows every time
    recorder.record(scheduled.events, tz, None)
    next_round: str | None = None

    for step in steps:
        clock.set(step.at)
        body = step.body
        name = str(body.get("bidder") or "")  # "" only for a step that names nobody
        code = codes.get((current, name)) if name else None
        try:
            if step.action == "register":
                if code is None:
                    events = await run(RegisterBidder(subject=name, role=body.get("role")), name)
                    code = next(e.bidder_code for e in events if isinstance(e, BidderRegistered))
                    codes[(current, name)] = code
                deposit = parse_money(body.get("deposit") or "0.00", "deposit")
                if deposit > 0:
                    await run(RecordDeposit(code, deposit), name)
            elif step.action == "bid":
                await run(PlaceBid(code, parse_money(body["amount"])), name)
            elif step.action == "proxy":
                await run(SetProxy(code, parse_money(body["max"]), parse_money(body["step"])), name)
            elif step.action == "declare":
                await run(EndAuction(BAILIFF))
            elif step.action == "preempt":
                await run(DeclarePreemption(code), name)
            elif step.action == "pay":
                await run(RecordPayment(parse_money(body["amount"]), BAILIFF))
            elif step.action == "refund":
                if code is None:
                    raise DomainError("unknown_bidder", f"{name!r} never registered")
                await run(RecordRefund(code, BAILIFF))
            elif step.action == "offer_next":
                await run(OfferNextBest(BAILIFF))
            elif step.action == "grace":
                await run(GrantGrace(parse_instant(body["until"]), BAILIFF))
            elif step.action == "suspend":
                await run(Suspend(body["reason"], BAILIFF))
            elif step.action == "resume":
                await run(Resume(BAILIFF))
            elif step.action == "cancel":
                await run(Cancel(body["reason"], BAILIFF))
            else:
                current = await _next_round(service, current, body, recorder, tz)
                next_round = current
        except (DomainError, RuleViolation) as exc:
            # A step the rules refuse changes nothing; it is listed with its reason.
            refused.append({"at": format_instant(step.at, tz), "step": step.action, "reason": exc.code})
    clock.set(until)
    for auction in dict.fromkeys([AUCTION_ID, current]):
        events = (await service.execute(auction, Advance())).events
        recorder.record(events, tz, None)
    state = await service.load(AUCTION_ID)
    assert state.terms is not None
    names = recorder.names
    closes = state.closed_at if state.closed_at is not None else state.deadline
    winner = names.get(state.leader or "") if state.status is Status.CLOSED else None
    return {
        "country": draft.country,
        "status": state.status.value,
        "opens_at": format_instant(state.terms.opens_at, tz),
        "closes_at": format_instant(closes, tz) if closes else None,
        "scheduled_close": format_instant(state.terms.closes_at, tz),
        "winner": winner,
        "leader": names.get(state.leader or ""),
        "price": format_money(state.price) if state.price is not None else None,
        "starting_price": format_money(state.terms.starting_price),
        "increment": format_money(state.terms.increment) if state.terms.increment is not None else None,
        "deposit_required": format_money(state.terms.deposit_required),
        "currency": state.terms.currency,
        # Computed from the terms, as the API does: warnings never block and are not events.
        "warnings": [warning.to_json() for warning in schedule_warnings(rules, state.terms, state.scheduled_at)],
        "bids": recorder.bids,
        "events": recorder.events,
        "sale": state.sale.value if state.sale is not None else None,
        "purchaser": names.get(state.purchaser or ""),
        "payment_due": format_instant(state.payment_due, tz) if state.payment_due is not None else None,
        "paid": format_money(state.paid) if state.sale is not None else None,
        "deposits": _deposits(state, names, tz),
        "outcome": state.outcome,
        "next_round": _round_json(await service.load(next_round), names, tz) if next_round else None,
        "refused": refused,
    }


async def _next_round(
    service: AuctionService, current: str, body: dict[str, Any], recorder: _Recorder, tz: Any
) -> str:
    """Schedule the next round of ``current`` as the engine's API does: the old round records
    it, then the new auction is scheduled with the draft the rules checked."""
    state = await service.load(current)
    new_id = f"{AUCTION_ID}-{(state.terms.round if state.terms else 1) + 1}"
    command = StartNextRound(
        next_auction=new_id,
        opens_at=parse_instant(body["opens_at"]),
        closes_at=parse_instant(body["closes_at"]) if body.get("closes_at") is not None else None,
        starting_price=parse_money(body["starting_price"]) if body.get("starting_price") is not None else None,
        official=BAILIFF,
    )
    rules = service.rules_for(state.terms.country if state.terms else "")
    outcome = await service.execute(current, command)
    recorder.record(outcome.events, tz, None)
    recorded = next(e for e in outcome.events if isinstance(e, NextRoundScheduled))
    draft = scheduled_round(outcome.state, rules, recorded)
    scheduled = await service.execute(new_id, ScheduleAuction(new_id, draft, BAILIFF))
    recorder.record(scheduled.events, tz, None)
    return new_id
