"""House rules that keep the layers honest (DESIGN.md: imports run one way)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _library_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).as_posix() != "app.py")


@pytest.mark.parametrize("path", _library_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_only_app_imports_streamlit(path: Path) -> None:
    streamlit = {m for m in _imported_modules(path) if m == "streamlit" or m.startswith("streamlit.")}
    assert not streamlit, f"{path} imports {streamlit}; only workbench/app.py and pages/ may"


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "domain").rglob("*.py")), ids=lambda p: p.name
)
def test_domain_is_pure(path: Path) -> None:
    outward = {
        m
        for m in _imported_modules(path)
        if m.startswith("workbench.") and not m.startswith("workbench.domain")
    }
    io_modules = {m for m in _imported_modules(path) if m in {"sqlite3", "sqlite_utils", "ollama", "httpx"}}
    assert not outward and not io_modules, f"{path} reaches out of the domain: {outward | io_modules}"


def test_store_is_the_only_sql() -> None:
    offenders = []
    for path in _library_modules():
        if "store" in path.relative_to(PACKAGE).parts:
            continue
        if {"sqlite3", "sqlite_utils"} & _imported_modules(path):
            offenders.append(str(path))
    assert not offenders, f"SQL outside workbench/store/: {offenders}"


ROOT_MODULES = {"__init__", "__main__", "app", "settings", "demo", "serving"}
"""What may sit at the package root: entry points, settings, the demo and serving. Page helpers
live in ``workbench/views/``, file loaders in ``workbench/library/``, detached jobs in
``workbench/jobs/``."""


def test_nothing_loose_at_the_package_root() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")} - ROOT_MODULES
    assert not loose, (f"{sorted(loose)} sit at the package root: page helpers belong in "
                       "workbench/views/, file loaders in workbench/library/")


def test_views_never_import_pages_or_streamlit() -> None:
    for path in sorted((PACKAGE / "views").rglob("*.py")):
        imported = _imported_modules(path)
        assert not {m for m in imported if m.split(".")[0] in {"streamlit", "pages"}}, path
