"""Span labels: a phrase of one turn tagged with a label, stored as character offsets plus the
quoted text, so a stored span can always be checked against the turn it claims to quote.

A span value (what a ``span`` rubric item stores for one turn) is a list of
``{"start": int, "end": int, "text": str, "label": str}``; ``text == turn_text[start:end]``.
Annotators give phrases by copying them from the turn; :func:`spans_from_phrases` finds their
offsets (the first occurrence not already tagged with the same label).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Span(BaseModel):
    """One labelled phrase of a turn."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    start: int = Field(ge=0)
    """Offset of the first character in the turn text."""
    end: int = Field(gt=0)
    """Offset just after the last character (``end > start``)."""
    text: str = Field(min_length=1)
    """The quoted phrase, exactly ``turn_text[start:end]``."""
    label: str = Field(min_length=1)
    """Label id from the item's label set."""


def parse_spans(value: Any) -> tuple[list[Span], str | None]:
    """The spans of a stored value, or why it is not a list of spans."""
    if not isinstance(value, list):
        return [], f"takes a list of spans, got {type(value).__name__}"
    spans = []
    for n, raw in enumerate(value, 1):
        try:
            span = Span.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "span"
            return [], f"span {n}: {where}: {first['msg']}"
        if span.end <= span.start or len(span.text) != span.end - span.start:
            return [], f"span {n}: its text is {len(span.text)} characters but covers " \
                       f"{span.start}–{span.end}"
        spans.append(span)
    return spans, None


def check_spans(value: Any, turn_text: str, labels: Iterable[str]) -> str | None:
    """Why ``value`` is not a valid list of spans of ``turn_text`` with these labels, or None."""
    spans, why = parse_spans(value)
    if why:
        return why
    known = list(labels)
    for n, span in enumerate(spans, 1):
        if span.label not in known:
            return f"span {n}: unknown label {span.label!r}; valid: {', '.join(known)}"
        if turn_text[span.start:span.end] != span.text:
            return (f"span {n}: the turn does not say “{span.text}” at characters "
                    f"{span.start}–{span.end}; copy the phrase exactly as it appears")
    return None


def spans_from_phrases(turn_text: str, phrases: Mapping[str, Sequence[str]]) -> tuple[
        list[dict[str, Any]], list[str]]:
    """Locate each label's phrases in the turn.

    Args:
        turn_text: the turn as stored.
        phrases: label id → phrases copied from the turn (blank ones are ignored).

    Returns:
        The span values (sorted by position) and one plain message per phrase not found.
    """
    found: list[dict[str, Any]] = []
    missing: list[str] = []
    for label, texts in phrases.items():
        taken: set[int] = set()
        for phrase in (p.strip() for p in texts):
            if not phrase:
                continue
            start = turn_text.find(phrase)
            while start in taken and start != -1:
                start = turn_text.find(phrase, start + 1)
            if start == -1:
                missing.append(f"the phrase “{phrase}” is not in this turn; copy it exactly "
                               "as it appears (same letters, spaces and punctuation)")
                continue
            taken.add(start)
            found.append({"start": start, "end": start + len(phrase), "text": phrase,
                          "label": label})
    return sorted(found, key=lambda s: (s["start"], s["end"], s["label"])), missing


def phrases_by_label(value: Any) -> dict[str, list[str]]:
    """The stored spans grouped back into label → phrases (to refill a form)."""
    spans, _ = parse_spans(value or [])
    grouped: dict[str, list[str]] = {}
    for span in spans:
        grouped.setdefault(span.label, []).append(span.text)
    return grouped
