"""``auction simulate`` lists the rules' non-blocking warnings about the schedule
(docs/rules.md, Schedule warnings: Bulgaria and Croatia) and still runs the scenario."""

from __future__ import annotations

from typing import Any

from tests.simulate.support import simulate


def scenario(country: str, auction: dict[str, Any], steps: list[dict[str, Any]], until: str) -> dict[str, Any]:
    return {
        "country": country,
        "auction": {"asset": "immovable", "currency": "EUR", "value": "100000.00", **auction},
        "steps": steps,
        "until": until,
    }


def bg_e6(closes_at: str | None) -> dict[str, Any]:
    auction: dict[str, Any] = {"increment": "500.00", "opens_at": "2026-04-03T10:00:00+03:00"}
    if closes_at is not None:
        auction["closes_at"] = closes_at
    steps = [
        {"at": "2026-04-02T10:00:00+03:00", "register": {"bidder": "ana", "deposit": "8000.00"}},
        {"at": "2026-04-09T16:57:00+03:00", "bid": {"bidder": "ana", "amount": "80000.00"}},
    ]
    return scenario("BG", auction, steps, "2026-04-20T00:00:00+03:00")


def test_bg_the_seven_day_close_runs_without_warnings() -> None:
    code, result, _ = simulate(bg_e6(None))
    assert code == 0
    assert result is not None
    assert result["scheduled_close"] == "2026-04-09T17:00:00+03:00"
    assert result["closes_at"] == "2026-04-09T17:07:00+03:00"  # the bid at 16:57 extended it
    assert result["warnings"] == []


def test_bg_a_close_on_good_friday_runs_with_both_warnings() -> None:
    code, result, err = simulate(bg_e6("2026-04-10T17:00:00+03:00"))
    assert (code, err) == (0, "")
    assert result is not None
    # Not blocked: the auction ran to the given close, the bid of Thursday won.
    assert result["scheduled_close"] == "2026-04-10T17:00:00+03:00"
    assert (result["status"], result["winner"], result["price"]) == ("closed", "ana", "80000.00")
    assert result["warnings"] == [
        {
            "code": "close_date_not_period_end",
            "message": (
                "the close is on Fri 2026-04-10 (day 8), but the 7-day bidding period counted from Fri 2026-04-03 "
                "as day 1 ends on Thu 2026-04-09; the close stands as given"
            ),
            "rule": "BG-duration",
        },
        {
            "code": "close_date_not_working_day",
            "message": (
                "the last day of bidding, Fri 2026-04-10, is not a working day: it is a public holiday "
                "(Good Friday); the close stands as given"
            ),
            "rule": "BG-duration",
        },
    ]
    assert all("warning" not in event["type"].lower() for event in result["events"])


def period_warnings(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The warnings about the bidding period: a scenario's notice goes out with its first step,
    a day before opening, so the Croatian 60-day lead time is always short and is tested apart."""
    lead = [w for w in result["warnings"] if w["code"] == "lead_time_short"]
    assert [w["rule"] for w in lead] == ["HR-lead-time"]
    return [w for w in result["warnings"] if w["code"] != "lead_time_short"]


def hr(opens_at: str, closes_at: str) -> dict[str, Any]:
    return scenario("HR", {"opens_at": opens_at, "closes_at": closes_at}, [], "2026-06-01T00:00:00+02:00")


def test_hr_a_close_on_working_day_10_runs_without_warnings() -> None:
    code, result, _ = simulate(hr("2026-04-28T09:00:00+02:00", "2026-05-12T13:00:00+02:00"))
    assert code == 0
    assert result is not None
    assert period_warnings(result) == []


def test_hr_a_close_on_working_day_11_runs_with_a_warning() -> None:
    # The contract's own example: opens Thu 2 April; Good Friday works, Easter Monday does not,
    # so working day 10 is Thu 16 April and a close on Fri 17 April is day 11.
    code, result, _ = simulate(hr("2026-04-02T10:00:00+02:00", "2026-04-17T10:00:00+02:00"))
    assert code == 0
    assert result is not None
    assert result["status"] == "failed"  # no bids: the auction ran to its given close
    assert result["closes_at"] == "2026-04-17T10:00:00+02:00"
    assert period_warnings(result) == [
        {
            "code": "close_date_not_period_end",
            "message": (
                "the close is on Fri 2026-04-17 (working day 11), but the bidding period of 10 working days "
                "counted from Thu 2026-04-02 (day 1 when it is a working day) ends on Thu 2026-04-16; "
                "the close stands as given"
            ),
            "rule": "HR-duration",
        }
    ]


def test_countries_without_warnings_show_an_empty_list() -> None:
    se = scenario(
        "SE",
        {
            "asset": "movable",
            "currency": "SEK",
            "value": "9000.00",
            "starting_price": "1000.00",
            "opens_at": "2026-05-08T19:00:00+02:00",
            "closes_at": "2026-05-16T19:00:00+02:00",  # a Saturday
        },
        [],
        "2026-05-20T00:00:00+02:00",
    )
    code, result, _ = simulate(se)
    assert code == 0
    assert result is not None
    assert result["warnings"] == []
