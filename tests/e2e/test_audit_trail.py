"""An auditor's path: an auction run through the API, its log exported and replayed with the
``auction`` command, edited copies refused, identities only where they belong."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.e2e.support import Server, auction_command, auth

BAILIFF = auth("bailiff", "bailiff-audit")
AUDITOR = auth("auditor", "auditor-audit")
PEOPLE = {"ada": "ada.lovelace@example.test", "bo": "bo.diddley@example.test"}


def replay(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*auction_command(), "replay", str(path), *args], capture_output=True, text=True, timeout=60)


async def test_an_exported_log_replays_to_the_live_report_and_edited_copies_are_refused(
    server: Server, tmp_path: Path
) -> None:
    start = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        body = {
            "country": "SE",
            "title": "Tractor",
            "asset": "movable",
            "value": "90000.00",
            "currency": "SEK",
            "starting_price": "5000.00",
            "opens_at": start.isoformat(),
            "closes_at": (start + timedelta(hours=2)).isoformat(),
        }
        auction = (await client.post("/auctions", json=body, headers=BAILIFF)).json()
        aid = auction["id"]
        heads = {name: auth("bidder", subject) for name, subject in PEOPLE.items()}
        for head in heads.values():
            assert (await client.post(f"/auctions/{aid}/registrations", headers=head)).status_code == 201
        answers = []
        for name, amount in [("ada", "5000.00"), ("bo", "5000.00"), ("bo", "5500.00"), ("ada", "6000.00")]:
            answer = await client.post(f"/auctions/{aid}/bids", json={"amount": amount}, headers=heads[name])
            if answer.status_code == 201:
                answers.append(answer.json())
        public_key = (await client.get("/receipts/public-key")).json()["public_key"]

        forbidden = await client.get(f"/auctions/{aid}/events", headers=heads["ada"])
        assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
        exported = await client.get(f"/auctions/{aid}/events", headers=AUDITOR)
        assert exported.status_code == 200
        full = (await client.get(f"/auctions/{aid}/report", headers=AUDITOR)).json()
        mine = (await client.get(f"/auctions/{aid}/report", headers=heads["bo"])).json()

    log = tmp_path / "log.jsonl"
    log.write_bytes(exported.content)

    # The full report names the bidders; a bidder's copy names no one.
    assert {b["subject"] for b in full["bidders"]} == set(PEOPLE.values())
    assert not any(subject in json.dumps(mine) for subject in PEOPLE.values())

    done = replay(log)
    assert done.returncode == 0, done.stderr
    replayed = json.loads(done.stdout)
    # The log alone holds no readable identity (they are sealed): everything else agrees.
    for key in ("status", "price", "leader", "closes_at", "extensions", "terms", "position", "last_hash"):
        assert replayed[key] == full[key], key
    assert [(b["bidder_code"], b["amount"], b["reason"]) for b in replayed["bids"]] == [
        (b["bidder_code"], b["amount"], b["reason"]) for b in full["bids"]
    ]
    assert [b["reason"] for b in replayed["bids"]] == [None, "bid_too_low", None, None]
    assert not any(subject in done.stdout for subject in PEOPLE.values())

    # The bidders' receipts (their 201 answers) match the whole log; a copy cut after the
    # last bid still verifies by its chain, but not against that bid's receipt.
    receipts = tmp_path / "receipts.json"
    receipts.write_text(json.dumps(answers))
    assert len(answers) == 3
    checked = replay(log, "--receipt", str(receipts), "--public-key", public_key)
    assert checked.returncode == 0 and "3 receipt(s) matched" in checked.stderr, checked.stderr
    lines = exported.content.decode().splitlines()
    last_bid = max(i for i, line in enumerate(lines) if '"BidAccepted"' in line)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:last_bid]) + "\n")
    assert replay(cut).returncode == 0
    refused = replay(cut, "--receipt", str(receipts), "--public-key", public_key)
    assert refused.returncode == 1 and "events are missing" in refused.stderr, refused.stderr

    rows = list(csv.DictReader(io.StringIO(replay(log, "--format", "csv").stdout)))
    assert [r["amount"] for r in rows] == ["5000.00", "5000.00", "5500.00", "6000.00"]
    page = replay(log, "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "6000.00" in page

    lines = exported.content.decode().splitlines()
    bids = [i for i, line in enumerate(lines) if '"BidAccepted"' in line]
    changed = [line.replace('"6000.00"', '"6100.00"') for line in lines]
    deleted = lines[: bids[1]] + lines[bids[1] + 1 :]
    swapped = list(lines)
    swapped[bids[0]], swapped[bids[0] + 1] = swapped[bids[0] + 1], swapped[bids[0]]
    shifted = list(lines)
    event = json.loads(shifted[bids[0]])
    event["recorded_at"] = event["recorded_at"][:-6] + "+01:00"  # same wall clock, another instant
    shifted[bids[0]] = json.dumps(event)
    for name, copy in {"changed": changed, "deleted": deleted, "swapped": swapped, "shifted": shifted}.items():
        edited = tmp_path / f"{name}.jsonl"
        edited.write_text("\n".join(copy) + "\n")
        refused = replay(edited)
        assert refused.returncode == 1, (name, refused.stdout, refused.stderr)
        assert "position" in refused.stderr and refused.stdout == "", name
    assert server.server_errors() == []
