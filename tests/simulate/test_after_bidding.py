"""``auction simulate`` with steps after bidding: what a scenario must say, and how refusals show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.simulate.support import simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return loaded


def test_a_scenario_with_a_step_after_bidding_needs_the_payment_period() -> None:
    scenario = example("lt-next-best.json")
    del scenario["auction"]["payment_days"]
    code, result, err = simulate(scenario)
    assert (code, result) == (2, None)
    assert "payment_days" in err and "LT-payment" in err
    assert err.count("\n") == 1


def test_a_scenario_that_stops_at_the_bidding_may_leave_the_payment_period_out() -> None:
    scenario = example("lt-next-best.json")
    del scenario["auction"]["payment_days"]
    scenario["steps"] = [step for step in scenario["steps"] if "register" in step or "bid" in step]
    code, result, _ = simulate(scenario)
    assert code == 0 and result is not None
    assert (result["status"], result["sale"], result["purchaser"]) == ("closed", None, None)


def test_sweden_fixes_the_period_by_law_and_refuses_one_from_the_notice() -> None:
    scenario = example("se-grace.json")
    scenario["auction"]["payment_days"] = 10
    code, _, err = simulate(scenario)
    assert code == 2 and "term_not_used" not in err  # the message names the rule, not the code
    assert "payment_days" in err and "SE-payment" in err


def test_a_refused_step_records_nothing_and_the_run_goes_on() -> None:
    scenario = example("se-grace.json")
    code, result, _ = simulate(scenario)
    assert code == 0 and result is not None
    refused_grace = [e for e in result["events"] if e["type"] == "GraceGranted"]
    assert len(refused_grace) == 1  # the refused first grace left no event; the second one stands
    assert result["refused"] == [{"at": "2026-05-16T10:00:00+02:00", "step": "grace", "reason": "grace_not_allowed"}]


def test_a_registration_after_estonian_bidding_opened_is_listed_as_refused() -> None:
    scenario = example("ee-interval.json")
    last = scenario["steps"][-1]["at"]
    scenario["steps"].append({"at": last, "register": {"bidder": "late", "deposit": "1.00"}})
    code, result, _ = simulate(scenario)
    assert code == 0 and result is not None
    assert result["refused"] == [{"at": last, "step": "register", "reason": "registration_closed"}]
    assert "late" not in [d["bidder"] for d in result["deposits"]]


def test_without_a_step_before_the_deposit_deadline_the_notice_goes_out_a_day_before_it() -> None:
    # Slovenian deposits count until the 3rd working day before the opening; a scenario whose first
    # step comes later is still scheduled before that deadline, so the late deposit is refused.
    scenario = example("si-deposit.json")
    scenario["steps"] = [s for s in scenario["steps"] if s["at"] >= "2026-04-23"]
    code, result, _ = simulate(scenario)
    assert code == 0 and result is not None
    assert result["events"][0] == {"type": "AuctionScheduled", "at": "2026-04-22T00:00:00+02:00"}
    assert [e["type"] for e in result["events"] if e["type"] == "AdmissionRefused"] == ["AdmissionRefused"]


def test_the_suspended_minutes_are_given_back_on_resumption() -> None:
    code, result, _ = simulate(example("bg-suspension.json"))
    assert code == 0 and result is not None
    assert [(b["bidder"], b["reason"]) for b in result["bids"]] == [
        ("ana", None),
        ("boris", "auction_suspended"),
        ("boris", None),
    ]
    types = [e["type"] for e in result["events"]]
    assert types.index("AuctionSuspended") < types.index("AuctionResumed") < types.index("BiddingClosed")
