"""Encode and decode per event, the codec of an earlier commit beside the current one.

    .venv/bin/python benchmarks/codec.py [--before REV] [--number N] [--repeat R]

``--before`` defaults to the commit before the last one that changed
engine/codec.py. That commit's engine/events.py and engine/codec.py are taken
from git into a temporary directory and imported under other names (the earlier
codec reading the earlier events); both codecs then encode and decode the same
BidAccepted and AuctionScheduled, and must give the same payloads. Each figure
is the best of R runs of N calls, in nanoseconds per call.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import codec, events  # noqa: E402

AT = datetime(2026, 4, 2, 9, 0, 2, 123456, tzinfo=UTC)
FIELDS: dict[str, dict[str, Any]] = {
    "BidAccepted": {"at": AT, "bidder_code": "B-7", "amount": 80_150_00, "automatic": False},
    "AuctionScheduled": {
        "at": AT, "auction_id": "a-1", "country": "BG", "title": "Apartment, Sofia", "asset": "immovable",
        "value": 100_000_00, "currency": "EUR", "starting_price": 80_000_00, "increment": 500_00,
        "opens_at": AT + timedelta(days=1), "closes_at": AT + timedelta(days=8), "round": 1,
        "deposit_required": 10_000_00, "deposit_due": AT + timedelta(days=7), "rules_version": "BG-2026-1",
    },
}  # fmt: skip


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def default_before() -> str:
    last = git("rev-list", "-1", "HEAD", "--", "engine/codec.py").strip()
    return git("rev-parse", f"{last}~1").strip()


def load_before(rev: str, folder: Path) -> tuple[ModuleType, ModuleType]:
    """The events and codec of ``rev``, as modules ``before_events`` and ``before_codec``."""
    (folder / "before_events.py").write_text(git("show", f"{rev}:engine/events.py"))
    source = git("show", f"{rev}:engine/codec.py")
    if "from engine import events as ev" not in source:
        raise SystemExit(f"{rev}: engine/codec.py does not import the events as this script expects")
    before = source.replace("from engine import events as ev", "import before_events as ev")
    (folder / "before_codec.py").write_text(before)
    sys.path.insert(0, str(folder))
    return importlib.import_module("before_events"), importlib.import_module("before_codec")


def per_call(call: Callable[[], object], number: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--before", default=None, help="the earlier commit (default: before the last change to engine/codec.py)"
    )
    parser.add_argument("--number", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if args.number < 1 or args.repeat < 1:
        parser.error("--number and --repeat must be at least 1")
    rev = args.before or default_before()
    with tempfile.TemporaryDirectory() as folder:
        before_events, before_codec = load_before(rev, Path(folder))
        short = git("rev-parse", "--short", rev).strip()
        print(f"codec at {short} (before) and in the working tree (after), ns per call")
        print(f"{'event':<18} {'call':<7} {'before':>8} {'after':>8} {'after/before':>13}")
        for type_name, fields in FIELDS.items():
            old_event = before_events.EVENT_TYPES[type_name](**fields)
            new_event = events.EVENT_TYPES[type_name](**fields)
            old_payload, new_payload = before_codec.encode(old_event), codec.encode(new_event)
            if old_payload != new_payload or list(old_payload[1]) != list(new_payload[1]):
                raise SystemExit(f"{type_name}: the two codecs write different payloads:\n{old_payload}\n{new_payload}")
            if codec.decode(*old_payload) != new_event:
                raise SystemExit(f"{type_name}: the current codec does not read the earlier payload back")
            calls: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
                "encode": (partial(before_codec.encode, old_event), partial(codec.encode, new_event)),
                "decode": (partial(before_codec.decode, *old_payload), partial(codec.decode, *new_payload)),
            }
            for call, (old, new) in calls.items():
                before, after = per_call(old, args.number, args.repeat), per_call(new, args.number, args.repeat)
                print(f"{type_name:<18} {call:<7} {before:>8.0f} {after:>8.0f} {after / before:>13.2f}")


if __name__ == "__main__":
    main()
