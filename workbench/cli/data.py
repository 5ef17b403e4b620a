"""`workbench export` and `workbench import ...`: transcripts out and back in, real conversations in.

A thin layer over :mod:`workbench.io`. A malformed file prints one line per problem (file, line or
row, field) and exits with status 1; a bad invocation (unknown run, bad --map, unknown format)
exits with status 2. A failed import writes nothing.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import user_errors, valid_ids
from workbench.cli.stores import open_store

import_app = typer.Typer(
    help="Import exported transcripts, or real conversations as a reference corpus.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="SQLite store (default: the store_path setting, $WORKBENCH_STORE).",
                 dir_okay=False),
]


class ExportFormat(enum.StrEnum):
    """File formats of `workbench export`."""

    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class ReferenceFormat(enum.StrEnum):
    """File formats of `workbench import reference`."""

    jsonl = "jsonl"
    csv = "csv"


def register(root: typer.Typer) -> None:
    """Add `workbench export` and the `workbench import` group to the root app."""
    root.command("export", no_args_is_help=True)(export)
    root.add_typer(import_app, name="import")


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    """The errors a user can cause, as lines on stderr and an exit status."""
    from workbench.io import ExportPathError, ImportFileError
    from workbench.store import StoreError, StoreMissing, UnknownRun

    with user_errors({(UnknownRun, StoreMissing): 2,
                      (ImportFileError, ExportPathError, StoreError): 1, ValueError: 2}):
        yield


def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl, csv or parquet.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.", dir_okay=False)],
    run: Annotated[list[str] | None, typer.Option(
        "--run", help="Only this run (repeat for several; default: every conversation).",
        metavar="RUN_ID", callback=valid_ids)] = None,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Only this source: simulated or reference:<corpus> (repeatable).")] = None,
    neutralise: Annotated[bool, typer.Option(
        "--neutralise/--no-neutralise", help="CSV: prefix ' to text cells starting with = + - @ "
        "tab or CR, so a spreadsheet shows them instead of running them as formulas (the CSV "
        "import takes the quote off again).")] = True,
    store: StoreOption = None,
) -> None:
    """Export transcripts with their annotations, persona and metadata.

    JSONL holds one conversation per line in the OpenAI chat shape from the patient's point of
    view (system = patient prompt, user = clinician, assistant = patient; each message also says
    its speaker). CSV and Parquet hold one row per turn. CSV cells that a spreadsheet would run
    as formulas get a leading ' unless --no-neutralise.
    """
    from workbench.io import export_transcripts

    with _reported_errors(), open_store(store) as db:
        count = export_transcripts(db, out, fmt.value, runs=run or [], sources=source or [],
                                   neutralise=neutralise)
    typer.echo(f"Exported {count} conversations to {out} ({fmt.value}).")


@import_app.command("transcripts", no_args_is_help=True)
def import_transcripts(
    path: Annotated[Path, typer.Argument(help="A file written by `workbench export`.",
                                         dir_okay=False)],
    fmt: Annotated[ExportFormat | None, typer.Option(
        "--format", help="jsonl, csv or parquet (default: from the suffix).")] = None,
    store: StoreOption = None,
) -> None:
    """Import an exported file back: the same conversations, turns, annotations and persona."""
    from workbench.io import import_transcripts as run_import

    with _reported_errors(), open_store(store, create=True) as db:
        summary = run_import(db, path, fmt.value if fmt else None)
    typer.echo(f"Imported {summary.conversations} conversations, {summary.turns} turns and "
               f"{summary.annotations} annotation values from {path}.")


@import_app.command("reference", no_args_is_help=True)
def import_reference(
    path: Annotated[Path, typer.Argument(help="JSONL (one conversation per line, with "
                                         "utterances) or CSV (conversation, speaker, text).",
                                         dir_okay=False)],
    name: Annotated[str, typer.Option("--name", help="Corpus name (letters, digits, _ . -).")],
    speaker_map: Annotated[list[str] | None, typer.Option(
        "--map", help="Map a speaker label to a side: LABEL=patient or LABEL=clinician "
        "(repeatable).", metavar="LABEL=SIDE")] = None,
    description: Annotated[str, typer.Option(help="What the corpus is.")] = "",
    licence: Annotated[str, typer.Option(help="Licence and attribution.")] = "",
    fmt: Annotated[ReferenceFormat | None, typer.Option(
        "--format", help="jsonl or csv (default: from the suffix).")] = None,
    store: StoreOption = None,
) -> None:
    """Import real conversations as a named reference corpus (all or nothing).

    doctor, clinician, counsellor, counselor and therapist are the clinician; patient and client
    the patient. Any other label must be mapped with --map, or the import stops and lists them.
    """
    from workbench.io import import_reference as run_import
    from workbench.io import parse_speaker_map

    with _reported_errors():
        mapping = parse_speaker_map(speaker_map or [])
        with open_store(store, create=True) as db:
            summary = run_import(db, path, name, mapping, description=description,
                                 licence=licence, fmt=fmt.value if fmt else None)
    typer.echo(f"Imported {summary.conversations} conversations ({summary.turns} turns) from "
               f"{path} as reference corpus {name!r} (source reference:{name}).")
