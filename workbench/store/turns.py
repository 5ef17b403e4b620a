"""Appending turns: in order, without gaps or duplicates, full-text indexed in the same commit."""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter

from workbench.domain.transcript import Turn
from workbench.store.connection import StoreBase
from workbench.store.errors import DuplicateTurn, GapInTurns, StoreError, UnknownConversation
from workbench.store.jsontext import compact
from workbench.store.schema import MAX_TURN_INDEX, turn_id
from workbench.store.timestamps import now_text, to_text

_INSERT = """
INSERT INTO turns (id, conversation_seq, idx, role, text, state, latency_s, prompt_tokens,
                   completion_tokens, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_INDEX_TEXT = "INSERT INTO turns_fts (rowid, text) VALUES (?, ?)"


class TurnQueries(StoreBase):
    """Write turns; every path keeps ``n_turns`` and the full-text index in step."""

    def append_turn(self, conversation_id: str, turn: Turn) -> None:
        """Store the next turn of a conversation (one transaction, committed on return).

        Raises:
            UnknownConversation: no such conversation.
            DuplicateTurn: a turn with this index is stored already.
            GapInTurns: the index skips ahead of the next expected one.
        """
        now = now_text()
        with self._write() as conn:
            row = conn.execute(
                "SELECT seq, n_turns FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                raise UnknownConversation(conversation_id, self)
            seq, n_turns = row
            _check_next(conversation_id, turn.index, n_turns)
            params = _params(seq, turn, now)
            conn.execute(_INSERT, params)
            conn.execute(_INDEX_TEXT, (params[0], turn.text))
            conn.execute(
                "UPDATE conversations SET n_turns = ?, updated_at = ? WHERE seq = ?",
                (n_turns + 1, now, seq),
            )

    def append_turns_bulk(self, rows: Iterable[tuple[str, Turn]]) -> int:
        """Store many turns in one transaction (all or none): the path for importers.

        Turns of one conversation must come in index order, continuing from what is stored;
        conversations may be interleaved. The whole batch is checked before anything is written;
        rows are then written in rowid order, one ``executemany`` per table (FTS5 flushes a
        segment whenever a rowid goes backwards). Pass batches of thousands of turns: each call
        is one commit, and bigger batches make fewer, larger full-text segments.

        Returns:
            The number of turns stored.

        Raises:
            UnknownConversation: a conversation id is not stored.
            DuplicateTurn: a turn index is stored already, or repeated in the batch.
            GapInTurns: a turn index skips ahead.
        """
        batch = rows if isinstance(rows, list) else list(rows)
        if not batch:
            return 0
        now = now_text()
        with self._write() as conn:
            cursor = conn.execute(
                "SELECT id, seq, n_turns FROM conversations "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (compact(list(dict.fromkeys(cid for cid, _ in batch))),),
            )
            seqs, next_index = {}, {}
            for cid, seq, n_turns in cursor:
                seqs[cid], next_index[cid] = seq, n_turns
            if self._check_batch(batch, seqs, next_index):
                # Already in rowid order (an importer's usual batch): rows stream into
                # executemany and die young. A list of 40,000 tuples would make the garbage
                # collector walk the caller's objects again and again (a sixth of a bulk load).
                conn.executemany(_INSERT, (_params(seqs[cid], turn, now) for cid, turn in batch))
                conn.executemany(
                    _INDEX_TEXT,
                    ((turn_id(seqs[cid], turn.index), turn.text) for cid, turn in batch),
                )
            else:
                params = sorted(
                    (_params(seqs[cid], turn, now) for cid, turn in batch), key=itemgetter(0)
                )
                conn.executemany(_INSERT, params)
                conn.executemany(_INDEX_TEXT, [(p[0], p[4]) for p in params])
            conn.executemany(
                "UPDATE conversations SET n_turns = ?, updated_at = ? WHERE seq = ?",
                [(next_index[cid], now, seq) for cid, seq in seqs.items()],
            )
        return len(batch)

    def _check_batch(
        self, batch: list[tuple[str, Turn]], seqs: dict[str, int], next_index: dict[str, int]
    ) -> bool:
        """Check a whole batch before writing; advance ``next_index``; say if rowids ascend.

        Raises:
            UnknownConversation, DuplicateTurn, GapInTurns: as ``append_turns_bulk``.
        """
        previous, ascending = -1, True
        for conversation_id, turn in batch:
            seq = seqs.get(conversation_id)
            if seq is None:
                raise UnknownConversation(conversation_id, self)
            index = turn.index
            expected = next_index[conversation_id]
            if index != expected or index > MAX_TURN_INDEX:
                _check_next(conversation_id, index, expected)
            next_index[conversation_id] = index + 1
            rowid = turn_id(seq, index)
            ascending = ascending and rowid > previous
            previous = rowid
        return ascending


def _check_next(conversation_id: str, index: int, expected: int) -> None:
    if index < expected:
        raise DuplicateTurn(conversation_id, index, expected)
    if index > expected:
        raise GapInTurns(conversation_id, index, expected)
    if index > MAX_TURN_INDEX:
        raise StoreError(
            f"conversation {conversation_id!r} is full: at most {MAX_TURN_INDEX + 1} turns"
        )


def _params(seq: int, turn: Turn, now: str) -> tuple[object, ...]:
    return (
        turn_id(seq, turn.index),
        seq,
        turn.index,
        turn.role,
        turn.text,
        compact(turn.state) if turn.state else "{}",
        turn.latency_s,
        turn.prompt_tokens,
        turn.completion_tokens,
        to_text(turn.created_at) if turn.created_at is not None else now,
    )
