"""Shared paths and libraries for the persona-library tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.library import Library
from workbench.settings import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
FIXTURE_LIBRARY = HERE / "fixture_library"
"""A minimal valid library written for these tests (not the shipped one)."""
BROKEN = HERE / "broken"
"""Deliberately broken files, one fault each, checked against FIXTURE_LIBRARY."""
SHIPPED = PROJECT_ROOT / "personas"
"""The library the project ships."""


@pytest.fixture
def fixture_library() -> Library:
    """The fixture library, read-only."""
    return Library(FIXTURE_LIBRARY)


@pytest.fixture
def tmp_library(tmp_path: Path) -> Library:
    """A writable copy of the fixture library."""
    root = tmp_path / "personas"
    shutil.copytree(FIXTURE_LIBRARY, root)
    return Library(root)
