"""What the Runs page shows besides its widgets (workbench/views/runs.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.app.conftest import shown
from workbench.backends import BackendError
from workbench.jobs.launch import RunView
from workbench.library.scripts import Script
from workbench.simulate import PlanError
from workbench.views.runs import launch_problem, model_choices, run_size, runs_overview

SCRIPTS = {"ed_intake": Script(id="ed_intake", label="ED intake", scenario="ed_consult",
                               questions=("Hello?",))}


def test_the_default_patient_model_is_offered_and_chosen_even_when_no_host_has_it() -> None:
    choices = model_choices(["ollama/a", "ollama/b"], "ollama/c", SCRIPTS)
    assert choices.patient == ["ollama/a", "ollama/b", "ollama/c"] and choices.patient_index == 2
    assert model_choices(["ollama/a", "ollama/b"], "ollama/b", {}).patient_index == 1
    assert model_choices(["ollama/a"], None, {}).patient_index == 0


def test_nothing_offered_starts_empty_but_scripts_remain_clinicians() -> None:
    choices = model_choices([], None, SCRIPTS)
    assert choices.patient == [] and choices.patient_index is None
    assert choices.clinician == ["scripted/ed_intake"] and choices.clinician_index == 0
    assert choices.label("scripted/ed_intake") == "scripted/ed_intake — ED intake (ed_consult)"
    assert choices.label("ollama/typed") == "ollama/typed"
    assert model_choices([], None, {}).clinician_index is None


def test_the_size_of_the_run() -> None:
    text = shown(run_size(3, 2, ["http://127.0.0.1:11434"]))
    assert text == "3 personas × 2 samples = 6 conversations on http://127.0.0.1:11434."


def test_launch_problems_name_the_widget_or_say_their_own_message() -> None:
    level = PlanError("unknown level 'x'.", field="levels", value="confusion=x")
    assert str(level) == "--level confusion=x: unknown level 'x'."
    assert shown(launch_problem(level)) == "Fixed levels: confusion=x — unknown level 'x'."
    assert shown(launch_problem(BackendError("pull *it*"))) == "pull *it*"


def view(run_id: str, status: str) -> RunView:
    return RunView(id=run_id, name=run_id, status=status, patient_model="m", clinician="c",
                   created_at=datetime.now(UTC), total=1, done=0, failed=0, cancelled=0,
                   turns=0, cancel_requested=False, process="alive")


def test_the_overview_sorts_runs_into_what_the_page_says() -> None:
    runs = [view("r1", "running"), view("r2", "done"), view("r3", "done"),
            *[view(f"c{i}", "cancelled") for i in range(4)], view("f1", "failed")]
    overview = runs_overview(runs, watched=["r2", "r1"])
    assert [v.id for v in overview.active] == ["r1"]
    assert [v.id for v in overview.finished] == ["r2"]  # watched and ended; r1 still runs
    assert [v.id for v in overview.cancelled] == ["c0", "c1", "c2"]  # the newest three
    assert [v.id for v in overview.failed] == ["f1"]
