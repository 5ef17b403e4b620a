"""A ConversationFilter as an SQL condition on ``conversations AS c``.

Levels go through level sets: the (axis, level) constraints become the short list of level-set
ids that satisfy all of them, and conversations are matched on ``levels_id`` within the covering
index ``conversations_filter``. Counting a filtered set then reads that one index.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from workbench.store.fulltext import usable_match
from workbench.store.jsontext import compact
from workbench.store.records import ConversationFilter, ScoreFilter
from workbench.store.schema import CONVERSATION_OF_HIT

# Only the model and run columns may drive an index search (the covering filter index and the
# run index). The one-column indexes on the others exist for facets; written ``+c.column`` the
# planner cannot pick them to search (a scenario index lookup of half the rows, then a table
# lookup per row to sort them, is the slowest plan there is) and scans the covering index or
# walks the creation-time index instead.
_LIST_COLUMNS = (
    ("scenario", "+c.scenario"),
    ("profile", "+c.profile"),
    ("patient_model", "c.patient_model"),
    ("clinician", "+c.clinician"),
    ("run_id", "c.run_id"),
    ("status", "+c.status"),
    ("source", "+c.source"),
)


@dataclass(frozen=True)
class Condition:
    """An SQL condition on ``conversations AS c`` and its parameters."""

    sql: str = "1"
    params: list[object] = field(default_factory=list)

    @property
    def is_everything(self) -> bool:
        """True when the condition filters nothing out."""
        return self.sql == "1"


def conversation_condition(
    conn: sqlite3.Connection, filters: ConversationFilter | None
) -> Condition | None:
    """The condition selecting the filtered conversations, or None when none can match."""
    if filters is None:
        return Condition()
    parts: list[str] = []
    params: list[object] = []
    level_set_ids = _level_set_ids(conn, filters.levels)
    if level_set_ids is not None:
        if not level_set_ids:
            return None
        parts.append("c.levels_id IN (SELECT value FROM json_each(?))")
        params.append(compact(level_set_ids))
    for name, column in _LIST_COLUMNS:
        allowed = getattr(filters, name)
        if allowed:
            values = list(dict.fromkeys(allowed))
            parts.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if filters.min_turns is not None:
        parts.append("c.n_turns >= ?")
        params.append(filters.min_turns)
    if filters.max_turns is not None:
        parts.append("c.n_turns <= ?")
        params.append(filters.max_turns)
    if filters.text and filters.text.strip():
        match = usable_match(conn, filters.text)
        if match is None:
            return None
        parts.append(
            f"c.seq IN (SELECT {CONVERSATION_OF_HIT} FROM turns_fts WHERE turns_fts MATCH ?)"
        )
        params.append(match)
    if filters.score is not None:
        sql, values = _score_condition(filters.score)
        parts.append(sql)
        params.extend(values)
    return Condition(" AND ".join(parts), params) if parts else Condition()


SCORE_ROWS = """
    FROM annotations
    WHERE rubric = ? AND item = ? AND status = 'submitted' AND turn_idx IS NULL
      AND (annotator LIKE 'judge:%') = ? AND annotator NOT LIKE 'adjudicated:%'
      AND json_type(value) IN ('integer', 'real')
"""
"""Submitted whole-conversation numeric scores of one item, by humans or by judges (resolved
answers left out); parameters: rubric, item, judge (0/1)."""


def _score_condition(score: ScoreFilter) -> tuple[str, list[object]]:
    """Conversations whose mean score (over its raters) lies in the filter's range."""
    having, params = [], [score.rubric, score.item, int(score.judge)]
    if score.low is not None:
        having.append("avg(CAST(value AS REAL)) >= ?")
        params.append(score.low)
    if score.high is not None:
        having.append("avg(CAST(value AS REAL)) <= ?")
        params.append(score.high)
    return (f"c.id IN (SELECT conversation_id {SCORE_ROWS} GROUP BY conversation_id"
            + (f" HAVING {' AND '.join(having)})" if having else ")"), params)


def _level_set_ids(conn: sqlite3.Connection, levels: dict[str, list[str]]) -> list[int] | None:
    """Ids of the level sets meeting every axis constraint (None: no constraint given)."""
    matching: set[int] | None = None
    for axis, allowed in levels.items():
        if not allowed:
            continue
        ids = {
            row[0]
            for row in conn.execute(
                "SELECT level_set_id FROM level_set_members "
                "WHERE axis = ? AND level IN (SELECT value FROM json_each(?))",
                (axis, compact(list(allowed))),
            )
        }
        matching = ids if matching is None else matching & ids
    return None if matching is None else sorted(matching)
