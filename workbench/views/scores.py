"""Score columns and filters of the Transcripts page: any rubric item, human or judge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.store import ScoreFilter


def score_label(choice: tuple[str, str, bool]) -> str:
    """``Human · clinician_quality · empathy`` (plain text, for a selectbox)."""
    rubric, item, judge = choice
    return f"{'Judge' if judge else 'Human'} · {rubric} · {item}"


def score_filter(choice: tuple[str, str, bool] | None, low: float | None,
                 high: float | None) -> ScoreFilter | None:
    """The filter a score choice and its range make (None: no score chosen)."""
    if choice is None:
        return None
    rubric, item, judge = choice
    return ScoreFilter(rubric=rubric, item=item, judge=judge, low=low, high=high)


def with_scores(rows: Iterable[dict[str, Any]], scores: Mapping[str, float],
                column: str) -> list[dict[str, Any]]:
    """Table rows with the score column right after the conversation id (empty when unrated)."""
    out = []
    for row in rows:
        cid = row["conversation"]
        value = scores.get(cid)
        out.append({"conversation": cid, column: None if value is None else round(value, 2),
                    **{k: v for k, v in row.items() if k != "conversation"}})
    return out
