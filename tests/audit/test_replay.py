"""Export, then replay: a clean log rebuilds the live report; any tampering is refused with exit 1."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from api.cli import main
from engine.app.receipts import ReceiptSigner
from engine.clock import ManualClock
from engine.commands import Advance, EndAuction, PlaceBid, RegisterBidder, ScheduleAuction
from engine.service import AuctionService, stream_of
from engine.store import open_store
from projections.audit.log import write_lines
from projections.audit.receipts import SIGNED_FIELDS
from projections.report import build_report
from rules import load_rules
from tests.audit.support import server_signer
from tests.domain.support import draft_for


def timeless(report: dict) -> dict:
    """A report without its own instant (``as_of``: when it was made), which two builds never share."""
    return {key: value for key, value in report.items() if key != "as_of"}


def run_cli(*args: str) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    wrapper = io.TextIOWrapper(out, encoding="utf-8")
    with contextlib.redirect_stdout(wrapper), contextlib.redirect_stderr(err):
        code = main(list(args))
        wrapper.flush()
    return code, out.getvalue(), err.getvalue()


async def _auction(tmp_path: Path) -> tuple[Path, dict]:
    store = await open_store(f"sqlite:///{tmp_path / 'engine.db'}")
    draft = draft_for("SE")
    clock = ManualClock(draft.opens_at - timedelta(days=1))
    service = AuctionService(store, load_rules, clock)
    await service.execute("a-1", ScheduleAuction("a-1", draft))
    for person in ("anna", "bertil", "cecilia"):
        await service.execute("a-1", RegisterBidder(subject=person))
    deadline = draft.closes_at
    clock.set(deadline - timedelta(minutes=30))
    await service.execute("a-1", PlaceBid("B-1", 10_000_00))
    await service.execute("a-1", PlaceBid("B-2", 10_000_00))  # refused: not above the best
    clock.set(deadline - timedelta(seconds=30))
    await service.execute("a-1", PlaceBid("B-2", 11_000_00))  # extends by 2 min
    clock.set(deadline + timedelta(hours=1))
    await service.execute("a-1", Advance())
    await service.execute("a-1", EndAuction())
    stored = await store.read_stream(stream_of("a-1"))
    live = build_report("a-1", stored, load_rules("SE"))
    log = tmp_path / "log.jsonl"
    with log.open("wb") as handle:
        await write_lines(store, None, handle)
    await store.close()
    return log, live


async def test_replaying_an_exported_log_gives_the_live_report(tmp_path: Path) -> None:
    log, live = await _auction(tmp_path)
    code, out, err = run_cli("replay", str(log))
    assert code == 0, err
    replayed = json.loads(out)
    assert timeless(replayed) == timeless(live)
    assert replayed["winner"]["bidder_code"] == "B-2" and replayed["price"] == "11000.00"
    assert [b["reason"] for b in replayed["bids"]] == [None, "bid_too_low", None]
    assert replayed["extensions"][0]["rule"] == "SE-extension"
    assert "log verified" in err


async def test_the_report_renders_as_csv_and_html(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    code, out, _ = run_cli("replay", str(log), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [(r["bidder_code"], r["amount"], r["accepted"], r["reason"]) for r in rows if r["record"] == "bid"] == [
        ("B-1", "10000.00", "yes", ""),
        ("B-2", "10000.00", "no", "bid_too_low"),
        ("B-2", "11000.00", "yes", ""),
    ]
    # After the bids, the declaration: the sale's first line.
    assert [(r["record"], r["act"], r["bidder_code"], r["price"]) for r in rows if r["record"] != "bid"] == [
        ("sale", "declared", "B-2", "11000.00")
    ]
    code, out, _ = run_cli("replay", str(log), "--format", "html")
    assert code == 0
    page = out.decode()
    assert page.startswith("<!doctype html>") and "SE-extension" in page and "11000.00" in page


async def test_the_state_as_of_a_past_instant_is_rebuilt(tmp_path: Path) -> None:
    log, live = await _auction(tmp_path)
    closes = draft_for("SE").closes_at
    code, out, _ = run_cli("replay", str(log), "--as-of", (closes - timedelta(minutes=1)).isoformat())
    assert code == 0
    past = json.loads(out)
    # A minute before the scheduled close only the first two bids had come in.
    assert past["status"] == "open" and past["price"] == "10000.00" and past["winner"] is None
    assert past["leader"] == "B-1" and len(past["bids"]) == 2 and not past["ended"]


def _lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _write(log: Path, events: list[dict]) -> Path:
    bad = log.with_name("tampered.jsonl")
    bad.write_text("".join(json.dumps(e) + "\n" for e in events))
    return bad


def _amount_changed(events: list[dict]) -> int:
    target = next(e for e in events if e["type"] == "BidAccepted")
    target["data"]["amount"] = "9000.00"
    return target["position"]


def _event_deleted(events: list[dict]) -> int:
    index = next(i for i, e in enumerate(events) if e["type"] == "BidRejected")
    del events[index]
    return events[index]["position"]


def _events_swapped(events: list[dict]) -> int:
    i = next(i for i, e in enumerate(events) if e["type"] == "BidAccepted")
    events[i], events[i + 1] = events[i + 1], events[i]
    return events[i]["position"]


def _time_shifted(events: list[dict]) -> int:
    target = next(e for e in events if e["type"] == "BiddingClosed")
    target["recorded_at"] = target["recorded_at"].replace(":00.000000", ":01.000000", 1)
    return target["position"]


@pytest.mark.parametrize("tamper", [_amount_changed, _event_deleted, _events_swapped, _time_shifted])
async def test_a_tampered_log_is_refused_naming_the_first_bad_event(tmp_path: Path, tamper) -> None:  # type: ignore[no-untyped-def]
    log, _ = await _auction(tmp_path)
    events = _lines(log)
    first_bad = tamper(events)
    code, out, err = run_cli("replay", str(_write(log, events)))
    assert code == 1
    assert out == b""
    assert f"position {first_bad}" in err and len(err.strip().splitlines()) == 1


async def test_the_bidders_copy_names_no_one(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    code, out, _ = run_cli("replay", str(log), "--anonymise")
    assert code == 0
    text = out.decode()
    for person in ("anna", "bertil", "cecilia"):
        assert person not in text
    assert "B-2" in text


# ------------------------------------------------------------------ receipts against the log


def _receipts(signer: ReceiptSigner, events: list[dict]) -> list[dict]:
    """What the server signed for each accepted bid of the log (engine.app.handlers.place_bid)."""
    return [
        signer.sign(
            {
                "auction": "a-1",
                "bidder_code": e["data"]["bidder_code"],
                "amount": e["data"]["amount"],
                "position": e["version"],
                "received_at": e["data"]["at"],
            }
        )
        for e in events
        if e["type"] == "BidAccepted"
    ]


def _json_file(path: Path, value: object) -> str:
    path.write_text(json.dumps(value))
    return str(path)


async def test_receipts_of_every_accepted_bid_match_the_whole_log(tmp_path: Path) -> None:
    log, live = await _auction(tmp_path)
    signer = server_signer(tmp_path)
    first, last = _receipts(signer, _lines(log))
    answer = {"amount": last["amount"], "position": last["position"], "receipt": last}  # a bid's 201 answer
    code, out, err = run_cli(
        "replay",
        str(log),
        "--receipt",
        _json_file(tmp_path / "first.json", first),
        "--receipt",
        _json_file(tmp_path / "answers.json", [answer]),
        "--public-key",
        signer.public_key_b64,
    )
    assert code == 0, err
    assert timeless(json.loads(out)) == timeless(live)
    assert "2 receipt(s) matched" in err


async def test_a_log_cut_after_an_acknowledged_bid_verifies_alone_but_not_against_its_receipt(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    events = _lines(log)
    signer = server_signer(tmp_path)
    receipt = _json_file(tmp_path / "receipt.json", _receipts(signer, events)[-1])
    cut_at = next(i for i, e in enumerate(events) if e["type"] == "BidAccepted" and e["data"]["amount"] == "11000.00")
    cut = _write(log, events[:cut_at])  # the tail from the last accepted bid on is gone

    code, _, err = run_cli("replay", str(cut))
    assert code == 0, "the hash chain alone cannot tell a cut tail"
    code, out, err = run_cli("replay", str(cut), "--receipt", receipt, "--public-key", signer.public_key_b64)
    assert code == 1 and out == b""
    assert "receipt.json" in err and "events are missing" in err
    assert f"ends at position {events[cut_at - 1]['version']}" in err
    assert len(err.strip().splitlines()) == 1


async def test_a_receipt_naming_another_event_or_altered_or_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    events = _lines(log)
    (tmp_path / "server").mkdir()
    (tmp_path / "other").mkdir()
    signer = server_signer(tmp_path / "server")
    other = server_signer(tmp_path / "other")
    genuine = _receipts(signer, events)[0]
    refused = next(e for e in events if e["type"] == "BidRejected")
    cases = {
        "elsewhere": (
            signer.sign({**{k: genuine[k] for k in SIGNED_FIELDS}, "position": refused["version"]}),
            "not the accepted bid",
        ),
        "higher": (
            signer.sign({**{k: genuine[k] for k in SIGNED_FIELDS}, "amount": "10000.01"}),
            "not the accepted bid",
        ),
        "altered": ({**genuine, "amount": "10000.01"}, "receipt NOT valid"),
        "foreign": (other.sign({k: genuine[k] for k in SIGNED_FIELDS}), "receipt NOT valid"),
    }
    for name, (receipt, reason) in cases.items():
        path = _json_file(tmp_path / f"{name}.json", receipt)
        code, out, err = run_cli("replay", str(log), "--receipt", path, "--public-key", signer.public_key_b64)
        assert code == 1 and out == b"", name
        assert f"{name}.json" in err and reason in err and len(err.strip().splitlines()) == 1, (name, err)


async def test_a_receipt_file_that_is_not_a_receipt_exits_2_with_one_line(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    key = server_signer(tmp_path).public_key_b64
    signer = server_signer(tmp_path)
    genuine = _receipts(signer, _lines(log))[0]
    odd = {
        "broken.json": "{",
        "number.json": "42",
        "empty.json": "[]",
        "bare.json": "{}",
        "unsigned.json": json.dumps({k: genuine[k] for k in SIGNED_FIELDS}),
        "true-position.json": json.dumps(signer.sign({**{k: genuine[k] for k in SIGNED_FIELDS}, "position": True})),
        "listed-auction.json": json.dumps(signer.sign({**{k: genuine[k] for k in SIGNED_FIELDS}, "auction": ["a-1"]})),
        "missing.json": None,
    }
    (tmp_path / "a-file").write_text("")
    for name, text in {**odd, "a-file/under.json": None}.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        code, out, err = run_cli("replay", str(log), "--receipt", str(path), "--public-key", key)
        assert code == 2 and out == b"", (name, err)
        assert name in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


async def test_receipts_are_checked_only_against_a_given_readable_key_else_exit_2(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    signer = server_signer(tmp_path)
    receipt = _json_file(tmp_path / "receipt.json", _receipts(signer, _lines(log))[0])
    garbled_pem = tmp_path / "garbled.pem"
    garbled_pem.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    not_text = tmp_path / "binary.key"
    not_text.write_bytes(b"\xff\xfe\x00key")
    cases = {
        "no key": ("--receipt", receipt),  # the receipt's own key would let anyone sign one
        "key alone": ("--public-key", signer.public_key_b64),
        "garbled PEM": ("--receipt", receipt, "--public-key", str(garbled_pem)),
        "binary file": ("--receipt", receipt, "--public-key", str(not_text)),
        "short key": ("--receipt", receipt, "--public-key", "c2hvcnQ"),
    }
    for case, args in cases.items():
        code, out, err = run_cli("replay", str(log), *args)
        assert code == 2 and out == b"", case
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (case, err)
    code, _, err = run_cli("verify-receipt", receipt, "--public-key", str(garbled_pem))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    code, _, err = run_cli("verify-receipt", receipt, "--public-key", str(tmp_path / "server.pem"))
    assert code == 2 and "no such file" in err, err
    code, out, err = run_cli("verify-receipt", receipt)  # valid, but only against the key it carries
    assert code == 0 and "receipt valid" in out.decode() and "not who signed it" in err
