"""The annotation queue: which conversations an annotator works through, in what order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from workbench.annotation.adjudication import is_mark
from workbench.store.records import Annotation, ConversationSummary

Order = Literal["random", "balanced"]
"""``random``: shuffled with a seed; ``balanced``: levels of one axis taken in turn."""
NO_LEVEL = "(none)"
"""Bucket of conversations whose persona does not set the balancing axis."""


def order_queue(
    summaries: Sequence[ConversationSummary],
    order: Order = "random",
    *,
    seed: int = 0,
    axis: str | None = None,
) -> list[str]:
    """Conversation ids in the order they are annotated.

    Args:
        summaries: the conversations that pass the filters.
        order: ``random`` shuffles them with ``seed``; ``balanced`` shuffles each level of
            ``axis`` with ``seed`` and then takes one conversation of each level in turn, so any
            prefix of the queue covers the levels evenly.
        seed: same seed, same order (every annotator sees the same queue).
        axis: the axis to balance on (``balanced`` only; None falls back to ``random``).
    """
    ids = sorted(s.id for s in summaries)  # the store's order must not leak into the queue
    rng = random.Random(seed)
    if order == "random" or axis is None:
        rng.shuffle(ids)
        return ids
    level_of = {s.id: s.levels.get(axis, NO_LEVEL) for s in summaries}
    buckets: dict[str, list[str]] = {}
    for cid in ids:
        buckets.setdefault(level_of[cid], []).append(cid)
    for level in sorted(buckets):
        rng.shuffle(buckets[level])
    queue: list[str] = []
    lanes = [buckets[level] for level in sorted(buckets)]
    for position in range(max((len(lane) for lane in lanes), default=0)):
        queue += [lane[position] for lane in lanes if position < len(lane)]
    return queue


def submitted_conversations(annotations: Sequence[Annotation], annotator: str,
                            rubric: str | None = None) -> set[str]:
    """Conversations ``annotator`` has submitted (for ``rubric``, or any rubric)."""
    return {
        a.conversation_id
        for a in annotations
        if a.annotator == annotator and a.status == "submitted" and not is_mark(a.item)
        and (rubric is None or a.rubric == rubric)
    }


def progress(queue: Sequence[str], annotations: Sequence[Annotation], annotator: str,
             rubric: str | None = None) -> tuple[int, int]:
    """(conversations of the queue the annotator has submitted, queue size)."""
    done = submitted_conversations(annotations, annotator, rubric)
    return sum(1 for cid in queue if cid in done), len(queue)
