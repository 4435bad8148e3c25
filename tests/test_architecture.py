"""Dependencies point inward: the import contracts in pyproject.toml hold.

The layers (``api`` → ``engine.app`` → ``engine.service`` | ``projections`` →
``engine.store``), the pure domain core, an application layer with no HTTP in
it, read models and an audit tool that never reach the application, routes and
a command line that only translate, and one composition root (``api.bootstrap``).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts)} kept, 0 broken" in result.stdout, result.stdout


def test_every_layer_boundary_has_a_contract() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    assert [layer.replace(" ", "") for layer in layers["layers"]] == [
        "api",
        "engine.app",
        "engine.service|projections",
        "engine.store",
    ]
    sources = {module for c in contracts if c["type"] == "forbidden" for module in c["source_modules"]}
    assert {
        "engine.model",
        "engine.decider",
        "rules",
        "engine.app",
        "projections",
        "projections.audit",
        "api.cli",
    } <= sources
    assert {"api.routes.auctions", "api.routes.bidding", "api.routes.bids"} <= sources
    (root,) = [c for c in contracts if c["type"] == "protected"]
    assert root["protected_modules"] == ["api.bootstrap"]
