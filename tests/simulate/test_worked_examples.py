"""Worked examples of each country's rules and readings (docs/rules.md), run
as scenarios through ``auction simulate`` exactly as a user would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.simulate.support import bids_of, simulate

EET, EEST, CET, CEST = "+02:00", "+03:00", "+01:00", "+02:00"


def scenario(country: str, auction: dict[str, Any], steps: list[dict[str, Any]], until: str) -> dict[str, Any]:
    base = {"asset": "immovable", "currency": "EUR"}
    return {"country": country, "auction": {**base, **auction}, "steps": steps, "until": until}


def reg(at: str, bidder: str, deposit: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"bidder": bidder}
    if deposit is not None:
        body["deposit"] = deposit
    return {"at": at, "register": body}


def bid(at: str, bidder: str, amount: str) -> dict[str, Any]:
    return {"at": at, "bid": {"bidder": bidder, "amount": amount}}


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# ------------------------------------------------------------------ Bulgaria

BG_AUCTION = {
    "value": "100000.00",
    "increment": "500.00",
    "opens_at": "2026-03-07T10:00:00+02:00",
}
BG_PEOPLE = [reg("2026-03-06T10:00:00+02:00", "ana", "8000.00"), reg("2026-03-06T10:00:00+02:00", "boris", "8000.00")]


def test_bg_bidding_ends_at_17_00_local_on_the_seventh_day_when_no_late_bid_comes() -> None:
    code, result, _ = simulate(
        scenario(
            "BG",
            BG_AUCTION,
            BG_PEOPLE + [bid("2026-03-13T16:41:00+02:00", "ana", "80000.00")],
            "2026-03-20T00:00:00+02:00",
        )
    )
    assert code == 0
    assert result["status"] == "closed"
    assert result["closes_at"] == "2026-03-13T17:00:00+02:00"
    assert (result["winner"], result["price"]) == ("ana", "80000.00")
    assert result["deposit_required"] == "8000.00"


def test_bg_each_late_bid_moves_the_close_to_ten_minutes_after_it() -> None:
    steps = BG_PEOPLE + [
        bid("2026-03-13T16:55:00+02:00", "ana", "80000.00"),
        bid("2026-03-13T17:03:00+02:00", "boris", "80500.00"),
        bid("2026-03-13T17:11:00+02:00", "ana", "81000.00"),
    ]
    code, result, _ = simulate(scenario("BG", BG_AUCTION, steps, "2026-03-14T00:00:00+02:00"))
    assert code == 0
    assert result["closes_at"] == "2026-03-13T17:21:00+02:00"
    assert (result["winner"], result["price"]) == ("ana", "81000.00")
    extensions = [e["deadline"] for e in result["events"] if e["type"] == "DeadlineExtended"]
    assert extensions == ["2026-03-13T17:05:00+02:00", "2026-03-13T17:13:00+02:00", "2026-03-13T17:21:00+02:00"]


@pytest.mark.parametrize(
    ("at", "closes"),
    [
        ("2026-03-13T16:50:00.000+02:00", "2026-03-13T17:00:00+02:00"),
        ("2026-03-13T16:49:59.999+02:00", "2026-03-13T17:00:00+02:00"),
        ("2026-03-13T16:50:00.001+02:00", "2026-03-13T17:00:00.001+02:00"),
    ],
)
def test_bg_a_bid_exactly_ten_minutes_before_the_close_leaves_the_close_where_it_is(at: str, closes: str) -> None:
    code, result, _ = simulate(
        scenario("BG", BG_AUCTION, BG_PEOPLE + [bid(at, "ana", "80000.00")], "2026-03-14T00:00:00+02:00")
    )
    assert code == 0
    assert result["closes_at"] == closes


def _bid_every_nine_minutes(start: datetime, until: datetime) -> list[dict[str, Any]]:
    steps, amount, t, n = [], 80_000_00, start, 0
    while t <= until:
        steps.append(bid(t.isoformat(), "ana" if n % 2 == 0 else "boris", money(amount)))
        amount += 500_00
        t += timedelta(minutes=9)
        n += 1
    return steps


def test_bg_the_48_hour_cap_truncates_extensions_and_refuses_bids_at_the_cap() -> None:
    tz = datetime.fromisoformat("2026-03-13T16:55:00+02:00").tzinfo
    storm = _bid_every_nine_minutes(
        datetime(2026, 3, 13, 16, 55, tzinfo=tz), datetime(2026, 3, 15, 16, 55, tzinfo=tz)
    )
    assert storm[-1]["at"].startswith("2026-03-15T16:55:00")
    last_amount = int(storm[-1]["bid"]["amount"].replace(".", ""))
    steps = BG_PEOPLE + storm + [
        bid("2026-03-15T16:58:00+02:00", "boris" if len(storm) % 2 else "ana", money(last_amount + 500_00)),
        bid("2026-03-15T17:00:00+02:00", "ana", money(last_amount + 1000_00)),
    ]
    code, result, _ = simulate(scenario("BG", BG_AUCTION, steps, "2026-03-16T00:00:00+02:00"))
    assert code == 0
    assert result["closes_at"] == "2026-03-15T17:00:00+02:00"
    deadlines = [e["deadline"] for e in result["events"] if e["type"] == "DeadlineExtended"]
    assert deadlines[-1] == "2026-03-15T17:00:00+02:00", "the 16:55 bid's 17:05 is cut to the cap"
    last_two = result["bids"][-2:]
    assert last_two[0]["accepted"] is True, "a bid at 16:58 is still before the cap"
    assert (last_two[1]["accepted"], last_two[1]["reason"]) == (False, "auction_closed")


def test_bg_the_cap_is_48_elapsed_hours_across_the_spring_clock_change() -> None:
    auction = {**BG_AUCTION, "opens_at": "2026-03-21T10:00:00+02:00", "closes_at": "2026-03-27T17:00:00+02:00"}
    people = [reg("2026-03-20T10:00:00+02:00", "ana", "8000.00"), reg("2026-03-20T10:00:00+02:00", "boris", "8000.00")]
    tz = datetime.fromisoformat("2026-03-27T16:55:00+02:00").tzinfo
    storm = _bid_every_nine_minutes(datetime(2026, 3, 27, 16, 55, tzinfo=tz), datetime(2026, 3, 29, 16, 55, tzinfo=tz))
    last_amount = int(storm[-1]["bid"]["amount"].replace(".", ""))
    late = bid("2026-03-29T17:58:00+03:00", "boris" if len(storm) % 2 else "ana", money(last_amount + 500_00))
    steps = people + storm + [late]
    code, result, _ = simulate(scenario("BG", auction, steps, "2026-03-30T00:00:00+03:00"))
    assert code == 0
    assert result["closes_at"] == "2026-03-29T18:00:00+03:00", "15:00 UTC, shown in summer time"


def test_bg_a_bid_off_the_single_step_is_refused_with_bad_increment() -> None:
    steps = BG_PEOPLE + [
        bid("2026-03-10T10:00:00+02:00", "ana", "80000.00"),
        bid("2026-03-10T10:01:00+02:00", "boris", "80700.00"),
        bid("2026-03-10T10:02:00+02:00", "boris", "80000.00"),
        bid("2026-03-10T10:03:00+02:00", "boris", "80500.00"),
    ]
    code, result, _ = simulate(scenario("BG", BG_AUCTION, steps, "2026-03-11T00:00:00+02:00"))
    assert code == 0
    assert [(b["accepted"], b["reason"]) for b in result["bids"]] == [
        (True, None),
        (False, "bad_increment"),
        (False, "bid_too_low"),
        (True, None),
    ]


def test_bg_a_close_not_at_17_00_is_refused_naming_the_rule() -> None:
    code, _, err = simulate(
        scenario("BG", {**BG_AUCTION, "closes_at": "2026-03-13T16:00:00+02:00"}, [], "2026-03-20T00:00:00+02:00")
    )
    assert code == 2
    assert "BG-close-time" in err and len(err.strip().splitlines()) == 1


def test_bg_a_deposit_short_of_ten_percent_of_the_starting_price_is_not_admitted() -> None:
    steps = [reg("2026-03-06T10:00:00+02:00", "ana", "7999.99"), bid("2026-03-10T10:00:00+02:00", "ana", "80000.00")]
    code, result, _ = simulate(scenario("BG", BG_AUCTION, steps, "2026-03-20T00:00:00+02:00"))
    assert code == 0
    assert result["bids"][0]["reason"] == "not_admitted"
    assert result["status"] == "failed"


# ------------------------------------------------------------------ Croatia

HR_AUCTION = {"value": "125000.00", "opens_at": "2026-04-28T09:00:00+02:00"}
HR_PEOPLE = [reg("2026-04-27T10:00:00+02:00", "ana", "12500.00"), reg("2026-04-27T10:00:00+02:00", "boris", "12500.00")]


def test_hr_ten_working_days_skip_labour_day_and_the_weekend() -> None:
    code, result, _ = simulate(scenario("HR", HR_AUCTION, [], "2026-04-29T00:00:00+02:00"))
    assert code == 0
    assert result["closes_at"] == "2026-05-12T09:00:00+02:00"
    assert result["starting_price"] == "100000.00"
    assert result["deposit_required"] == "12500.00"


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        ("2026-04-01T10:00:00+02:00", "2026-04-15T10:00:00+02:00"),  # E9a: Easter Monday; Good Friday works
        ("2026-06-01T10:00:00+02:00", "2026-06-15T10:00:00+02:00"),  # E9b: Corpus Christi
        ("2026-06-15T10:00:00+02:00", "2026-06-29T10:00:00+02:00"),  # E9c: Anti-Fascist Struggle Day
    ],
)
def test_hr_the_tenth_working_day_counts_the_opening_day_as_the_first(opens: str, closes: str) -> None:
    code, result, _ = simulate(scenario("HR", {**HR_AUCTION, "opens_at": opens}, [], opens))
    assert code == 0
    assert result["closes_at"] == closes


def test_hr_only_a_new_best_bid_in_the_last_ten_minutes_extends_from_its_own_time() -> None:
    auction = {**HR_AUCTION, "closes_at": "2026-05-12T13:00:00+02:00"}
    steps = HR_PEOPLE + [
        bid("2026-05-04T10:00:00+02:00", "ana", "100000.00"),
        bid("2026-05-12T12:49:30+02:00", "boris", "101000.00"),
        bid("2026-05-12T12:55:00+02:00", "ana", "102000.00"),
        bid("2026-05-12T13:01:00+02:00", "boris", "101500.00"),
        bid("2026-05-12T13:04:00+02:00", "boris", "103000.00"),
    ]
    code, result, _ = simulate(scenario("HR", auction, steps, "2026-05-13T00:00:00+02:00"))
    assert code == 0
    assert [(b["accepted"], b["reason"]) for b in result["bids"]] == [
        (True, None),
        (True, None),
        (True, None),
        (False, "bid_too_low"),
        (True, None),
    ]
    assert result["closes_at"] == "2026-05-12T13:14:00+02:00"
    assert (result["winner"], result["price"]) == ("boris", "103000.00")


def test_hr_extensions_may_run_past_15_00() -> None:
    auction = {**HR_AUCTION, "closes_at": "2026-05-12T15:00:00+02:00"}
    steps = HR_PEOPLE + [
        bid("2026-05-12T14:58:00+02:00", "ana", "100000.00"),
        bid("2026-05-12T15:07:00+02:00", "boris", "100500.00"),
    ]
    code, result, _ = simulate(scenario("HR", auction, steps, "2026-05-13T00:00:00+02:00"))
    assert code == 0
    assert result["closes_at"] == "2026-05-12T15:17:00+02:00"


@pytest.mark.parametrize(
    "closes",
    [
        "2026-05-12T16:00:00+02:00",
        "2026-05-12T08:45:00+02:00",
        "2026-06-04T11:00:00+02:00",
        "2026-05-30T11:00:00+02:00",
    ],
)
def test_hr_a_close_outside_9_to_15_on_a_working_day_is_refused(closes: str) -> None:
    code, result, err = simulate(scenario("HR", {**HR_AUCTION, "closes_at": closes}, [], "2026-07-01T00:00:00+02:00"))
    assert code == 2 and result is None
    assert "HR-" in err and len(err.strip().splitlines()) == 1


def test_hr_a_starting_price_below_four_fifths_of_the_value_is_refused() -> None:
    code, _, err = simulate(
        scenario("HR", {**HR_AUCTION, "starting_price": "99999.99"}, [], "2026-05-01T00:00:00+02:00")
    )
    assert code == 2 and "starting" in err.lower()


def test_hr_round_two_starts_at_three_fifths_and_movables_at_half() -> None:
    code, result, _ = simulate(scenario("HR", {**HR_AUCTION, "round": 2}, [], "2026-04-29T00:00:00+02:00"))
    assert result["starting_price"] == "75000.00"
    code, result, _ = simulate(scenario("HR", {**HR_AUCTION, "asset": "movable"}, [], "2026-04-29T00:00:00+02:00"))
    assert result["starting_price"] == "62500.00"


# ------------------------------------------------------------------ Lithuania

LT_AUCTION = {"value": "150000.00", "opens_at": "2026-04-01T10:00:00+03:00"}
LT_PEOPLE = [reg("2026-04-01T10:00:00+03:00", "ana", "12000.00"), reg("2026-04-01T10:00:00+03:00", "boris", "12000.00")]


def test_lt_e14a_with_no_bid_the_auction_fails_at_the_scheduled_end_without_overtime() -> None:
    code, result, _ = simulate(scenario("LT", LT_AUCTION, LT_PEOPLE, "2026-05-02T00:00:00+03:00"))
    assert code == 0
    assert (result["status"], result["closes_at"], result["winner"]) == ("failed", "2026-05-01T10:00:00+03:00", None)
    assert result["starting_price"] == "120000.00" and result["deposit_required"] == "12000.00"


def test_lt_e14b_one_early_bid_starts_five_minutes_of_overtime_and_the_sole_bidder_wins() -> None:
    steps = LT_PEOPLE + [bid("2026-04-20T14:00:00+03:00", "ana", "120000.00")]
    code, result, _ = simulate(scenario("LT", LT_AUCTION, steps, "2026-05-02T00:00:00+03:00"))
    assert (result["status"], result["closes_at"]) == ("closed", "2026-05-01T10:05:00+03:00")
    assert (result["winner"], result["price"]) == ("ana", "120000.00")


@pytest.mark.parametrize(
    ("times", "closes"),
    [
        (["10:03:00", "10:07:30"], "2026-05-01T10:12:30+03:00"),
        (["10:01:00", "10:02:00"], "2026-05-01T10:07:00+03:00"),
    ],
)
def test_lt_overtime_ends_five_quiet_minutes_after_the_last_bid(times: list[str], closes: str) -> None:
    steps = LT_PEOPLE + [bid("2026-04-20T14:00:00+03:00", "ana", "120000.00")]
    steps += [
        bid(f"2026-05-01T{t}+03:00", who, amount)
        for t, who, amount in zip(times, ["boris", "ana"], ["121000.00", "122000.00"], strict=True)
    ]
    code, result, _ = simulate(scenario("LT", LT_AUCTION, steps, "2026-05-02T00:00:00+03:00"))
    assert code == 0
    assert all(b["accepted"] for b in result["bids"])
    assert result["closes_at"] == closes


@pytest.mark.parametrize(
    ("asset", "value", "closes"),
    [
        ("movable", "30000.00", "2026-04-09T10:00:00+03:00"),
        ("movable", "30000.01", "2026-04-19T10:00:00+03:00"),
        ("registered_movable", "1500.00", "2026-04-19T10:00:00+03:00"),
    ],
)
def test_lt_twenty_or_thirty_days_land_on_the_same_wall_clock_time_across_dst(
    asset: str, value: str, closes: str
) -> None:
    auction = {"asset": asset, "value": value, "opens_at": "2026-03-20T10:00:00+02:00"}
    code, result, _ = simulate(scenario("LT", auction, [], "2026-03-21T00:00:00+02:00"))
    assert code == 0
    assert result["closes_at"] == closes


def test_lt_a_proxy_answers_a_manual_bid_in_the_overtime_at_the_same_instant() -> None:
    steps = LT_PEOPLE + [
        {"at": "2026-04-20T14:00:00+03:00", "proxy": {"bidder": "ana", "max": "130000.00", "step": "1000.00"}},
        bid("2026-04-20T14:01:00+03:00", "ana", "121000.00"),
        bid("2026-05-01T10:04:00+03:00", "boris", "125000.00"),
    ]
    code, result, _ = simulate(scenario("LT", LT_AUCTION, steps, "2026-05-02T00:00:00+03:00"))
    assert code == 0
    last_two = [(b["bidder"], b["amount"], b["at"], b["automatic"]) for b in result["bids"][-2:]]
    assert last_two == [
        ("boris", "125000.00", "2026-05-01T10:04:00+03:00", False),
        ("ana", "126000.00", "2026-05-01T10:04:00+03:00", True),
    ]
    assert result["closes_at"] == "2026-05-01T10:09:00+03:00"
    assert (result["winner"], result["price"]) == ("ana", "126000.00")


# ------------------------------------------------------------------ Slovenia

SI_AUCTION = {
    "value": "200000.00",
    "increment": "1000.00",
    "opens_at": "2026-06-10T10:00:00+02:00",
    "closes_at": "2026-06-10T10:30:00+02:00",
}
SI_PEOPLE = [reg("2026-06-01T10:00:00+02:00", "ana", "20000.00"), reg("2026-06-01T10:00:00+02:00", "boris", "20000.00")]


@pytest.mark.parametrize(
    ("at", "closes"),
    [
        ("2026-06-10T10:28:00.000+02:00", "2026-06-10T10:32:00+02:00"),
        ("2026-06-10T10:28:01+02:00", "2026-06-10T10:32:00+02:00"),
    ],
)
def test_si_a_bid_with_two_minutes_or_less_left_adds_two_minutes_to_the_close(at: str, closes: str) -> None:
    code, result, _ = simulate(
        scenario("SI", SI_AUCTION, SI_PEOPLE + [bid(at, "ana", "141000.00")], "2026-06-11T00:00:00+02:00")
    )
    assert code == 0
    assert result["closes_at"] == closes
    assert result["starting_price"] == "140000.00" and result["deposit_required"] == "20000.00"


def test_si_the_chain_closes_at_10_34() -> None:
    steps = SI_PEOPLE + [
        bid("2026-06-10T10:29:30+02:00", "ana", "141000.00"),
        bid("2026-06-10T10:31:00+02:00", "boris", "142000.00"),
        bid("2026-06-10T10:31:30+02:00", "ana", "143000.00"),
    ]
    code, result, _ = simulate(scenario("SI", SI_AUCTION, steps, "2026-06-11T00:00:00+02:00"))
    assert result["closes_at"] == "2026-06-10T10:34:00+02:00"
    assert (result["winner"], result["price"]) == ("ana", "143000.00")


@pytest.mark.parametrize(
    ("paid", "admitted"), [("2026-04-22T23:59:00+02:00", True), ("2026-04-23T08:00:00+02:00", False)]
)
def test_si_the_deposit_counts_only_by_the_third_working_day_before_the_auction(paid: str, admitted: bool) -> None:
    auction = {**SI_AUCTION, "opens_at": "2026-04-28T10:00:00+02:00", "closes_at": "2026-04-28T10:30:00+02:00"}
    steps = [reg(paid, "ana", "20000.00"), bid("2026-04-28T10:10:00+02:00", "ana", "141000.00")]
    code, result, _ = simulate(scenario("SI", auction, steps, "2026-04-29T00:00:00+02:00"))
    assert code == 0
    assert result["bids"][0]["accepted"] is admitted
    if not admitted:
        assert result["bids"][0]["reason"] == "not_admitted"


def test_si_the_first_bid_must_be_one_step_above_the_starting_price_and_each_bid_a_step_above() -> None:
    steps = SI_PEOPLE + [
        bid("2026-06-10T10:01:00+02:00", "ana", "140000.00"),
        bid("2026-06-10T10:02:00+02:00", "ana", "150000.00"),
        bid("2026-06-10T10:03:00+02:00", "boris", "150900.00"),
        bid("2026-06-10T10:04:00+02:00", "boris", "151000.00"),
    ]
    code, result, _ = simulate(scenario("SI", SI_AUCTION, steps, "2026-06-11T00:00:00+02:00"))
    assert [b["accepted"] for b in result["bids"]] == [False, True, False, True]
    assert result["bids"][0]["reason"] in ("bid_too_low", "bad_increment")
    assert result["bids"][2]["reason"] in ("bid_too_low", "bad_increment")


def test_si_without_an_increment_any_higher_amount_counts() -> None:
    auction = {k: v for k, v in SI_AUCTION.items() if k != "increment"}
    steps = SI_PEOPLE + [
        bid("2026-06-10T10:01:00+02:00", "ana", "150000.00"),
        bid("2026-06-10T10:02:00+02:00", "boris", "150000.01"),
    ]
    code, result, _ = simulate(scenario("SI", auction, steps, "2026-06-11T00:00:00+02:00"))
    assert [b["accepted"] for b in result["bids"]] == [True, True]


def test_si_without_a_closing_time_the_scenario_is_refused() -> None:
    auction = {k: v for k, v in SI_AUCTION.items() if k != "closes_at"}
    code, _, err = simulate(scenario("SI", auction, [], "2026-06-11T00:00:00+02:00"))
    assert code == 2 and "closes_at" in err


# ------------------------------------------------------------------ Sweden

SE_AUCTION = {
    "asset": "movable",
    "value": "9000.00",
    "currency": "SEK",
    "starting_price": "1000.00",
    "opens_at": "2026-05-08T19:00:00+02:00",
    "closes_at": "2026-05-15T19:00:00+02:00",
}
SE_PEOPLE = [reg("2026-05-08T19:00:00+02:00", "ana"), reg("2026-05-08T19:00:00+02:00", "boris")]


@pytest.mark.parametrize(
    ("at", "closes"),
    [
        ("2026-05-15T18:58:00.000+02:00", "2026-05-15T19:00:00+02:00"),
        ("2026-05-15T18:58:01+02:00", "2026-05-15T19:02:00+02:00"),
    ],
)
def test_se_exactly_two_minutes_left_is_not_less_than_two_minutes(at: str, closes: str) -> None:
    code, result, _ = simulate(
        scenario("SE", SE_AUCTION, SE_PEOPLE + [bid(at, "ana", "1000.00")], "2026-05-16T00:00:00+02:00")
    )
    assert code == 0
    assert result["closes_at"] == closes
    assert result["deposit_required"] == "0.00"


def test_se_the_chain_adds_two_minutes_to_the_end_each_time() -> None:
    steps = SE_PEOPLE + [
        bid("2026-05-15T18:59:30+02:00", "ana", "1000.00"),
        bid("2026-05-15T19:00:30+02:00", "boris", "1100.00"),
        bid("2026-05-15T19:01:50+02:00", "ana", "1200.00"),
    ]
    code, result, _ = simulate(scenario("SE", SE_AUCTION, steps, "2026-05-16T00:00:00+02:00"))
    assert result["closes_at"] == "2026-05-15T19:04:00+02:00"
    assert (result["winner"], result["price"]) == ("ana", "1200.00")


def test_se_a_local_time_without_an_offset_is_refused() -> None:
    code, _, err = simulate(
        scenario("SE", {**SE_AUCTION, "closes_at": "2026-10-25T02:30:00"}, [], "2026-10-26T00:00:00+01:00")
    )
    assert code == 2 and "offset" in err


def test_se_a_bid_after_the_deadline_is_refused_as_closed() -> None:
    steps = SE_PEOPLE + [bid("2026-05-15T19:00:00+02:00", "ana", "1000.00")]
    code, result, _ = simulate(scenario("SE", SE_AUCTION, steps, "2026-05-16T00:00:00+02:00"))
    assert (result["bids"][0]["accepted"], result["bids"][0]["reason"]) == (False, "auction_closed")
    assert result["status"] == "failed"


def test_a_scenario_stopped_before_the_deadline_is_still_open_with_the_deadline_in_force() -> None:
    steps = SE_PEOPLE + [bid("2026-05-15T18:59:00+02:00", "ana", "1000.00")]
    code, result, _ = simulate(scenario("SE", SE_AUCTION, steps, "2026-05-15T19:00:30+02:00"))
    assert (result["status"], result["closes_at"], result["winner"]) == ("open", "2026-05-15T19:02:00+02:00", None)
    assert bids_of(result) == [("ana", "1000.00", True)]
