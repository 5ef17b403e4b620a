"""Beck's cognitive conceptualization diagram (CCD) with the closed vocabularies of PATIENT-Ψ."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

CORE_BELIEFS: dict[str, tuple[str, ...]] = {
    "helpless": (
        "helpless",
        "incompetent",
        "powerless",
        "victimized",
        "needy",
        "trapped",
        "out of control",
        "a failure",
        "defective",
    ),
    "unlovable": (
        "unlovable",
        "unattractive",
        "undesirable/unwanted",
        "bound to be rejected",
        "bound to be abandoned",
        "bound to be alone",
    ),
    "worthless": (
        "worthless/unacceptable",
        "immoral",
        "bad/dangerous/toxic",
        "does not deserve to live",
    ),
}
"""The 19 core beliefs in their three groups."""

ALL_CORE_BELIEFS: tuple[str, ...] = tuple(b for group in CORE_BELIEFS.values() for b in group)

EMOTIONS: tuple[str, ...] = (
    "sad/down",
    "anxious/worried",
    "angry/frustrated",
    "ashamed/embarrassed",
    "disappointed",
    "jealous",
    "guilty",
    "hurt",
    "suspicious",
)
"""The 9 emotion groups a situation may name (up to 3 each)."""


def belief_group(belief: str) -> str:
    """Return the group (helpless / unlovable / worthless) a core belief belongs to."""
    for group, beliefs in CORE_BELIEFS.items():
        if belief in beliefs:
            return group
    raise KeyError(f"unknown core belief {belief!r}")


class Situation(BaseModel):
    """One situation of the diagram: what happened, what the client thought, felt and did."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    situation: str = Field(min_length=1)
    """The triggering situation, in the client's world."""
    automatic_thoughts: str = Field(min_length=1)
    """The thoughts that came up."""
    emotions: tuple[str, ...] = Field(min_length=1, max_length=3)
    """Up to three emotions from the closed list."""
    behavior: str = Field(min_length=1)
    """What the client did."""

    @field_validator("emotions")
    @classmethod
    def _known_emotions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [e for e in value if e not in EMOTIONS]
        if unknown:
            raise ValueError(
                f"emotion(s) {', '.join(map(repr, unknown))} not in the closed list: "
                + ", ".join(EMOTIONS)
            )
        return value


class CognitiveModel(BaseModel):
    """The diagram itself (life history lives on the CBT profile)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    core_beliefs: tuple[str, ...] = Field(min_length=1)
    """Core beliefs from the closed vocabulary of 19."""
    intermediate_beliefs: str = Field(min_length=1)
    """Rules, attitudes and assumptions."""
    coping_strategies: str = Field(min_length=1)
    """How the client copes with the core beliefs."""
    situations: tuple[Situation, ...] = Field(min_length=1)
    """One or more situations."""

    @field_validator("core_beliefs")
    @classmethod
    def _known_beliefs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [b for b in value if b not in ALL_CORE_BELIEFS]
        if unknown:
            raise ValueError(
                f"core belief(s) {', '.join(map(repr, unknown))} not in the closed list of 19 "
                "(see CORE_BELIEFS: helpless / unlovable / worthless groups)"
            )
        return value

    @property
    def belief_groups(self) -> tuple[str, ...]:
        """Groups the core beliefs fall in, in canonical order."""
        present = {belief_group(b) for b in self.core_beliefs}
        return tuple(g for g in CORE_BELIEFS if g in present)

    @property
    def emotions(self) -> tuple[str, ...]:
        """All emotions named across situations, in canonical order."""
        present = {e for s in self.situations for e in s.emotions}
        return tuple(e for e in EMOTIONS if e in present)
