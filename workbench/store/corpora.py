"""Reference corpora: real conversations imported for realism metrics."""

from __future__ import annotations

import re

from workbench.store.connection import StoreBase
from workbench.store.records import CORPUS_NAME_PATTERN, CorpusRecord
from workbench.store.timestamps import from_text, now_text


class CorpusQueries(StoreBase):
    """Register and list reference corpora."""

    def register_corpus(
        self, name: str, *, description: str = "", licence: str = "", source_path: str = ""
    ) -> None:
        """Register a corpus (or update its description); its conversations then take source
        ``reference:<name>``.

        Raises:
            ValueError: the name has characters other than letters, digits, ``_ . -``.
        """
        if not re.fullmatch(CORPUS_NAME_PATTERN, name):
            raise ValueError(
                f"corpus name {name!r} may hold only letters, digits, '_', '.' and '-'"
            )
        with self._write() as conn:
            conn.execute(
                """
                INSERT INTO corpora (name, description, licence, source_path, imported_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET description = excluded.description,
                    licence = excluded.licence, source_path = excluded.source_path
                """,
                (name, description, licence, source_path, now_text()),
            )

    def list_corpora(self) -> list[CorpusRecord]:
        """Registered corpora by name, with how many conversations each holds."""
        rows = self._conn.execute(
            """
            SELECT k.*, (SELECT count(*) FROM conversations AS c
                         WHERE c.source = 'reference:' || k.name) AS n_conversations
            FROM corpora AS k ORDER BY k.name
            """
        )
        return [
            CorpusRecord(
                name=row["name"],
                description=row["description"],
                licence=row["licence"],
                source_path=row["source_path"],
                imported_at=from_text(row["imported_at"]),
                n_conversations=row["n_conversations"],
            )
            for row in rows
        ]
