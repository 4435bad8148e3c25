"""Settings: an unknown AUCTION_* variable stops the start-up in one line (exit 2); the test suite's
AUCTION_TEST_* variables are exempt; every setting and every AUCTION_* name the repository uses is
documented in docs/settings.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from api import cli
from api.settings import PREFIX, TEST_PREFIX, Settings, UnknownSetting, check_environment
from tests.e2e.support import auction_command

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "settings.md"
_NAME = re.compile(r"\bAUCTION_[A-Z0-9_]*[A-Z0-9]\b")


def test_an_unknown_variable_is_refused_naming_it() -> None:
    with pytest.raises(UnknownSetting, match="AUCTION_DATABSE_URL"):
        check_environment({"AUCTION_DATABSE_URL": "sqlite:///typo.db", "PATH": "/bin"})
    with pytest.raises(UnknownSetting, match="auction_bogus"):
        check_environment({"auction_bogus": "1"})  # read case-insensitively, as the settings are


def test_settings_and_test_variables_are_accepted() -> None:
    check_environment({"AUCTION_SECRET": "x", "auction_port": "1", "AUCTION_TEST_POSTGRES_URL": "postgresql://"})
    check_environment({"AUCTIONEER": "1", "MY_AUCTION_X": "1"})  # not the prefix


def test_serve_with_an_unknown_variable_exits_2_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUCTION_WS_QUEUE", "10")
    import api.server

    monkeypatch.setattr(api.server, "run", lambda settings: pytest.fail("the server started"))
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AUCTION_WS_QUEUE" in err and "Traceback" not in err


def test_the_server_process_refuses_to_start(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "AUCTION_LOG_LEVL": "debug"}
    done = subprocess.run(
        auction_command() + ["serve", "--port", "1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "auction: invalid settings: unknown setting AUCTION_LOG_LEVL in the environment (see docs/settings.md)"
    )
    assert list(tmp_path.iterdir()) == []


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUCTION_LOG_FORMAT", "text")
    monkeypatch.setenv("AUCTION_METRICS", "false")
    monkeypatch.setenv("AUCTION_READY_MAX_LAG", "5")
    settings = Settings()
    assert (settings.log_format, settings.metrics, settings.ready_max_lag) == ("text", False, 5)
    monkeypatch.setenv("AUCTION_LOG_FORMAT", "xml")
    with pytest.raises(ValueError):
        Settings()


def _documented() -> set[str]:
    """The variables of the tables' rows in docs/settings.md (the first cell of each)."""
    return {row.group(1) for row in re.finditer(r"^\| `(AUCTION_[A-Z0-9_]+)` \|", DOCS.read_text(), re.MULTILINE)}


def test_every_setting_is_documented() -> None:
    documented = _documented()
    missing = {PREFIX + name.upper() for name in Settings.model_fields} - documented
    assert not missing, f"docs/settings.md lacks {sorted(missing)}"
    unknown = {name for name in documented if not name.startswith(TEST_PREFIX)} - {
        PREFIX + name.upper() for name in Settings.model_fields
    }
    assert not unknown, f"docs/settings.md documents settings that do not exist: {sorted(unknown)}"


def _files_naming_variables() -> list[Path]:
    places = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / ".ci" / "run"]
    for folder in ("scripts", "benchmarks", "tests"):
        places += sorted(p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".sh", ".md", ".json", ""))
    skipped = {Path(__file__).resolve(), DOCS.resolve()}  # their names are checked above, examples of typos too
    return [p for p in places if p.is_file() and p.resolve() not in skipped]


def test_every_variable_the_repository_sets_is_a_setting_or_a_test_variable() -> None:
    """So that no script, benchmark, test or page sets a variable the server would now refuse."""
    settings = {PREFIX + name.upper() for name in Settings.model_fields}
    wrong: dict[str, str] = {}
    for path in _files_naming_variables():
        for name in _NAME.findall(path.read_text(errors="replace")):
            if name not in settings and not name.startswith(TEST_PREFIX):
                wrong[name] = str(path.relative_to(ROOT))
    assert not wrong, wrong
