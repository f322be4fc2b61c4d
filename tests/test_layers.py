"""The packages import one way only: core <- generators <- verifier <- solver <- cli, and training <- core,
generators, verifier; nothing but cli imports cli or training. Read from the source, imports inside functions
included, so a hidden cycle cannot come back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAY_IMPORT = {
    "core": {"core"},
    "generators": {"core", "generators"},
    "verifier": {"core", "generators", "verifier"},
    "solver": {"core", "generators", "verifier", "solver"},
    "training": {"core", "generators", "verifier", "training"},
    "report": {"core", "generators", "verifier", "solver", "report"},
    "cli": {"core", "generators", "verifier", "solver", "training", "report", "cli"},
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


def test_every_package_is_in_the_layer_table():
    """A new top-level package has to take its place in the order above (pyproject maps each to a folder)."""
    import tomllib

    folders = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    assert set(folders.values()) - {"minos"} == set(MAY_IMPORT)
