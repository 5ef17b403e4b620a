"""Error messages as the pages show them: one plain list, field by field, inert."""

from __future__ import annotations

from workbench.library import LibraryError
from workbench.views.transcript_view import inert_markdown


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
