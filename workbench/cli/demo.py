"""`workbench demo`: a small real run, so that a newcomer has transcripts on every page.

Six varied personas × 1 sample with the smallest chat model the configured Ollama offers, as
patient and clinician, else with the embedded model run in this process (see ``workbench.demo``).
Without either it prints how to get a model and exits 1: the demo never shows text that a model
did not write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import user_errors
from workbench.cli.runs import StoreOption
from workbench.cli.stores import open_store


def demo(
    model: Annotated[str | None, typer.Option(
        "--model", help="Use this model (e.g. ollama/llama3.2:1b) instead of the smallest one "
        "installed.", metavar="SPEC")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Start without asking.")] = False,
    max_turns: Annotated[int, typer.Option(
        "--max-turns", min=1, help="Turns per conversation (both sides counted).")] = 10,
    store: StoreOption = None,
) -> None:
    """Run six varied personas × 1 sample with the smallest model your Ollama offers.

    The patient and the clinician are both played by that model; without Ollama, by the
    embedded model (local/smollm2, a tiny SmolLM2-135M run in this process: for trying the
    workbench, not for studying patients). The conversations go to the store like any run's
    (`workbench runs list`, the app's Transcripts page). Exit status 1 when no model can run
    (the message says how to get one).
    """
    from workbench.backends import BackendError
    from workbench.demo import DemoUnavailable, demo_config
    from workbench.views.hosts_status import probe_hosts
    from workbench.library import Library, LibraryError
    from workbench.settings import load_settings
    from workbench.simulate import PlanError, check_run, plan_run
    from workbench.store import StoreError

    settings = load_settings()
    store_path = Path(store or settings.store_path)
    statuses = probe_hosts(settings.ollama_hosts, allow_remote=settings.allow_remote)
    library = Library(settings.personas_dir)
    with user_errors({(DemoUnavailable, LibraryError): 1}):
        plan = demo_config(library.personas(), statuses, model=model,
                           allow_remote=settings.allow_remote, max_turns=max_turns)
    config = plan.config
    where = ", ".join(config.hosts) or "this machine, in this process"
    typer.echo(f"Demo: {len(config.personas)} personas × 1 sample, at most {config.max_turns} "
               f"turns each, on {where}.")
    typer.echo(f"Model (patient and clinician): {plan.model_reason}.")
    if plan.note:
        typer.echo(f"Note: {plan.note}")
    typer.echo("Personas: " + ", ".join(config.personas))
    if not yes and not typer.confirm("Start it?", default=True):
        typer.echo("Not started.")
        raise typer.Exit(0)
    with user_errors({(PlanError, LibraryError, BackendError, StoreError): 1}):
        config = check_run(library, config)  # every check before the store is touched
        with open_store(store_path, create=True) as db:
            record = plan_run(db, library, config, name=plan.name)

    from workbench.cli import runs

    runs.run(run_id=record.id, store=store_path)  # progress bar and summary; exit 1 unless done
    typer.echo("Read the transcripts in the app (`streamlit run workbench/app.py`, Transcripts "
               f"page) or with `workbench runs show {record.id}`.")
