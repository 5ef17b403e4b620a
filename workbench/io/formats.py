"""Which file format a path holds, from its suffix or an explicit choice."""

from __future__ import annotations

from pathlib import Path

SUFFIXES: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
"""File suffix → format."""


def format_of(path: Path, fmt: str | None, allowed: tuple[str, ...]) -> str:
    """The format to read ``path`` as: ``fmt`` when given, else from the suffix.

    Raises:
        ValueError: the format is not one of ``allowed`` or cannot be told from the suffix.
    """
    chosen = fmt or SUFFIXES.get(path.suffix.lower())
    if chosen is None:
        raise ValueError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
            f"pass --format ({', '.join(allowed)})"
        )
    if chosen not in allowed:
        raise ValueError(f"{path}: format {chosen!r} is not supported here; use {', '.join(allowed)}")
    return chosen
