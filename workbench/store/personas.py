"""Personas, stored by content hash so every transcript points to the exact persona."""

from __future__ import annotations

import json
import sqlite3

from workbench.domain.prompts import ResolvedPersona
from workbench.store.connection import StoreBase
from workbench.store.jsontext import canonical, compact
from workbench.store.records import PersonaRecord
from workbench.store.timestamps import from_text, now_text


class PersonaQueries(StoreBase):
    """Store and read personas."""

    def upsert_persona(self, resolved: ResolvedPersona) -> str:
        """Store a resolved persona under its content hash (idempotent).

        Storing the same persona again changes nothing, not even its first-seen time.

        Returns:
            The content hash.
        """
        persona_hash = resolved.content_hash()
        persona = resolved.persona
        with self._write() as conn:
            conn.execute(
                """
                INSERT OR IGNORE INTO personas
                    (hash, persona_id, scenario, profile_id, levels, body, source_path, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    persona_hash,
                    persona.id,
                    persona.scenario,
                    persona.profile,
                    canonical(persona.levels),
                    compact(resolved.model_dump(mode="json")),
                    resolved.source,
                    now_text(),
                ),
            )
        return persona_hash

    def get_persona(self, persona_hash: str) -> PersonaRecord | None:
        """The stored persona with this hash, or None."""
        row = self._conn.execute("SELECT * FROM personas WHERE hash = ?", (persona_hash,)).fetchone()
        return None if row is None else _persona_record(row)


def _persona_record(row: sqlite3.Row) -> PersonaRecord:
    return PersonaRecord(
        hash=row["hash"],
        persona_id=row["persona_id"],
        scenario=row["scenario"],
        profile_id=row["profile_id"],
        levels=json.loads(row["levels"]),
        body=json.loads(row["body"]),
        source_path=row["source_path"] or "",
        created_at=from_text(row["created_at"]),
    )
