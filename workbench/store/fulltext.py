"""Full-text queries from users: FTS5 syntax when it parses, quoted words when it does not."""

from __future__ import annotations

import sqlite3

_QUERY_ERRORS = ("fts5:", "no such column", "unterminated string", "unknown special query")
"""How SQLite words an FTS5 query that does not parse (``x-ray`` reads as column ``x``)."""


def is_query_error(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused a MATCH expression (rather than failing for another reason)."""
    return str(exc).startswith(_QUERY_ERRORS)


def quoted_words(query: str) -> str:
    """Every word as a quoted string, so punctuation is literal; words must all match."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in query.split())


def usable_match(conn: sqlite3.Connection, query: str) -> str | None:
    """The MATCH expression to run for a user's query, or None when it holds no words.

    The query is tried as FTS5 syntax (phrases, ``OR``, ``NOT``, ``NEAR``, prefix ``*``); if
    SQLite cannot parse it (a lone quote, ``x-ray``, ``it's``), its words are quoted instead.
    """
    query = query.strip()
    if not query:
        return None
    for candidate in (query, quoted_words(query)):
        try:
            conn.execute(
                "SELECT rowid FROM turns_fts WHERE turns_fts MATCH ? LIMIT 1", (candidate,)
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if not is_query_error(exc):
                raise
            continue
        return candidate
    return None
