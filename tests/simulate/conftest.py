"""Fixtures for the simulation tests: a copy of the persona library, a temp store, test servers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import dead_url, make_server
from workbench.domain.transcript import Transcript
from workbench.library import Library
from workbench.simulate import RunConfig, plan_run, select_personas
from workbench.store import Store

PROJECT_PERSONAS = Path(__file__).resolve().parents[2] / "personas"
MODEL = "ollama/llama3.2:1b"

__all__ = ["dead_url", "make_server"]  # shared fixtures, used by this package's tests

REASSURE_SCRIPT = """\
id: reassure
label: Reassuring interviewer (tests)
scenario: ed_consult
questions:
  - "Don't worry, you're safe here. Can you tell me your name?"
  - "Take your time, there's no rush. What brought you in?"
  - "It's okay, we're here with you. When did it start?"
  - "You are in the hospital and you're safe. Where does it hurt?"
  - "Don't worry. Have you had anything like this before?"
  - "Take your time. Who is at home with you?"
"""


@pytest.fixture(scope="session")
def library_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped persona library plus test-only scripts, in a temp folder."""
    root = tmp_path_factory.mktemp("library") / "personas"
    shutil.copytree(PROJECT_PERSONAS, root)
    (root / "scripts" / "reassure.yaml").write_text(REASSURE_SCRIPT)
    return root


@pytest.fixture
def library(library_root: Path) -> Library:
    """The test library."""
    return Library(library_root)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A fresh store file."""
    return tmp_path / "store.db"


@pytest.fixture
def plan(store_path: Path, library: Library) -> Callable[..., str]:
    """Plan a run in the temp store; keyword arguments are ``RunConfig`` fields."""

    def make(**fields: Any) -> str:
        fields.setdefault("patient_model", MODEL)
        fields.setdefault("clinician", MODEL)
        with Store(store_path) as store:
            return plan_run(store, library, RunConfig(**fields)).id

    return make


def six_personas(library: Library) -> list[str]:
    """The first six ED personas: the usual cast of an engine test."""
    return select_personas(library, ["ed_*"])[:6]


def transcripts(store_path: Path, run_id: str) -> list[Transcript]:
    """Every conversation of a run with its turns."""
    with Store(store_path) as store:
        return store.conversations_of_run(run_id, with_turns=True)


def assert_well_formed(conv: Transcript) -> None:
    """Turns contiguous from 0, sides alternating from the clinician, ended by a rule."""
    assert [t.index for t in conv.turns] == list(range(len(conv.turns))), conv.id
    roles = [t.role for t in conv.turns]
    assert roles == [("clinician", "patient")[i % 2] for i in range(len(roles))], conv.id
    plan = conv.metadata["plan"]
    ended = conv.turns[-1].state.get("ended_by")
    assert ended in {"marker", "limit", "script"}, (conv.id, conv.turns[-1].state)
    if ended == "limit":
        assert len(conv.turns) == plan["max_turns"]
    elif ended == "marker":
        assert conv.turns[-1].role == "clinician" and len(conv.turns) <= plan["max_turns"]
    assert all("ended_by" not in t.state for t in conv.turns[:-1]), conv.id
