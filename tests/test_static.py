"""The static checks the project keeps at zero findings: ruff over the whole tree and mypy over the
packages (both configured in pyproject.toml), each run from this interpreter, so from the venv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-fix", "--output-format", "concise", ".")
    if result.returncode != 0:
        pytest.fail(f"ruff check reported:\n{result.stdout}{result.stderr}", pytrace=False)


def test_mypy_finds_nothing() -> None:
    result = _run("mypy")
    if result.returncode != 0:
        pytest.fail(f"mypy reported:\n{result.stdout}{result.stderr}", pytrace=False)
