"""What the Annotate and Adjudicate pages show: the widgets each rubric item needs, the value a
form's answers make, the answer keys (digits answer one item at a time, as in Label Studio), the
rubric's guidelines, turns with their tagged phrases highlighted, and the disputes table.

Rubric texts come from shared libraries and turn texts from models or imports: every string
returned for Markdown goes through :func:`~workbench.views.transcript_view.inert_markdown`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from workbench.annotation.adjudication import FLAG_ITEM, SKIP_ITEM, Dispute
from workbench.annotation.drafts import FormItems, Key
from workbench.domain.rubric import AnyItem, Rubric, SpanItem
from workbench.domain.spans import parse_spans, phrases_by_label, spans_from_phrases
from workbench.views.transcript_view import inert_markdown


class Widget(NamedTuple):
    """One Streamlit widget to draw: ``getattr(st, kind)(label, **kwargs)``."""

    kind: str
    """``radio``, ``multiselect`` or ``text_area``."""
    label: str
    """Inert Markdown label."""
    kwargs: dict[str, Any]
    """Keyword arguments (key, help, options, index/default/value, format_func...)."""


def item_label(item: AnyItem) -> str:
    """The item's label and question as inert Markdown."""
    return inert_markdown(f"{item.label}: {item.question}" if item.question else item.label)


def queue_facets(facets: dict[str, list[str]], blind: bool) -> list[str]:
    """The facets the queue can be filtered by: only the scenario in blind mode (the others name
    who produced the conversation), else also the model, the run and every axis."""
    if blind:
        return ["scenario"] if facets.get("scenario") else []
    keys = ["scenario", "patient_model", "run_id", *(k for k in facets if k.startswith("axis:"))]
    return [k for k in keys if facets.get(k)]


def position_line(pos: int, total: int, status: str, marks: dict[str, Any]) -> str:
    """E.g. ``Conversation **3** of 40 · draft · flagged`` (Markdown; no stored text in it)."""
    return " · ".join([f"Conversation **{pos + 1}** of {total}", status]
                      + ["skipped"] * (SKIP_ITEM in marks) + ["flagged"] * (FLAG_ITEM in marks))


def nothing_stored(found: Sequence[str]) -> str:
    """The problems that stopped a save, as one inert Markdown paragraph and list."""
    return "Nothing was stored:\n\n" + "\n".join(f"- {inert_markdown(p)}" for p in found)


def widget_key(conversation_id: str, rubric_id: str, turn_idx: int | None, item_id: str) -> str:
    """The Streamlit key of the widget asking one item (``c`` for the whole conversation)."""
    where = "c" if turn_idx is None else str(turn_idx)
    return f"annotate_{conversation_id}_{rubric_id}_{where}_{item_id}"


class AnswerKey(NamedTuple):
    """One key that answers an item: press ``key`` to choose ``value``."""

    key: str
    """The keyboard key (``"1"``...)."""
    value: Any
    """The answer it chooses (a rating point or a label id)."""
    label: str
    """The button's label, inert Markdown (``1 · Not at all``)."""


class KeyedItem(NamedTuple):
    """An item the digit keys can answer, where it sits in the form, and its keys."""

    where: Key
    """(turn index or None, item id)."""
    widget: str
    """The key of its form widget (see :func:`widget_key`)."""
    title: str
    """Plain text: the item's label, and its turn when it is asked per turn."""
    keys: list[AnswerKey]


def keyed_items(items: FormItems, conversation_id: str, rubric_id: str) -> list[KeyedItem]:
    """The form's single-choice items in form order (turn items by turn, then the conversation's)
    with the digit each answer takes.

    A rating scale whose points are all single digits is answered by the point itself (``3``
    chooses 3, also on a 0–4 scale); other scales and label items by position, 1–9. Items with
    more than nine answers, multi-label, span and free-text items have no keys.
    """
    ordered = [(idx, item) for idx in sorted(items.turns) for item in items.turns[idx]]
    ordered += [(None, item) for item in items.conversation]
    keyed = []
    for idx, item in ordered:
        if item.type == "rating":
            values, names = list(item.points), [item.anchors[p] for p in item.points]
            by_point = all(0 <= p <= 9 for p in values)
        elif item.type == "label":
            values, names = [c.id for c in item.choices], [c.label for c in item.choices]
            by_point = False
        else:
            continue
        if len(values) > 9:
            continue
        digits = [str(v) if by_point else str(n) for n, v in enumerate(values, start=1)]
        title = item.label if idx is None else f"{item.label} (turn {idx + 1})"
        keyed.append(KeyedItem((idx, item.id), widget_key(conversation_id, rubric_id, idx, item.id),
                               title, [AnswerKey(d, v, inert_markdown(f"{d} · {name}"))
                                       for d, v, name in zip(digits, values, names)]))
    return keyed


KEYS_HELP = ("Press a digit to answer the item chosen here, as the buttons below show; the keys "
             "then move to the next item. Ctrl+Enter submits the form. Keys do nothing while "
             "you type in a text box.")


def start_at(keyed: Sequence[KeyedItem], saved: dict[Key, Any]) -> int:
    """Where the keys start: the first keyed item without a stored answer (the last item when
    all have one)."""
    return next((n for n, k in enumerate(keyed) if saved.get(k.where) is None), len(keyed) - 1)


def pressed(keyed: Sequence[KeyedItem], at: int, answer: AnswerKey, pointer: str
            ) -> dict[str, Any]:
    """The session-state changes an answer key makes: the answer into the item's form widget,
    which widget was answered (so the page passes it no default), and the keys on to the next
    item (they stay on the last)."""
    widget = keyed[at].widget
    return {widget: answer.value, "annotate_keyed": widget,
            pointer: min(at + 1, len(keyed) - 1)}


def widgets_for(item: AnyItem, value: Any, key: str, *, preset: bool = False) -> list[Widget]:
    """The widgets that ask ``item``, prefilled with the stored ``value``.

    A span item asks one text box per label ("phrases that ..., one per line"); every other item
    one widget. ``preset``: the page already put this run's answer in the widget's state (an
    answer key was pressed), so no default is passed (Streamlit warns about both).
    """
    widgets = _widgets_for(item, value, key)
    if preset:
        for widget in widgets:
            for default in ("index", "default", "value"):
                widget.kwargs.pop(default, None)
    return widgets


def ask(container: Any, item: AnyItem, value: Any, key: str, keyed_now: str | None) -> list[Any]:
    """Draw the widgets asking ``item`` in a Streamlit ``container`` (``st``, a column...) and
    return their answers. ``keyed_now``: the widget an answer key filled in this run, if any."""
    return [getattr(container, w.kind)(w.label, **w.kwargs)
            for w in widgets_for(item, value, key, preset=key == keyed_now)]


def _widgets_for(item: AnyItem, value: Any, key: str) -> list[Widget]:
    help_text = inert_markdown(item.help) if item.help else None
    label = item_label(item)
    if item.type == "rating":
        points = list(item.points)
        return [Widget("radio", label, {
            "options": points, "index": points.index(value) if value in points else None,
            "format_func": lambda p: inert_markdown(f"{p} · {item.anchors[p]}"),
            "help": help_text, "key": key, "horizontal": len(points) <= 5})]
    if item.type == "span":
        grouped = phrases_by_label(value)
        return [Widget("text_area", inert_markdown(f"{item.label} · {choice.label}"), {
            "value": "\n".join(grouped.get(choice.id, [])), "height": 68,
            "help": inert_markdown(f"{choice.description} " if choice.description else "")
            + "Copy each phrase from the turn exactly, one per line.",
            "placeholder": "copy the words from the turn here, one phrase per line",
            "key": f"{key}__{choice.id}"}) for choice in item.choices]
    if item.type in ("label", "multi_label"):
        names = {c.id: c.label for c in item.choices}
        if item.type == "multi_label":
            return [Widget("multiselect", label, {
                "options": list(names), "default": value or [], "format_func": names.get,
                "help": help_text, "key": key})]
        ids = list(names)
        return [Widget("radio", label, {
            "options": ids, "index": ids.index(value) if value in ids else None,
            "format_func": lambda c: inert_markdown(names[c]), "horizontal": True,
            "help": help_text, "key": key})]
    return [Widget("text_area", label, {"value": value or "", "max_chars": item.max_chars,
                                        "help": help_text, "key": key})]


def value_from(item: AnyItem, answers: Sequence[Any], turn_text: str | None) -> tuple[Any,
                                                                                       list[str]]:
    """The value the widgets' ``answers`` make for ``item``, and plain problems (phrases not
    found in the turn)."""
    if not isinstance(item, SpanItem):
        return answers[0], []
    phrases = {choice.id: str(answer or "").splitlines()
               for choice, answer in zip(item.choices, answers)}
    spans, missing = spans_from_phrases(turn_text or "", phrases)
    return spans, [f"{item.label}: {why}" for why in missing]


def highlighted_turn(text: str, value: Any, item: SpanItem) -> str:
    """The turn as inert Markdown with each tagged phrase highlighted and its label after it."""
    spans, _ = parse_spans(value or [])
    names = {c.id: c.label for c in item.choices}
    out, last = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < last:  # overlapping spans: the later one is listed, not re-highlighted
            continue
        out.append(inert_markdown(text[last:span.start]))
        out.append(f":orange-background[{inert_markdown(span.text)}]"
                   f" :gray[\\[{inert_markdown(names.get(span.label, span.label))}\\]]")
        last = span.end
    out.append(inert_markdown(text[last:]))
    return "".join(out)


def guidelines(rubric: Rubric, items: Sequence[AnyItem]) -> str:
    """The rubric's guidelines as inert Markdown: its description, then each item's question,
    help and the meaning of every point, label or span label."""
    lines = [inert_markdown(rubric.description.strip())] if rubric.description else []
    for item in {item.id: item for item in items}.values():  # a turn item once, not per turn
        lines.append(f"**{inert_markdown(item.label)}**"
                     + (f" ({'per turn' if item.scope == 'turn' else 'whole conversation'})"))
        if item.question:
            lines.append(inert_markdown(item.question))
        if item.help:
            lines.append(f"_{inert_markdown(item.help)}_")
        if item.type == "rating":
            lines += [f"- {p}: {inert_markdown(item.anchors[p])}" for p in item.points]
        elif item.type != "text":
            lines += [f"- {inert_markdown(c.label)}"
                      + (f": {inert_markdown(c.description)}" if c.description else "")
                      for c in item.choices]
    return "\n\n".join(lines)


def answer_text(item: AnyItem | None, value: Any) -> str:
    """An answer in words (labels rather than ids; spans as "phrase" → label); plain text."""
    if item is None or value is None:
        return "" if value is None else str(value)
    if item.type == "rating":
        return f"{value} · {item.anchors.get(value, '?')}"
    names = {c.id: c.label for c in getattr(item, "choices", ())}
    if item.type == "label":
        return names.get(value, str(value))
    if item.type == "multi_label":
        return ", ".join(names.get(v, str(v)) for v in value) or "(none)"
    if item.type == "span":
        spans, _ = parse_spans(value)
        return "; ".join(f"“{s.text}” → {names.get(s.label, s.label)}" for s in spans) or "(none)"
    return str(value)


def dispute_rows(found: Sequence[Dispute], items: dict[str, AnyItem]) -> list[dict[str, Any]]:
    """One table row per dispute: where, which item, how many answers, resolved or not."""
    return [{"conversation": d.conversation_id,
             "turn": "" if d.turn_idx is None else d.turn_idx,
             "item": items[d.item].label if d.item in items else d.item,
             "annotators": len(d.answers), "different answers": d.n_distinct,
             "resolved": "yes" if d.resolved is not None else "no"} for d in found]


def dispute_title(d: Dispute, items: dict[str, AnyItem]) -> str:
    """A one-line name of a dispute (plain text, for a selectbox)."""
    where = "" if d.turn_idx is None else f", turn {d.turn_idx}"
    label = items[d.item].label if d.item in items else d.item
    done = " ✓" if d.resolved is not None else ""
    return f"{d.conversation_id}{where} · {label} · {d.n_distinct} answers{done}"
