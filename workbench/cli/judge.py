"""`workbench judge`: an LLM judge scores a run's conversations on a rubric.

A thin layer over :func:`workbench.analysis.judge.judge_run`. Exit status 2 for a bad invocation
(unknown run or rubric, malformed model spec); 1 for a problem outside the command (model server
not running, model not pulled, remote host refused, invalid rubric file, store).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import user_errors


def judge(
    run: Annotated[str, typer.Option("--run", "-r", help="Run id to judge.", metavar="RUN")],
    rubric: Annotated[str, typer.Option(
        "--rubric", help="Rubric id (a file under personas/rubrics/).", metavar="ID")],
    model: Annotated[str, typer.Option(
        "--model", "-m", help="Judge model spec, e.g. ollama/llama3.2:3b (a bare name means "
        "ollama/NAME).", metavar="SPEC")],
    concurrency: Annotated[int, typer.Option(min=1, help="Model calls in flight.")] = 4,
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="Ollama host (repeat for several; default: the ollama_hosts setting, "
        "$OLLAMA_HOST).", metavar="URL")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow hosts that are not this machine (clinical material "
        "leaves it).")] = False,
    progress: Annotated[bool, typer.Option(
        "--progress/--no-progress", help="Show a progress bar (counts and time left) on stderr.")] = True,
    store: Annotated[Path | None, typer.Option(
        "--store", help="SQLite store (default: the store_path setting, $WORKBENCH_STORE).",
        dir_okay=False)] = None,
) -> None:
    """Score a run's done conversations on a rubric's conversation ratings and labels with a
    model; values are stored as annotations by judge:<model>. Conversations this judge already
    scored are skipped, so re-running continues an interrupted judge run.

    Example:  workbench judge --run r-20261126-021530-ab12 --rubric persona_fidelity
    --model ollama/llama3.2:3b
    """
    from workbench.analysis.judge import judge_run
    from workbench.backends import BackendError, UnknownBackendSpec
    from workbench.library import LibraryError, LibraryLookupError
    from workbench.settings import load_settings
    from workbench.store import StoreError, UnknownRun

    settings = load_settings()
    spec = model if "/" in model else f"ollama/{model}"

    from workbench.cli.progress import CountBar

    bar = CountBar(f"judging {run}", "conv") if progress else None
    try:
        with user_errors({(UnknownRun, LibraryLookupError, UnknownBackendSpec): 2,
                          (BackendError, LibraryError, StoreError): 1}):
            summary = asyncio.run(judge_run(
                store or settings.store_path, run, rubric, spec,
                hosts=host or settings.ollama_hosts,
                allow_remote=allow_remote or settings.allow_remote, concurrency=concurrency,
                personas_root=settings.personas_dir, progress=bar.update if bar else None))
    finally:
        if bar is not None:
            bar.close()
    typer.echo(f"{summary.annotator} on {summary.rubric}, run {summary.run_id}: "
               f"{summary.judged} judged ({summary.values} values), {summary.skipped} skipped "
               f"(already scored), {summary.unscored} without a valid value, {summary.failed} "
               f"failed; {summary.invalid_items} invalid or missing item values skipped.")
