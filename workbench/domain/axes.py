"""Persona axes and their levels.

An axis (personality, language proficiency, recall, confusion, conversational style...) is data
under ``personas/axes/``. Each level contributes a piece of prompt text, may cap the reply length,
and may carry a per-turn schedule (confusion that eases as the clinician reassures).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.domain.affect import ActRules, AffectArc


class Schedule(BaseModel):
    """How a level changes during a conversation.

    The patient starts at the level that owns the schedule; after ``after_turns`` clinician turns
    that contain at least one of ``triggers`` (when triggers are given), the level becomes ``next``.
    The next level may have its own schedule, so chains such as high → moderate → normal are data.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    next: str
    """Id of the level this one eases into (same axis)."""
    after_turns: int = Field(ge=1)
    """How many qualifying clinician turns it takes to move on."""
    triggers: tuple[str, ...] = ()
    """Case-insensitive phrases that make a clinician turn count (e.g. reassurance). Empty: every
    clinician turn counts."""


class Level(BaseModel):
    """One level of an axis, e.g. personality ``verbose`` or language ``A``."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    """Short id used in persona files, e.g. ``verbose``."""
    label: str
    """Human label shown in the app."""
    description: str
    """What the level means, for annotators and researchers."""
    prompt: str
    """The text this level contributes to the patient's system prompt."""
    max_sentences: int | None = Field(default=None, ge=1)
    """Optional cap on sentences per patient reply (stated in the prompt, measured per turn)."""
    schedule: Schedule | None = None
    """Optional per-turn change of level."""
    affect: AffectArc | None = None
    """Optional arc template: the patient's emotion and intensity, moved each turn by rules
    (see ``workbench.domain.affect``)."""


class Axis(BaseModel):
    """A dimension along which personas vary."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Id used as the key in a persona's ``levels`` mapping, e.g. ``personality``."""
    label: str
    """Human label."""
    description: str
    """What the axis varies and why it matters."""
    levels: tuple[Level, ...] = Field(min_length=1)
    """The levels, in a meaningful order (ordinal axes go low → high)."""
    priority: int = 0
    """When several levels cap reply length or compete in the prompt, higher priority wins
    (confusion outranks personality while it is high)."""
    acts: ActRules | None = None
    """For an axis whose levels carry ``affect``: the ordered rules classifying each clinician
    turn's act, which the affect rules name."""
    state_template: str | None = None
    """For an axis whose levels carry ``affect``: the template under ``personas/templates/``
    that renders the state into the patient prompt."""

    @model_validator(mode="after")
    def _unique_levels_and_schedules(self) -> Axis:
        ids = [level.id for level in self.levels]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate level ids: {', '.join(dupes)}")
        for level in self.levels:
            if level.schedule and level.schedule.next not in ids:
                raise ValueError(
                    f"level {level.id!r} schedule points to unknown level {level.schedule.next!r}"
                )
        if any(level.affect for level in self.levels) and not (self.acts and self.state_template):
            raise ValueError("levels with `affect` need the axis to set `acts` and "
                             "`state_template`")
        return self

    @property
    def level_ids(self) -> tuple[str, ...]:
        """Level ids in order."""
        return tuple(level.id for level in self.levels)

    def level(self, level_id: str) -> Level:
        """Return the level with this id.

        Raises:
            KeyError: with a message listing the valid levels.
        """
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(
            f"unknown level {level_id!r} for axis {self.id!r}; valid: {', '.join(self.level_ids)}"
        )


def effective_sentence_cap(levels: list[tuple[Axis, Level]]) -> int | None:
    """The reply-length cap in force for a set of active levels.

    The level on the highest-priority axis that sets a cap wins; among equals, the smallest cap.
    """
    capped = [(axis.priority, level.max_sentences) for axis, level in levels if level.max_sentences]
    if not capped:
        return None
    top = max(p for p, _ in capped)
    return min(c for p, c in capped if p == top)
