"""Adjudication: the items annotators disagree on, their answers side by side, and the resolved
answer, stored as its own annotation (annotator ``adjudicated:<name>``) so that agreement
figures, which must compare independent ratings, leave it out.

Also the two marks an annotator can put on a conversation besides answering the rubric: *skip*
(not annotated, on purpose) and *flag* (needs someone's attention, with a note). They are stored
as annotations of reserved item ids that no rubric item can take (rubric ids are ``[a-z0-9_]``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from workbench.store.records import Annotation
from workbench.store.store import Store

ADJUDICATED_PREFIX = "adjudicated:"
"""Annotator names starting with this hold resolved answers."""
JUDGE_PREFIX = "judge:"
"""Annotator names starting with this are LLM judges."""
FLAG_ITEM = "@flag"
"""Reserved item id: the annotator flagged the conversation (value: the note)."""
SKIP_ITEM = "@skip"
"""Reserved item id: the annotator skipped the conversation (value: true)."""
MARK_ITEMS = (FLAG_ITEM, SKIP_ITEM)


def is_adjudicated(annotator: str) -> bool:
    """Whether the annotator name holds resolved answers."""
    return annotator.startswith(ADJUDICATED_PREFIX)


def is_mark(item: str) -> bool:
    """Whether the item id is a skip or flag mark rather than a rubric item."""
    return item in MARK_ITEMS


def adjudicator_name(name: str) -> str:
    """The annotator name resolved answers are stored under."""
    return ADJUDICATED_PREFIX + name.strip()


class Dispute(NamedTuple):
    """One item on one conversation (or turn) where human annotators gave different answers."""

    conversation_id: str
    turn_idx: int | None
    item: str
    answers: dict[str, Any]
    """Annotator → submitted value (humans only)."""
    resolved: Any
    """The adjudicated value, or None when not resolved yet."""

    @property
    def n_distinct(self) -> int:
        """How many different answers were given."""
        return len({_canonical(v) for v in self.answers.values()})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def disputes(annotations: Sequence[Annotation], rubric_id: str) -> list[Dispute]:
    """Items of ``rubric_id`` with submitted answers from two or more human annotators that
    differ, most divided first (then by conversation, turn and item)."""
    answers: dict[tuple[str, int | None, str], dict[str, Any]] = {}
    resolved: dict[tuple[str, int | None, str], Any] = {}
    for a in annotations:
        if a.rubric != rubric_id or a.status != "submitted" or is_mark(a.item):
            continue
        key = (a.conversation_id, a.turn_idx, a.item)
        if is_adjudicated(a.annotator):
            resolved[key] = a.value
        elif not a.annotator.startswith(JUDGE_PREFIX):
            answers.setdefault(key, {})[a.annotator] = a.value
    found = [Dispute(*key, dict(sorted(values.items())), resolved.get(key))
             for key, values in answers.items()
             if len(values) >= 2 and len({_canonical(v) for v in values.values()}) >= 2]
    return sorted(found, key=lambda d: (-d.n_distinct, d.conversation_id,
                                        -1 if d.turn_idx is None else d.turn_idx, d.item))


def resolve(store: Store, dispute: Dispute, rubric_id: str, adjudicator: str,
            value: Any) -> int:
    """Store the resolved answer of a dispute under ``adjudicated:<adjudicator>`` and return
    its id (a second resolution by the same adjudicator replaces the first)."""
    if not adjudicator.strip():
        raise ValueError("an adjudicator name is needed; type it at the top of the page")
    return store.put_annotation(Annotation(
        conversation_id=dispute.conversation_id, turn_idx=dispute.turn_idx, rubric=rubric_id,
        item=dispute.item, value=value, annotator=adjudicator_name(adjudicator),
        status="submitted"))


def mark(store: Store, conversation_id: str, rubric_id: str, annotator: str, item: str,
         value: Any) -> int:
    """Store a skip or flag mark of ``annotator`` on a conversation."""
    if not is_mark(item):
        raise ValueError(f"{item!r} is not a mark; use one of {', '.join(MARK_ITEMS)}")
    return store.put_annotation(Annotation(
        conversation_id=conversation_id, rubric=rubric_id, item=item, value=value,
        annotator=annotator, status="submitted"))


def marks_of(annotations: Sequence[Annotation], annotator: str,
             rubric_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Conversation → {mark item: value} of one annotator."""
    found: dict[str, dict[str, Any]] = {}
    for a in annotations:
        if a.annotator == annotator and is_mark(a.item) and rubric_id in (None, a.rubric):
            found.setdefault(a.conversation_id, {})[a.item] = a.value
    return found
