"""Problems found in the persona library, and the errors that carry them.

An :class:`Issue` is one problem in one file, printed on one line as ``path:line: field: message``
so that editors and terminals can jump to it. Pydantic validation errors are turned into issues
here, one per error, with the field path joined by dots and a message a researcher can act on.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from workbench.library.documents import Document


@dataclass(frozen=True)
class Issue:
    """One problem in one file of the library."""

    path: Path
    """The file at fault (for a persona composed in memory: where it would be saved)."""
    field: str
    """Dotted field path, e.g. ``cognitive_model.situations.0.emotions``; empty for the file."""
    message: str
    """What is wrong and, where it helps, what is valid."""
    line: int | None = None
    """1-based line in ``path`` when known."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        # Messages come from YAML, pydantic and Jinja: keep the promise of one line per issue.
        message = " ".join(self.message.split())
        return f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"

    def relative_to(self, base: Path) -> Issue:
        """The same issue with its path shown relative to ``base`` when it lies below it."""
        try:
            return replace(self, path=self.path.resolve().relative_to(base.resolve()))
        except ValueError:
            return self


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in a stable reading order: by file, then line, then field."""
    return sorted(issues, key=lambda i: (str(i.path), i.line or 0, i.field, i.message))


class LibraryError(Exception):
    """The library (or a persona built from it) is invalid; the message lists the issues."""

    def __init__(self, issues: Iterable[Issue] | str) -> None:
        if isinstance(issues, str):
            self.issues: tuple[Issue, ...] = ()
            message = issues
        else:
            self.issues = tuple(sort_issues(issues))
            message = "\n".join(str(issue) for issue in self.issues)
        super().__init__(message)


class LibraryLookupError(LibraryError):
    """A caller asked for something the library does not have (persona, profile, axis, level...).

    Kept apart from :class:`LibraryError` so the command line can tell a user's typo (exit 2) from
    a broken library file (exit 1).
    """


_ITEM_MESSAGE = re.compile(r"^item (\d+) is")


def issues_from_validation_error(
    exc: ValidationError,
    path: Path,
    model: type[BaseModel],
    document: Document | None = None,
) -> list[Issue]:
    """One issue per pydantic error, with a dotted field path and, when cheap, the line.

    Args:
        exc: the validation error raised by ``model.model_validate``.
        path: the file that was validated.
        model: the model that was validated (used to list allowed fields for unknown ones).
        document: the parsed YAML, to find the line of each field.
    """
    issues = []
    errors = exc.errors(include_url=False)
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "too_short" and _has_item_errors(loc, errors):
            continue  # pydantic counts only the items that passed; the item errors say it all
        if error["type"] == "missing" and loc and isinstance(loc[-1], int):
            loc = loc[:-1]  # a fixed-length list is short: report the list, not a "field"
            message = f"needs {loc_length(error, model)} items, got {len(error['input'])}"
            line = document.line_of(loc) if document else None
            issues.append(Issue(path, ".".join(str(p) for p in loc), message, line))
            continue
        message = plain_message(error, model)
        line_loc: tuple[str | int, ...] = loc
        match = _ITEM_MESSAGE.match(message)
        if match:  # point at the offending answer, not at the whole list
            line_loc = (*loc, int(match.group(1)) - 1)
        line = document.line_of(line_loc) if document else None
        issues.append(Issue(path, ".".join(str(p) for p in loc), message, line))
    return issues


def _has_item_errors(loc: tuple[Any, ...], errors: Sequence[Any]) -> bool:
    return any(
        len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc and e["type"] != "too_short"
        for e in errors
    )


def loc_length(error: Any, model: type[BaseModel]) -> str:
    """The number of items a fixed-length tuple field needs ("exactly N"), or "more"."""
    loc = tuple(error["loc"])[:-1]
    owner = _model_at(model, loc[:-1])
    field = owner.model_fields.get(str(loc[-1])) if owner is not None and loc else None
    args = typing.get_args(field.annotation) if field is not None else ()
    if args and Ellipsis not in args:
        return f"exactly {len(args)}"
    return "more"


def plain_message(error: Any, model: type[BaseModel]) -> str:
    """A pydantic error message in plain words, showing the offending value when it is short."""
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        if owner is None:
            return "unknown field"
        return "unknown field; allowed fields: " + ", ".join(owner.model_fields)
    ctx = error.get("ctx") or {}
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"allows at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "string_pattern_mismatch":
        return _pattern_in_words(str(ctx.get("pattern", "")), error.get("input"))
    message = str(error["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        message += f" (got {value!r})"
    return message


_PATTERN_WORDS = {
    r"^[a-z0-9_]+$": "lower-case letters, digits and _ only, e.g. chest_pain_01",
    r"^[a-z0-9_]*$": "lower-case letters, digits and _ only (or nothing)",
    r"^[A-Za-z0-9_\-]+$": "letters, digits, _ and - only",
    r"^[A-Za-z0-9_\-.]+$": "letters, digits, _ - and . only, e.g. ed_chest-plain.1",
}
"""The id rules of the domain models, in words (a regular expression means nothing to a user)."""


def _pattern_in_words(pattern: str, value: Any) -> str:
    """What to type instead of a value that does not match ``pattern``."""
    rule = _PATTERN_WORDS.get(pattern, "a different form: see the README for this field")
    got = f" (got {value!r})" if isinstance(value, str) and len(repr(value)) <= 60 else ""
    if value == "":
        return f"required: type {rule}"
    return f"use {rule}{got}"


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The nested model class a location points into (``cognitive_model.situations.0`` ...)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # an index into a list keeps the item type found below
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The model inside ``X | None``, ``tuple[X, ...]`` or ``list[X]``, else the annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return annotation


@dataclass(frozen=True)
class ValidationReport:
    """What a validation run looked at and what it found."""

    files: tuple[Path, ...]
    """Every file checked."""
    issues: tuple[Issue, ...]
    """Every problem found, in reading order."""

    @property
    def ok(self) -> bool:
        """True when no issue was found."""
        return not self.issues
