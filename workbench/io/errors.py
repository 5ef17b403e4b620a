"""The error a malformed import raises: every problem, one ``path:line: field: message`` a line."""

from __future__ import annotations

from collections.abc import Iterable

from workbench.library.issues import Issue

MAX_SHOWN = 20
"""Problems listed in the message; the rest are counted (all stay on ``issues``)."""


class ImportFileError(ValueError):
    """A file cannot be imported. Nothing was written to the store.

    The message lists the problems (file, line or row, field, what is wrong), one per line, in
    the same form as the persona library's errors.
    """

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        lines = [str(issue) for issue in self.issues[:MAX_SHOWN]]
        if len(self.issues) > MAX_SHOWN:
            lines.append(f"... and {len(self.issues) - MAX_SHOWN} more problems")
        lines.append("nothing was imported")
        super().__init__("\n".join(lines))


class ExportPathError(ValueError):
    """The export file cannot be written where asked (missing or read-only folder)."""
