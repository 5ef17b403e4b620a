"""What a conversation is annotated with, and the annotator's values as drafts and submissions.

A form's values are keyed by ``(turn index or None, item id)``. Saving stores every answered value
with status ``draft``; submitting checks the values (and that required items are answered) and
stores them all with status ``submitted``, in one transaction. Nothing is stored when a check fails.
An answer the annotator cleared is deleted (in the same transaction), and a submitted form is
changed only by submitting again: a draft save would silently withdraw the submission.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from workbench.annotation.adjudication import is_mark
from workbench.domain.rubric import AnyItem, Rubric, SpanItem
from workbench.domain.spans import check_spans
from workbench.domain.transcript import Role, Transcript
from workbench.store.records import Annotation, PersonaRecord
from workbench.store.store import Store

Key = tuple[int | None, str]
"""(turn index, or None for the whole conversation; item id)."""


class FormItems(NamedTuple):
    """The items one conversation is asked under one rubric."""

    conversation: list[AnyItem]
    """Items about the whole conversation (per-axis fidelity items first)."""
    turns: dict[int, list[AnyItem]]
    """Turn index → items for that turn (only turns whose speaker has items)."""

    def by_key(self) -> dict[Key, AnyItem]:
        """Every (turn, item id) the form asks, with its item."""
        keyed: dict[Key, AnyItem] = {(None, item.id): item for item in self.conversation}
        for idx, items in self.turns.items():
            keyed.update({(idx, item.id): item for item in items})
        return keyed


def default_rubric(persona: PersonaRecord | None, rubric_ids: Sequence[str]) -> str | None:
    """The scenario's default rubric when it exists, else the first rubric (None: no rubric)."""
    scenario = (persona.body.get("scenario") or {}) if persona else {}
    wanted = scenario.get("default_rubric")
    if wanted in rubric_ids:
        return str(wanted)
    return rubric_ids[0] if rubric_ids else None


def form_items(
    rubric: Rubric, transcript: Transcript, persona: PersonaRecord | None, *, blind: bool
) -> FormItems:
    """The rubric's items for this conversation: per-axis items from the persona's axes,
    scenario-specific items, and turn items for each turn of the speaker they apply to.

    Each axis item's help names the intended level and its description, in blind mode too:
    "how faithfully does the patient keep to the intended level?" cannot be answered without
    it. Blind mode hides who produced the conversation (model, run, persona), not what it was
    meant to show; ``blind`` is kept for callers that render the rest of the form.
    """
    del blind  # the items are the same; the page hides the rest
    resolved = persona.resolved() if persona is not None else None
    axes = list(resolved.axes.values()) if resolved is not None else []
    levels = None if resolved is None else dict(resolved.persona.levels)
    items = rubric.items_for(axes, levels, scenario=transcript.scenario)
    turns: dict[int, list[AnyItem]] = {}
    for turn in transcript.turns:
        for_turn = [item for item in items if item.applies_to(_role(turn.role))]
        if for_turn:
            turns[turn.index] = for_turn
    return FormItems([item for item in items if item.applies_to(None)], turns)


def _role(role: str) -> Role:
    return "patient" if role == "patient" else "clinician"


def stored_values(
    annotations: Sequence[Annotation], conversation_id: str, rubric_id: str, annotator: str
) -> dict[Key, Any]:
    """The annotator's stored values (drafts and submissions) for this conversation and rubric."""
    return {
        (a.turn_idx, a.item): a.value
        for a in annotations
        if a.conversation_id == conversation_id and a.rubric == rubric_id
        and a.annotator == annotator
    }


def status_of(
    annotations: Sequence[Annotation], conversation_id: str, rubric_id: str, annotator: str
) -> str:
    """``submitted``, ``draft`` or ``new``: where the annotator is with this conversation."""
    statuses = {
        a.status for a in annotations
        if a.conversation_id == conversation_id and a.rubric == rubric_id
        and a.annotator == annotator and not is_mark(a.item)
    }
    if not statuses:
        return "new"
    return "submitted" if statuses == {"submitted"} else "draft"


def is_answered(value: Any) -> bool:
    """Whether a widget value is an answer (an empty multi-label or text is not stored)."""
    return value is not None and value != "" and value != []


def problems(values: Mapping[Key, Any], items: Mapping[Key, AnyItem], *, submit: bool,
             texts: Mapping[int, str] | None = None) -> list[str]:
    """What stops these values from being stored (submitting also needs every required item).

    ``texts`` (turn index → text) lets span values be checked against the turn they quote; a
    span value on a turn without its text is refused.
    """
    found = []
    for key, value in values.items():
        item = items.get(key)
        if item is None:
            found.append(f"item {key[1]!r} is not asked here")
        elif is_answered(value) and (why := item.check_value(value)) is not None:
            found.append(why)
        elif is_answered(value) and isinstance(item, SpanItem):
            text = (texts or {}).get(key[0]) if key[0] is not None else None
            why = ("span labels need the turn's text" if text is None
                   else check_spans(value, text, item.choice_ids))
            if why:
                found.append(f"{item.label} (turn {key[0]}): {why}")
    if submit:
        found += [
            f"{item.label}{'' if idx is None else f' (turn {idx})'} needs an answer"
            for (idx, _), item in items.items()
            if item.required and not is_answered(values.get((idx, item.id)))
        ]
    return found


def save_values(
    store: Store,
    conversation_id: str,
    rubric_id: str,
    annotator: str,
    values: Mapping[Key, Any],
    items: Mapping[Key, AnyItem],
    *,
    submit: bool,
    texts: Mapping[int, str] | None = None,
) -> list[str]:
    """Store the answered values as drafts (or, with ``submit``, as submitted).

    ``texts`` (turn index → text) is needed when the form has span items.

    Returns:
        The problems that stopped it (nothing is stored then); empty when stored.
    """
    if not annotator.strip():
        return ["an annotator name is needed; type it at the top of the page"]
    found = problems(values, items, submit=submit, texts=texts)
    mine = store.annotations(conversation_id, annotator=annotator)
    if not submit and status_of(mine, conversation_id, rubric_id, annotator) == "submitted":
        found.append("these answers are submitted already; change them with Submit (saving a "
                     "draft would withdraw the submission)")
    if found:
        return found
    status = "submitted" if submit else "draft"
    stored = stored_values(mine, conversation_id, rubric_id, annotator)

    def target(idx: int | None, item_id: str, value: Any = None) -> Annotation:
        return Annotation(conversation_id=conversation_id, turn_idx=idx, rubric=rubric_id,
                          item=item_id, value=value, annotator=annotator, status=status)

    store.put_annotations(
        [target(idx, item_id, value) for (idx, item_id), value in values.items()
         if is_answered(value)],
        cleared=[target(*key) for key, value in values.items()
                 if not is_answered(value) and key in stored],
    )
    return []


def other_answers(
    annotations: Sequence[Annotation], conversation_id: str, rubric_id: str, annotator: str
) -> list[dict[str, Any]]:
    """Other annotators' values on this conversation (shown only outside blind mode)."""
    return [
        {"annotator": a.annotator, "turn": "" if a.turn_idx is None else a.turn_idx,
         "item": a.item, "value": str(a.value), "status": a.status}
        for a in annotations
        if a.conversation_id == conversation_id and a.rubric == rubric_id
        and a.annotator != annotator and not is_mark(a.item)
    ]
