"""`workbench sessions run|resume|show`: multi-session personas (a series of K runs)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import fail, valid_ids
from workbench.cli.runs import StoreOption, _plan, _reported_errors

app = typer.Typer(help="Multi-session runs: each session remembers the ones before.",
                  no_args_is_help=True)


@app.command("run", no_args_is_help=True)
def run(
    personas: Annotated[list[str], typer.Option(
        "--personas", "-p", help="Persona ids or globs (repeat, or comma-separate).",
        metavar="ID_OR_GLOB")],
    sessions: Annotated[int, typer.Option(min=2, max=20, help="Sessions per persona.")],
    summary_model: Annotated[str, typer.Option(
        help="Model that writes each session's summaries, e.g. ollama/llama3.2:3b.")],
    patient_model: Annotated[str, typer.Option(help="Patient backend spec.")],
    clinician: Annotated[str, typer.Option(help="Clinician: a model spec or scripted/<id>.")],
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="Set an axis for every persona that has it (repeat).",
        metavar="AXIS=LEVEL")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Series per persona.")] = 1,
    max_turns: Annotated[int | None, typer.Option(min=1, help="Turn limit per session.")] = None,
    seed: Annotated[int, typer.Option(help="Base seed.")] = 0,
    name: Annotated[str | None, typer.Option(help="A name for the series.")] = None,
    host: Annotated[list[str] | None, typer.Option("--host", metavar="URL",
                                                   help="Ollama host (repeat).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote")] = False,
    store: StoreOption = None,
) -> None:
    """Plan session 1, then run every session, summarising each before planning the next."""
    from workbench.settings import load_settings
    from workbench.simulate.sessions import start_series
    from workbench.store import Store

    settings = load_settings()
    store_path = store or settings.store_path
    remote = allow_remote or settings.allow_remote
    with _reported_errors():
        run_id = _plan(store_path, personas, scenario=None, levels=level or [],
                       patient_model=patient_model, clinician=clinician, samples=samples,
                       max_turns=max_turns, concurrency=4, seed=seed,
                       name=f"{name or 'series'} · session 1 of {sessions}",
                       hosts=host or settings.ollama_hosts, allow_remote=remote, options={})
        with Store(store_path) as db:
            series = start_series(db, db.get_run(run_id), sessions, summary_model)
        typer.echo(f"Series {series}: {sessions} sessions; resume with "
                   f"`workbench sessions resume {series}`.")
        _run(store_path, series, host, remote)


@app.command("resume", no_args_is_help=True)
def resume(
    series: Annotated[str, typer.Argument(help="Series id (session 1's run id).",
                                          callback=valid_ids)],
    host: Annotated[list[str] | None, typer.Option("--host", metavar="URL")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote")] = False,
    store: StoreOption = None,
) -> None:
    """Continue a series: resume the unfinished session, then summarise and run the rest."""
    from workbench.settings import load_settings

    settings = load_settings()
    with _reported_errors():
        _run(store or settings.store_path, series, host, allow_remote or settings.allow_remote)


@app.command("show", no_args_is_help=True)
def show(
    series: Annotated[str, typer.Argument(help="Series id.", callback=valid_ids)],
    store: StoreOption = None,
) -> None:
    """Print each session's run and status, and the summaries each session started from."""
    from workbench.settings import load_settings
    from workbench.simulate.sessions import series_runs, session_of
    from workbench.store import Store

    with _reported_errors(), Store(store or load_settings().store_path) as db:
        runs = series_runs(db, series)
        if not runs:
            fail(f"no multi-session series {series!r} in the store", 2)
        for number, record in enumerate(runs, 1):
            typer.echo(f"session {number}: run {record.id} ({record.status})")
            for conv in db.conversations_of_run(record.id, with_turns=False):
                info = session_of(conv)
                for s in info.patient_summaries if info else []:
                    typer.echo(f"  {conv.persona_id} · patient's memory of session {s.number}: "
                               f"{s.text}")
                for s in info.clinician_notes if info else []:
                    typer.echo(f"  {conv.persona_id} · clinician's notes of session {s.number}: "
                               f"{s.text}")


def _run(store_path: Path, series: str, hosts: list[str] | None, allow_remote: bool) -> None:
    from workbench.library import Library
    from workbench.settings import load_settings
    from workbench.simulate.sessions import run_series

    library = Library(load_settings().personas_dir)
    try:
        runs = asyncio.run(run_series(
            store_path, library, series, hosts=hosts, allow_remote=allow_remote,
            on_session=lambda n, r: typer.echo(f"session {n}: run {r.id}")))
    except ValueError as exc:
        fail(str(exc), 2)
    done = [r for r in runs if r.status == "done"]
    typer.echo(f"Series {series}: {len(done)} of {len(runs)} planned sessions done.")
    if not runs or runs[-1].status != "done":
        raise typer.Exit(1)
