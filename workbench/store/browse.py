"""The conversation browser: filtered pages with their total, and the values to filter on."""

from __future__ import annotations

import sqlite3

from workbench.store.connection import StoreBase
from workbench.store.conversations import conversation_fields
from workbench.store.filters import conversation_condition
from workbench.store.jsontext import compact
from workbench.store.records import ConversationFilter, ConversationPage, ConversationSummary
from workbench.store.schema import TURN_OF_CONVERSATION

SNIPPET_CHARS = 120
"""Length of the first-patient-turn snippet on a summary."""

_FACET_COLUMNS = ("scenario", "profile", "patient_model", "clinician", "status", "source")

_SUMMARY = f"""
SELECT c.seq, c.id, c.run_id, c.source, c.persona_id, c.scenario, c.profile, c.levels,
       c.patient_model, c.clinician, c.seed, c.sample, c.status, c.n_turns, c.created_at,
       (SELECT substr(t.text, 1, {SNIPPET_CHARS + 1}) FROM turns AS t
        WHERE {TURN_OF_CONVERSATION} AND t.role = 'patient' ORDER BY t.id LIMIT 1)
       AS first_patient
FROM conversations AS c
WHERE c.seq IN (SELECT value FROM json_each(?))
"""


class BrowseQueries(StoreBase):
    """List and facet conversations."""

    def list_conversations(
        self, filters: ConversationFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> ConversationPage:
        """One page of the filtered conversations, newest first, and how many match in all.

        Order is by creation time, then by insertion order, so paging is deterministic.

        Args:
            filters: which conversations (None: all).
            limit: page size.
            offset: rows to skip.
        """
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")
        with self._read() as conn:
            condition = conversation_condition(conn, filters)
            if condition is None:
                return ConversationPage(items=[], total=0, limit=limit, offset=offset)
            where, params = condition.sql, condition.params
            (total,) = conn.execute(
                f"SELECT count(*) FROM conversations AS c WHERE {where}", params
            ).fetchone()
            seqs = [
                row[0]
                for row in conn.execute(
                    f"""
                    SELECT c.seq FROM conversations AS c WHERE {where}
                    ORDER BY c.created_at DESC, c.seq DESC LIMIT ? OFFSET ?
                    """,
                    [*params, limit, offset],
                )
            ]
            rows = {row["seq"]: row for row in conn.execute(_SUMMARY, (compact(seqs),))}
        items = [_summary(rows[seq]) for seq in seqs]
        return ConversationPage(items=items, total=total, limit=limit, offset=offset)

    def facets(self) -> dict[str, list[str]]:
        """Distinct values to filter on.

        Keys: ``scenario``, ``profile``, ``patient_model``, ``clinician``, ``status``,
        ``source``, ``run_id`` (newest run first) and ``axis:<axis id>`` for each axis (its
        levels). Other values are sorted; only values some conversation has are listed.
        """
        with self._read() as conn:
            facets = {column: _distinct(conn, column) for column in _FACET_COLUMNS}
            facets["run_id"] = [
                row[0]
                for row in conn.execute(
                    "SELECT r.id FROM runs AS r WHERE EXISTS "
                    "(SELECT 1 FROM conversations AS c WHERE c.run_id = r.id) "
                    "ORDER BY r.created_at DESC, r.id DESC"
                )
            ]
            for axis, level in conn.execute(
                "SELECT DISTINCT axis, level FROM level_set_members ORDER BY axis, level"
            ):
                facets.setdefault(f"axis:{axis}", []).append(level)
        return facets


def _distinct(conn: sqlite3.Connection, column: str) -> list[str]:
    """Distinct non-null values of an indexed column by skip-scan: one index probe per value."""
    rows = conn.execute(
        f"""
        WITH RECURSIVE v(x) AS (
            SELECT min({column}) FROM conversations
            UNION ALL
            SELECT (SELECT min({column}) FROM conversations WHERE {column} > v.x)
            FROM v WHERE v.x IS NOT NULL
        )
        SELECT x FROM v WHERE x IS NOT NULL
        """
    )
    return [row[0] for row in rows]


def _summary(row: sqlite3.Row) -> ConversationSummary:
    first = row["first_patient"]
    if first is not None and len(first) > SNIPPET_CHARS:
        first = first[: SNIPPET_CHARS - 1].rstrip() + "…"
    return ConversationSummary(
        **conversation_fields(row), n_turns=row["n_turns"], first_patient_snippet=first
    )
