"""Conversations: adding them, moving their status, reading them back as transcripts."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from workbench.domain.transcript import Transcript, Turn
from workbench.store.connection import StoreBase
from workbench.store.errors import (
    StoreError,
    UnknownConversation,
    UnknownCorpus,
    UnknownPersona,
    UnknownRun,
)
from workbench.store.identifiers import new_conversation_id
from workbench.store.jsontext import canonical, compact
from workbench.store.records import CONVERSATION_STATUSES, NewConversation
from workbench.store.schema import MAX_TURN_INDEX, TURN_OF_CONVERSATION, turn_id
from workbench.store.timestamps import from_text, now_text, to_text

_ID_ATTEMPTS = 5
_BATCH = 1000
"""Conversations added per batch (and held in memory at once) by ``add_conversations``."""
_INSERT = """
INSERT INTO conversations (
    id, run_id, source, persona_hash, persona_id, scenario, profile, levels, patient_model,
    clinician, seed, sample, status, n_turns, created_at, patient_prompt_hash,
    clinician_prompt_hash, patient_template_hash, clinician_template_hash, metadata, updated_at,
    levels_id
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_SELECT = """
SELECT c.*, pp.text AS patient_prompt, cp.text AS clinician_prompt FROM conversations AS c
LEFT JOIN prompts AS pp ON pp.hash = c.patient_prompt_hash
LEFT JOIN prompts AS cp ON cp.hash = c.clinician_prompt_hash
"""


class ConversationQueries(StoreBase):
    """Add conversations and read them as domain transcripts."""

    def add_conversation(self, conv: NewConversation) -> str:
        """Add one conversation (no turns yet) and return its id.

        Raises:
            UnknownRun, UnknownPersona, UnknownCorpus: it points to something not stored.
            StoreError: its given id is taken.
        """
        return self.add_conversations([conv])[0]

    def add_conversations(self, convs: Iterable[NewConversation]) -> list[str]:
        """Add many conversations in one transaction (all or none); return their ids in order.

        ``convs`` may be a generator: it is consumed in batches, so planning a run of 100,000
        conversations never holds them all in memory.

        Raises:
            UnknownRun, UnknownPersona, UnknownCorpus: one points to something not stored.
            StoreError: a given id is taken or given twice.
        """
        ids: list[str] = []
        now = now_text()
        with self._write() as conn:
            level_sets = _LevelSets(conn)
            batches = iter(convs)
            while batch := list(itertools.islice(batches, _BATCH)):
                ids += self._add_batch(conn, batch, now, level_sets)
        return ids

    def _add_batch(self, conn: sqlite3.Connection, convs: list[NewConversation], now: str,
                   level_sets: _LevelSets) -> list[str]:
        self._check_references(conn, convs)
        rows = [_row(conv, now, level_sets) for conv in convs]
        prompts = {
            prompt_hash(text): text
            for conv in convs
            for text in (conv.patient_prompt, conv.clinician_prompt)
            if text is not None
        }
        conn.executemany(
            "INSERT OR IGNORE INTO prompts (hash, text) VALUES (?, ?)", prompts.items()
        )
        for _ in range(_ID_ATTEMPTS):
            ids = [conv.id or new_conversation_id() for conv in convs]
            if len(set(ids)) < len(ids):
                continue  # drawn ids clashed within the batch (given ones were checked)
            try:
                with self._write():  # a savepoint: a clash undoes only this insert
                    conn.executemany(_INSERT, [(i, *row) for i, row in zip(ids, rows)])
            except sqlite3.IntegrityError as exc:
                if "conversations.id" not in str(exc):
                    raise
                continue  # a drawn id is taken already: draw again
            return ids
        raise StoreError(f"could not draw free conversation ids in store {self}")

    def _check_references(self, conn: sqlite3.Connection, convs: list[NewConversation]) -> None:
        """Name the first missing run, persona or corpus, or a taken or repeated given id."""
        given = [conv.id for conv in convs if conv.id is not None]
        if len(set(given)) < len(given):
            repeated = next(i for i in given if given.count(i) > 1)
            raise StoreError(f"conversation id {repeated!r} is given twice; nothing was written")
        checks = (
            ("SELECT id FROM conversations", "id", given, None),
            ("SELECT id FROM runs", "id", [c.run_id for c in convs if c.run_id], UnknownRun),
            ("SELECT hash FROM personas", "hash", [c.persona_hash for c in convs if c.persona_hash],
             UnknownPersona),
            ("SELECT name FROM corpora", "name",
             [c.source.partition(":")[2] for c in convs if c.source != "simulated"], UnknownCorpus),
        )
        for select, key, wanted, missing_error in checks:
            if not wanted:
                continue
            unique = list(dict.fromkeys(wanted))
            found = {
                row[0]
                for row in conn.execute(
                    f"{select} WHERE {key} IN (SELECT value FROM json_each(?))", (compact(unique),)
                )
            }
            if missing_error is None:
                if found:
                    raise StoreError(
                        f"conversation id {min(found)!r} already exists in store {self}; "
                        "nothing was written"
                    )
            elif len(found) < len(unique):
                raise missing_error(next(v for v in unique if v not in found), self)

    def set_conversation_status(
        self, conversation_id: str, status: str, failure_reason: str | None = None
    ) -> None:
        """Move a conversation to ``status`` and record (or clear) why it failed.

        Raises:
            UnknownConversation: no such conversation.
            ValueError: not a conversation status.
        """
        if status not in CONVERSATION_STATUSES:
            raise ValueError(
                f"unknown conversation status {status!r}; valid: {', '.join(CONVERSATION_STATUSES)}"
            )
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET status = ?, failure_reason = ?, updated_at = ? "
                "WHERE id = ?",
                (status, failure_reason, now_text(), conversation_id),
            )
            if cursor.rowcount == 0:
                raise UnknownConversation(conversation_id, self)

    def merge_conversation_metadata(self, run_id: str, key: str, value: Any) -> int:
        """Set ``metadata[key] = value`` on every conversation of a run, in one transaction
        (e.g. a multi-session run's place in its series); returns how many changed.

        Raises:
            UnknownRun: no such run.
        """
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise UnknownRun(run_id, self)
            cursor = conn.execute(
                "UPDATE conversations SET metadata = json_set(metadata, ?, json(?)), "
                "updated_at = ? WHERE run_id = ?",
                (f"$.{key}", compact(value), now_text(), run_id))
            return cursor.rowcount

    def get_transcript(self, conversation_id: str) -> Transcript:
        """The conversation with all its turns.

        Raises:
            UnknownConversation: no such conversation.
        """
        with self._read() as conn:
            row = conn.execute(f"{_SELECT} WHERE c.id = ?", (conversation_id,)).fetchone()
            if row is None:
                raise UnknownConversation(conversation_id, self)
            turns = conn.execute(
                "SELECT * FROM turns WHERE id BETWEEN ? AND ? ORDER BY id",
                (turn_id(row["seq"], 0), turn_id(row["seq"], MAX_TURN_INDEX)),
            ).fetchall()
        return transcript_from_row(row, [turn_from_row(t) for t in turns])

    def conversations_of_run(
        self, run_id: str, statuses: Iterable[str] | None = None, *, with_turns: bool = False
    ) -> list[Transcript]:
        """The run's conversations in the order they were added.

        Args:
            run_id: the run.
            statuses: only conversations in one of these statuses (None: all).
            with_turns: also load every turn (one query for the whole run).

        Raises:
            UnknownRun: no such run.
        """
        return [conv for _, conv in self._of_run(run_id, statuses, with_turns=with_turns)]

    def conversation_batch(
        self, run_id: str, statuses: Iterable[str], *, after_seq: int, limit: int
    ) -> list[tuple[int, Transcript]]:
        """The next ``limit`` conversations of the run in ``statuses`` after ``after_seq``, with
        their turns, as ``(seq, transcript)`` in the order they were added.

        A run engine pages through its work with this (keyset paging: pass the last seq seen),
        so it holds a few conversations in memory rather than the whole run.

        Raises:
            UnknownRun: no such run.
        """
        return self._of_run(run_id, statuses, with_turns=True, after_seq=after_seq, limit=limit)

    def count_conversations_of_run(self, run_id: str, statuses: Iterable[str]) -> int:
        """How many of the run's conversations are in ``statuses`` (one index scan)."""
        (n,) = self._conn.execute(
            "SELECT count(*) FROM conversations WHERE run_id = ? "
            "AND status IN (SELECT value FROM json_each(?))",
            (run_id, compact(sorted(set(statuses)))),
        ).fetchone()
        return int(n)

    def set_status_of_rest(
        self, run_id: str, statuses: Iterable[str], *, after_seq: int, status: str
    ) -> int:
        """Move the run's conversations in ``statuses`` after ``after_seq`` to ``status`` (a
        cancelled run's conversations that were never started); return how many moved."""
        if status not in CONVERSATION_STATUSES:
            raise ValueError(f"unknown conversation status {status!r}")
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET status = ?, updated_at = ? WHERE run_id = ? "
                "AND seq > ? AND status IN (SELECT value FROM json_each(?))",
                (status, now_text(), run_id, after_seq, compact(sorted(set(statuses)))),
            )
        return cursor.rowcount

    def add_prompts(self, texts: Iterable[str]) -> list[str]:
        """Store rendered prompts once each (by content hash); return their hashes in order."""
        texts = list(texts)
        hashes = [prompt_hash(text) for text in texts]
        with self._write() as conn:
            conn.executemany("INSERT OR IGNORE INTO prompts (hash, text) VALUES (?, ?)",
                             zip(hashes, texts))
        return hashes

    def prompt_texts(self, hashes: Iterable[str]) -> dict[str, str]:
        """The stored prompts with these hashes (hash → text; unknown hashes are absent)."""
        wanted = compact(sorted(set(hashes)))
        rows = self._conn.execute(
            "SELECT hash, text FROM prompts WHERE hash IN (SELECT value FROM json_each(?))",
            (wanted,),
        )
        return {row[0]: row[1] for row in rows}

    def _of_run(
        self, run_id: str, statuses: Iterable[str] | None, *, with_turns: bool,
        after_seq: int | None = None, limit: int | None = None,
    ) -> list[tuple[int, Transcript]]:
        where, params = "c.run_id = ?", [run_id]
        if statuses is not None:
            wanted = sorted(set(statuses))
            where += " AND c.status IN (SELECT value FROM json_each(?))"
            params.append(compact(wanted))
        if after_seq is not None:
            where += " AND c.seq > ?"
            params.append(after_seq)
        with self._read() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise UnknownRun(run_id, self)
            page = f" LIMIT {int(limit)}" if limit is not None else ""
            rows = conn.execute(f"{_SELECT} WHERE {where} ORDER BY c.seq{page}",
                                params).fetchall()
            turns: dict[int, list[Turn]] = {row["seq"]: [] for row in rows}
            if with_turns and rows:
                # The turns of exactly these conversations: a rowid range scan per conversation.
                for turn in conn.execute(
                    f"""
                    SELECT t.* FROM conversations AS c
                    JOIN turns AS t ON {TURN_OF_CONVERSATION}
                    WHERE c.seq IN (SELECT value FROM json_each(?)) ORDER BY t.id
                    """,
                    (compact(list(turns)),),
                ):
                    turns[turn["conversation_seq"]].append(turn_from_row(turn))
        return [(row["seq"], transcript_from_row(row, turns[row["seq"]])) for row in rows]


class _LevelSets:
    """Finds or creates the level set of a conversation's levels (cached for one batch)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._ids: dict[str, int] = {}

    def id_of(self, levels: dict[str, str]) -> int:
        text = canonical(levels)
        set_id = self._ids.get(text)
        if set_id is None:
            row = self._conn.execute("SELECT id FROM level_sets WHERE levels = ?", (text,)).fetchone()
            if row is None:
                (set_id,) = self._conn.execute(
                    "INSERT INTO level_sets (levels) VALUES (?) RETURNING id", (text,)
                ).fetchone()
                self._conn.executemany(
                    "INSERT INTO level_set_members (level_set_id, axis, level) VALUES (?, ?, ?)",
                    [(set_id, axis, level) for axis, level in levels.items()],
                )
            else:
                set_id = row[0]
            self._ids[text] = set_id
        return set_id


def _row(conv: NewConversation, now: str, level_sets: _LevelSets) -> tuple[object, ...]:
    """Insert parameters of a conversation, without its id."""
    created = to_text(conv.created_at) if conv.created_at else now
    return (
        conv.run_id,
        conv.source,
        conv.persona_hash,
        conv.persona_id,
        conv.scenario,
        conv.profile,
        canonical(conv.levels),
        conv.patient_model,
        conv.clinician,
        conv.seed,
        conv.sample,
        conv.status,
        created,
        None if conv.patient_prompt is None else prompt_hash(conv.patient_prompt),
        None if conv.clinician_prompt is None else prompt_hash(conv.clinician_prompt),
        conv.patient_template_hash,
        conv.clinician_template_hash,
        compact(conv.metadata),
        created,
        level_sets.id_of(conv.levels),
    )


def prompt_hash(text: str) -> str:
    """Content hash under which a rendered prompt is stored."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def turn_from_row(row: sqlite3.Row) -> Turn:
    """A domain turn from a ``turns`` row."""
    return Turn(
        index=row["idx"],
        role=row["role"],
        text=row["text"],
        state=json.loads(row["state"]),
        latency_s=row["latency_s"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        created_at=from_text(row["created_at"]),
    )


def conversation_fields(row: sqlite3.Row) -> dict[str, Any]:
    """The fields a transcript and a conversation summary share, from a ``conversations`` row."""
    return {
        "id": row["id"],
        "run_id": row["run_id"],
        "source": row["source"],
        "persona_id": row["persona_id"],
        "scenario": row["scenario"],
        "profile": row["profile"],
        "levels": json.loads(row["levels"]),
        "patient_model": row["patient_model"],
        "clinician": row["clinician"],
        "seed": row["seed"],
        "sample": row["sample"],
        "status": row["status"],
        "created_at": from_text(row["created_at"]),
    }


def transcript_from_row(row: sqlite3.Row, turns: list[Turn]) -> Transcript:
    """A domain transcript from a ``conversations`` row and its turns."""
    return Transcript(
        **conversation_fields(row),
        persona_hash=row["persona_hash"],
        failure_reason=row["failure_reason"],
        patient_prompt=row["patient_prompt"],
        clinician_prompt=row["clinician_prompt"],
        patient_template_hash=row["patient_template_hash"],
        clinician_template_hash=row["clinician_template_hash"],
        metadata=json.loads(row["metadata"]),
        turns=turns,
    )
