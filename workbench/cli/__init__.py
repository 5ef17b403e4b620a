"""`workbench ...`: the command line, a thin layer over the library.

Each command group lives in its own module and keeps heavy imports (torch, sentence-transformers,
sklearn) inside the commands that need them, so `workbench --help` and `workbench run` start fast.
"""

from __future__ import annotations

import typer

from workbench.cli import analyze, data, demo, judge, metrics, personas, runs, sessions, twins

app = typer.Typer(
    name="workbench",
    help="Persona Workbench: compose simulated-patient personas, run them on local models, "
    "and judge the transcripts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(personas.app, name="personas")
app.add_typer(runs.app, name="runs")
runs.register(app)
data.register(app)
app.command("demo")(demo.demo)
app.add_typer(analyze.app, name="analyze")
analyze.register(app)
app.add_typer(metrics.app, name="metrics")
app.command("judge")(judge.judge)
app.add_typer(twins.app, name="twins")
app.add_typer(sessions.app, name="sessions")


def main() -> None:
    """Console entry point."""
    app()
