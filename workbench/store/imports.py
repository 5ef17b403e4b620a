"""Imports: conversations with their turns, annotations, personas, runs and corpus in one commit.

An import is all or nothing. Everything runs inside one ``BEGIN IMMEDIATE`` transaction; the
store's own write paths (``register_corpus``, ``add_conversations``, ``append_turns_bulk``) nest
inside it as savepoints, so any failure rolls the whole import back and the store is as before.
Rows keep their original times, ids and statuses, so an exported file imports back to identical
rows.
"""

from __future__ import annotations

import sqlite3

from pydantic import BaseModel, ConfigDict, Field

from workbench.domain.identifiers import InvalidIdError, check_id
from workbench.domain.transcript import Turn
from workbench.store.connection import StoreBase
from workbench.store.errors import StoreError
from workbench.store.jsontext import canonical, compact
from workbench.store.records import (
    Annotation,
    CorpusRecord,
    NewConversation,
    PersonaRecord,
    RunRecord,
)
from workbench.store.timestamps import now_text, to_text


class CorpusSpec(BaseModel):
    """The reference corpus an import creates."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Corpus name; its conversations take source ``reference:<name>``."""
    description: str = ""
    """What the corpus is."""
    licence: str = ""
    """Licence and attribution."""
    source_path: str = ""
    """The file it came from."""


class ImportedConversation(BaseModel):
    """One conversation to import, with everything attached to it."""

    model_config = ConfigDict(extra="forbid")

    conversation: NewConversation
    """The conversation (give ``id`` and ``created_at`` to keep the originals)."""
    failure_reason: str | None = None
    """Why it failed, for a failed conversation."""
    turns: list[Turn] = Field(default_factory=list)
    """Its turns, indexed 0, 1, ... without gaps."""
    annotations: list[Annotation] = Field(default_factory=list)
    """Its annotation values (their ``conversation_id`` is this conversation's id; times kept
    when given)."""


class ImportBatch(BaseModel):
    """Everything one import writes."""

    model_config = ConfigDict(extra="forbid")

    corpus: CorpusSpec | None = None
    """A new reference corpus to register; it must not hold conversations already."""
    corpora: list[CorpusRecord] = Field(default_factory=list)
    """Corpora the conversations belong to (kept as they are when the name is registered)."""
    personas: list[PersonaRecord] = Field(default_factory=list)
    """Personas the conversations point to (kept as they are when the hash is stored already)."""
    runs: list[RunRecord] = Field(default_factory=list)
    """Runs the conversations belong to (kept as they are when the id is stored already)."""
    conversations: list[ImportedConversation] = Field(default_factory=list)
    """The conversations."""


def _check_ids(batch: ImportBatch) -> None:
    """Every id the batch brings follows the id rule (``workbench.domain.identifiers``).

    Raises:
        StoreError: naming the first bad id.
    """
    named: list[tuple[str, str | None]] = [("corpus", batch.corpus.name if batch.corpus else None)]
    named += [("corpus", c.name) for c in batch.corpora]
    named += [("persona", p.persona_id) for p in batch.personas]
    named += [("run", r.id) for r in batch.runs]
    for item in batch.conversations:
        conv = item.conversation
        named += [("conversation", conv.id), ("run", conv.run_id), ("persona", conv.persona_id)]
    try:
        for what, value in named:
            if value is not None:
                check_id(value, f"{what} id")
    except InvalidIdError as exc:
        raise StoreError(f"{exc}; nothing was imported.") from None


class ImportQueries(StoreBase):
    """Write a whole import in one transaction (a mixin of :class:`~workbench.store.Store`,
    which supplies ``register_corpus``, ``add_conversations`` and ``append_turns_bulk``)."""

    def import_batch(self, batch: ImportBatch) -> list[str]:
        """Store a batch: corpus, personas, runs, conversations, turns and annotations.

        Returns:
            The ids of the imported conversations, in order.

        Raises:
            StoreError: the corpus holds conversations already, an id is taken, a turn or an
                annotation does not fit; nothing is written then.
        """
        _check_ids(batch)  # imported ids may name files later (run logs): refuse bad ones first
        with self._write() as conn:
            if batch.corpus is not None:
                _register_new_corpus(self, conn, batch.corpus)
            conn.executemany(
                """
                INSERT OR IGNORE INTO corpora (name, description, licence, source_path,
                                               imported_at)
                VALUES (?, ?, ?, ?, ?)
                """,
                [(c.name, c.description, c.licence, c.source_path, to_text(c.imported_at))
                 for c in batch.corpora],
            )
            for persona in batch.personas:
                conn.execute(
                    """
                    INSERT OR IGNORE INTO personas
                        (hash, persona_id, scenario, profile_id, levels, body, source_path,
                         created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    (persona.hash, persona.persona_id, persona.scenario, persona.profile_id,
                     canonical(persona.levels), compact(persona.body), persona.source_path,
                     to_text(persona.created_at)),
                )
            for run in batch.runs:
                conn.execute(
                    """
                    INSERT OR IGNORE INTO runs (id, name, created_at, status, config,
                        patient_model, clinician, cancel_requested, finished_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    (run.id, run.name, to_text(run.created_at), run.status, compact(run.config),
                     run.patient_model, run.clinician, int(run.cancel_requested),
                     to_text(run.finished_at) if run.finished_at else None),
                )
            ids = self.add_conversations(  # type: ignore[attr-defined]  # ConversationQueries
                [c.conversation for c in batch.conversations]
            )
            conn.executemany(
                "UPDATE conversations SET failure_reason = ? WHERE id = ?",
                [(c.failure_reason, cid) for c, cid in zip(batch.conversations, ids)
                 if c.failure_reason is not None],
            )
            self.append_turns_bulk(  # type: ignore[attr-defined]  # TurnQueries
                (cid, turn) for c, cid in zip(batch.conversations, ids) for turn in c.turns
            )
            _insert_annotations(conn, batch, ids)
        return ids


def _register_new_corpus(store: StoreBase, conn: sqlite3.Connection, corpus: CorpusSpec) -> None:
    (held,) = conn.execute(
        "SELECT count(*) FROM conversations WHERE source = ?", (f"reference:{corpus.name}",)
    ).fetchone()
    if held:
        raise StoreError(
            f"corpus {corpus.name!r} already holds {held} conversations in store {store}; "
            "import under another name; nothing was written"
        )
    store.register_corpus(  # type: ignore[attr-defined]  # CorpusQueries, beside this mixin
        corpus.name,
        description=corpus.description,
        licence=corpus.licence,
        source_path=corpus.source_path,
    )


def _insert_annotations(conn: sqlite3.Connection, batch: ImportBatch, ids: list[str]) -> None:
    now = now_text()
    rows = []
    for imported, cid in zip(batch.conversations, ids):
        n_turns = len(imported.turns)
        for a in imported.annotations:
            if a.turn_idx is not None and a.turn_idx >= n_turns:
                raise StoreError(
                    f"conversation {cid!r}: annotation {a.rubric}/{a.item} by {a.annotator} "
                    f"is on turn {a.turn_idx}, but the conversation has {n_turns} turns; "
                    "nothing was written"
                )
            created = to_text(a.created_at) if a.created_at else now
            updated = to_text(a.updated_at) if a.updated_at else created
            rows.append((cid, a.turn_idx, a.rubric, a.item, compact(a.value), a.annotator,
                         a.status, created, updated))
    rows.sort(key=lambda row: row[7])  # creation order, as the original ids had it
    try:
        conn.executemany(
            """
            INSERT INTO annotations (conversation_id, turn_idx, rubric, item, value,
                                     annotator, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            rows,
        )
    except sqlite3.IntegrityError:
        raise StoreError(
            "the import gives one annotator two values for the same item and target; "
            "nothing was written"
        ) from None


def import_batch(store: StoreBase, batch: ImportBatch) -> list[str]:
    """:meth:`ImportQueries.import_batch` on any store, whether or not its class lists the mixin.

    Raises:
        StoreError: as :meth:`ImportQueries.import_batch`; nothing is written then.
    """
    if isinstance(store, ImportQueries):
        return store.import_batch(batch)
    return ImportQueries.import_batch(store, batch)  # type: ignore[arg-type]
