"""Full-text search over turns (SQLite FTS5, BM25), optionally within filtered conversations."""

from __future__ import annotations

import sqlite3

from workbench.store.connection import StoreBase
from workbench.store.filters import conversation_condition
from workbench.store.fulltext import is_query_error, quoted_words
from workbench.store.jsontext import compact
from workbench.store.records import ConversationFilter, TurnHit
from workbench.store.schema import CONVERSATION_OF_HIT

RANK_WINDOW = 5_000
"""Hits are ranked by BM25 among at most this many matching turns: the newest ones (highest
rowids, so the latest conversations).

Ranking scores every candidate (a few µs each), so ranking all 500,000 turns that hold a common
word would take a second or more. Queries with fewer matches, the useful ones, are ranked
exactly.
"""
SNIPPET_TOKENS = 16
"""Words of context in a hit's snippet."""

# Snippets need the FTS cursor on the hit. Seeking each hit by rowid re-runs the query per hit
# (a prefix query rebuilds its doclist every time), so one pass walks the hits' rowid range and
# computes a snippet only for the hits themselves (``+rowid`` keeps the IN list a plain check).
_SNIPPETS = """
SELECT rowid, snippet(turns_fts, 0, '«', '»', '…', ?) FROM turns_fts
WHERE turns_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?))
"""
_TURNS = """
SELECT t.id, c.id AS conversation_id, t.idx, t.role FROM turns AS t
JOIN conversations AS c ON c.seq = t.conversation_seq
WHERE t.id IN (SELECT value FROM json_each(?))
"""


class SearchQueries(StoreBase):
    """Search turn text."""

    def search_turns(
        self, query: str, *, filters: ConversationFilter | None = None, limit: int = 50
    ) -> list[TurnHit]:
        """Turns matching a full-text query, best first, hits marked «like this».

        The query may use FTS5 syntax (``"chest pain"``, ``cough OR fever``, ``breath*``,
        ``NEAR(pain chest)``); text that does not parse as such (a lone quote, ``x-ray``) is
        searched as quoted words instead of failing. Words are stemmed and case-insensitive.

        Args:
            query: what to look for.
            filters: search only these conversations (None: all).
            limit: at most this many hits.

        Returns:
            Hits ordered by BM25 rank (see ``RANK_WINDOW``), ties newest first.
        """
        query = query.strip()
        if not query or limit <= 0:
            return []
        with self._read() as conn:
            condition = conversation_condition(conn, filters)
            if condition is None:
                return []
            if condition.is_everything:
                candidates = """
                    SELECT rowid AS turn_id, rank FROM turns_fts
                    WHERE turns_fts MATCH ? ORDER BY rowid DESC LIMIT ?
                """
            else:
                # Newest matches first; the filtered conversations are found once from the
                # covering index, and each match is one probe of that set (its conversation is
                # in its rowid).
                candidates = f"""
                    SELECT rowid AS turn_id, rank FROM turns_fts
                    WHERE turns_fts MATCH ? AND {CONVERSATION_OF_HIT} IN (
                        SELECT c.seq FROM conversations AS c WHERE {condition.sql})
                    ORDER BY rowid DESC LIMIT ?
                """
            ranked_sql = f"""
                SELECT turn_id, rank FROM ({candidates}) ORDER BY rank, turn_id DESC LIMIT ?
            """
            # The query runs as typed; if SQLite cannot parse it, its words are quoted instead
            # (no separate parse check: a prefix query would build its doclist twice).
            match = query
            try:
                ranked = conn.execute(
                    ranked_sql, [match, *condition.params, RANK_WINDOW, limit]
                ).fetchall()
            except sqlite3.OperationalError as exc:
                if not is_query_error(exc):
                    raise
                match = quoted_words(query)
                ranked = conn.execute(
                    ranked_sql, [match, *condition.params, RANK_WINDOW, limit]
                ).fetchall()
            if not ranked:
                return []
            turn_ids = [turn_id for turn_id, _ in ranked]
            snippets = dict(
                conn.execute(
                    _SNIPPETS,
                    (SNIPPET_TOKENS, match, min(turn_ids), max(turn_ids), compact(turn_ids)),
                ).fetchall()
            )
            turns = {row["id"]: row for row in conn.execute(_TURNS, (compact(turn_ids),))}
        hits = [
            TurnHit(
                conversation_id=turns[turn_id]["conversation_id"],
                idx=turns[turn_id]["idx"],
                role=turns[turn_id]["role"],
                snippet=snippets[turn_id],
                rank=rank,
            )
            for turn_id, rank in ranked
        ]
        return hits
