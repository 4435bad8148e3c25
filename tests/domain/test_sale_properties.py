"""Properties of the sale after bidding, over random sequences of acts at random instants.

Each example schedules an auction with three bidders (and, in Slovenia, an admitted holder of a
pre-emption right), walks a random bidding phase (bids, waits, suspensions and resumptions, a
cancellation now and then), lets bidding end, then walks random acts of the sale: the
declaration, pre-emption, payments of random amounts, refunds, offers to the next-best bidder,
grace, the next round, the transfer, and waits that let payment deadlines pass (docs/rules.md,
After bidding). A refused act must record nothing; after the walk the log must keep the
invariants below.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import (
    Advance,
    Cancel,
    Command,
    DecideTransfer,
    DeclarePreemption,
    EndAuction,
    GrantGrace,
    OfferNextBest,
    PlaceBid,
    RecordDeposit,
    RecordPayment,
    RecordRefund,
    RegisterBidder,
    Resume,
    StartNextRound,
    Suspend,
)
from engine.decider import fold, replay
from engine.errors import CommandRejected
from engine.events import (
    AuctionResumed,
    AuctionSuspended,
    BidAccepted,
    DepositCredited,
    DepositForfeited,
    DepositRecorded,
    DepositRefunded,
    Event,
    PaymentRecorded,
    RefundDue,
    SaleDefaulted,
    SaleOffered,
    SalePaid,
)
from engine.model import PREEMPTION_HOLDER, AuctionState, Ledger, Sale, Status
from engine.policy import RuleViolation
from tests.domain.support import Run, scheduled

COUNTRIES = ("BG", "HR", "LT", "SI", "SE", "EE")
US = timedelta(microseconds=1)

# Boundaries the rules care about (the SI window, days, the SE 48 hours, weeks, a month), and anything.
STEPS = [
    timedelta(0),
    US,
    timedelta(seconds=1),
    timedelta(minutes=10) - US,
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(hours=48) - US,
    timedelta(hours=48),
    timedelta(days=7),
    timedelta(days=15),
    timedelta(days=31),
]
steps = st.sampled_from(STEPS) | st.integers(0, 40 * 86_400).map(lambda s: timedelta(seconds=s))
short_steps = st.sampled_from(STEPS[:6]) | st.integers(0, 7_200).map(lambda s: timedelta(seconds=s))
bidder = st.integers(1, 4).map(lambda n: f"B-{n}")

opening_bids = st.sampled_from([True, True, True, False])  # mostly a sale to follow
extras = st.sampled_from([0, 0, 0, 1, 3])  # mostly the next valid amount (BG takes exactly one step)


def acts(weighted: dict[str, int], **shapes: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    """A list of acts, each kind drawn about as often as its weight."""
    kinds = [kind for kind, weight in weighted.items() for _ in range(weight)]
    return st.lists(st.sampled_from(kinds).flatmap(lambda kind: st.tuples(st.just(kind), *shapes[kind])), max_size=30)


bidding_acts = acts(
    {"wait": 3, "bid": 8, "suspend": 1, "resume": 1, "cancel": 1},
    wait=(short_steps,),
    bid=(bidder, extras),
    suspend=(short_steps,),
    resume=(steps,),
    cancel=(st.integers(0, 9), short_steps),  # a cancellation now and then: 1 in 10 goes ahead
)
sale_acts = acts(
    {
        "wait": 3,
        "lapse": 3,
        "declare": 2,
        "preempt": 2,
        "pay": 5,
        "refund": 2,
        "offer": 3,
        "grace": 2,
        "round": 1,
        "transfer": 1,
    },
    wait=(steps,),
    lapse=(st.sampled_from([timedelta(0), -US, -timedelta(hours=1)]),),  # to the payment deadline, or just before
    declare=(short_steps,),
    preempt=(short_steps,),
    pay=(st.sampled_from([10, 50, 100, 100, 101]) | st.integers(1, 120), short_steps),
    refund=(bidder, short_steps),
    offer=(steps,),
    grace=(steps, short_steps),
    round=(steps, short_steps),
    transfer=(short_steps,),
)


def attempt(run: Run, command: Command, now: datetime) -> None:
    """Do the command; a refusal must leave the log and the state as they were."""
    events, state = len(run.events), run.state
    try:
        run.do(command, now)
    except (CommandRejected, RuleViolation):
        assert len(run.events) == events and run.state == state, "a refused act recorded something"


def next_amount(state: AuctionState, extra: int) -> int:
    terms = state.terms
    assert terms is not None
    step = terms.increment or 1_000_00
    if state.best is None:
        first = terms.starting_price or 1
        return (first + (terms.increment or 0) if terms.country == "SI" else first) + extra * step
    return state.best.amount + step + extra * step


def play(country: str, opening_bid: bool, bidding: list[tuple], selling: list[tuple]) -> Run:  # type: ignore[type-arg]
    run = scheduled(country, bidders=3)
    terms = run.state.terms
    assert terms is not None
    holder = terms.opens_at - timedelta(days=10)
    if country == "SI":
        run.do(RegisterBidder(subject="holder", role=PREEMPTION_HOLDER), holder)
        run.do(RecordDeposit("B-4", terms.deposit_required), holder)
    now = terms.opens_at
    run.do(Advance(), now)
    if opening_bid:
        run.do(PlaceBid("B-1", next_amount(run.state, 0)), now)
    for act in bidding:
        kind = act[0]
        if kind == "wait":
            now += act[1]
            if run.state.status is Status.OPEN and run.state.deadline is not None:
                now = min(now, run.state.deadline)  # no further than the end of bidding
            attempt(run, Advance(), now)
        elif kind == "bid":
            if run.state.deadline is not None and run.state.status is Status.OPEN:
                now = max(now, run.state.deadline - timedelta(minutes=5))  # near the end: extensions
            attempt(run, PlaceBid(act[1], next_amount(run.state, act[2])), now)
        elif kind == "suspend":
            now += act[1]
            attempt(run, Suspend("incident"), now)
        elif kind == "resume":
            now += act[1]
            attempt(run, Resume(), now)
        elif act[1] == 0:
            now += act[2]
            attempt(run, Cancel("court order"), now)
    if run.state.status is Status.SUSPENDED:
        now += timedelta(hours=1)
        run.do(Resume(), now)
    while run.state.status is Status.OPEN:
        assert run.state.deadline is not None
        now = max(now, run.state.deadline)
        run.do(Advance(), now)
    # The declaration is the first act of the sale (as soon as it is allowed), unless the plan starts with
    # a declaration or a pre-emption of its own.
    window = run.rules.sale.preemption_window or timedelta(0)
    if run.state.closed_at is not None and not (selling and selling[0][0] in ("declare", "preempt")):
        now = max(now, run.state.closed_at + window)
        attempt(run, EndAuction(), now)
    for act in selling:
        kind, wait = act[0], act[-1]
        now += wait
        state = run.state
        if kind == "wait":
            attempt(run, Advance(), now)
        elif kind == "lapse":
            if state.sale is Sale.AWAITING_PAYMENT and state.payment_due is not None:
                now = max(now - wait, state.payment_due + wait)
            attempt(run, Advance(), now)
        elif kind == "declare":
            attempt(run, EndAuction(), now)
        elif kind == "preempt":
            attempt(run, DeclarePreemption("B-4"), now)
        elif kind == "pay":
            left = (state.purchase_price or 1_000_00) - state.paid
            attempt(run, RecordPayment(max(1, left * act[1] // 100)), now)
        elif kind == "refund":
            attempt(run, RecordRefund(act[1]), now)
        elif kind == "offer":
            attempt(run, OfferNextBest(), now)
        elif kind == "grace":
            attempt(run, GrantGrace((state.closed_at or now) + act[1]), now)
        elif kind == "round":
            opens = now + act[1]
            attempt(run, StartNextRound("a-2", opens, opens + timedelta(hours=2)), now)
        else:
            attempt(run, DecideTransfer("D-1", run.rules.local(now).date()), now)
    return run


def check_ledger(events: list[Event]) -> None:
    """Every deposit sits whole in exactly one place, the one the state names, and none is lost."""
    places: dict[str, Counter[Ledger]] = {}
    recorded = 0
    state = AuctionState(auction_id="a-1")

    def move(code: str, amount: int, sources: tuple[Ledger, ...], target: Ledger) -> None:
        place = places[code]
        source = next(s for s in sources if place[s] == amount)  # the whole deposit, from where it was
        place[source] -= amount
        place[target] += amount

    for event in events:
        if isinstance(event, DepositRecorded):
            places.setdefault(event.bidder_code, Counter())[Ledger.HELD] += event.amount
            recorded += event.amount
        elif isinstance(event, DepositCredited):
            move(event.bidder_code, event.amount, (Ledger.HELD, Ledger.REFUND_DUE), Ledger.CREDITED)
        elif isinstance(event, RefundDue):
            move(event.bidder_code, event.amount, (Ledger.HELD,), Ledger.REFUND_DUE)
        elif isinstance(event, DepositRefunded):
            move(event.bidder_code, event.amount, (Ledger.REFUND_DUE,), Ledger.REFUNDED)
        elif isinstance(event, DepositForfeited):
            move(event.bidder_code, event.amount, (Ledger.CREDITED,), Ledger.FORFEITED)
        state = fold(state, [event])
        for b in state.bidders:
            place = places.get(b.code, Counter())
            held = {ledger: amount for ledger, amount in place.items() if amount}
            if b.deposit:
                assert held == {b.ledger: b.deposit}, f"{b.code}'s deposit is not whole in one place"
            else:
                assert not held
        total = sum(sum(place.values()) for place in places.values())
        assert total == recorded == sum(b.deposit for b in state.bidders), "a deposit was lost or made up"


def check_sale(events: list[Event]) -> None:
    state = AuctionState(auction_id="a-1")
    defaults: Counter[str] = Counter()
    for event in events:
        if isinstance(event, (PaymentRecorded, SalePaid)):
            assert state.sale is Sale.AWAITING_PAYMENT
            assert state.purchaser not in state.defaulters, "a payment recorded for a purchaser who defaulted"
            assert state.payment_due is not None and event.at < state.payment_due, "a payment at or after the deadline"
        if isinstance(event, SaleDefaulted):
            defaults[event.purchaser] += 1
            assert event.at == state.payment_due, "a default away from the deadline instant"
            assert state.paid < (state.purchase_price or 0), "a covered price defaulted"
        if isinstance(event, SaleOffered):
            assert event.bidder_code not in state.defaulters, "the sale offered to a bidder who defaulted"
        if isinstance(event, BidAccepted):
            assert state.status is Status.OPEN, "a bid counted while bidding was not open"
        state = fold(state, [event])
    assert all(count == 1 for count in defaults.values()), f"a purchaser defaulted twice: {defaults}"


def check_suspensions(events: list[Event]) -> None:
    """Suspended time is never bidding time: resumption moves the deadline by exactly the pause."""
    state = AuctionState(auction_id="a-1")
    paused: AuctionSuspended | None = None
    total = timedelta(0)
    for event in events:
        if isinstance(event, AuctionSuspended):
            assert state.status is Status.OPEN and event.deadline == state.deadline
            paused = event
        if isinstance(event, AuctionResumed):
            assert paused is not None and event.suspended_at == paused.at
            assert event.deadline - paused.deadline == event.at - paused.at
            total += event.at - paused.at
            paused = None
        state = fold(state, [event])
    assert state.suspended_for == total


@pytest.mark.parametrize("country", COUNTRIES)
@settings(max_examples=100, deadline=None)
@given(opening_bid=opening_bids, bidding=bidding_acts, selling=sale_acts)
def test_random_acts_after_bidding_keep_every_invariant(
    country: str,
    opening_bid: bool,
    bidding: list[tuple],  # type: ignore[type-arg]
    selling: list[tuple],  # type: ignore[type-arg]
) -> None:
    run = play(country, opening_bid, bidding, selling)
    check_ledger(run.events)
    check_sale(run.events)
    check_suspensions(run.events)
    assert replay("a-1", run.events) == run.state, "replaying the log must give the state folded step by step"


@pytest.mark.parametrize("country", COUNTRIES)
@settings(max_examples=20, deadline=None)
@given(opening_bid=opening_bids, bidding=bidding_acts, selling=sale_acts)
def test_the_same_acts_at_the_same_instants_give_the_same_events(
    country: str,
    opening_bid: bool,
    bidding: list[tuple],  # type: ignore[type-arg]
    selling: list[tuple],  # type: ignore[type-arg]
) -> None:
    first, again = play(country, opening_bid, bidding, selling), play(country, opening_bid, bidding, selling)
    assert first.events == again.events
