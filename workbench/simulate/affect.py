"""Planning a patient's emotional arc: resolve the start, render every reachable state's text.

Like the scheduled levels' prompts, every text the arc can put into the patient prompt is
rendered once when the run is planned and stored in the conversation's plan, so executing or
resuming the run never reads the library again and a resumed conversation sees the same texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.domain.affect import (
    INTENSITY_LABELS,
    MAX_INTENSITY,
    NEUTRAL,
    PROFILE_EMOTION,
    AffectArc,
    AffectPlan,
    profile_value,
    reachable_emotions,
    state_text_key,
)
from workbench.domain.prompts import PromptError, ResolvedPersona, render_template

if TYPE_CHECKING:
    from workbench.library import Library


def arc_level(resolved: ResolvedPersona) -> tuple[str, str, AffectArc] | None:
    """``(axis id, level id, arc)`` of the persona's level that carries an arc, if any."""
    for axis_id, level_id in resolved.persona.levels.items():
        axis = resolved.axes.get(axis_id)
        if axis is None:
            continue
        level = axis.level(level_id)
        if level.affect is not None:
            return axis_id, level_id, level.affect
    return None


def start_emotion(arc: AffectArc, profile: dict[str, Any]) -> str:
    """The arc's start emotion; ``profile``: the first emotion of the first situation."""
    if arc.start.emotion != PROFILE_EMOTION:
        return arc.start.emotion
    first = profile_value(profile, "cognitive_model.situations.0.emotions.0")
    return str(first) if first else arc.start.fallback


def chain_items(arc: AffectArc, profile: dict[str, Any]) -> list[str]:
    """The complaint chain's items found in the profile, in order (lists joined by commas)."""
    if arc.complaint_chain is None:
        return []
    items = []
    for path in arc.complaint_chain.items:
        value = profile_value(profile, path)
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        if value:
            items.append(str(value))
    return items


def plan_affect(library: Library, resolved: ResolvedPersona) -> AffectPlan | None:
    """The persona's arc ready to run, or None when it has no arc level.

    Raises:
        PromptError: the state template is missing or fails (naming the persona file).
    """
    found = arc_level(resolved)
    if found is None:
        return None
    axis_id, level_id, arc = found
    axis = resolved.axes[axis_id]
    assert axis.acts is not None and axis.state_template is not None  # the Axis validator
    profile = resolved.profile.model_dump(mode="python")
    emotion = start_emotion(arc, profile)
    items = chain_items(arc, profile)
    texts: dict[str, str] = {}
    for shown in reachable_emotions(arc, emotion):
        for intensity in range(MAX_INTENSITY + 1):
            if shown != NEUTRAL and intensity == 0:
                continue  # a non-neutral emotion is never shown at intensity 0
            for step in range(max(1, len(items))):
                context = {
                    "arc": level_id,
                    "emotion": shown,
                    "intensity": intensity,
                    "intensity_label": INTENSITY_LABELS[intensity],
                    "told": items[:step + 1],
                    "later": items[step + 1:],
                    "profile": profile,
                }
                try:
                    text = render_template(axis.state_template, library.templates(), context)
                except PromptError as exc:
                    raise PromptError(f"{resolved.source}: level {axis_id}={level_id}: {exc}"
                                      ) from None
                texts[state_text_key(shown, intensity, step)] = text
    chain = arc.complaint_chain
    return AffectPlan(
        arc=level_id, emotion=emotion, intensity=arc.start.intensity, rules=arc.rules,
        acts=axis.acts, texts=texts,
        chain_advance_on=chain.advance_on if chain and items else (),
        chain_every=chain.every if chain else 1, chain_length=len(items),
    )
