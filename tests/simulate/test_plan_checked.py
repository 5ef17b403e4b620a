"""`plan_checked_run`: the one sequence of checks before a run is written, for every entry point."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.simulate.conftest import MODEL
from tests.support import OllamaTestServer
from workbench import simulate
from workbench.jobs import launch
from workbench.backends import BackendError
from workbench.cli import app
from workbench.library import Library, LibraryLookupError
from workbench.simulate import PlanError, RunConfig, plan_checked_run
from workbench.store import Store

ED = ["ed_mi_01-impatient-C-low-normal", "ed_uti_02-plain-B-high-high"]


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"personas": ["ed_mi_01-plain"]}, PlanError, "Close matches: ed_mi_01-"),
    ({"levels": {"confusion": "dazed"}}, PlanError, "unknown level 'dazed'"),
    ({"clinician": "scripted/cbt_intake"}, PlanError, "--scenario cbt_session"),
    ({"clinician": "scripted/nope"}, LibraryLookupError, "unknown script 'nope'"),
    ({"patient_model": "ollama/mistral:7b"}, BackendError, "ollama pull mistral:7b"),
])
def test_each_check_names_the_problem_and_writes_nothing(
    change: dict[str, Any], error: type[Exception], message: str, library: Library,
    store_path: Path, make_server: Callable[..., OllamaTestServer],
) -> None:
    fields: dict[str, Any] = {"personas": ED, "patient_model": MODEL,
                              "clinician": "scripted/ed_intake",
                              "hosts": [make_server().url], **change}
    with Store(store_path) as store, pytest.raises(error, match=message):
        plan_checked_run(store, library, RunConfig(**fields))
    with Store(store_path) as store:
        assert store.list_runs() == []


def test_a_sound_run_is_written_with_its_conversations(
    library: Library, store_path: Path, make_server: Callable[..., OllamaTestServer],
) -> None:
    config = RunConfig(personas=ED, patient_model=MODEL, clinician="scripted/ed_intake",
                       samples=2, hosts=[make_server().url])
    with Store(store_path) as store:
        run = plan_checked_run(store, library, config, name="pilot")
        assert run.name == "pilot"
        assert store.run_progress(run.id).total_conversations == 4


def test_the_command_line_and_the_runs_page_plan_through_it(
    library: Library, library_root: Path, store_path: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[RunConfig] = []

    def spy(library: Library, config: RunConfig) -> Any:
        calls.append(config)
        raise PlanError("stopped by the test")

    monkeypatch.setattr(simulate, "check_run", spy)
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(library_root))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "no-settings.json"))
    result = CliRunner().invoke(app, ["run", "-p", "ed_mi_01-*", "--patient-model", MODEL,
                                      "--clinician", "scripted/ed_intake", "--store",
                                      str(store_path), "--level", "confusion=high"])
    assert result.exit_code == 2 and "stopped by the test" in result.stderr
    assert calls[0].levels == {"confusion": "high"} and calls[0].personas[0].startswith("ed_mi_01")

    with pytest.raises(PlanError, match="stopped by the test"):
        launch.plan_and_launch(store_path, library, RunConfig(
            personas=ED, patient_model=MODEL, clinician="scripted/ed_intake"))
    assert len(calls) == 2 and calls[1].personas == ED
    assert not hasattr(launch, "check_run")  # one sequence of checks, not two
    assert not store_path.exists()  # nothing was created before the checks passed
