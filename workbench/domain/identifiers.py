"""What an id may look like: the one rule for ids that arrive from outside.

Run, conversation, persona and corpus ids arrive in imported files, on the command line and in
page links, and some become file names (a run's log and pid files). An id is 1 to 128 characters
of letters, digits and ``_ . : -``, starting with a letter or digit, with no ``..``: no slash, no
NUL, nothing a path or a shell could read as more than a name. Every id the workbench makes
(``r-20261126-021530-ab12``, ``c-…``, ``primock57:day1_consultation01``) fits.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

MAX_ID_LENGTH = 128
"""Longest id."""
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
"""Letters, digits and ``_ . : -``, starting with a letter or digit (and no ``..``)."""
_ID = re.compile(ID_PATTERN)


class InvalidIdError(ValueError):
    """An id that does not follow ``ID_PATTERN``; the message names it and the rule."""


def id_problem(value: object) -> str | None:
    """Why ``value`` is not a valid id, or None when it is."""
    if not isinstance(value, str):
        return f"an id is text, got {type(value).__name__}"
    if len(value) > MAX_ID_LENGTH:
        return f"it is {len(value)} characters long (at most {MAX_ID_LENGTH})"
    if not _ID.fullmatch(value) or ".." in value:
        return ("an id is letters, digits and _ . : - only, starting with a letter or digit, "
                "without '..'")
    return None


def is_valid_id(value: object) -> bool:
    """Whether ``value`` follows the id rule."""
    return id_problem(value) is None


def check_id(value: object, what: str = "id") -> str:
    """``value`` when it is a valid id.

    Raises:
        InvalidIdError: naming ``what`` and the value (shortened) and the rule.
    """
    problem = id_problem(value)
    if problem is not None:
        shown = repr(value)[:60] + ("…" if len(repr(value)) > 60 else "")
        raise InvalidIdError(f"{what} {shown} is not a valid id: {problem}")
    return value  # type: ignore[return-value]  # checked to be a str above


Identifier = Annotated[str, AfterValidator(check_id)]
"""A ``str`` field that must be a valid id (pydantic)."""
