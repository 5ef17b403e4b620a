"""Fixtures: a fresh store on a temp file, personas, and conversations with turns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.store.factories import make_resolved_persona
from workbench.domain.prompts import ResolvedPersona
from workbench.store import Store


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where the test's store file lives."""
    return tmp_path / "store.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    """A new, empty store on a temp file."""
    with Store(store_path) as opened:
        yield opened


@pytest.fixture
def persona() -> Callable[..., ResolvedPersona]:
    """Build a resolved persona with chosen levels."""
    return make_resolved_persona
