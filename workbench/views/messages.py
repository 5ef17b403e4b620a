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
