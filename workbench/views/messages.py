"""Error messages as the pages show them: one plain list, field by field, inert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from workbench.library import LibraryError
from workbench.views.transcript_view import inert_markdown

if TYPE_CHECKING:  # the engine is imported when a run is launched, not with a page
    from workbench.simulate import PlanError


def field_problems(exc: LibraryError) -> str:
    """``- **field**: what to do`` per issue (the message itself when it names no field)."""
    if not exc.issues:
        return inert_markdown(str(exc))
    return "\n".join(f"- **{inert_markdown(i.field or 'file')}**: {inert_markdown(i.message)}"
                     for i in exc.issues)


def left_out(n_problems: int) -> str:
    """What a page says when a lenient library left broken files out (the Personas page lists
    them with their messages)."""
    return (f"{n_problems} file(s) of the persona library have problems and are left out; the "
            "Personas page lists them.")


def plan_problem(exc: PlanError, labels: Mapping[str, str]) -> str:
    """A run's planning error as a page shows it, naming the page's own widget rather than the
    command line's option: ``Fixed levels: confusion=high — unknown level …`` (inert).

    Args:
        exc: The error; its ``field`` says which input is wrong, its ``problem`` what to do.
        labels: The page's widget label per ``PlanError.field`` (a field not listed is named
            by itself).
    """
    if exc.field is None:
        return inert_markdown(exc.problem)
    label = labels.get(exc.field, exc.field.replace("_", " ").capitalize())
    given = "" if exc.value is None else f"{exc.value} — "
    return inert_markdown(f"{label}: {given}{exc.problem}")
