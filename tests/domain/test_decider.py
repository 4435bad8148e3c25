"""The decider's own rules, the same for every country."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from msgspec.structs import replace

from engine.commands import (
    Advance,
    EndAuction,
    OpenBidding,
    PlaceBid,
    RecordDeposit,
    RecordIncident,
    RegisterBidder,
    ScheduleAuction,
    SetProxy,
)
from engine.decider import decide, replay
from engine.errors import AlreadyRegistered, AuctionNotFound, CommandRejected
from engine.events import (
    AdmissionRefused,
    AuctionEnded,
    BidAccepted,
    BidderAdmitted,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    BidRejected,
    IncidentRecorded,
    ProxyRejected,
)
from engine.model import AuctionState, Status
from rules import load_rules
from tests.domain.support import OPENS, draft_for, scheduled


def test_each_registration_gets_the_next_pseudonym_of_the_auction() -> None:
    run = scheduled("HR", bidders=3)
    assert [b.code for b in run.state.bidders] == ["B-1", "B-2", "B-3"]
    assert [b.subject for b in run.state.bidders] == ["person-0", "person-1", "person-2"]


def test_registering_twice_is_refused_with_the_existing_pseudonym() -> None:
    run = scheduled("HR", bidders=1)
    with pytest.raises(AlreadyRegistered) as caught:
        run.do(RegisterBidder(subject="person-0"), OPENS["HR"])
    assert caught.value.bidder_code == "B-1"


def test_a_bidder_is_admitted_only_once_the_deposit_reaches_what_the_rules_require() -> None:
    run = scheduled("HR", bidders=0)
    required = run.state.terms.deposit_required
    assert required == 10_000_00  # HR: 10 % of the value
    before = OPENS["HR"] - timedelta(days=1)
    run.do(RegisterBidder(subject="x"), before)
    short = run.do(RecordDeposit("B-1", required - 1), before)
    assert isinstance(short[-1], AdmissionRefused) and short[-1].reason == "deposit_short"
    topped_up = run.do(RecordDeposit("B-1", 1), before)
    assert isinstance(topped_up[-1], BidderAdmitted)
    assert run.state.bidder("B-1").admitted


def test_a_bidder_without_the_deposit_is_refused_with_not_admitted() -> None:
    run = scheduled("BG", bidders=0)
    run.do(RegisterBidder(subject="x"), OPENS["BG"] - timedelta(days=1))
    events = run.do(PlaceBid("B-1", run.state.terms.starting_price), OPENS["BG"] + timedelta(hours=1))
    assert isinstance(events[0], BiddingOpened)
    assert isinstance(events[-1], BidRejected) and events[-1].reason == "not_admitted"
    assert run.state.best is None and run.state.bid_count == 0


def test_an_unregistered_caller_is_refused_with_not_admitted_and_the_refusal_is_recorded() -> None:
    run = scheduled("HR", bidders=0)
    events = run.do(PlaceBid(None, 90_000_00), OPENS["HR"] + timedelta(hours=1))
    assert isinstance(events[-1], BidRejected)
    assert events[-1].reason == "not_admitted" and events[-1].bidder_code is None


def test_a_bid_before_the_opening_is_refused_with_auction_not_open() -> None:
    run = scheduled("HR")
    events = run.do(PlaceBid("B-1", 90_000_00), OPENS["HR"] - timedelta(seconds=1))
    assert [type(e) for e in events] == [BidRejected]
    assert events[0].reason == "auction_not_open"


def test_bidding_opens_by_itself_at_the_opening_instant_whenever_the_clock_is_read() -> None:
    run = scheduled("HR")
    events = run.do(Advance(), OPENS["HR"] + timedelta(hours=5))
    assert events == [BiddingOpened(at=OPENS["HR"], by="schedule")]


def test_the_bailiff_may_open_bidding_early() -> None:
    run = scheduled("HR")
    now = OPENS["HR"] - timedelta(hours=2)
    assert run.do(OpenBidding(), now) == [BiddingOpened(at=now, by="bailiff")]
    assert run.state.status is Status.OPEN
    with pytest.raises(CommandRejected) as caught:
        run.do(OpenBidding(), now)
    assert caught.value.code == "already_open"


def test_a_bid_at_exactly_the_deadline_is_late_and_bidding_ends_at_the_deadline() -> None:
    run = scheduled("HR")
    run.do(PlaceBid("B-1", 80_000_00), OPENS["HR"] + timedelta(hours=1))
    deadline = run.state.deadline
    events = run.do(PlaceBid("B-2", 90_000_00), deadline)
    assert events[0] == BiddingClosed(at=deadline, winner="B-1", price=80_000_00)
    assert isinstance(events[1], BidRejected) and events[1].reason == "auction_closed"


def test_one_microsecond_before_the_deadline_a_bid_still_counts() -> None:
    run = scheduled("LT")
    deadline = run.state.deadline
    events = run.do(PlaceBid("B-1", 80_000_00), deadline - timedelta(microseconds=1))
    assert isinstance(events[-1], BidAccepted)


def test_an_auction_with_no_valid_bid_fails_at_the_deadline() -> None:
    run = scheduled("SE")
    deadline = run.state.deadline
    events = run.do(Advance(), deadline + timedelta(days=1))
    assert events[-1] == BiddingFailed(at=deadline)
    assert run.state.status is Status.FAILED


def test_the_bailiff_ends_the_auction_only_after_bidding_and_declares_the_leader_purchaser() -> None:
    run = scheduled("HR")
    run.do(PlaceBid("B-2", 85_000_00), OPENS["HR"] + timedelta(hours=1))
    with pytest.raises(CommandRejected) as caught:
        run.do(EndAuction(), OPENS["HR"] + timedelta(hours=2))
    assert caught.value.code == "bidding_not_ended"
    after = run.state.deadline + timedelta(hours=1)
    events = run.do(EndAuction(), after)
    zagreb = ZoneInfo("Europe/Zagreb")
    due = datetime.combine(after.astimezone(zagreb).date() + timedelta(days=15), time(0), tzinfo=zagreb)
    assert [type(e).__name__ for e in events] == [
        "BiddingClosed", "AuctionEnded", "DepositCredited", "RefundDue", "RefundDue"
    ]
    assert events[1] == AuctionEnded(
        at=after, purchaser="B-2", price=85_000_00, payment_due=due.astimezone(UTC), rule="HR-payment"
    )
    # The purchaser's deposit counts towards the price; the others' are due back (no date in HR law).
    assert [e.bidder_code for e in events[2:]] == ["B-2", "B-1", "B-3"]  # type: ignore[attr-defined]
    with pytest.raises(CommandRejected):
        run.do(EndAuction(), after)


def test_a_raised_bid_must_beat_the_best_and_equal_is_too_low() -> None:
    run = scheduled("HR")
    now = OPENS["HR"] + timedelta(hours=1)
    run.do(PlaceBid("B-1", 85_000_00), now)
    equal = run.do(PlaceBid("B-2", 85_000_00), now)
    assert equal[-1].reason == "bid_too_low"
    own_raise = run.do(PlaceBid("B-1", 86_000_00), now)
    assert isinstance(own_raise[-1], BidAccepted), "a bidder may raise their own leading bid"


def test_proxies_are_refused_where_the_country_has_no_automatic_bidding() -> None:
    run = scheduled("HR")
    events = run.do(SetProxy("B-1", 90_000_00, 500_00), OPENS["HR"] + timedelta(hours=1))
    assert isinstance(events[-1], ProxyRejected) and events[-1].reason == "proxy_not_allowed"


def test_a_lithuanian_proxy_answers_at_once_until_its_maximum_and_an_earlier_proxy_wins_ties() -> None:
    run = scheduled("LT")  # starting price 80 000
    now = OPENS["LT"] + timedelta(days=1)
    first = run.do(SetProxy("B-1", 85_000_00, 1_000_00), now)
    assert [e.amount for e in first if isinstance(e, BidAccepted)] == [80_000_00]
    second = run.do(SetProxy("B-2", 85_000_00, 1_000_00), now)
    amounts = [(e.bidder_code, e.amount) for e in first + second if isinstance(e, BidAccepted)]
    # B-2 at 81 000, B-1 answers 82 000, ... until 85 000 is reached by whoever gets there first.
    assert amounts[-1][1] == 85_000_00
    assert [a for _, a in amounts] == sorted({a for _, a in amounts})
    manual = run.do(PlaceBid("B-3", 90_000_00), now)
    assert [type(e) for e in manual] == [BidAccepted], "proxies at their maximum cannot answer"


def test_the_lithuanian_proxy_example_answers_a_manual_bid_in_the_overtime() -> None:
    run = scheduled("LT", starting_price=120_000_00, value=150_000_00)
    terms = run.state.terms
    opens = terms.opens_at
    run.do(SetProxy("B-1", 130_000_00, 1_000_00), opens + timedelta(days=1))
    run.do(PlaceBid("B-1", 121_000_00), opens + timedelta(days=1))  # A leads at 121 000
    close = terms.closes_at
    at = close + timedelta(minutes=4)  # inside the overtime that runs to close + 5
    events = run.do(PlaceBid("B-2", 125_000_00), at)
    accepted = [(e.bidder_code, e.amount, e.automatic) for e in events if isinstance(e, BidAccepted)]
    assert accepted == [("B-2", 125_000_00, False), ("B-1", 126_000_00, True)]
    assert run.state.deadline == at + timedelta(minutes=5)
    run.do(Advance(), close + timedelta(hours=1))
    assert run.state.status is Status.CLOSED and run.state.leader == "B-1" and run.state.price == 126_000_00


def test_the_scheduling_of_an_auction_that_already_exists_is_refused() -> None:
    run = scheduled("SE")
    with pytest.raises(CommandRejected) as caught:
        run.do(ScheduleAuction("a-1", draft_for("SE")), OPENS["SE"] - timedelta(days=1))
    assert caught.value.code == "auction_exists"


def test_commands_on_an_auction_that_was_never_scheduled_are_refused() -> None:
    with pytest.raises(AuctionNotFound):
        decide(AuctionState(auction_id="nope"), PlaceBid("B-1", 1), load_rules("SE"), OPENS["SE"])


def test_replaying_the_log_of_a_whole_auction_gives_the_state_it_ended_in() -> None:
    run = scheduled("BG")
    opens = run.state.terms.opens_at
    run.do(PlaceBid("B-1", run.state.terms.starting_price), opens + timedelta(hours=1))
    run.do(Advance(), opens + timedelta(days=20))
    assert replay("a-1", run.events) == run.state


def test_an_incident_is_recorded_as_told_and_changes_nothing_else() -> None:
    run = scheduled("HR")
    run.do(PlaceBid("B-1", 85_000_00), OPENS["HR"] + timedelta(hours=1))
    before = run.state
    now = OPENS["HR"] + timedelta(hours=3)
    started, ended = OPENS["HR"] + timedelta(hours=2), OPENS["HR"] + timedelta(hours=2, minutes=7)
    events = run.do(RecordIncident("  Bidding page unreachable (HTTP 502).\n", started, ended), now)
    assert events == [
        IncidentRecorded(at=now, description="Bidding page unreachable (HTTP 502).", started_at=started, ended_at=ended)
    ]
    assert run.state == replace(before, version=before.version + 1)
    still_going = run.do(RecordIncident("Receipts not sent", now, None), now)
    assert still_going[-1].ended_at is None


@pytest.mark.parametrize(
    ("description", "start", "end", "message"),
    [
        ("", 0, None, "description"),
        ("   \n", 0, None, "description"),
        ("x" * 2001, 0, None, "description"),
        ("outage", 1, None, "future"),
        ("outage", -10, -11, "ends after it starts"),
        ("outage", -10, 1, "ends after it starts"),
    ],
)
def test_an_incident_without_text_or_with_impossible_times_is_refused(
    description: str, start: int, end: int | None, message: str
) -> None:
    run = scheduled("HR")
    now = OPENS["HR"] + timedelta(hours=1)
    started = now + timedelta(minutes=start)
    ended = None if end is None else now + timedelta(minutes=end)
    version = run.state.version
    with pytest.raises(CommandRejected) as caught:
        run.do(RecordIncident(description, started, ended), now)
    assert caught.value.code == "invalid_incident" and message in caught.value.message
    assert run.state.version == version


def test_an_incident_is_refused_once_the_auction_has_ended_and_before_it_exists() -> None:
    run = scheduled("HR")
    run.do(PlaceBid("B-1", 85_000_00), OPENS["HR"] + timedelta(hours=1))
    after = run.state.deadline + timedelta(hours=1)
    run.do(RecordIncident("x" * 2000, after, after), after)  # the longest text, bidding over: still taken
    run.do(EndAuction(), after)
    with pytest.raises(CommandRejected) as caught:
        run.do(RecordIncident("outage", after, None), after)
    assert caught.value.code == "already_ended"
    with pytest.raises(AuctionNotFound):
        decide(AuctionState(auction_id="nowhere"), RecordIncident("outage", after, None), run.rules, after)
