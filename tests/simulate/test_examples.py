"""The scenarios in ``examples/`` and the JSON in ``docs/scenarios.md`` run through
``auction simulate`` exactly as a user runs them, and give the results the
documentation describes."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from rules import available_countries, load_rules
from tests.simulate.support import simulate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"
JSON_BLOCK = re.compile(r"^```json\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def run_file(path: Path) -> tuple[int, dict[str, Any] | None, str]:
    """``auction simulate PATH``: (exit code, parsed stdout or None, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["simulate", str(path)])
    text = out.getvalue()
    return code, (json.loads(text) if text.strip() else None), err.getvalue()


def run_example(name: str) -> dict[str, Any]:
    code, result, err = run_file(EXAMPLES / name)
    assert (code, err) == (0, ""), err
    assert result is not None
    return result


def reasons(result: dict[str, Any]) -> list[str | None]:
    return [bid["reason"] for bid in result["bids"]]


def extensions(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["at"], e["deadline"], e["rule"]) for e in result["events"] if e["type"] == "DeadlineExtended"]


def sections(markdown: str) -> dict[str, str]:
    """The text under each ``## `` heading, by heading."""
    found: dict[str, str] = {}
    for part in re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        found[heading.strip()] = body
    return found


def json_blocks(text: str) -> list[Any]:
    return [json.loads(block) for block in JSON_BLOCK.findall(text)]


# ------------------------------------------------------------------ examples/

OUTCOMES: dict[str, dict[str, Any]] = {
    "bg-single-step.json": {
        "country": "BG",
        "status": "closed",
        "winner": "boris",
        "price": "81500.00",
        "closes_at": "2026-04-10T17:11:00+03:00",
        "scheduled_close": "2026-04-10T17:00:00+03:00",
        "starting_price": "80000.00",
        "deposit_required": "8000.00",
    },
    "bg-cap.json": {
        "country": "BG",
        "status": "closed",
        "winner": "boris",
        "price": "240500.00",
        "closes_at": "2026-03-29T18:00:00+03:00",
        "scheduled_close": "2026-03-27T17:00:00+02:00",
    },
    "hr-extension.json": {
        "country": "HR",
        "status": "closed",
        "winner": "boris",
        "price": "103000.00",
        "closes_at": "2026-05-12T10:14:00+02:00",
        "scheduled_close": "2026-05-12T10:00:00+02:00",
        "starting_price": "100000.00",
        "deposit_required": "12500.00",
    },
    "lt-proxy.json": {
        "country": "LT",
        "status": "closed",
        "winner": "ana",
        "price": "130000.00",
        "closes_at": "2026-05-01T10:13:00+03:00",
        "scheduled_close": "2026-05-01T10:00:00+03:00",
        "starting_price": "120000.00",
        "deposit_required": "12000.00",
    },
    "si-deposit.json": {
        "country": "SI",
        "status": "closed",
        "winner": "boris",
        "price": "144000.00",
        "closes_at": "2026-04-28T10:34:00+02:00",
        "scheduled_close": "2026-04-28T10:30:00+02:00",
        "starting_price": "140000.00",
        "deposit_required": "20000.00",
    },
    "se-soft-close.json": {
        "country": "SE",
        "status": "closed",
        "winner": "boris",
        "price": "1300.00",
        "closes_at": "2026-05-15T19:04:00+02:00",
        "scheduled_close": "2026-05-15T19:00:00+02:00",
        "starting_price": "1000.00",
        "deposit_required": "0.00",
    },
    "ee-interval.json": {
        "country": "EE",
        "status": "closed",
        "winner": "ana",
        "price": "81000.00",
        "closes_at": "2026-03-20T12:10:00+02:00",
        "scheduled_close": "2026-03-20T12:00:00+02:00",
        "starting_price": "80000.00",
        "deposit_required": "8000.00",
    },
    "lv-increment.json": {
        "country": "LV",
        "status": "closed",
        "winner": "ana",
        "price": "102000.00",
        "closes_at": "2026-05-15T12:06:00+03:00",
        "scheduled_close": "2026-05-15T12:00:00+03:00",
        "starting_price": "100000.00",
        "increment": "1000.00",
        "deposit_required": "10000.00",
    },
    "cz-five-minutes.json": {
        "country": "CZ",
        "status": "closed",
        "winner": "boris",
        "price": "2030000.00",
        "closes_at": "2026-05-14T12:06:30+02:00",
        "scheduled_close": "2026-05-14T12:00:00+02:00",
        "starting_price": "2000000.00",
        "deposit_required": "200000.00",
        "currency": "CZK",
    },
    "pt-azores.json": {
        "country": "PT",
        "status": "closed",
        "winner": "carl",
        "price": "86500.00",
        "opens_at": "2026-03-21T10:00:00-01:00",
        "closes_at": "2026-03-29T01:13:00+00:00",
        "scheduled_close": "2026-03-28T23:58:00-01:00",
        "starting_price": "85000.00",
        "deposit_required": "0.00",
    },
    "gr-wednesday.json": {
        "country": "GR",
        "status": "closed",
        "winner": "boris",
        "price": "206000.00",
        "closes_at": "2026-05-13T14:20:00+03:00",
        "scheduled_close": "2026-05-13T14:00:00+03:00",
        "starting_price": "200000.00",
        "deposit_required": "20000.00",
    },
    # after bidding
    "lt-next-best.json": {
        "country": "LT",
        "winner": "boris",
        "sale": "paid",
        "purchaser": "ana",
        "paid": "16000.00",
        "payment_due": "2026-07-13T00:00:00+03:00",
        "deposits": [
            {"bidder": "ana", "amount": "1600.00", "status": "credited", "due": None},
            {"bidder": "boris", "amount": "1600.00", "status": "forfeited", "due": None},
        ],
        "refused": [
            {"at": "2026-07-02T00:00:00+03:00", "step": "pay", "reason": "sale_defaulted"},
            {"at": "2026-07-04T09:00:00+03:00", "step": "refund", "reason": "deposit_forfeited"},
        ],
    },
    "si-preemption.json": {
        "country": "SI",
        "winner": "boris",
        "price": "36000.00",
        "sale": "awaiting_payment",
        "purchaser": "neighbour",
        "payment_due": "2026-10-16T00:00:00+02:00",
        "paid": "5000.00",
        "deposits": [
            {"bidder": "ana", "amount": "5000.00", "status": "refunded", "due": None},
            {"bidder": "neighbour", "amount": "5000.00", "status": "credited", "due": None},
            {"bidder": "boris", "amount": "5000.00", "status": "refund_due", "due": "2026-10-01T00:00:00+02:00"},
        ],
        "refused": [
            {"at": "2026-09-15T11:05:00+02:00", "step": "declare", "reason": "preemption_window_open"},
            {"at": "2026-09-15T11:06:00+02:00", "step": "preempt", "reason": "not_preemption_holder"},
        ],
    },
    "se-grace.json": {
        "country": "SE",
        "sale": "paid",
        "purchaser": "ana",
        "payment_due": "2026-06-15T19:00:00+02:00",
        "paid": "85000.00",
        "deposits": [],
        "refused": [{"at": "2026-05-16T10:00:00+02:00", "step": "grace", "reason": "grace_not_allowed"}],
    },
    "hr-next-round.json": {
        "country": "HR",
        "status": "failed",
        "sale": None,
        "next_round": {
            "round": 2,
            "opens_at": "2026-08-12T10:00:00+02:00",
            "closes_at": "2026-08-25T11:00:00+02:00",
            "starting_price": "60000.00",
            "status": "closed",
            "winner": "ana",
            "price": "61000.00",
        },
        "refused": [
            {"at": "2026-06-13T09:00:00+02:00", "step": "next_round", "reason": "next_round_too_early"},
            {"at": "2026-06-13T09:05:00+02:00", "step": "next_round", "reason": "starting_price_too_low"},
        ],
    },
    "bg-suspension.json": {
        "country": "BG",
        "status": "closed",
        "winner": "boris",
        "price": "81000.00",
        "closes_at": "2026-04-09T18:10:20+03:00",
        "scheduled_close": "2026-04-09T17:00:00+03:00",
        "refused": [],
    },
}


def test_every_example_file_has_its_outcome_checked_here() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(OUTCOMES)


def test_there_is_an_example_for_every_country_with_a_rule_book() -> None:
    countries = {json.loads((EXAMPLES / name).read_text())["country"] for name in OUTCOMES}
    assert countries == set(available_countries())


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_each_example_runs_with_exit_0_and_ends_as_documented(name: str) -> None:
    result = run_example(name)
    assert {key: result[key] for key in OUTCOMES[name]} == OUTCOMES[name]


def test_bg_single_step_refuses_jumps_short_deposits_equal_and_late_bids_and_warns_of_good_friday() -> None:
    result = run_example("bg-single-step.json")
    assert reasons(result) == [
        None,
        "bad_increment",
        None,
        "not_admitted",
        None,
        None,
        "bid_too_low",
        "auction_closed",
    ]
    assert extensions(result) == [
        ("2026-04-10T16:52:00+03:00", "2026-04-10T17:02:00+03:00", "BG-extension"),
        ("2026-04-10T17:01:00+03:00", "2026-04-10T17:11:00+03:00", "BG-extension"),
    ]
    assert [(w["code"], w["rule"]) for w in result["warnings"]] == [("close_date_not_working_day", "BG-duration")]
    assert "Good Friday" in result["warnings"][0]["message"]


def test_bg_cap_cuts_the_last_extension_to_48_elapsed_hours_and_refuses_the_bid_at_the_cap() -> None:
    result = run_example("bg-cap.json")
    assert reasons(result) == [None] * (len(result["bids"]) - 1) + ["auction_closed"]
    assert result["bids"][-1]["at"] == "2026-03-29T18:00:00+03:00"
    found = extensions(result)
    assert len(found) > 288, "a 10-minute extension at a time cannot reach 48 hours in fewer"
    assert {rule for _, _, rule in found[:-1]} == {"BG-extension"}
    assert found[-1] == ("2026-03-29T17:55:00+03:00", "2026-03-29T18:00:00+03:00", "BG-cap")
    assert result["warnings"] == []


def test_hr_extension_derives_working_day_10_and_extends_only_within_ten_minutes() -> None:
    result = run_example("hr-extension.json")
    assert reasons(result) == [None, None, None, "bid_too_low", None]
    assert result["bids"][0]["at"] == "2026-05-01T20:00:00+02:00", "a bid on Labour Day counts"
    assert extensions(result) == [
        ("2026-05-12T09:55:00+02:00", "2026-05-12T10:05:00+02:00", "HR-extension"),
        ("2026-05-12T10:04:00+02:00", "2026-05-12T10:14:00+02:00", "HR-extension"),
    ]
    # The scenario's notice goes out with its first step, sooner than Croatia's 60 days: a warning only.
    assert [(w["code"], w["rule"]) for w in result["warnings"]] == [("lead_time_short", "HR-lead-time")]


def test_lt_proxy_answers_every_manual_bid_at_once_up_to_its_maximum_through_the_overtime() -> None:
    result = run_example("lt-proxy.json")
    assert [(b["bidder"], b["amount"], b["automatic"], b["accepted"]) for b in result["bids"]] == [
        ("ana", "120000.00", True, True),
        ("boris", "122000.00", False, True),
        ("ana", "123000.00", True, True),
        ("boris", "125000.00", False, True),
        ("ana", "126000.00", True, True),
        ("boris", "129500.00", False, True),
        ("ana", "130000.00", True, True),
    ]
    assert extensions(result) == [
        ("2026-05-01T10:00:00+03:00", "2026-05-01T10:05:00+03:00", "LT-overtime"),
        ("2026-05-01T10:04:00+03:00", "2026-05-01T10:09:00+03:00", "LT-extension"),
        ("2026-05-01T10:08:00+03:00", "2026-05-01T10:13:00+03:00", "LT-extension"),
    ]


def test_si_deposit_refuses_the_late_payer_and_bids_short_of_one_increment() -> None:
    result = run_example("si-deposit.json")
    assert reasons(result) == ["bad_increment", None, "not_admitted", "bad_increment", None, None, None]
    assert [e["at"] for e in result["events"] if e["type"] == "AdmissionRefused"] == ["2026-04-23T09:00:00+02:00"]
    assert [e["type"] for e in result["events"]].count("BidderAdmitted") == 2
    assert extensions(result) == [
        ("2026-04-28T10:28:00+02:00", "2026-04-28T10:32:00+02:00", "SI-extension"),
        ("2026-04-28T10:31:00+02:00", "2026-04-28T10:34:00+02:00", "SI-extension"),
    ]


def test_se_soft_close_is_strict_at_two_minutes_and_adds_to_the_deadline() -> None:
    result = run_example("se-soft-close.json")
    assert reasons(result) == [None, None, None, None, "auction_closed"]
    assert extensions(result) == [
        ("2026-05-15T18:58:01+02:00", "2026-05-15T19:02:00+02:00", "SE-extension"),
        ("2026-05-15T19:01:30+02:00", "2026-05-15T19:04:00+02:00", "SE-extension"),
    ]


def test_a_refused_proxy_places_no_bid_and_shows_only_among_the_events() -> None:
    result = run_example("se-soft-close.json")
    assert [(b["bidder"], b["amount"]) for b in result["bids"]][0] == ("ana", "1000.00")
    assert all(not b["automatic"] for b in result["bids"]), "no bidder bid the proxy's maximum"
    (refused,) = [e for e in result["events"] if e["type"] == "ProxyRejected"]
    assert refused == {
        "type": "ProxyRejected",
        "at": "2026-05-10T10:00:00+02:00",
        "bidder": "ana",
        "reason": "proxy_not_allowed",
        "rule": "SE-proxy",
    }


def test_ee_interval_extends_by_the_notices_five_minutes_from_the_deadline_and_refuses_a_deposit_at_opening() -> None:
    result = run_example("ee-interval.json")
    assert reasons(result) == [None, "not_admitted", "bad_increment", None, None, "auction_closed"]
    assert [e["at"] for e in result["events"] if e["type"] == "AdmissionRefused"] == ["2026-03-13T12:00:00+02:00"]
    assert [(w["code"], w["rule"]) for w in result["warnings"]] == [("lead_time_short", "EE-lead-time")]
    assert extensions(result) == [
        ("2026-03-20T11:57:00+02:00", "2026-03-20T12:05:00+02:00", "EE-extension"),
        ("2026-03-20T12:03:00+02:00", "2026-03-20T12:10:00+02:00", "EE-extension"),
    ]


def test_lv_increment_is_a_minimum_raise_and_deposits_count_only_before_opening() -> None:
    result = run_example("lv-increment.json")
    assert reasons(result) == ["not_admitted", None, "bad_increment", None, None]
    assert [(w["code"], w["rule"]) for w in result["warnings"]] == [("lead_time_short", "LV-lead-time")]
    assert extensions(result) == [
        ("2026-05-15T11:57:00+03:00", "2026-05-15T12:03:00+03:00", "LV-extension"),
        ("2026-05-15T12:01:00+03:00", "2026-05-15T12:06:00+03:00", "LV-extension"),
    ]


def test_cz_five_minutes_is_strict_and_anchored_on_the_bid() -> None:
    result = run_example("cz-five-minutes.json")
    assert reasons(result) == ["bid_too_low", None, None, None, None, "bad_increment", "auction_closed"]
    assert extensions(result) == [
        ("2026-05-14T11:57:00+02:00", "2026-05-14T12:02:00+02:00", "CZ-extension"),
        ("2026-05-14T12:01:30+02:00", "2026-05-14T12:06:30+02:00", "CZ-extension"),
    ], "exactly 5:00 left at 11:55 does not extend"


def test_pt_azores_shows_azores_times_and_extends_by_elapsed_minutes_over_the_dst_change() -> None:
    result = run_example("pt-azores.json")
    assert reasons(result) == ["bid_too_low", None, None, None, None]
    assert extensions(result) == [
        ("2026-03-28T23:55:00-01:00", "2026-03-29T01:03:00+00:00", "PT-extension"),
        ("2026-03-29T01:00:00+00:00", "2026-03-29T01:08:00+00:00", "PT-extension"),
        ("2026-03-29T01:07:59+00:00", "2026-03-29T01:13:00+00:00", "PT-extension"),
    ]


def test_gr_wednesday_extends_within_the_notices_ten_minutes_only() -> None:
    result = run_example("gr-wednesday.json")
    assert reasons(result) == [None, "bid_too_low", None, None, None]
    assert extensions(result) == [
        ("2026-05-13T13:52:00+03:00", "2026-05-13T14:10:00+03:00", "GR-extension"),
        ("2026-05-13T14:05:00+03:00", "2026-05-13T14:20:00+03:00", "GR-extension"),
    ], "a bid with 10:01 left does not extend"


# ------------------------------------------------------------------ docs/


def test_every_json_block_in_scenarios_md_is_valid_json() -> None:
    text = (DOCS / "scenarios.md").read_text()
    assert len(JSON_BLOCK.findall(text)) >= 4
    json_blocks(text)  # raises on a block that does not parse


def test_the_format_sample_in_scenarios_md_gives_the_result_shown_under_it() -> None:
    parts = sections((DOCS / "scenarios.md").read_text())
    (scenario,) = json_blocks(parts["The scenario"])
    (shown,) = json_blocks(parts["The result"])
    code, result, err = simulate(scenario)
    assert (code, err) == (0, "")
    assert result is not None
    assert list(result) == list(shown), "the sample lists every field, in the printed order"
    assert {k: v for k, v in result.items() if k != "events"} == {k: v for k, v in shown.items() if k != "events"}
    assert result["events"][0] == shown["events"][0]


def test_the_worked_example_in_scenarios_md_gives_exactly_the_result_shown() -> None:
    parts = sections((DOCS / "scenarios.md").read_text())
    scenario, shown = json_blocks(parts["Worked example"])
    code, result, err = simulate(scenario)
    assert (code, err) == (0, "")
    assert result is not None
    assert result == shown
    assert list(result) == list(shown), "the fields in the printed order"


def test_scenarios_md_lists_every_example_file() -> None:
    text = (DOCS / "scenarios.md").read_text()
    assert all(f"examples/{name}" in text for name in OUTCOMES)


def test_rules_md_names_every_rule_the_rule_books_apply() -> None:
    text = (DOCS / "rules.md").read_text()
    missing = [
        rule.code for country in available_countries() for rule in load_rules(country).rules() if rule.code not in text
    ]
    assert missing == []


@pytest.mark.parametrize("page", ["README.md", "docs/rules.md", "docs/scenarios.md"])
def test_relative_links_point_at_files_in_the_repository(page: str) -> None:
    path = ROOT / page
    for target in LINK.findall(path.read_text()):
        if "://" in target:
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{page} links to {target}"
