"""`workbench twins make|run|compare`: digital twins of real conversations.

``make`` extracts twins of an imported corpus's conversations with a model and writes them to
the persona library; ``run`` replays their real clinician (``replay/<corpus>``) against a patient
model; ``compare`` prints the matched comparison of a twin run. ``--json`` prints the result as
JSON on stdout (messages go to stderr). Exit status 2 for a bad invocation, 1 for a problem to fix
outside the command, and 1 from ``make`` when some conversation got no twin.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import fail
from workbench.cli.runs import StoreOption, _execute, _reported_errors

app = typer.Typer(help="Digital twins of real conversations: make, run, compare.",
                  no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
HostOption = Annotated[list[str] | None, typer.Option(
    "--host", help="Ollama host (default: the ollama_hosts setting, $OLLAMA_HOST).",
    metavar="URL")]
RemoteOption = Annotated[bool, typer.Option(
    "--allow-remote", help="Allow hosts that are not this machine (clinical material leaves "
    "it).")]


@app.command("make", no_args_is_help=True)
def make(
    corpus: Annotated[str, typer.Option(help="The imported reference corpus.")],
    model: Annotated[str | None, typer.Option(
        help="Extraction backend, e.g. ollama/llama3.2:3b (default: the default_patient_model "
        "setting).")] = None,
    conversation: Annotated[list[str] | None, typer.Option(
        "--conversation", help="Only this conversation (its original id; repeat).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N conversations.")
                     ] = None,
    scenario: Annotated[str, typer.Option(help="Scenario of the twin personas.")] = "ed_consult",
    overwrite: Annotated[bool, typer.Option(help="Replace twins already written.")] = False,
    host: HostOption = None,
    allow_remote: RemoteOption = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Extract a twin of each conversation of a corpus and save it to the persona library.

    Every twin is a profile (profiles/ed/twin_<corpus>_<conversation>.yaml) holding only what
    the real patient said, and a persona of it. A reply that cannot be read fails that
    conversation alone, with its reason.
    """
    from workbench.backends import get_backend
    from workbench.library import Library
    from workbench.settings import load_settings
    from workbench.store import Store
    from workbench.twins import ExtractionError, TwinOutcome, make_twins

    settings = load_settings()
    spec = model or settings.default_patient_model
    if not spec:
        fail("--model is needed, e.g. --model ollama/llama3.2:3b", 2)

    def report(outcome: TwinOutcome) -> None:
        if as_json:
            return
        if outcome.error:
            typer.echo(f"{outcome.conversation}: no twin: {outcome.error}", err=True)
        else:
            typer.echo(f"{outcome.conversation}: {outcome.persona_id} ({outcome.facts} facts)")
        for note in outcome.notes:
            typer.echo(f"  note: {note}", err=True)

    from workbench.analysis.samples import UnknownReference

    with _reported_errors():
        try:
            backend = get_backend(spec, hosts=host or settings.ollama_hosts,
                                  allow_remote=allow_remote or settings.allow_remote)
            with Store(store or settings.store_path) as db:
                outcomes = asyncio.run(make_twins(
                    db, Library(settings.personas_dir), corpus, backend,
                    conversations=conversation, limit=limit, scenario=scenario,
                    overwrite=overwrite, on_done=report))
        except (ExtractionError, UnknownReference) as exc:
            fail(str(exc), 2)
    made = sum(o.error is None for o in outcomes)
    if as_json:
        typer.echo(json.dumps([o.model_dump(mode="json") for o in outcomes], indent=2))
    else:
        typer.echo(f"{made} of {len(outcomes)} twins made; run them with "
                   f"`workbench twins run --corpus {corpus} --patient-model MODEL`.")
    if made < len(outcomes):
        raise typer.Exit(1)


@app.command("run", no_args_is_help=True)
def run(
    corpus: Annotated[str, typer.Option(help="The corpus whose twins to run.")],
    patient_model: Annotated[str | None, typer.Option(
        help="Patient backend (default: the default_patient_model setting).")] = None,
    personas: Annotated[list[str] | None, typer.Option(
        "--personas", "-p", help="Twin persona ids or globs (default: every twin of the "
        "corpus).")] = None,
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="Vary an axis on top of the twins, e.g. confusion=high (repeat).",
        metavar="AXIS=LEVEL")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Conversations per twin.")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed; sample i uses seed + i.")] = 0,
    temperature: Annotated[float | None, typer.Option(min=0.0)] = None,
    name: Annotated[str | None, typer.Option(help="A name for the run.")] = None,
    host: HostOption = None,
    allow_remote: RemoteOption = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Run a corpus's twins against a patient model, the real clinician replayed verbatim.

    An ordinary run (clinician replay/<corpus>): resumable with `workbench run --resume`.
    """
    from workbench.backends import ChatOptions
    from workbench.library import Library
    from workbench.settings import load_settings
    from workbench.simulate import RunConfig, parse_levels, plan_checked_run
    from workbench.store import Store
    from workbench.twins import twin_ids

    settings = load_settings()
    store_path = store or settings.store_path
    spec = patient_model or settings.default_patient_model
    if not spec:
        fail("--patient-model is needed, e.g. --patient-model ollama/llama3.2:3b", 2)
    with _reported_errors():
        config = RunConfig(
            personas=personas or [f"{twin_ids(corpus, '')}_*"], levels=parse_levels(level or []),
            patient_model=spec, clinician=f"replay/{corpus}", samples=samples, seed=seed,
            hosts=host or settings.ollama_hosts, allow_remote=allow_remote or settings.allow_remote,
            options=ChatOptions(temperature=temperature, timeout_s=settings.model_timeout_s))
        with Store(store_path) as db:
            record = plan_checked_run(db, Library(settings.personas_dir), config, name=name)
        if not as_json:
            typer.echo(f"Run {record.id}: twins of {corpus}, patient {spec}, clinician "
                       f"replay/{corpus}.")
        summary = _execute(store_path, record.id, resume=False, retry_failed=False, hosts=None,
                           allow_remote=config.allow_remote, progress=not as_json,
                           timeout_s=None)  # the planned timeout
    if as_json:
        typer.echo(json.dumps({"run_id": record.id, "status": summary.status,
                               "done": summary.progress.done, "failed": summary.progress.failed,
                               "turns": summary.progress.turns, "message": summary.message}))
    else:
        typer.echo(f"Run {record.id} {summary.status}; compare it with "
                   f"`workbench twins compare {record.id}`.")
    if summary.status != "done":
        raise typer.Exit(1)


@app.command("compare", no_args_is_help=True)
def compare(
    run_id: Annotated[str, typer.Argument(help="A twin run.")],
    model: Annotated[str | None, typer.Option(
        help="Embedding model (default: all-MiniLM-L6-v2).")] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """The matched comparison of a twin run: similarity per exchange against the shuffled
    baseline, length ratio, facts disclosed, C2ST with its halves yardstick, tells per side."""
    from workbench.analysis.embeddings import ModelUnavailable
    from workbench.analysis.matched import compare_run
    from workbench.settings import load_settings
    from workbench.store import Store

    with _reported_errors(), Store(store or load_settings().store_path) as db:
        try:
            report, notes = compare_run(db, run_id, model)
        except ValueError as exc:
            fail(str(exc), 2)
        except ModelUnavailable as exc:
            fail(str(exc), 1)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_report(report)


def _print_report(report: object) -> None:
    from workbench.views.twins import summary_lines

    for line in summary_lines(report):  # type: ignore[arg-type]
        typer.echo(line)


