"""``auction replay`` of a log that runs past bidding: the sale, the deposits, and the refunds
overdue at ``--as-of`` (or now), in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from engine.model import parse_instant
from projections.audit.log import encode_lines
from tests.audit.test_replay import run_cli
from tests.projections.test_sale_report import SUBJECTS, slovenian_sale_completed

DUE = "2030-07-10T00:00:00+02:00"  # SI: B-1's refund, within 15 days of the date bidding ended


async def _log(tmp_path: Path) -> Path:
    world, _ = await slovenian_sale_completed()
    log = tmp_path / "log.jsonl"
    log.write_bytes(encode_lines(await world.store.read_all()))
    return log


async def test_replay_as_of_an_instant_lists_the_refunds_overdue_then(tmp_path: Path) -> None:
    log = await _log(tmp_path)

    code, out, err = run_cli("replay", str(log), "--as-of", "2030-07-09T23:59:59+02:00")
    assert code == 0, err
    before = json.loads(out)
    assert before["as_of"] == "2030-07-09T23:59:59+02:00"
    assert before["sale"] == "completed" and [r["bidder_code"] for r in before["refunds_due"]] == ["B-1"]
    assert before["refunds_overdue"] == []

    code, out, err = run_cli("replay", str(log), "--as-of", DUE)
    assert code == 0, err
    at_due = json.loads(out)
    assert [(r["bidder_code"], r["due"]) for r in at_due["refunds_overdue"]] == [("B-1", DUE)]

    # Without --as-of the instant is now, shown in the report, and the list agrees with it.
    code, out, err = run_cli("replay", str(log))
    assert code == 0, err
    now = json.loads(out)
    overdue = parse_instant(now["as_of"]) >= parse_instant(DUE)
    assert [r["bidder_code"] for r in now["refunds_overdue"]] == (["B-1"] if overdue else [])


async def test_replay_renders_the_sale_in_html_and_csv(tmp_path: Path) -> None:
    log = await _log(tmp_path)

    code, out, err = run_cli("replay", str(log), "--format", "html", "--as-of", DUE)
    assert code == 0, err
    page = out.decode()
    assert f"<h3>Refunds overdue at {DUE}</h3>" in page and "<h3>Course of the sale</h3>" in page
    assert "<caption>Officials who acted</caption>" in page

    code, out, err = run_cli("replay", str(log), "--format", "csv", "--as-of", DUE)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    due = [r for r in rows if r["record"] == "ledger" and r["status"] == "refund_due"]
    assert [(r["bidder_code"], r["overdue"]) for r in due] == [("B-1", "yes"), ("B-2", "")]  # B-2 was refunded
    assert {r["act"] for r in rows if r["record"] == "sale"} >= {"declared", "payment", "paid", "transfer"}


async def test_a_bidders_copy_of_the_replay_names_no_bidder(tmp_path: Path) -> None:
    log = await _log(tmp_path)
    for fmt in ("json", "html", "csv"):
        code, out, err = run_cli("replay", str(log), "--anonymise", "--format", fmt, "--as-of", DUE)
        assert code == 0, err
        assert not any(subject.encode() in out for subject in SUBJECTS), fmt
    assert b'"subject"' not in run_cli("replay", str(log), "--anonymise")[1]
