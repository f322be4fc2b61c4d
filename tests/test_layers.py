"""The packages import one way only: core <- verifier <- solver <- cli / training (the solver never imports
training). Read from the source, imports inside functions included, so a hidden cycle cannot come back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAY_IMPORT = {
    "core": {"core"},
    "verifier": {"core", "verifier"},
    "solver": {"core", "verifier", "solver"},
    "training": {"core", "verifier", "solver", "training"},
    "report": {"core", "verifier", "solver", "report"},
    "cli": {"core", "verifier", "solver", "training", "report", "cli"},
}


def _minos_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        found |= {n.split(".")[1] for n in names if n.startswith("minos.") and n.count(".") >= 1}
    return found


@pytest.mark.parametrize("package", list(MAY_IMPORT))
def test_imports_run_one_way(package):
    wrong = {
        f"{path.relative_to(ROOT)} imports minos.{layer}"
        for path in (ROOT / package).rglob("*.py")
        for layer in _minos_imports(path) - MAY_IMPORT[package]
    }
    assert not wrong, sorted(wrong)
