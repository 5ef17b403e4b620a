"""Public-domain / free-to-use questionnaires: PHQ-9, GAD-7 and the Mini-IPIP (Big Five).

Scoring follows the instruments' published rules: PHQ-9 and GAD-7 items are 0–3 and sum to a
total with severity bands; PHQ-9 item 9 (thoughts of self-harm) is a safety flag when non-zero.
Mini-IPIP items are 1–5 Likert, four per factor, some reverse-keyed (6 − answer).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed, or the opposite: being so "
    "fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
)
GAD7_ITEMS: tuple[str, ...] = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)
FREQUENCY_OPTIONS: tuple[str, ...] = (
    "Not at all",
    "Several days",
    "More than half the days",
    "Nearly every day",
)
"""Answer options 0–3 for PHQ-9 and GAD-7 ("over the last two weeks")."""

PHQ9_BANDS: tuple[tuple[int, str], ...] = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately severe"),
    (20, "severe"),
)
GAD7_BANDS: tuple[tuple[int, str], ...] = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))

BigFiveFactor = Literal[
    "extraversion", "agreeableness", "conscientiousness", "neuroticism", "intellect"
]

MINI_IPIP_ITEMS: tuple[tuple[str, BigFiveFactor, bool], ...] = (
    ("Am the life of the party.", "extraversion", False),
    ("Sympathize with others' feelings.", "agreeableness", False),
    ("Get chores done right away.", "conscientiousness", False),
    ("Have frequent mood swings.", "neuroticism", False),
    ("Have a vivid imagination.", "intellect", False),
    ("Don't talk a lot.", "extraversion", True),
    ("Am not interested in other people's problems.", "agreeableness", True),
    ("Often forget to put things back in their proper place.", "conscientiousness", True),
    ("Am relaxed most of the time.", "neuroticism", True),
    ("Am not interested in abstract ideas.", "intellect", True),
    ("Talk to a lot of different people at parties.", "extraversion", False),
    ("Feel others' emotions.", "agreeableness", False),
    ("Like order.", "conscientiousness", False),
    ("Get upset easily.", "neuroticism", False),
    ("Have difficulty understanding abstract ideas.", "intellect", True),
    ("Keep in the background.", "extraversion", True),
    ("Am not really interested in others.", "agreeableness", True),
    ("Make a mess of things.", "conscientiousness", True),
    ("Seldom feel blue.", "neuroticism", True),
    ("Do not have a good imagination.", "intellect", True),
)
"""(item text, factor, reverse-keyed) in the published order; IPIP items are public domain."""

LIKERT_OPTIONS: tuple[str, ...] = (
    "Very inaccurate",
    "Moderately inaccurate",
    "Neither accurate nor inaccurate",
    "Moderately accurate",
    "Very accurate",
)
"""Answer options 1–5 for the Mini-IPIP ("describe yourself as you generally are now")."""

BIG_FIVE_LEVEL_CUTS: tuple[tuple[int, str], ...] = ((4, "low"), (10, "medium"), (15, "high"))
"""Our convention for turning a factor score (4–20) into a level: 4–9 low, 10–14 medium, 15–20
high (equal thirds of the range; the Mini-IPIP has no official bands)."""


def _band(total: int, bands: tuple[tuple[int, str], ...]) -> str:
    label = bands[0][1]
    for floor, name in bands:
        if total >= floor:
            label = name
    return label


def _check_range(items: tuple[int, ...], low: int, high: int, name: str) -> tuple[int, ...]:
    for i, value in enumerate(items, start=1):
        if not low <= value <= high:
            raise ValueError(f"item {i} is {value}; {name} items are {low}–{high}")
    return items


def phq9_band(total: int) -> str:
    """Severity band of a PHQ-9 total (0–27)."""
    return _band(total, PHQ9_BANDS)


def gad7_band(total: int) -> str:
    """Severity band of a GAD-7 total (0–21)."""
    return _band(total, GAD7_BANDS)


class PHQ9(BaseModel):
    """PHQ-9 answers, nine items scored 0–3."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    items: tuple[int, int, int, int, int, int, int, int, int]
    """Answers to items 1–9 in order, each 0 (not at all) to 3 (nearly every day)."""

    @field_validator("items")
    @classmethod
    def _in_range(cls, items: tuple[int, ...]) -> tuple[int, ...]:
        return _check_range(items, 0, 3, "PHQ-9")

    @property
    def total(self) -> int:
        """Sum of the nine items, 0–27."""
        return sum(self.items)

    @property
    def band(self) -> str:
        """Severity band of the total."""
        return phq9_band(self.total)

    @property
    def safety_flag(self) -> bool:
        """True when item 9 (thoughts of death or self-harm) is non-zero: needs a clinician."""
        return self.items[8] > 0


class GAD7(BaseModel):
    """GAD-7 answers, seven items scored 0–3."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    items: tuple[int, int, int, int, int, int, int]
    """Answers to items 1–7 in order, each 0–3."""

    @field_validator("items")
    @classmethod
    def _in_range(cls, items: tuple[int, ...]) -> tuple[int, ...]:
        return _check_range(items, 0, 3, "GAD-7")

    @property
    def total(self) -> int:
        """Sum of the seven items, 0–21."""
        return sum(self.items)

    @property
    def band(self) -> str:
        """Severity band of the total."""
        return gad7_band(self.total)


class MiniIPIP(BaseModel):
    """Mini-IPIP answers, twenty items scored 1–5."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    items: tuple[int, ...] = Field(min_length=20, max_length=20)
    """Answers to items 1–20 in the published order, each 1–5."""

    @field_validator("items")
    @classmethod
    def _in_range(cls, items: tuple[int, ...]) -> tuple[int, ...]:
        return _check_range(items, 1, 5, "Mini-IPIP")

    def factor_scores(self) -> dict[str, int]:
        """Score per Big-Five factor (4–20), reverse-keyed items flipped."""
        scores: dict[str, int] = {}
        for answer, (_, factor, reverse) in zip(self.items, MINI_IPIP_ITEMS):
            scores[factor] = scores.get(factor, 0) + (6 - answer if reverse else answer)
        return scores

    def levels(self) -> dict[str, str]:
        """Big-Five level per factor (low / medium / high) by BIG_FIVE_LEVEL_CUTS."""
        return {f: _band(s, BIG_FIVE_LEVEL_CUTS) for f, s in self.factor_scores().items()}


class Questionnaires(BaseModel):
    """Questionnaire answers attached to a profile or persona (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    phq9: PHQ9 | None = None
    """Depression screen."""
    gad7: GAD7 | None = None
    """Anxiety screen."""
    mini_ipip: MiniIPIP | None = None
    """Big-Five personality."""
