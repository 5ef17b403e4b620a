"""Annotation queries: a whole form's values in one transaction; candidates for blind A/B."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from workbench.store.annotations import AnnotationQueries
from workbench.store.records import Annotation


class PairCandidate(NamedTuple):
    """The first finished conversation of a persona under one run, model and template."""

    persona_hash: str
    persona_id: str | None
    run_id: str | None
    patient_model: str | None
    patient_template_hash: str | None
    conversation_id: str


class AnnotationBatchQueries(AnnotationQueries):
    """Store several annotation values at once."""

    def put_annotations(
        self, annotations: Sequence[Annotation], *, cleared: Sequence[Annotation] = ()
    ) -> list[int]:
        """Store every value (as ``put_annotation`` does) in one transaction, and return the ids.

        Either all values are stored or, if one fails, none is (a submission never lands half).

        Args:
            annotations: The values to store.
            cleared: Targets (conversation, turn, rubric, item, annotator; value and status
                ignored) whose stored value the annotator cleared: deleted in the same
                transaction, so an emptied answer does not live on.

        Raises:
            UnknownConversation, StoreError: as ``put_annotation``; nothing is stored then.
        """
        with self._write() as conn:
            conn.executemany(
                """
                DELETE FROM annotations
                WHERE conversation_id = ? AND ifnull(turn_idx, -1) = ifnull(?, -1)
                  AND rubric = ? AND item = ? AND annotator = ?
                """,
                [(a.conversation_id, a.turn_idx, a.rubric, a.item, a.annotator) for a in cleared],
            )
            return [self.put_annotation(a) for a in annotations]

    def pair_candidates(self) -> list[PairCandidate]:
        """One finished simulated conversation (the first by id) per persona, run, patient model
        and patient template: what blind A/B pairs are made of, in one grouped scan."""
        with self._read() as conn:
            rows = conn.execute(
                """
                SELECT persona_hash, MIN(persona_id), run_id, patient_model,
                       patient_template_hash, MIN(id)
                FROM conversations
                WHERE status = 'done' AND source = 'simulated' AND persona_hash IS NOT NULL
                GROUP BY persona_hash, run_id, patient_model, patient_template_hash
                """
            ).fetchall()
        return [PairCandidate(*tuple(row)) for row in rows]
