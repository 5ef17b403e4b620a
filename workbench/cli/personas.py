"""`workbench personas ...`: validate the library, write persona grids, list and show personas.

A thin layer over :mod:`workbench.library`. Mistakes a user can make on the command line (an
unknown profile, a malformed ``--level``) print one line on stderr and exit with status 2; an
invalid library prints one line per issue and exits with status 1.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import fail, user_errors
from workbench.library import Library, LibraryError, LibraryLookupError

app = typer.Typer(
    help="Validate the persona library, write persona grids, list and show personas.",
    no_args_is_help=True,
)

CONFIRM_ABOVE = 50
"""Writing more files than this asks for confirmation (unless --yes)."""

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Persona library folder (default: the personas_dir setting, $WORKBENCH_PERSONAS).",
        file_okay=False,
    ),
]
LevelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--level",
        help="Keep only these levels, as axis=level (repeat, or axis=a,b).",
        metavar="AXIS=LEVEL",
    ),
]


class Side(enum.StrEnum):
    """Which system prompt `show` prints."""

    patient = "patient"
    clinician = "clinician"
    both = "both"


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn library errors into messages and exit codes instead of tracebacks."""
    try:
        with user_errors({LibraryLookupError: 2}):
            yield
    except LibraryError as exc:  # the other library errors: one line per issue
        for line in str(exc).splitlines():
            typer.echo(line, err=True)
        raise typer.Exit(1) from None


def _parse_levels(specs: list[str] | None) -> dict[str, list[str]]:
    """``["personality=plain,verbose", "recall=low"]`` → ``{"personality": [...], ...}``."""
    levels: dict[str, list[str]] = {}
    for spec in specs or []:
        axis, sep, values = spec.partition("=")
        wanted = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not axis.strip() or not wanted:
            fail(f"bad --level {spec!r}: expected AXIS=LEVEL, e.g. --level personality=plain", 2)
        levels.setdefault(axis.strip(), []).extend(wanted)
    return levels


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to check (default: the whole library)."),
    ] = None,
    root: RootOption = None,
) -> None:
    """Check files against their schema and the library's cross-references.

    Prints one line per issue (path:line: field: message), then a summary. Exit status 1 when
    anything is wrong.
    """
    library = Library(root)
    with _reported_errors():
        report = library.check(paths or None)
    cwd = Path.cwd()
    for issue in report.issues:
        typer.echo(str(issue.relative_to(cwd)))
    checked = _plural(len(report.files), "file")
    if report.issues:
        typer.echo(f"{checked} checked, {_plural(len(report.issues), 'error')}")
        raise typer.Exit(1)
    typer.echo(f"OK: {checked} checked")


@app.command()
def grid(
    design: Annotated[
        str | None, typer.Option(help="Named design, e.g. patientsim (default: level product).")
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", help="Profile id (repeat; default: all of the scenario's kind)."),
    ] = None,
    scenario: Annotated[str, typer.Option(help="Scenario id.")] = "ed_consult",
    level: LevelOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default: personas/personas/<scenario>/grid-<design>/).",
            file_okay=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before writing.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only print what would be written.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing persona files.")] = False,
    root: RootOption = None,
) -> None:
    """Write a factorial grid of personas (profiles × axis levels)."""
    levels = _parse_levels(level)
    library = Library(root)
    with _reported_errors():
        personas = library.grid(design, profiles=profile, levels=levels, scenario=scenario)
        profiles = len({p.profile for p in personas})
        if not personas:
            typer.echo("0 personas: no profile or level combination matches")
            return
        typer.echo(
            f"{_plural(len(personas) // profiles, 'persona')} per profile × "
            f"{_plural(profiles, 'profile')} = {_plural(len(personas), 'persona')}"
        )
        out_dir = out or library.grid_dir(scenario, design)
        if dry_run:
            typer.echo(f"dry run: would write {_plural(len(personas), 'file')} to {out_dir}")
            return
        if len(personas) > CONFIRM_ABOVE and not yes:
            typer.confirm(f"Write {len(personas)} files to {out_dir}?", abort=True)
        written = library.write_grid(personas, out_dir, overwrite=overwrite)
    held = len(personas) - len(written)
    note = f" ({held} already in the library elsewhere, left as they are)" if held else ""
    typer.echo(f"wrote {_plural(len(written), 'file')} to {out_dir}{note}")


@app.command("list")
def list_personas(
    scenario: Annotated[str | None, typer.Option(help="Only this scenario.")] = None,
    profile: Annotated[str | None, typer.Option(help="Only this profile.")] = None,
    level: LevelOption = None,
    root: RootOption = None,
) -> None:
    """List personas with their scenario, profile and levels."""
    levels = _parse_levels(level)
    with _reported_errors():
        personas = Library(root).filter_personas(levels, scenario=scenario, profile=profile)
    for persona in personas:
        levels_text = " ".join(f"{axis}={lvl}" for axis, lvl in persona.levels.items())
        typer.echo(f"{persona.id}\t{persona.scenario}\t{persona.profile}\t{levels_text}")
    typer.echo(_plural(len(personas), "persona"), err=True)


@app.command()
def show(
    persona_id: Annotated[str, typer.Argument(metavar="ID", help="Persona id.")],
    side: Annotated[Side, typer.Option(help="Which system prompt to print.")] = Side.both,
    root: RootOption = None,
) -> None:
    """Print a persona's rendered system prompts."""
    library = Library(root)
    with _reported_errors():
        resolved = library.resolve(persona_id)
        prompts = library.render(resolved)
    cap = prompts.sentence_cap if prompts.sentence_cap is not None else "none"
    typer.echo(
        f"# {persona_id} ({library.persona_path(persona_id)}); "
        f"hash {resolved.content_hash()}; sentence cap {cap}"
    )
    shown = [
        (
            "patient",
            resolved.scenario.patient_template,
            prompts.patient_template_hash,
            prompts.patient,
        ),
        (
            "clinician",
            resolved.scenario.clinician_template,
            prompts.clinician_template_hash,
            prompts.clinician,
        ),
    ]
    for name, template, digest, text in shown:
        if side in (Side.both, Side(name)):
            typer.echo(f"\n=== {name} system prompt ({template}, template hash {digest}) ===\n")
            typer.echo(text)


@app.command("import", no_args_is_help=True)
def import_(
    file: Annotated[Path, typer.Argument(help="JSON file: one record or a list of records.",
                                         exists=True, dir_okay=False)],
    fmt: Annotated[str, typer.Option(
        "--format", help="patientsim, patient-psi or mindeval.")],
    prefix: Annotated[str, typer.Option(
        help="Id prefix of the written profiles and personas (a-z, 0-9, _).")] = "imp",
    overwrite: Annotated[bool, typer.Option(help="Replace files of the same ids.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Convert and report; write "
                                          "nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    root: RootOption = None,
) -> None:
    """Import PatientSim profiles, PATIENT-Ψ cognitive models or MindEval-style attribute
    profiles as profiles and personas, reporting what mapped where and what had no home."""
    from workbench.library.imports import ImportError_, import_personas

    library = Library(root)
    with _reported_errors():
        try:
            report = import_personas(library, file, fmt, prefix=prefix, overwrite=overwrite,
                                     dry_run=dry_run)
        except ImportError_ as exc:
            fail(str(exc), 2)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    verb = "would write" if dry_run else "wrote"
    for rec in report.records:
        typer.echo(f"record {rec.index}: {verb} profile {rec.profile_id}, persona "
                   f"{rec.persona_id}")
        for source, target in rec.mapped.items():
            typer.echo(f"  mapped   {source} → {target}")
        for source, why in rec.no_home.items():
            typer.echo(f"  no home  {source}: {why}")
        for target, value in rec.filled.items():
            typer.echo(f"  filled   {target} = {value!r} (no source field)")
