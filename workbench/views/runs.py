"""What the Runs page shows besides its widgets: the models it offers, the size of the run being
set up, its messages, and planning errors named by the page's own widgets.

Nothing here imports the engine: the page imports it when a run is launched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from workbench.backends import BackendError, ChatOptions
from workbench.jobs.launch import read_log_tail
from workbench.library import LibraryError
from workbench.store import StoreError
from workbench.views.messages import plan_problem
from workbench.views.transcript_view import inert_markdown

if TYPE_CHECKING:
    from pathlib import Path

    from workbench.jobs.launch import LaunchedRun, RunView
    from workbench.library.scripts import Script
    from workbench.settings import Settings
    from workbench.simulate import RunConfig

RUN_FIELDS: dict[str, str] = {"personas": "Personas", "levels": "Fixed levels",
                              "patient_model": "Patient model", "clinician": "Clinician"}
"""The Runs page's name for each input a planning error can be about (``PlanError.field``)."""

PATIENT_HELP = (
    "Listed from the configured Ollama host(s), then the embedded local/smollm2; type any "
    "spec such as ollama/<model>, openai/<model>@<base_url> or local/<path>.gguf.")
PATIENT_PLACEHOLDER = "Type a model spec, e.g. ollama/llama3.2:1b"
CLINICIAN_HELP = "A model, or a scripted interviewer (fixed questions, the same for every patient)."


class ModelChoices(NamedTuple):
    """The options of the patient and clinician boxes, and which each starts on."""

    patient: list[str]
    patient_index: int | None
    """None: the box starts empty (nothing offered); a spec can still be typed."""
    clinician: list[str]
    clinician_index: int | None
    labels: dict[str, str]
    """A scripted clinician's spec → its label (id, title and scenario)."""

    def label(self, spec: str) -> str:
        """How the clinician box shows an option (a typed spec as typed)."""
        return self.labels.get(spec, spec)


def model_choices(models: Sequence[str], default: str | None,
                  scripts: Mapping[str, Script]) -> ModelChoices:
    """The patient box offers the hosts' models and the settings' default (even when no host
    has it), starting on the default; the clinician box offers the models, then the scripts.

    Args:
        models: Model specs the hosts offer, in the order to list them.
        default: The settings' default patient model, if any.
        scripts: The library's clinician scripts by id.
    """
    patient = [*models, *([default] if default and default not in models else [])]
    index = patient.index(default) if default in patient else (0 if models else None)
    labels = {f"scripted/{sid}": f"scripted/{sid} — {s.label} ({s.scenario})"
              for sid, s in scripts.items()}
    clinician = [*models, *labels]
    return ModelChoices(patient, index, clinician, 0 if clinician else None, labels)


def run_size(personas: int, samples: int, hosts: Sequence[str]) -> str:
    """``3 personas × 2 samples = 6 conversations on <hosts>.`` (inert)."""
    return (f"{personas} personas × {samples} samples = {personas * samples} conversations on "
            f"{inert_markdown(', '.join(hosts))}.")


def run_config(settings: Settings, personas: list[str], patient: str, clinician: str, *,
               samples: int, max_turns: int | None, concurrency: int, seed: int,
               temperature: float) -> RunConfig:
    """The run the form describes, on the settings' hosts, remote opt-in and model timeout."""
    from workbench.simulate import RunConfig  # the engine: imported when a run is launched

    return RunConfig(personas=personas, patient_model=patient, clinician=clinician,
                     samples=samples, max_turns=max_turns, concurrency=concurrency, seed=seed,
                     hosts=settings.ollama_hosts, allow_remote=settings.allow_remote,
                     options=ChatOptions(temperature=temperature,
                                         timeout_s=settings.model_timeout_s))


def launch_errors() -> tuple[type[Exception], ...]:
    """The errors a launch reports as the user's to fix (anything else is a programming error).
    A function, so that the engine is imported only when a launch raised."""
    from workbench.simulate import PlanError

    return PlanError, LibraryError, BackendError, StoreError


def launch_problem(exc: Exception) -> str:
    """Why a run could not start, in the page's words (inert): a planning error names the
    page's widget (:data:`RUN_FIELDS`), any other error says its own message."""
    from workbench.simulate import PlanError  # imported by the launch that raised it

    if isinstance(exc, PlanError):
        return plan_problem(exc, RUN_FIELDS)
    return inert_markdown(str(exc))


def launched_message(what: str, launched: LaunchedRun) -> str:
    """The note after a launch: which run, where its log is, that it outlives the tab."""
    return inert_markdown(f"{what} {launched.run_id} started in the background (log: "
                          f"{launched.log_path}). It goes on if you close this tab.")


def stalled_message(run: RunView) -> str:
    """A run that no process executes any more (inert); its log's tail follows it."""
    return inert_markdown(f"Run {run.id} stopped before the run finished: no process is "
                          "executing it (it stopped or was killed). Its log ends with:")


def resume_help(run: RunView) -> str:
    """What the Resume button does (inert)."""
    return inert_markdown(f"Continue run {run.id} from the last stored turn of each unfinished "
                          "conversation.")


def failure_log(store_path: Path, run: RunView) -> str:
    """The tail of a failed run's log, or where to look when the app did not start it."""
    return read_log_tail(store_path, run.id) or f"No log: see `workbench runs show {run.id}`."


class RunsOverview(NamedTuple):
    """The runs the page says something about, beyond the table."""

    active: list[RunView]
    finished: list[RunView]
    """Runs started in this browser session that have ended."""
    cancelled: list[RunView]
    """The three newest cancelled runs (each offered a resume)."""
    failed: list[RunView]
    """The three newest failed runs (each with its log's tail)."""


def runs_overview(runs: Sequence[RunView], watched: Sequence[str]) -> RunsOverview:
    """Sort the newest-first runs into what the page shows about them."""
    return RunsOverview(active=[v for v in runs if v.active],
                        finished=[v for v in runs if v.id in watched and not v.active],
                        cancelled=[v for v in runs if v.status == "cancelled"][:3],
                        failed=[v for v in runs if v.status == "failed"][:3])
