"""One broken file in the persona library is listed with its message; every other persona stays
usable on the Personas and Runs pages (and the strict library still refuses it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import SHIPPED_PERSONAS, page
from workbench.library import Library, LibraryError


@pytest.fixture
def broken_library(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the shipped library with one persona file broken; (root, its persona id)."""
    root = tmp_path / "personas"
    shutil.copytree(SHIPPED_PERSONAS, root)
    victim = sorted((root / "personas").rglob("*.yaml"))[0]
    victim.write_text("id: " + victim.stem + "\nscenario: [not, a, scenario\n")
    return root, victim.stem


def test_lenient_library_keeps_the_rest(broken_library) -> None:
    root, broken = broken_library
    with pytest.raises(LibraryError):
        Library(root).personas()
    lenient = Library(root, lenient=True)
    personas = lenient.personas()
    assert broken not in personas and len(personas) == len(Library(SHIPPED_PERSONAS).personas()) - 1
    assert [p.path.stem for p in lenient.problems] == [broken]
    lenient.resolve(next(iter(personas)))  # the others resolve as before


def test_personas_and_runs_pages_list_the_problem_and_stay_usable(app_env, empty_store,
                                                                  monkeypatch,
                                                                  broken_library) -> None:
    root, broken = broken_library
    app_env(empty_store)
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(root))
    at = AppTest.from_file(page("personas"), default_timeout=60).run()
    assert not at.exception and not at.error
    assert "1 problem(s) in the library" in at.expander[0].label
    assert broken in at.code[0].value
    assert len(at.dataframe[0].value) > 0 and broken not in set(at.dataframe[0].value["persona"])
    runs = AppTest.from_file(page("runs"), default_timeout=60).run()
    assert not runs.exception and not runs.error
    assert any("left out" in w.value for w in runs.warning)


def test_trainer_leaves_the_broken_persona_out_and_offers_the_rest(app_env, empty_store,
                                                                   monkeypatch,
                                                                   broken_library) -> None:
    root, broken = broken_library
    app_env(empty_store, annotator="alice")
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(root))
    at = AppTest.from_file(page("trainer"), default_timeout=60).run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning if "left out" in w.value] == [
        "1 file(s) of the persona library have problems and are left out; the Personas page "
        "lists them."]
    offered = set()
    for scenario in at.selectbox(key="trainer_scenario").options:
        at.selectbox(key="trainer_scenario").set_value(scenario).run()
        offered |= set(at.selectbox(key="trainer_persona").options)
    assert broken not in offered and offered == set(Library(root, lenient=True).personas())
