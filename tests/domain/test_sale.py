"""After bidding, per country (docs/rules.md, After bidding): the declaration, the payment
deadline and the default at its instant, deposits, the next-best bidder, pre-emption, grace,
suspension, cancellation, the next round and its limits, and the schedule checks.

Every refusal is checked the same way: the command raises with its code and nothing is
appended to the log (the state is the one before the command).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from engine.commands import (
    Advance,
    Cancel,
    Command,
    DecideTransfer,
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
    StartNextRound,
    Suspend,
)
from engine.errors import CommandRejected
from engine.events import (
    AuctionCancelled,
    AuctionEnded,
    AuctionResumed,
    AuctionSuspended,
    BidAccepted,
    BiddingClosed,
    BidRejected,
    DeadlineExtended,
    DepositCredited,
    DepositForfeited,
    DepositRefunded,
    Event,
    GraceGranted,
    NextRoundScheduled,
    PaymentRecorded,
    PreemptionDeclared,
    RefundDue,
    RoundsExhausted,
    SaleDefaulted,
    SaleOffered,
    SalePaid,
    TransferDecided,
)
from engine.model import PREEMPTION_HOLDER, AuctionState, Ledger, Sale, Status
from engine.policy import RuleViolation
from rules import load_rules
from tests.domain.support import OPENS, Run, draft_for, scheduled

US = timedelta(microseconds=1)
MINUTE = timedelta(minutes=1)
ZONES = {
    "BG": ZoneInfo("Europe/Sofia"),
    "HR": ZoneInfo("Europe/Zagreb"),
    "LT": ZoneInfo("Europe/Vilnius"),
    "SI": ZoneInfo("Europe/Ljubljana"),
    "SE": ZoneInfo("Europe/Stockholm"),
    "EE": ZoneInfo("Europe/Tallinn"),
}
BAILIFF = Official(subject="bailiff-7", office="Office 1")
# The bidders in the order they bid: the last is the best, the one before it the next-best.
THREE = ("B-1", "B-2", "B-3")


def at(country: str, *wall: int) -> datetime:
    """An instant given on the country's wall clock."""
    return datetime(*wall, tzinfo=ZONES[country]).astimezone(UTC)  # type: ignore[misc]


def refused(run: Run, command: Command, now: datetime, code: str) -> Exception:
    """The command raises with ``code`` and records nothing."""
    events, state = list(run.events), run.state
    with pytest.raises((CommandRejected, RuleViolation)) as caught:
        run.do(command, now)
    assert caught.value.code == code, caught.value
    assert run.events == events, "a refused command appended events"
    assert run.state == state
    return caught.value


def of(events: list[Event], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def next_amount(run: Run) -> int:
    terms = run.state.terms
    assert terms is not None
    if run.state.best is None:
        first = terms.starting_price or 1
        return first + (terms.increment or 0) if terms.country == "SI" else first
    return run.state.best.amount + (terms.increment or 1_000_00)


def bid(run: Run, bidder: str, now: datetime, amount: int | None = None) -> BidAccepted:
    events = run.do(PlaceBid(bidder, amount if amount is not None else next_amount(run)), now)
    accepted = of(events, BidAccepted)
    assert accepted, events
    return accepted[-1]  # type: ignore[no-any-return]


def close(run: Run) -> datetime:
    """Let bidding end by itself at the deadline in force; the instant it ended."""
    while run.state.status is Status.OPEN:
        assert run.state.deadline is not None
        run.do(Advance(), run.state.deadline)
    assert run.state.status in (Status.CLOSED, Status.FAILED)
    assert run.state.closed_at is not None
    return run.state.closed_at


def auction(country: str, bidders: tuple[str, ...] = THREE, extra: int = 0, **overrides: object) -> Run:
    """An auction whose bidding has ended, ``bidders`` having bid in that order a minute apart."""
    run = scheduled(country, bidders=3 + extra, **overrides)
    assert run.state.terms is not None
    opens = run.state.terms.opens_at
    run.do(Advance(), opens)
    for n, code in enumerate(bidders, start=1):
        bid(run, code, opens + n * MINUTE)
    close(run)
    return run


def declared(country: str, when: datetime | None = None, **overrides: object) -> Run:
    """An auction with three bids and its purchaser (B-3) declared at ``when`` (default: as soon as allowed)."""
    run = auction(country, **overrides)
    assert run.state.closed_at is not None
    window = load_rules(country).sale.preemption_window or timedelta(0)
    run.do(EndAuction(official=BAILIFF), when or run.state.closed_at + window)
    assert run.state.sale is Sale.AWAITING_PAYMENT
    return run


def default(run: Run) -> list[Event]:
    """Let the payment deadline pass."""
    assert run.state.payment_due is not None
    return run.do(Advance(), run.state.payment_due)


def remaining(run: Run) -> int:
    assert run.state.purchase_price is not None
    return run.state.purchase_price - run.state.paid


# ---------------------------------------------------------------- the states


def test_a_sale_runs_from_the_declaration_through_payment_to_the_transfer() -> None:
    run = declared("HR")
    state = run.state
    assert (state.status, state.sale, state.purchaser) == (Status.CLOSED, Sale.AWAITING_PAYMENT, "B-3")
    assert state.credited == state.terms.deposit_required and state.due == state.payment_due
    decided_on = run.rules.local(state.ended_at).date()
    refused(run, DecideTransfer("R-1", decided_on), state.ended_at, "sale_not_paid")
    now = state.ended_at + timedelta(days=1)
    half = remaining(run) // 2
    first = run.do(RecordPayment(half, official=BAILIFF), now)
    assert first == [
        PaymentRecorded(at=now, amount=half, paid=state.credited + half, official="bailiff-7", office="Office 1")
    ]
    refused(run, RecordPayment(remaining(run) + 1), now, "payment_exceeds_price")
    refused(run, RecordPayment(0), now, "invalid_amount")
    last = run.do(RecordPayment(remaining(run)), now)
    assert [type(e) for e in last] == [PaymentRecorded, SalePaid]
    assert run.state.sale is Sale.PAID and run.state.due is None
    refused(run, RecordPayment(1), now, "already_paid")
    refused(run, DecideTransfer(" ", decided_on), now, "invalid_reference")
    refused(run, DecideTransfer("R-1", decided_on - timedelta(days=1)), now, "invalid_date")
    refused(run, DecideTransfer("R-1", run.rules.local(now).date() + timedelta(days=1)), now, "invalid_date")
    done = run.do(DecideTransfer("R-1", decided_on, official=BAILIFF), now)
    assert of(done, TransferDecided) and run.state.sale is Sale.COMPLETED
    refused(run, DecideTransfer("R-2", decided_on), now, "already_completed")
    # Time alone changes nothing more.
    assert run.do(Advance(), now + timedelta(days=400)) == []


def test_a_failed_auction_is_declared_without_a_purchaser_and_no_sale_starts() -> None:
    run = auction("HR", bidders=())
    assert run.state.status is Status.FAILED
    ended = run.do(EndAuction(), run.state.closed_at)
    assert ended[0] == AuctionEnded(at=run.state.closed_at, purchaser=None, price=None)
    assert run.state.sale is None and run.state.ended
    assert {e.bidder_code for e in of(ended, RefundDue)} == set(THREE)
    refused(run, RecordPayment(1), run.state.closed_at, "no_sale")


def test_the_purchaser_is_declared_only_once_bidding_has_ended() -> None:
    run = scheduled("BG")
    run.do(Advance(), OPENS["BG"])
    bid(run, "B-1", OPENS["BG"] + MINUTE)
    refused(run, EndAuction(), OPENS["BG"] + 2 * MINUTE, "bidding_not_ended")


# ---------------------------------------------------------------- payment deadline


@pytest.mark.parametrize(
    ("country", "declared_on", "due"),
    [
        # payment_days = 14 from the declaration's local date: before 24:00 at the end of date + 14.
        ("BG", (2026, 5, 19, 9, 0), (2026, 6, 3)),
        ("HR", (2026, 5, 25, 23, 59), (2026, 6, 9)),
        ("LT", (2026, 6, 12, 0, 0), (2026, 6, 27)),
        ("SI", (2026, 6, 10, 11, 0), (2026, 6, 25)),
        ("EE", (2026, 5, 12, 23, 30), (2026, 5, 27)),  # an A3 country
    ],
)
def test_the_price_is_due_by_the_end_of_the_declaration_date_plus_payment_days(
    country: str, declared_on: tuple[int, ...], due: tuple[int, int, int]
) -> None:
    run = declared(country, at(country, *declared_on))
    ended = of(run.events, AuctionEnded)[0]
    assert ended.payment_due == at(country, *due, 0, 0)
    assert ended.rule == f"{country}-payment" and ended.official == "bailiff-7"


@pytest.mark.parametrize("country", ["BG", "HR", "LT", "SI", "SE", "EE"])
def test_a_payment_at_the_deadline_is_refused_because_the_sale_defaulted_at_that_instant(country: str) -> None:
    run = declared(country)
    due = run.state.payment_due
    assert due is not None
    refused(run, RecordPayment(remaining(run)), due, "sale_defaulted")
    events = default(run)
    deposit = run.state.terms.deposit_required
    assert events[0] == SaleDefaulted(at=due, purchaser="B-3", paid=deposit, rule=f"{country}-payment")
    if deposit:
        assert events[1] == DepositForfeited(at=due, bidder_code="B-3", amount=deposit, rule=f"{country}-forfeit")
        assert run.state.bidder("B-3").ledger is Ledger.FORFEITED
    else:
        assert not of(events, DepositForfeited)  # SE: no deposits
    assert run.state.sale is Sale.DEFAULTED and run.state.defaulters == ("B-3",)
    refused(run, RecordPayment(1), due + timedelta(days=1), "sale_defaulted")
    assert run.do(Advance(), due + timedelta(days=30)) == [], "a sale defaults once"


@pytest.mark.parametrize("country", ["BG", "HR", "LT", "SI", "SE", "EE"])
def test_one_microsecond_before_the_deadline_a_payment_is_accepted(country: str) -> None:
    run = declared(country)
    due = run.state.payment_due
    assert due is not None
    events = run.do(RecordPayment(remaining(run)), due - US)
    assert [type(e) for e in events] == [PaymentRecorded, SalePaid]
    assert run.do(Advance(), due + timedelta(days=1)) == [], "a paid sale does not default"
    assert run.state.sale is Sale.PAID


def test_the_swedish_48_hours_are_elapsed_hours_across_the_change_to_summer_time() -> None:
    # Bidding ends Sat 2026-03-28 19:00 CET; the clocks go forward on Sunday morning.
    run = auction(
        "SE",
        bidders=("B-1",),
        currency="SEK",
        opens_at=at("SE", 2026, 3, 28, 16, 0),
        closes_at=at("SE", 2026, 3, 28, 19, 0),
    )
    closed = run.state.closed_at
    assert closed == at("SE", 2026, 3, 28, 19, 0)
    run.do(EndAuction(), closed + timedelta(hours=20))  # declared later: the 48 h still run from the end
    due = run.state.payment_due
    assert due == closed + timedelta(hours=48)
    assert run.rules.local(due).replace(tzinfo=None) == datetime(2026, 3, 30, 20, 0), "the clock shows 20:00 CEST"
    refused(run, RecordPayment(remaining(run)), due, "sale_defaulted")
    assert run.do(RecordPayment(remaining(run)), due - US)[-1] == SalePaid(
        at=due - US, purchaser="B-1", paid=run.state.purchase_price
    )


def test_the_swedish_deadline_counts_from_the_end_of_bidding_with_its_extensions() -> None:
    run = scheduled("SE", currency="SEK")
    terms = run.state.terms
    run.do(Advance(), terms.opens_at)
    events = run.do(PlaceBid("B-1", terms.starting_price), terms.closes_at - MINUTE)
    assert of(events, DeadlineExtended)  # less than 2 minutes left: +2 min
    closed = close(run)
    assert closed == terms.closes_at + 2 * MINUTE
    run.do(EndAuction(), closed)
    assert run.state.payment_due == closed + timedelta(hours=48)


def test_the_slovenian_payment_deadline_is_capped_at_the_end_of_the_day_six_months_after_bidding_ended() -> None:
    # E20: bidding on Tue 2026-04-28 ends at 10:34 CEST; the cap is the end of 2026-10-28 (CET by then).
    overrides = dict(opens_at=at("SI", 2026, 4, 28, 10, 0), closes_at=at("SI", 2026, 4, 28, 10, 34))
    capped = declared("SI", at("SI", 2026, 5, 4, 12, 0), payment_days=183, **overrides)
    cap = at("SI", 2026, 10, 29, 0, 0)
    assert capped.state.payment_due == cap == datetime(2026, 10, 28, 23, 0, tzinfo=UTC)
    refused(capped, RecordPayment(remaining(capped)), cap, "sale_defaulted")
    assert of(capped.do(RecordPayment(remaining(capped)), cap - US), SalePaid)
    # The notice's period where it ends sooner: 14 days from the declaration.
    short = declared("SI", at("SI", 2026, 5, 4, 12, 0), **overrides)
    assert short.state.payment_due == at("SI", 2026, 5, 19, 0, 0)


# ---------------------------------------------------------------- Swedish grace


def swedish(price: int) -> Run:
    run = scheduled("SE", currency="SEK", starting_price=10_000_00)
    terms = run.state.terms
    run.do(Advance(), terms.opens_at)
    bid(run, "B-1", terms.opens_at + MINUTE, price)
    run.do(EndAuction(), close(run))
    return run


def test_grace_needs_a_price_above_10000_sek() -> None:
    run = swedish(10_000_00)
    now = run.state.closed_at + timedelta(hours=1)
    run.do(RecordPayment(1_000_00), now)
    latest = at("SE", 2026, 6, 15, 19, 0)
    refused(run, GrantGrace(latest), now, "grace_not_allowed")


def test_grace_needs_a_tenth_of_the_price_paid_and_ends_at_most_a_calendar_month_after_bidding_ended() -> None:
    # E23 figures: SEK 85 000, a tenth is SEK 8 500; bidding ended Fri 2026-05-15 19:00 CEST.
    run = swedish(85_000_00)
    closed, due = run.state.closed_at, run.state.payment_due
    assert closed == at("SE", 2026, 5, 15, 19, 0) and due == closed + timedelta(hours=48)
    now = closed + timedelta(hours=1)
    latest = at("SE", 2026, 6, 15, 19, 0)
    run.do(RecordPayment(8_500_00 - 1), now)
    refused(run, GrantGrace(latest), now, "grace_not_allowed")
    run.do(RecordPayment(1), now)
    refused(run, GrantGrace(latest + US), now, "grace_too_long")
    refused(run, GrantGrace(due), now, "grace_too_short")
    granted = run.do(GrantGrace(latest, official=BAILIFF), now)
    assert granted == [
        GraceGranted(at=now, until=latest, previous=due, rule="SE-grace", official="bailiff-7", office="Office 1")
    ]
    assert run.state.payment_due == latest and run.state.graced
    # The 48 hours no longer end the sale; the month does.
    assert run.do(Advance(), due) == []
    run.do(RecordPayment(10_000_00), due + timedelta(days=3))
    events = run.do(Advance(), latest)
    assert events == [SaleDefaulted(at=latest, purchaser="B-1", paid=18_500_00, rule="SE-payment")]
    refused(run, GrantGrace(latest), latest, "sale_defaulted")


def test_an_odd_price_needs_its_tenth_rounded_up_to_the_cent() -> None:
    run = swedish(10_000_01)
    now = run.state.closed_at + MINUTE
    run.do(RecordPayment(1_000_00), now)
    refused(run, GrantGrace(run.state.payment_due + timedelta(days=1)), now, "grace_not_allowed")
    run.do(RecordPayment(1), now)
    assert of(run.do(GrantGrace(run.state.payment_due + timedelta(days=1)), now), GraceGranted)


@pytest.mark.parametrize("country", ["BG", "HR", "LT", "SI", "EE", "LV", "CZ", "PT", "GR"])
def test_only_sweden_grants_grace(country: str) -> None:
    run = declared(country)
    refused(run, GrantGrace(run.state.payment_due + timedelta(days=1)), run.state.ended_at, "grace_not_provided")


# ---------------------------------------------------------------- refunds


@pytest.mark.parametrize("country", ["BG", "HR", "EE", "LV", "CZ", "GR"])
def test_where_the_law_sets_no_date_refunds_are_due_without_one(country: str) -> None:
    run = declared(country)
    due = of(run.events, RefundDue)
    assert [(e.bidder_code, e.due, e.rule) for e in due] == [("B-1", None, None), ("B-2", None, None)]
    assert run.state.bidder("B-3").ledger is Ledger.CREDITED


def test_lithuanian_refunds_are_due_by_the_first_working_day_after_bidding_ended_past_a_holiday() -> None:
    assert date(2026, 6, 24) in holidays.country_holidays("LT", years=2026)  # Rasos / Joninės, a Wednesday
    run = declared("LT", opens_at=at("LT", 2026, 6, 1, 10, 0), closes_at=at("LT", 2026, 6, 23, 10, 0))
    assert run.state.closed_at == at("LT", 2026, 6, 23, 10, 5)  # the 5-minute overtime
    due = of(run.events, RefundDue)
    assert {e.due for e in due} == {at("LT", 2026, 6, 26, 0, 0)}, "by the end of Thu 25 June"
    assert {e.rule for e in due} == {"LT-refund"}
    assert run.state.bidder("B-1").refund_due == at("LT", 2026, 6, 26, 0, 0)


def test_slovenian_refunds_are_due_within_15_days_of_the_date_bidding_ended() -> None:
    # E20: bidding ends 2026-04-28 10:34; refunds by Wed 2026-05-13.
    run = declared("SI", opens_at=at("SI", 2026, 4, 28, 10, 0), closes_at=at("SI", 2026, 4, 28, 10, 34))
    due = of(run.events, RefundDue)
    assert {e.due for e in due} == {at("SI", 2026, 5, 14, 0, 0)} and {e.rule for e in due} == {"SI-refund"}


def test_each_refund_is_recorded_once_and_only_where_it_is_due() -> None:
    run = auction("LT")
    refused(run, RecordRefund("B-1"), run.state.closed_at, "refund_not_due")
    now = run.state.closed_at
    run.do(EndAuction(), now)
    refunded = run.do(RecordRefund("B-1", official=BAILIFF), now)
    deposit = run.state.terms.deposit_required
    assert refunded == [
        DepositRefunded(at=now, bidder_code="B-1", amount=deposit, official="bailiff-7", office="Office 1")
    ]
    assert run.state.bidder("B-1").ledger is Ledger.REFUNDED
    refused(run, RecordRefund("B-1"), now, "already_refunded")
    refused(run, RecordRefund("B-3"), now, "deposit_credited")
    refused(run, RecordRefund("B-9"), now, "unknown_bidder")
    default(run)
    refused(run, RecordRefund("B-3"), run.state.payment_due, "deposit_forfeited")


def test_a_swedish_auction_has_no_deposits_to_refund() -> None:
    run = declared("SE")
    assert not of(run.events, RefundDue)
    refused(run, RecordRefund("B-1"), run.state.ended_at, "no_deposit")


# ---------------------------------------------------------------- the next-best bidder


@pytest.mark.parametrize("country", ["LT", "SI"])
def test_after_a_default_the_sale_is_offered_to_the_best_bid_of_a_bidder_who_did_not_default(country: str) -> None:
    run = declared(country)
    refused(run, OfferNextBest(), run.state.ended_at, "sale_not_defaulted")
    deposit = run.state.terms.deposit_required
    first_due = run.state.payment_due
    default(run)
    offer_at = first_due + timedelta(days=2, hours=3)
    events = run.do(OfferNextBest(official=BAILIFF), offer_at)
    best_of_b2 = run.state.bidder("B-2").best_bid
    local_day = run.rules.local(offer_at).date()
    new_due = datetime.combine(local_day + timedelta(days=15), datetime.min.time(), tzinfo=ZONES[country])
    assert events[0] == SaleOffered(
        at=offer_at,
        bidder_code="B-2",
        price=best_of_b2,
        payment_due=new_due.astimezone(UTC),
        rule=f"{country}-next-best",
        official="bailiff-7",
        office="Office 1",
    )
    # B-2's deposit, due back since the declaration, counts towards the price again.
    assert events[1:] == [DepositCredited(at=offer_at, bidder_code="B-2", amount=deposit)]
    state = run.state
    assert (state.sale, state.purchaser, state.purchase_price, state.paid) == (
        Sale.AWAITING_PAYMENT,
        "B-2",
        best_of_b2,
        deposit,
    )
    assert state.bidder("B-2").ledger is Ledger.CREDITED and state.bidder("B-1").ledger is Ledger.REFUND_DUE
    # B-2 defaults too: the offer goes to B-1, never back to B-3.
    default(run)
    assert run.state.defaulters == ("B-3", "B-2")
    third = run.do(OfferNextBest(), run.state.payment_due)
    assert third[0].bidder_code == "B-1"  # type: ignore[attr-defined]
    default(run)
    refused(run, OfferNextBest(), run.state.payment_due, "no_next_best")


def test_a_refunded_deposit_is_not_credited_again_to_the_next_best_bidder() -> None:
    run = declared("LT")
    run.do(RecordRefund("B-2"), run.state.ended_at)
    default(run)
    events = run.do(OfferNextBest(), run.state.payment_due)
    assert [type(e) for e in events] == [SaleOffered]
    assert run.state.paid == 0 and run.state.bidder("B-2").ledger is Ledger.REFUNDED


@pytest.mark.parametrize("country", ["BG", "HR", "SE", "EE", "LV", "CZ", "PT", "GR"])
def test_where_the_law_has_no_next_best_bidder_the_offer_is_refused(country: str) -> None:
    run = declared(country)
    default(run)
    refused(run, OfferNextBest(), run.state.payment_due, "next_best_not_provided")


# ---------------------------------------------------------------- Slovenian pre-emption


def with_holder(admitted: bool = True, holder_bids: bool = False) -> Run:
    """A Slovenian auction with a pre-emption holder (B-4) besides three bidders; bidding has ended."""
    run = scheduled("SI")
    before = OPENS["SI"] - timedelta(days=10)
    run.do(RegisterBidder(subject="holder", role=PREEMPTION_HOLDER), before)
    if admitted:
        run.do(RecordDeposit("B-4", run.state.terms.deposit_required), before)
    run.do(Advance(), OPENS["SI"])
    for n, code in enumerate(THREE, start=1):
        bid(run, code, OPENS["SI"] + n * MINUTE)
    if holder_bids:
        bid(run, "B-4", OPENS["SI"] + 5 * MINUTE)
    close(run)
    return run


def test_a_holder_may_declare_pre_emption_until_ten_minutes_after_bidding_ended() -> None:
    run = with_holder()
    closed = run.state.closed_at
    window_end = closed + timedelta(minutes=10)
    refused(run, DeclarePreemption("B-4"), window_end, "preemption_window_closed")
    declared_at = window_end - US
    events = run.do(DeclarePreemption("B-4"), declared_at)
    price = run.state.best.amount
    assert events == [PreemptionDeclared(at=declared_at, bidder_code="B-4", price=price, rule="SI-preemption")]
    refused(run, DeclarePreemption("B-4"), declared_at, "preemption_taken")
    ended = run.do(EndAuction(), window_end)
    assert ended[0] == AuctionEnded(
        at=window_end, purchaser="B-4", price=price, payment_due=at("SI", 2026, 6, 25, 0, 0), rule="SI-payment"
    )
    assert run.state.purchaser == "B-4" and run.state.bidder("B-4").ledger is Ledger.CREDITED
    assert {e.bidder_code for e in of(ended, RefundDue)} == set(THREE), "the best bidder's deposit goes back"


def test_the_purchaser_is_declared_no_sooner_than_ten_minutes_after_bidding_ended() -> None:
    run = auction("SI")
    window_end = run.state.closed_at + timedelta(minutes=10)
    refused(run, EndAuction(), window_end - US, "preemption_window_open")
    assert of(run.do(EndAuction(), window_end), AuctionEnded)[0].purchaser == "B-3"


def test_pre_emption_is_refused_to_whoever_is_not_an_admitted_holder_or_already_best() -> None:
    run = with_holder()
    closed = run.state.closed_at
    refused(run, DeclarePreemption("B-1"), closed, "not_preemption_holder")
    refused(run, DeclarePreemption(None), closed, "not_preemption_holder")
    refused(with_holder(admitted=False), DeclarePreemption("B-4"), closed, "not_admitted")
    best = with_holder(holder_bids=True)
    refused(best, DeclarePreemption("B-4"), best.state.closed_at, "already_best")


def test_pre_emption_is_declared_after_bidding_ended_not_during_it() -> None:
    run = scheduled("SI")
    before = OPENS["SI"] - timedelta(days=10)
    run.do(RegisterBidder(subject="holder", role=PREEMPTION_HOLDER), before)
    run.do(RecordDeposit("B-4", run.state.terms.deposit_required), before)
    run.do(Advance(), OPENS["SI"])
    bid(run, "B-1", OPENS["SI"] + MINUTE)
    refused(run, DeclarePreemption("B-4"), OPENS["SI"] + 2 * MINUTE, "preemption_window_closed")


@pytest.mark.parametrize("country", ["BG", "HR", "LT", "SE", "EE"])
def test_only_slovenia_knows_a_pre_emption_holder(country: str) -> None:
    run = scheduled(country)
    refused(
        run,
        RegisterBidder(subject="holder", role=PREEMPTION_HOLDER),
        OPENS[country] - timedelta(days=9),
        "role_not_used",
    )
    ended = auction(country)
    refused(ended, DeclarePreemption("B-1"), ended.state.closed_at, "not_preemption_holder")


# ---------------------------------------------------------------- the next round: Bulgaria


def test_bulgaria_after_a_failure_the_next_round_opens_a_calendar_month_after_bidding_ended() -> None:
    # E7 figures: value EUR 100 000, round 1 starts at 80 000, round 2 at 90 % of it, 72 000.
    run = auction("BG", bidders=())
    closed = run.state.closed_at
    assert closed == at("BG", 2026, 5, 18, 17, 0)
    earliest = at("BG", 2026, 6, 18, 17, 0)
    now = closed + timedelta(days=1)
    refused(run, StartNextRound("a-2", earliest - US), now, "next_round_too_early")
    refused(run, StartNextRound("a-2", earliest, starting_price=72_000_00 - 1), now, "starting_price_too_low")
    events = run.do(StartNextRound("a-2", earliest, official=BAILIFF), now)
    assert events == [
        NextRoundScheduled(
            at=now,
            next_auction="a-2",
            round=2,
            opens_at=earliest,
            closes_at=at("BG", 2026, 6, 24, 17, 0),
            starting_price=72_000_00,
            official="bailiff-7",
            office="Office 1",
        )
    ]
    assert run.state.next_round == "a-2"
    refused(run, StartNextRound("a-3", earliest), now, "next_round_exists")


def test_bulgaria_a_higher_starting_price_may_be_given_to_the_next_round() -> None:
    run = auction("BG", bidders=())
    events = run.do(StartNextRound("a-2", at("BG", 2026, 6, 20, 10, 0), starting_price=75_000_00), run.state.closed_at)
    assert events[0].starting_price == 75_000_00  # type: ignore[attr-defined]


def test_bulgaria_the_next_round_is_asked_for_within_seven_days_of_the_failure() -> None:
    run = auction("BG", bidders=())
    request_by = at("BG", 2026, 5, 26, 0, 0)  # the end of 18 May + 7 days
    opens = at("BG", 2026, 6, 22, 10, 0)
    refused(run, StartNextRound("a-2", opens), request_by, "next_round_request_late")
    assert of(run.do(StartNextRound("a-2", opens), request_by - US), NextRoundScheduled)


def test_bulgaria_after_a_default_the_month_runs_from_the_declaration_and_the_week_from_the_default() -> None:
    declaration = at("BG", 2026, 5, 20, 11, 30)
    run = declared("BG", declaration)
    refused(run, StartNextRound("a-2", at("BG", 2026, 7, 1, 10, 0)), declaration, "next_round_not_allowed")
    default(run)
    defaulted_at = run.state.defaulted_at
    assert defaulted_at == at("BG", 2026, 6, 4, 0, 0)
    earliest = at("BG", 2026, 6, 20, 11, 30)
    refused(run, StartNextRound("a-2", earliest - US), defaulted_at, "next_round_too_early")
    request_by = at("BG", 2026, 6, 12, 0, 0)  # the end of 4 June + 7 days
    refused(run, StartNextRound("a-2", earliest), request_by, "next_round_request_late")
    assert of(run.do(StartNextRound("a-2", earliest), request_by - US), NextRoundScheduled)


def test_bulgaria_round_two_is_the_last_and_its_failure_takes_the_property_out_of_the_estate() -> None:
    run = auction("BG", bidders=(), round=2)
    assert run.state.terms.starting_price == 72_000_00
    closed = run.state.closed_at
    ended = run.do(EndAuction(), closed)
    assert ended[-1] == RoundsExhausted(at=closed, outcome="property_leaves_estate", rule="BG-next-round")
    assert run.state.outcome == "property_leaves_estate"
    refused(run, StartNextRound("a-3", closed + timedelta(days=40)), closed, "last_round")


def test_bulgaria_a_default_in_round_two_is_the_end_too() -> None:
    run = declared("BG", round=2)
    events = default(run)
    due = run.state.payment_due
    assert [type(e) for e in events] == [SaleDefaulted, DepositForfeited, RoundsExhausted]
    assert events[-1] == RoundsExhausted(at=due, outcome="property_leaves_estate", rule="BG-next-round")
    refused(run, StartNextRound("a-3", due + timedelta(days=40)), due, "last_round")


def test_a_round_three_cannot_even_be_scheduled() -> None:
    run = Run(rules=load_rules("BG"), state=AuctionState(auction_id="a-3"))
    refused(
        run, ScheduleAuction("a-3", draft_for("BG", round=3)), OPENS["BG"] - timedelta(days=10), "round_not_provided"
    )


def test_a_paid_sale_has_no_next_round() -> None:
    run = declared("BG")
    run.do(RecordPayment(remaining(run)), run.state.ended_at)
    refused(run, StartNextRound("a-2", at("BG", 2026, 7, 1, 10, 0)), run.state.ended_at, "next_round_not_allowed")


# ---------------------------------------------------------------- the next round: Croatia


def test_croatia_the_next_round_opens_no_earlier_than_midnight_of_the_day_after_the_end_plus_60_days() -> None:
    # E13: the first auction (minimum 80 000) ends Fri 2026-06-12 11:00 CEST without a valid bid.
    run = auction("HR", bidders=(), opens_at=at("HR", 2026, 5, 29, 9, 0), closes_at=at("HR", 2026, 6, 12, 11, 0))
    assert run.state.terms.starting_price == 80_000_00
    earliest = at("HR", 2026, 8, 12, 0, 0)
    closes = at("HR", 2026, 8, 25, 11, 0)
    now = at("HR", 2026, 6, 13, 10, 0)
    refused(run, StartNextRound("a-2", earliest - US, closes), now, "next_round_too_early")
    events = run.do(StartNextRound("a-2", earliest, closes), now)
    assert events[0].starting_price == 60_000_00 and events[0].round == 2  # type: ignore[attr-defined]


def test_croatia_after_a_default_the_60_days_run_from_the_day_after_the_default() -> None:
    run = declared("HR", at("HR", 2026, 5, 25, 10, 0))
    default(run)
    assert run.state.defaulted_at == at("HR", 2026, 6, 9, 0, 0)
    earliest = at("HR", 2026, 8, 9, 0, 0)  # 10 June + 60 days
    closes = at("HR", 2026, 8, 21, 11, 0)
    refused(run, StartNextRound("a-2", earliest - US, closes), earliest - timedelta(days=30), "next_round_too_early")
    assert of(run.do(StartNextRound("a-2", earliest, closes), earliest - timedelta(days=30)), NextRoundScheduled)


def test_croatia_round_two_is_the_last_and_enforcement_is_suspended() -> None:
    run = auction("HR", bidders=(), round=2)
    assert run.state.terms.starting_price == 60_000_00
    ended = run.do(EndAuction(), run.state.closed_at)
    assert ended[-1] == RoundsExhausted(at=run.state.closed_at, outcome="enforcement_suspended", rule="HR-next-round")
    refused(run, StartNextRound("a-3", run.state.closed_at + timedelta(days=90)), run.state.closed_at, "last_round")


# ---------------------------------------------------------------- the next round: Slovenia


def test_slovenia_the_next_round_opens_no_earlier_than_midnight_of_the_end_date_plus_30_days() -> None:
    # E20: bidding on 2026-04-28; unsold, the second sale comes no earlier than Thu 2026-05-28.
    run = auction("SI", bidders=(), opens_at=at("SI", 2026, 4, 28, 10, 0), closes_at=at("SI", 2026, 4, 28, 10, 34))
    earliest = at("SI", 2026, 5, 28, 0, 0)
    closes = at("SI", 2026, 5, 28, 10, 30)
    now = at("SI", 2026, 4, 29, 9, 0)
    refused(run, StartNextRound("a-2", earliest - US, closes), now, "next_round_too_early")
    events = run.do(StartNextRound("a-2", earliest, closes), now)
    assert events[0].starting_price == 50_000_00  # type: ignore[attr-defined]  # half the value


def test_slovenia_after_a_default_the_30_days_still_run_from_the_date_bidding_ended() -> None:
    run = declared("SI")
    default(run)
    earliest = at("SI", 2026, 7, 10, 0, 0)  # 10 June + 30 days
    closes = at("SI", 2026, 7, 10, 10, 30)
    refused(run, StartNextRound("a-2", earliest - US, closes), run.state.payment_due, "next_round_too_early")
    assert of(run.do(StartNextRound("a-2", earliest, closes), run.state.payment_due), NextRoundScheduled)


def test_slovenia_round_two_is_the_last_and_enforcement_is_terminated() -> None:
    run = auction("SI", bidders=(), round=2)
    ended = run.do(EndAuction(), run.state.closed_at)
    assert ended[-1] == RoundsExhausted(at=run.state.closed_at, outcome="enforcement_terminated", rule="SI-next-round")


def test_slovenia_a_default_in_round_two_ends_enforcement_once_nobody_is_left_to_offer_the_sale_to() -> None:
    run = declared("SI", round=2)
    assert [type(e) for e in default(run)] == [SaleDefaulted, DepositForfeited], "B-2 may still be offered it"
    run.do(OfferNextBest(), run.state.payment_due)
    assert not of(default(run), RoundsExhausted), "B-1 may still be offered it"
    run.do(OfferNextBest(), run.state.payment_due)
    due = run.state.payment_due
    events = default(run)
    assert events[-1] == RoundsExhausted(at=due, outcome="enforcement_terminated", rule="SI-next-round")
    assert run.state.outcome == "enforcement_terminated"
    refused(run, OfferNextBest(), due, "no_next_best")
    refused(run, StartNextRound("a-3", due + timedelta(days=40)), due, "last_round")


def test_slovenia_a_sole_bidder_defaulting_in_round_one_leaves_the_next_round_open() -> None:
    run = declared("SI", bidders=("B-1",))
    assert not of(default(run), RoundsExhausted)
    assert run.state.outcome is None


@pytest.mark.parametrize("country", ["LT", "SE", "EE", "LV", "CZ", "PT", "GR"])
def test_where_the_law_has_no_next_round_a_new_sale_is_a_new_auction(country: str) -> None:
    failed = auction(country, bidders=())
    refused(
        failed,
        StartNextRound("a-2", failed.state.closed_at + timedelta(days=60)),
        failed.state.closed_at,
        "next_round_not_provided",
    )
    ended = failed.do(EndAuction(), failed.state.closed_at)
    assert not of(ended, RoundsExhausted)
    run = declared(country)
    default(run)
    refused(
        run,
        StartNextRound("a-2", run.state.payment_due + timedelta(days=60)),
        run.state.payment_due,
        "next_round_not_provided",
    )


# ---------------------------------------------------------------- suspension


def test_no_bid_counts_while_suspended_and_the_time_left_is_restored_on_resumption() -> None:
    run = scheduled("HR")
    opens = OPENS["HR"]
    run.do(Advance(), opens)
    bid(run, "B-1", opens + MINUTE)
    deadline = run.state.deadline
    stop = opens + timedelta(hours=2)
    events = run.do(Suspend("  platform unreachable ", official=BAILIFF), stop)
    assert events == [
        AuctionSuspended(
            at=stop, reason="platform unreachable", deadline=deadline, official="bailiff-7", office="Office 1"
        )
    ]
    assert run.state.status is Status.SUSPENDED
    refused(run, Suspend("again"), stop, "auction_not_open")
    rejected = run.do(PlaceBid("B-2", next_amount(run)), stop + MINUTE)
    assert [type(e) for e in rejected] == [BidRejected] and rejected[0].reason == "auction_suspended"
    # Time runs past the old deadline without closing anything.
    assert run.do(Advance(), deadline + timedelta(days=1)) == []
    back = deadline + timedelta(days=2)
    resumed = run.do(Resume(official=BAILIFF), back)
    assert resumed == [
        AuctionResumed(
            at=back, deadline=back + (deadline - stop), suspended_at=stop, official="bailiff-7", office="Office 1"
        )
    ]
    assert run.state.status is Status.OPEN and run.state.suspended_for == back - stop
    refused(run, Resume(), back, "auction_not_suspended")
    bid(run, "B-2", back + MINUTE)
    assert close(run) == back + (deadline - stop)


def test_a_suspension_needs_a_reason_and_an_open_auction() -> None:
    run = scheduled("LT")
    refused(run, Suspend("early"), OPENS["LT"] - MINUTE, "auction_not_open")
    run.do(Advance(), OPENS["LT"])
    refused(run, Suspend("   "), OPENS["LT"], "invalid_reason")
    refused(run, Suspend("x" * 2001), OPENS["LT"], "invalid_reason")
    ended = auction("LT")
    refused(ended, Suspend("late"), ended.state.closed_at, "auction_not_open")


def test_the_bulgarian_cap_moves_by_the_suspended_duration() -> None:
    run = scheduled("BG")
    terms = run.state.terms
    run.do(Advance(), terms.opens_at)
    pause = terms.opens_at + timedelta(hours=1)
    run.do(Suspend("incident"), pause)
    run.do(Resume(), pause + timedelta(hours=1))
    cap = terms.closes_at + timedelta(hours=49)  # 48 h after the scheduled close, plus the hour suspended
    bidders = ("B-1", "B-2")
    n = 0
    while run.state.deadline < cap:
        events = run.do(PlaceBid(bidders[n % 2], next_amount(run)), run.state.deadline - timedelta(seconds=1))
        assert of(events, BidAccepted), events
        n += 1
    assert run.state.deadline == cap
    assert of(run.events, DeadlineExtended)[-1].rule == "BG-cap"
    assert all(e.deadline <= cap for e in of(run.events, DeadlineExtended))
    late = run.do(PlaceBid(bidders[n % 2], next_amount(run)), cap)
    assert isinstance(late[0], BiddingClosed) and late[0].at == cap
    assert late[-1].reason == "auction_closed"  # type: ignore[attr-defined]


# ---------------------------------------------------------------- cancellation


@pytest.mark.parametrize("when", ["scheduled", "open", "suspended"])
def test_cancellation_makes_every_deposit_due_back_and_no_sale_starts(when: str) -> None:
    run = scheduled("LT")
    now = OPENS["LT"] - timedelta(days=1)
    if when != "scheduled":
        now = OPENS["LT"] + timedelta(days=1)
        bid(run, "B-1", now)
    if when == "suspended":
        run.do(Suspend("court order"), now)
    events = run.do(Cancel(" court order ", official=BAILIFF), now)
    assert events[0] == AuctionCancelled(at=now, reason="court order", official="bailiff-7", office="Office 1")
    # Due as for a non-purchaser, counted from the cancellation: by the end of the next working day.
    due = at("LT", 2026, 5, 13, 0, 0) if when == "scheduled" else at("LT", 2026, 5, 15, 0, 0)
    refunds = of(events, RefundDue)
    assert [e.bidder_code for e in refunds] == list(THREE)
    assert {e.due for e in refunds} == {due}
    state = run.state
    assert state.status is Status.CANCELLED and state.sale is None and state.cancelled_at == now
    assert all(b.ledger is Ledger.REFUND_DUE for b in state.bidders)
    rejected = run.do(PlaceBid("B-2", 200_000_00), now)
    assert rejected[0].reason == "auction_cancelled"  # type: ignore[attr-defined]
    refused(run, EndAuction(), now, "auction_cancelled")
    refused(run, Cancel("again"), now, "auction_not_cancellable")
    assert of(run.do(RecordRefund("B-1"), now), DepositRefunded)


def test_an_auction_whose_bidding_has_ended_cannot_be_cancelled() -> None:
    run = auction("HR")
    refused(run, Cancel("too late"), run.state.closed_at, "auction_not_cancellable")
    refused(run, Cancel(""), run.state.closed_at, "auction_not_cancellable")


# ---------------------------------------------------------------- schedule checks


def schedule(country: str, now: datetime, **overrides: object) -> Run:
    run = Run(rules=load_rules(country), state=AuctionState(auction_id="a-1"))
    run.do(ScheduleAuction("a-1", draft_for(country, **overrides)), now)
    return run


def test_an_auction_whose_deposit_due_date_has_passed_is_refused() -> None:
    # SI: deposits are due by the third working day before the opening (Wed 10 June: Fri 5 June).
    deposit_due = load_rules("SI").schedule(draft_for("SI")).deposit_due
    assert deposit_due == at("SI", 2026, 6, 6, 0, 0)
    empty = Run(rules=load_rules("SI"), state=AuctionState(auction_id="a-1"))
    error = refused(empty, ScheduleAuction("a-1", draft_for("SI")), deposit_due, "deposit_due_passed")
    assert error.rule.code == "SI-deposit-deadline"  # type: ignore[attr-defined]
    assert schedule("SI", deposit_due - US).state.status is Status.SCHEDULED


def test_an_auction_whose_deposit_is_due_at_the_opening_is_refused_once_the_opening_has_come() -> None:
    draft = draft_for("EE")
    empty = Run(rules=load_rules("EE"), state=AuctionState(auction_id="a-1"))
    refused(empty, ScheduleAuction("a-1", draft), draft.opens_at, "deposit_due_passed")
    assert schedule("EE", draft.opens_at - US).state.status is Status.SCHEDULED


@pytest.mark.parametrize("country", ["BG", "HR", "LT", "SI", "EE", "LV", "CZ", "PT", "GR"])
def test_the_payment_period_is_required_and_from_1_to_183_days(country: str) -> None:
    now = OPENS[country] - timedelta(days=10)
    empty = Run(rules=load_rules(country), state=AuctionState(auction_id="a-1"))
    refused(empty, ScheduleAuction("a-1", draft_for(country, payment_days=None)), now, "payment_days_required")
    refused(empty, ScheduleAuction("a-1", draft_for(country, payment_days=0)), now, "payment_days_invalid")
    refused(empty, ScheduleAuction("a-1", draft_for(country, payment_days=184)), now, "payment_days_invalid")
    for days in (1, 183):
        assert schedule(country, now, payment_days=days).state.terms.payment_days == days


def test_sweden_refuses_a_payment_period_its_law_fixes() -> None:
    empty = Run(rules=load_rules("SE"), state=AuctionState(auction_id="a-1"))
    now = OPENS["SE"] - timedelta(days=10)
    refused(empty, ScheduleAuction("a-1", draft_for("SE", payment_days=14)), now, "term_not_used")
    assert schedule("SE", now).state.terms.payment_days is None


def test_a_dry_run_may_leave_the_payment_period_out() -> None:
    empty = Run(rules=load_rules("BG"), state=AuctionState(auction_id="a-1"))
    command = ScheduleAuction("a-1", draft_for("BG", payment_days=None), sale_terms_required=False)
    empty.do(command, OPENS["BG"] - timedelta(days=10))
    assert empty.state.terms.payment_days is None
