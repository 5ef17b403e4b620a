"""Per-turn patient state: levels that change on a schedule, and reply-length measurement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbench.domain.axes import Axis

_SENTENCE_END = re.compile(r"[.!?…]+(?:[\"')\]]*)(?:\s+|$)")


def count_sentences(text: str) -> int:
    """Count sentences in a reply: runs of terminal punctuation, plus a trailing fragment."""
    stripped = text.strip()
    if not stripped:
        return 0
    ends = list(_SENTENCE_END.finditer(stripped))
    tail = stripped[ends[-1].end():].strip() if ends else stripped
    return len(ends) + (1 if tail else 0)


@dataclass
class PatientState:
    """Active levels of scheduled axes and the progress toward their next level.

    ``levels`` holds only the axes whose level has moved or can move; the persona's own levels
    apply to the rest.
    """

    levels: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, persona_levels: dict[str, str], axes: dict[str, Axis]) -> PatientState:
        """Initial state: scheduled axes at the persona's level, counters at zero."""
        state = cls()
        for axis_id, level_id in persona_levels.items():
            axis = axes.get(axis_id)
            if axis is not None and axis.level(level_id).schedule is not None:
                state.levels[axis_id] = level_id
                state.counts[axis_id] = 0
        return state

    def after_clinician_turn(self, text: str, axes: dict[str, Axis]) -> PatientState:
        """The state after the clinician said ``text`` (a new object; self is unchanged)."""
        new = PatientState(dict(self.levels), dict(self.counts))
        lowered = text.lower()
        for axis_id, level_id in self.levels.items():
            schedule = axes[axis_id].level(level_id).schedule
            if schedule is None:
                continue
            if schedule.triggers and not any(t.lower() in lowered for t in schedule.triggers):
                continue
            new.counts[axis_id] = self.counts.get(axis_id, 0) + 1
            if new.counts[axis_id] >= schedule.after_turns:
                new.levels[axis_id] = schedule.next
                new.counts[axis_id] = 0
        return new

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for a turn's ``state``."""
        return {"levels": dict(self.levels), "counts": dict(self.counts)}
