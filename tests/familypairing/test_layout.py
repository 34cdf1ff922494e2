"""The layout stays readable (issue #12): small modules, no private name used outside its module,
imports at the top of the file. The layers themselves are import-linter contracts in
pyproject.toml (`lint-imports`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "controls", "familypairing")
MAX_LINES = 500
# Imports that must wait inside a function, each commented where it stands.
LAZY_IMPORTS_ALLOWED = 5


def _modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_it_keeps_every_module_under_500_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in [*_modules(), *sorted((ROOT / "bench").rglob("*.py"))]
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_private_name_is_imported_from_another_module():
    crossing = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(APPS):
                crossing += [
                    f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert crossing == []


def test_imports_sit_at_the_top_of_the_file_but_for_a_commented_few():
    lazy = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                lazy += [
                    f"{path.relative_to(ROOT)}:{node.lineno}"
                    for node in ast.walk(function)
                    if isinstance(node, ast.Import | ast.ImportFrom)
                ]
    assert len(lazy) <= LAZY_IMPORTS_ALLOWED, lazy
