"""`workbench metrics diversity|realism|arcs|questionnaire`: command-line twins of the Metrics page.

A thin layer over :mod:`workbench.analysis.reports`. Every figure is printed with its interval
and one-line definition; realism figures beside their yardsticks. ``--json`` prints the report
model. User errors print one line on stderr and exit 2 (unknown run, corpus, grouping or axis;
too few turns, with how many are needed); exit 1 when the store or the embedding model fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from workbench.cli.errors import valid_ids
from workbench.cli.progress import step_bar

app = typer.Typer(
    help="Diversity of runs' patient turns and their realism against a reference corpus.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="SQLite store (default: the store_path setting, "
                 "$WORKBENCH_STORE).", dir_okay=False),
]
RunOption = Annotated[list[str] | None, typer.Option(
    "--run", "-r", help="Run id to measure (repeat for several; mix freely with --corpus).",
    metavar="RUN")]
CorpusOption = Annotated[list[str] | None, typer.Option(
    "--corpus", "-c", help="Imported corpus to measure (repeat for several; mix freely with "
    "--run).", metavar="NAME")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
EmbedOption = Annotated[bool, typer.Option(
    "--embed/--no-embed", help="Compute the embedding metrics (Vendi, Fréchet) when the model "
    "or cached vectors are available.")]
ResamplesOption = Annotated[int | None, typer.Option(
    "--resamples", min=1, help="Replicates per interval (default: each metric's own).")]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    from workbench.analysis.embeddings import ModelUnavailable
    from workbench.store import StoreError, UnknownRun

    try:
        yield
    except (UnknownRun, ValueError) as exc:  # UnknownReference, TooFewTurns are ValueErrors
        _fail(str(exc), 2)
    except (ModelUnavailable, StoreError) as exc:
        _fail(str(exc), 1)


def _store_path(store: Path | None) -> Path:
    from workbench.settings import load_settings

    return store or load_settings().store_path


def _resampling(resamples: int | None):
    from workbench.analysis.bootstrap import Resampling

    return None if resamples is None else Resampling(n_resamples=resamples)


def _print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    columns = list(dict.fromkeys(k for row in rows for k in row))
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        typer.echo("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


ProgressOption = Annotated[bool, typer.Option(
    "--progress/--no-progress", help="Show a progress bar on stderr: each step with its counts "
    "and the time left (off when stderr is not a terminal).")]


@app.command("diversity")
def diversity(
    run: RunOption = None,
    corpus: CorpusOption = None,
    by: Annotated[str, typer.Option(
        "--by", help="Group by run (each run or corpus), persona, model or level:<axis>.")] = "run",
    reference: Annotated[str | None, typer.Option(
        "--reference", help="A real corpus measured at the same size, shown beside the "
        "groups.")] = None,
    size: Annotated[int | None, typer.Option(
        "--size", min=2, help="Patient turns sampled per group (default: the smallest group's, "
        "at most 2,000).")] = None,
    embed: EmbedOption = True,
    resamples: ResamplesOption = None,
    as_json: JsonOption = False,
    progress: ProgressOption = True,
    store: StoreOption = None,
) -> None:
    """Diversity of runs' or corpora's patient turns at one sample size: distinct-1/2,
    self-BLEU-3, MTLD, Vendi, first turns; a real corpus beside them."""
    from workbench.analysis import reports
    from workbench.store import Store

    with _reported_errors(), Store(_store_path(store), create=False) as opened, \
            step_bar("diversity", progress and not as_json) as tell:
        report = reports.diversity_report(opened, run or [], corpora=corpus or [], by=by,
                                          reference=reference, size=size, embed=embed,
                                          resampling=_resampling(resamples), on_progress=tell)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"Diversity of {reports.sample_label(report.runs, report.corpora)} by {report.by}, "
               f"each group on {report.size:,} sampled patient turns ({report.first_turn_size:,} "
               "first turns); value [95% interval]:")
    _print_table(reports.diversity_rows(report))
    for label, n in report.too_small.items():
        typer.echo(f"left out: {label} has {n} patient turns (fewer than {report.size})")
    for reason in report.skipped.values():
        typer.echo(reason)
    typer.echo("\nDefinitions (first_turn_*: the same over each conversation's first patient turn; "
               "see docs/METRICS.md):")
    for metric, definition in report.definitions.items():
        typer.echo(f"  {metric}: {definition}")


@app.command("arcs")
def arcs(
    run: RunOption = None,
    corpus: CorpusOption = None,
    by: Annotated[str, typer.Option(
        "--by", help="Group by run, persona, model or level:<axis> (e.g. level:arc).")] = "run",
    reference: Annotated[list[str] | None, typer.Option(
        "--reference", help="Real corpus measured as the yardstick (repeat).")] = None,
    resamples: ResamplesOption = None,
    as_json: JsonOption = False,
    progress: ProgressOption = True,
    store: StoreOption = None,
) -> None:
    """Emotional arcs of patient turns: how early the affect resolves, how often it does not,
    how many distinct arc shapes appear; real corpora beside them."""
    from workbench.store import Store
    from workbench.views.arcs import arc_results, arc_rows

    with _reported_errors(), Store(_store_path(store)) as opened, \
            step_bar("arcs", progress and not as_json) as tell:
        results = arc_results(opened, run or [], corpus or [], by=by,
                              references=reference or [], resampling=_resampling(resamples),
                              on_progress=tell)
    if as_json:
        typer.echo(results.model_dump_json(indent=2))
        return
    typer.echo(f"Arcs by {results.by} (per-turn affect: VADER compound; see docs/METRICS.md):")
    _print_table(arc_rows(results))


@app.command("realism")
def realism(
    reference: Annotated[str, typer.Option("--reference", help="Reference corpus name.")],
    run: RunOption = None,
    corpus: CorpusOption = None,
    second_reference: Annotated[str | None, typer.Option(
        "--second-reference", help="A second real corpus: a real-against-real yardstick.")] = None,
    cap: Annotated[int | None, typer.Option(
        "--cap", min=10, help="Most patient turns per side of the two-sample tests (default "
        "2,000).")] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Telling n-grams printed per side.")] = 10,
    embed: EmbedOption = True,
    resamples: ResamplesOption = None,
    as_json: JsonOption = False,
    progress: ProgressOption = True,
    store: StoreOption = None,
) -> None:
    """Realism of runs' or corpora's patient turns against a reference corpus, beside
    yardsticks: content and style two-sample tests, Fréchet, turn lengths, LLM tells."""
    from workbench.analysis import reports
    from workbench.store import Store

    with _reported_errors(), Store(_store_path(store), create=False) as opened, \
            step_bar("realism", progress and not as_json) as tell:
        report = reports.realism_report(
            opened, run or [], reference, corpora=corpus or [], second_reference=second_reference,
            cap=cap, embed=embed, resampling=_resampling(resamples), on_progress=tell)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"Realism of {reports.sample_label(report.runs, report.corpora)} "
               f"({report.n_simulated_turns:,} patient turns) against {report.reference} "
               f"({report.n_reference_turns:,}); value [95% interval] and n per side, beside its "
               f"yardsticks (two-sample tests: at most {report.cap:,} turns a side):")
    _print_table([{k: v for k, v in row.items() if k != "definition"}
                  for row in reports.realism_rows(report)])
    second = f"{report.reference} against {report.second_reference}" if report.second_reference \
        else "none: give --second-reference"
    typer.echo(f"reference halves: the metric between two random halves of {report.reference} "
               f"(by conversation); between real corpora: {second}")
    for reason in report.skipped.values():
        typer.echo(reason)
    for metric, rows in reports.telling_ngrams(report).items():
        typer.echo(f"\nTelling n-grams of {metric} (logistic-regression weight toward the side):")
        for side in ("measured", "reference"):
            grams = [f"{r['ngram']} ({r['weight']})" for r in rows if r["side"] == side][:top]
            typer.echo(f"  {side}: {', '.join(grams)}")
    typer.echo("\nLLM tells (share of patient turns; 'on real text' says when a real corpus "
               "shows the tell too):")
    _print_table([{k: v for k, v in row.items() if k != "what"}
                  for row in reports.tell_rows(report)])
    typer.echo("\nDefinitions (see docs/METRICS.md):")
    for r in report.results:
        typer.echo(f"  {r.metric}: {r.definition}")


@app.command("questionnaire", no_args_is_help=True)
def questionnaire(
    conversation: Annotated[str, typer.Option(
        "--conversation", "-c", help="A simulated conversation's id.", metavar="ID",
        callback=valid_ids)],
    instrument: Annotated[str, typer.Option(
        "--instrument", help="phq9, gad7 or mini_ipip.")] = "phq9",
    model: Annotated[str | None, typer.Option(
        "--model", "-m", help="Patient model spec (default: the conversation's own patient "
        "model; a bare name means ollama/NAME).", metavar="SPEC")] = None,
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="Ollama host (default: the ollama_hosts setting, $OLLAMA_HOST).",
        metavar="URL")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow hosts that are not this machine (clinical material "
        "leaves it).")] = False,
    as_json: JsonOption = False,
    progress: ProgressOption = True,
    store: StoreOption = None,
) -> None:
    """Questionnaire fidelity: the conversation's simulated patient answers the PHQ-9, GAD-7 or
    Mini-IPIP in character; per-item error and severity band (Mini-IPIP: per-factor score error
    and level) against the persona's intended answers."""
    import asyncio

    from workbench.analysis.questionnaire_fidelity import INSTRUMENTS, questionnaire_fidelity
    from workbench.backends import BackendError, get_backend
    from workbench.cli.errors import fail, user_errors
    from workbench.settings import load_settings
    from workbench.store import Store, StoreError, UnknownConversation

    if instrument not in INSTRUMENTS:
        fail(f"--instrument takes {' or '.join(INSTRUMENTS)}, got {instrument!r}", 2)
    settings = load_settings()

    async def measure(opened: Store, tell):
        spec = model or opened.get_transcript(conversation).patient_model
        if not spec:
            fail(f"conversation {conversation} has no patient model; give --model", 2)
        backend = get_backend(spec if "/" in spec else f"ollama/{spec}",
                              hosts=host or settings.ollama_hosts,
                              allow_remote=allow_remote or settings.allow_remote)
        try:
            return await questionnaire_fidelity(opened, conversation, backend, instrument,
                                                on_progress=tell)
        finally:
            await backend.aclose()

    # UnknownBackendSpec is a ValueError: a bad spec is a bad invocation (2).
    with user_errors({(UnknownConversation, ValueError): 2, (BackendError, StoreError): 1}), \
            Store(_store_path(store), create=False) as opened, \
            step_bar(instrument, progress and not as_json) as tell:
        result = asyncio.run(measure(opened, tell))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(f"{instrument} answered in character after {conversation} "
               "(answer, intended, |error|):")
    _print_table([{"item": i + 1, "answer": "?" if a is None else a, "intended": want,
                   "error": "?" if e is None else e}
                  for i, (a, want, e) in enumerate(zip(result.answers, result.intended,
                                                       result.abs_errors))])
    mae = "n/a" if result.mean_abs_error is None else f"{result.mean_abs_error:.2f}"
    if result.factors is not None:
        typer.echo(f"mean absolute error {mae}; per factor (score answered, intended, |error|; "
                   "level answered, intended, agree):")
        _print_table([{"factor": f.factor, "score": _or_unknown(f.answered_score),
                       "intended": f.intended_score, "error": _or_unknown(f.score_error),
                       "level": _or_unknown(f.answered_level), "intended level": f.intended_level,
                       "agree": _or_unknown(f.level_agrees)} for f in result.factors])
        return
    answered = result.answered_band or "n/a (an item had no clear answer)"
    typer.echo(f"mean absolute error {mae}; band answered {answered}, intended "
               f"{result.intended_band}; agree: "
               f"{'n/a' if result.band_agrees is None else result.band_agrees}")


def _or_unknown(value: object) -> object:
    """``?`` for a figure that is missing because an item had no clear answer."""
    return "?" if value is None else value
