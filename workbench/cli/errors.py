"""How every command reports an error a user can cause: lines on stderr and an exit status.

Each command group says which of the library's user-facing exceptions mean a bad invocation
(exit status 2) and which a problem to fix outside the command (exit status 1); anything else is
a programming error and propagates with its traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import NoReturn

import typer

ExceptionTypes = type[Exception] | tuple[type[Exception], ...]


def fail(message: str, code: int) -> NoReturn:
    """Print ``error: <message>`` on stderr and end the command with exit status ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def user_errors(exit_codes: Mapping[ExceptionTypes, int]) -> Iterator[None]:
    """Turn the listed exceptions into one ``error:`` message on stderr and an exit status.

    Args:
        exit_codes: Exception type (or tuple of types) → exit status, tried in order, so list a
            subclass before its base class.

    Raises:
        typer.Exit: With the status of the first entry the exception matches.
    """
    try:
        yield
    except tuple(t for types in exit_codes for t in _as_tuple(types)) as exc:
        fail(str(exc), next(code for types, code in exit_codes.items() if isinstance(exc, types)))


def _as_tuple(types: ExceptionTypes) -> tuple[type[Exception], ...]:
    return types if isinstance(types, tuple) else (types,)


def valid_ids(value: str | list[str] | None) -> str | list[str] | None:
    """A typer callback for id arguments and options: a bad id is a bad invocation (status 2),
    refused before it reaches the store or names a file.

    Raises:
        typer.BadParameter: naming the id and the rule.
    """
    from workbench.domain.identifiers import id_problem

    for one in [value] if isinstance(value, str) else value or []:
        problem = id_problem(one)
        if problem is not None:
            raise typer.BadParameter(f"{one[:60]!r} is not a valid id: {problem}")
    return value
