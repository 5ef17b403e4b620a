"""Annotations: one value per annotator, rubric item and conversation (or turn)."""

from __future__ import annotations

import json
import sqlite3

from workbench.store.connection import StoreBase
from workbench.store.errors import StoreError, UnknownConversation
from workbench.store.jsontext import compact
from workbench.store.filters import SCORE_ROWS
from workbench.store.records import Annotation, ScoreFilter
from workbench.store.timestamps import from_text, now_text


class AnnotationQueries(StoreBase):
    """Write and read annotation values."""

    def put_annotation(self, a: Annotation) -> int:
        """Store an annotation value and return its id.

        Without an id, the value for the same conversation, turn, rubric, item and annotator is
        replaced if there is one (annotators revise drafts), otherwise added. With an id, that
        row is updated.

        Raises:
            UnknownConversation: no such conversation.
            StoreError: the turn does not exist, or no annotation has the given id.
        """
        now = now_text()
        value = compact(a.value)
        with self._write() as conn:
            row = conn.execute(
                "SELECT n_turns FROM conversations WHERE id = ?", (a.conversation_id,)
            ).fetchone()
            if row is None:
                raise UnknownConversation(a.conversation_id, self)
            if a.turn_idx is not None and a.turn_idx >= row[0]:
                raise StoreError(
                    f"conversation {a.conversation_id!r} has no turn {a.turn_idx} "
                    f"(it has {row[0]} turns); the annotation was not stored"
                )
            annotation_id = a.id
            if annotation_id is None:
                existing = conn.execute(
                    """
                    SELECT id FROM annotations
                    WHERE conversation_id = ? AND ifnull(turn_idx, -1) = ifnull(?, -1)
                      AND rubric = ? AND item = ? AND annotator = ?
                    """,
                    (a.conversation_id, a.turn_idx, a.rubric, a.item, a.annotator),
                ).fetchone()
                if existing is None:
                    (new_id,) = conn.execute(
                        """
                        INSERT INTO annotations (conversation_id, turn_idx, rubric, item, value,
                                                 annotator, status, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                        """,
                        (a.conversation_id, a.turn_idx, a.rubric, a.item, value, a.annotator,
                         a.status, now, now),
                    ).fetchone()
                    return int(new_id)
                annotation_id = existing[0]
            try:
                cursor = conn.execute(
                    """
                    UPDATE annotations SET conversation_id = ?, turn_idx = ?, rubric = ?, item = ?,
                        value = ?, annotator = ?, status = ?, updated_at = ?
                    WHERE id = ?
                    """,
                    (a.conversation_id, a.turn_idx, a.rubric, a.item, value, a.annotator,
                     a.status, now, annotation_id),
                )
            except sqlite3.IntegrityError:
                raise StoreError(
                    f"annotation {annotation_id} cannot take the target of another annotation "
                    f"({a.conversation_id}, turn {a.turn_idx}, {a.rubric}/{a.item}, {a.annotator})"
                ) from None
            if cursor.rowcount == 0:
                raise StoreError(f"no annotation {annotation_id} in store {self}")
            return annotation_id

    def annotations(
        self, conversation_id: str | None = None, annotator: str | None = None
    ) -> list[Annotation]:
        """Stored annotation values, optionally of one conversation and/or one annotator."""
        where, params = [], []
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        if annotator is not None:
            where.append("annotator = ?")
            params.append(annotator)
        sql = "SELECT * FROM annotations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_annotation(row) for row in self._conn.execute(sql + " ORDER BY id", params)]


    def score_items(self) -> list[tuple[str, str, bool]]:
        """(rubric, item, by judges) of every conversation item with submitted numeric scores
        (by humans or by LLM judges), sorted."""
        rows = self._conn.execute(
            "SELECT DISTINCT rubric, item, annotator LIKE 'judge:%' FROM annotations "
            "WHERE status = 'submitted' AND turn_idx IS NULL AND annotator NOT LIKE "
            "'adjudicated:%' AND json_type(value) IN ('integer', 'real')").fetchall()
        return sorted((r, i, bool(j)) for r, i, j in rows)

    def mean_scores(self, conversation_ids: list[str], score: ScoreFilter) -> dict[str, float]:
        """Conversation → mean submitted score on ``score``'s item (its range is ignored), for
        the given conversations that have one."""
        rows = self._conn.execute(
            f"SELECT conversation_id, avg(CAST(value AS REAL)) {SCORE_ROWS} "
            "AND conversation_id IN (SELECT value FROM json_each(?)) GROUP BY conversation_id",
            [score.rubric, score.item, int(score.judge), compact(conversation_ids)])
        return {cid: float(mean) for cid, mean in rows}


def _annotation(row: sqlite3.Row) -> Annotation:
    return Annotation(
        id=row["id"],
        conversation_id=row["conversation_id"],
        turn_idx=row["turn_idx"],
        rubric=row["rubric"],
        item=row["item"],
        value=json.loads(row["value"]),
        annotator=row["annotator"],
        status=row["status"],
        created_at=from_text(row["created_at"]),
        updated_at=from_text(row["updated_at"]),
    )
