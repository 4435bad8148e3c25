"""Run ``auction simulate`` in process, as the console script would, and read its output."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from api.cli import main


def simulate(scenario: dict[str, Any]) -> tuple[int, dict[str, Any] | None, str]:
    """Returns (exit code, parsed stdout or None, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.json"
        path.write_text(json.dumps(scenario))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["simulate", str(path)])
    text = out.getvalue()
    return code, (json.loads(text) if text.strip() else None), err.getvalue()


def bids_of(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(b["bidder"], b["amount"], b["accepted"]) for b in result["bids"]]
