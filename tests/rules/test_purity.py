"""The rules package stays pure: standard library, `holidays` and the engine's model and policy only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import rules

ALLOWED = {"holidays", "engine.model", "engine.policy", "rules"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return True
    return any(module == name or module.startswith(f"{name}.") for name in ALLOWED if name != "engine")


def test_rule_modules_import_only_the_standard_library_holidays_and_the_engine_contract() -> None:
    package = Path(rules.__file__).parent
    offenders = {
        f"{path.name}: {module}"
        for path in sorted(package.glob("*.py"))
        for module in imported_modules(path)
        if not allowed(module)
    }
    assert offenders == set()
