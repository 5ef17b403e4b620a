"""`workbench run ...` and `workbench runs ...`: launch, resume, list, show and cancel runs.

A thin layer over :mod:`workbench.simulate`. User errors print one paragraph on stderr, never a
traceback: exit status 2 for a bad invocation (unknown persona or run, malformed option, a remote
host without opt-in), 1 for a problem to fix outside the command (Ollama not running, model not
pulled, broken library file) and for a run that failed or was cancelled.

Heavy modules stay out of this path: the run command imports the backends, the store and the
engine (pydantic, httpx, ollama) and nothing for analysis.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli.errors import fail, user_errors, valid_ids
from workbench.cli.stores import open_store

if TYPE_CHECKING:
    from workbench.simulate import ExecutionProgress, RunSummary

app = typer.Typer(help="List, show and cancel runs.", no_args_is_help=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="SQLite store (default: the store_path setting, $WORKBENCH_STORE).",
                 dir_okay=False),
]


def register(root: typer.Typer) -> None:
    """Add the top-level `workbench run` command to the root app."""
    root.command("run", no_args_is_help=True)(run)


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one paragraph on stderr and an exit status."""
    from workbench.backends import BackendError, NonLoopbackRefused, UnknownBackendSpec
    from workbench.library import LibraryError, LibraryLookupError
    from workbench.simulate import PlanError, RunAborted
    from workbench.store import StoreError, StoreMissing, UnknownRun

    try:
        with user_errors({
            (PlanError, LibraryLookupError, UnknownRun, NonLoopbackRefused, UnknownBackendSpec,
             StoreMissing): 2,
            (BackendError, RunAborted, StoreError): 1,
        }):
            yield
    except LibraryError as exc:  # the other library errors: a list of problems
        typer.echo("error: the persona library has problems:", err=True)
        for line in str(exc).splitlines():
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1) from None


def run(
    run_id: Annotated[str | None, typer.Argument(
        help="Execute this already planned run (the Runs page starts runs this way).",
        show_default=False, callback=valid_ids)] = None,
    personas: Annotated[list[str] | None, typer.Option(
        "--personas", "-p", help="Persona ids or globs such as 'ed_*' (repeat, or comma-separate).",
        metavar="ID_OR_GLOB")] = None,
    scenario: Annotated[str | None, typer.Option(
        help="Only personas of this scenario (e.g. ed_consult).")] = None,
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="Set an axis for every persona that has it, e.g. confusion=high (repeat).",
        metavar="AXIS=LEVEL")] = None,
    patient_model: Annotated[str | None, typer.Option(
        help="Patient backend, e.g. ollama/llama3.2:3b (default: the default_patient_model "
        "setting).")] = None,
    clinician: Annotated[str | None, typer.Option(
        help="Clinician: a model spec, or scripted/<script> (e.g. scripted/ed_intake).")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Conversations per persona.")] = 1,
    max_turns: Annotated[int | None, typer.Option(
        min=1, help="Turn limit (default: the scenario's).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Model calls in flight per host.")] = 4,
    temperature: Annotated[float | None, typer.Option(min=0.0)] = None,
    top_p: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    num_ctx: Annotated[int | None, typer.Option(min=1, help="Context window (Ollama).")] = None,
    num_predict: Annotated[int | None, typer.Option(help="Most tokens per reply.")] = None,
    seed: Annotated[int, typer.Option(help="Base seed; sample i uses seed + i.")] = 0,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", min=0.001, metavar="SECONDS",
        help="Seconds to wait for one model reply before retrying the call (default: the "
        "model_timeout_s setting, 120). With RUN_ID or --resume: overrides the planned "
        "one.")] = None,
    name: Annotated[str | None, typer.Option(help="A name for the run.")] = None,
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="Ollama host (repeat to spread the run over several; default: the "
        "ollama_hosts setting, $OLLAMA_HOST).", metavar="URL")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow hosts that are not this machine (clinical material "
        "leaves it).")] = False,
    resume: Annotated[str | None, typer.Option(
        "--resume", help="Continue this run's unfinished (pending, running, cancelled) "
        "conversations from their last stored turn.", metavar="RUN_ID",
        callback=valid_ids)] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="With --resume or RUN_ID: also continue failed conversations.")
    ] = False,
    progress: Annotated[bool, typer.Option(
        "--progress/--no-progress", help="Show a progress bar on stderr.")] = True,
    store: StoreOption = None,
) -> None:
    """Run personas against a patient model and a clinician, or execute/resume a planned run.

    Plan and run: workbench run -p 'ed_*' --patient-model ollama/llama3.2:3b
    --clinician scripted/ed_intake --samples 2

    Execute a planned run (what the Runs page starts): workbench run RUN_ID

    Continue after a crash, kill or cancel: workbench run --resume RUN_ID

    Exit status: 0 when the run is done; 1 when it failed or was cancelled, or an outside
    problem stopped it (Ollama not running, model not pulled); 2 for a bad invocation.
    """
    from workbench.settings import load_settings

    settings = load_settings()
    store_path = store or settings.store_path
    remote = allow_remote or settings.allow_remote
    given = [x for x in (run_id, resume, personas) if x]
    if len(given) != 1:
        fail("give exactly one of: --personas (plan and run a new run), a RUN_ID (execute a "
              "planned run) or --resume RUN_ID (continue an interrupted one).", 2)
    with _reported_errors():
        if personas:
            run_id = _plan(
                store_path, personas, scenario=scenario, levels=level or [],
                patient_model=patient_model or settings.default_patient_model,
                clinician=clinician, samples=samples, max_turns=max_turns,
                concurrency=concurrency, seed=seed, name=name,
                hosts=host or settings.ollama_hosts, allow_remote=remote,
                options={"temperature": temperature, "top_p": top_p, "num_ctx": num_ctx,
                         "num_predict": num_predict,
                         "timeout_s": timeout or settings.model_timeout_s},
            )
            host, timeout = None, None  # planned into the run
        summary = _execute(store_path, run_id or resume or "", resume=bool(resume),
                           retry_failed=retry_failed, hosts=host,
                           allow_remote=remote, progress=progress, timeout_s=timeout)
    _print_summary(summary, store_path)
    if summary.status != "done":
        raise typer.Exit(1)


def _plan(store_path: Path, patterns: list[str], *, scenario: str | None, levels: list[str],
          patient_model: str, clinician: str | None, samples: int, max_turns: int | None,
          concurrency: int, seed: int, name: str | None, hosts: list[str],
          allow_remote: bool, options: dict[str, object]) -> str:
    """Check everything, then write the run; return its id."""
    from workbench.backends import ChatOptions
    from workbench.library import Library
    from workbench.settings import load_settings
    from workbench import simulate
    from workbench.simulate import PlanError, RunConfig, parse_levels, select_personas

    if not patient_model:
        raise PlanError("none is given; give a model spec such as ollama/llama3.2:3b.",
                        field="patient_model", command_line="--patient-model is needed, e.g. "
                        "--patient-model ollama/llama3.2:3b (or set a default patient model on "
                        "the Settings page).")
    if not clinician:
        raise PlanError("none is given; give a model such as ollama/llama3.2:3b, or a script "
                        "such as scripted/ed_intake.", field="clinician", command_line=
                        "--clinician is needed: a model such as ollama/llama3.2:3b, or a script "
                        "such as scripted/ed_intake.")
    library = Library(load_settings().personas_dir)
    config = RunConfig(
        personas=select_personas(library, patterns, scenario=scenario),
        levels=parse_levels(levels),
        patient_model=patient_model, clinician=clinician, samples=samples, seed=seed,
        max_turns=max_turns, concurrency=concurrency, hosts=hosts, allow_remote=allow_remote,
        options=ChatOptions.model_validate({k: v for k, v in options.items() if v is not None}),
    )
    config = simulate.check_run(library, config)  # every check before the store is touched
    with open_store(store_path, create=True) as db:
        record = simulate.plan_run(db, library, config, name=name or None)
    n = len(config.personas)
    typer.echo(f"Run {record.id}: {n * samples} conversations ({n} personas × {samples} "
               f"samples), patient {patient_model}, clinician {clinician}.")
    return record.id


def _execute(store_path: Path, run_id: str, *, resume: bool, retry_failed: bool,
             hosts: list[str] | None, allow_remote: bool, progress: bool,
             timeout_s: float | None) -> RunSummary:
    from workbench.simulate import execute_run

    bar = _ProgressBar(run_id) if progress else None
    try:
        return asyncio.run(execute_run(
            store_path, run_id, on_progress=bar.update if bar else None, hosts=hosts,
            allow_remote=allow_remote, resume=resume, retry_failed=retry_failed,
            timeout_s=timeout_s,
        ))
    except KeyboardInterrupt:
        fail(f"interrupted; unfinished conversations are marked cancelled. Continue with "
              f"`workbench run --resume {run_id}`.", 1)
    finally:
        if bar is not None:
            bar.close()


class _ProgressBar:
    """A tqdm bar over conversations, redrawn at most ten times a second."""

    def __init__(self, run_id: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(desc=run_id, unit="conv", file=sys.stderr, dynamic_ncols=True,
                         mininterval=0.1, disable=None)  # None: off when stderr is not a tty
        self._next = 0.0

    def update(self, p: ExecutionProgress) -> None:
        # Called after every turn: keep it to a clock read unless a redraw is due.
        now = time.monotonic()
        if now < self._next and p.finished < p.total:
            return
        self._next = now + 0.1
        if self._bar.total != p.total:
            self._bar.reset(total=p.total)
        self._bar.n = p.finished
        self._bar.set_postfix_str(f"turns={p.turns} failed={p.failed}", refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _print_summary(summary: RunSummary, store_path: Path) -> None:
    """The run as a whole (a resume handles only part of it), then what this execution did."""
    with open_store(store_path) as db:
        whole = db.run_progress(summary.run_id)
    c, p = whole.counts, summary.progress
    typer.echo(f"Run {summary.run_id} {summary.status}: {c['done']} done, {c['failed']} failed, "
               f"{c['cancelled']} cancelled of {whole.total_conversations} conversations; "
               f"{whole.total_turns} turns stored ({p.turns} new in {summary.elapsed_s:.1f} s).")
    for host, reason in summary.dropped_hosts:
        typer.echo(f"Host {host} was taken out of the run (its conversations went on on the "
                   f"other hosts): {reason}", err=True)
    if summary.message:
        typer.echo(summary.message, err=True)
    if c["failed"]:
        typer.echo(f"Failure reasons: `workbench runs show {summary.run_id}`"
                   + (f"; try them again with `workbench run --resume {summary.run_id} "
                      "--retry-failed`." if summary.status != "cancelled" else "."))
    if summary.status == "cancelled":
        typer.echo(f"Continue it with `workbench run --resume {summary.run_id}`.")


@app.command("list")
def list_runs(store: StoreOption = None) -> None:
    """List runs, newest first, with their progress."""
    with _reported_errors(), open_store(store) as db:
        runs = db.list_runs()
        if not runs:
            typer.echo("No runs yet. Start one with `workbench run --personas ...`.")
            return
        for record in runs:
            prog = db.run_progress(record.id)
            counts = ", ".join(f"{n} {s}" for s, n in prog.counts.items() if n)
            typer.echo(f"{record.id}  {record.status:<9}  {prog.finished}/"
                       f"{prog.total_conversations} conv  {prog.total_turns} turns  "
                       f"{record.name}  ({counts or 'empty'})")


@app.command("show")
def show_run(run_id: Annotated[str, typer.Argument(help="The run.", callback=valid_ids)],
             store: StoreOption = None) -> None:
    """Show a run: its make-up, progress and the reasons of failed conversations."""
    with _reported_errors(), open_store(store) as db:
        record = db.get_run(run_id)
        prog = db.run_progress(run_id)
        failed = db.conversations_of_run(run_id, statuses=["failed"])
    cfg = record.config
    finished = f", finished {record.finished_at:%Y-%m-%d %H:%M:%S}" if record.finished_at else ""
    typer.echo(f"Run {record.id}: {record.name}")
    typer.echo(f"  status        {record.status} (created {record.created_at:%Y-%m-%d %H:%M:%S}"
               f"{finished}){' — cancel requested' if record.cancel_requested else ''}")
    if record.owner and record.heartbeat_at:
        from workbench.store.timestamps import utc_now

        age = (utc_now() - record.heartbeat_at).total_seconds()
        typer.echo(f"  executed by   {record.owner} (last heartbeat {age:.0f} s ago)")
    typer.echo(f"  patient       {record.patient_model}")
    typer.echo(f"  clinician     {record.clinician}")
    typer.echo(f"  personas      {', '.join(cfg.get('personas', []))}")
    typer.echo(f"  samples       {cfg.get('samples')}, seed {cfg.get('seed')}, max turns "
               f"{cfg.get('max_turns') or 'per scenario'}, concurrency {cfg.get('concurrency')}")
    options = {k: v for k, v in (cfg.get("options") or {}).items() if v is not None}
    typer.echo(f"  options       {', '.join(f'{k}={v}' for k, v in options.items()) or '-'}")
    typer.echo(f"  hosts         {', '.join(cfg.get('hosts') or []) or 'default'}")
    typer.echo("  conversations " + ", ".join(f"{n} {s}" for s, n in prog.counts.items())
               + f"; {prog.total_turns} turns")
    for conv in failed:
        typer.echo(f"  failed {conv.id} ({conv.persona_id}): {conv.failure_reason}")


@app.command("cancel")
def cancel_run(run_id: Annotated[str, typer.Argument(help="The run.", callback=valid_ids)],
               store: StoreOption = None) -> None:
    """Ask a run to stop: its process marks unfinished conversations cancelled within a second."""
    with _reported_errors(), open_store(store) as db:
        record = db.get_run(run_id)
        if record.status in ("done", "failed", "cancelled"):
            typer.echo(f"Run {run_id} is already {record.status}; nothing to cancel.")
            return
        db.request_cancel(run_id)
    typer.echo(f"Cancel requested for run {run_id}; it stops within a second. Continue it "
               f"later with `workbench run --resume {run_id}`.")
