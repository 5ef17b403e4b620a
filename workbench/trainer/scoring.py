"""Scoring a trainee's cognitive model (PATIENT-Ψ trainer) against the persona's ground truth.

Per field:

- core beliefs and emotions: Jaccard overlap of the chosen labels with the true ones (emotions are
  those named across all the true situations);
- belief groups (helpless / unlovable / worthless): Jaccard overlap of the groups the chosen
  beliefs fall in with the true groups;
- free text: token-overlap F1 (lower-cased words, common function words dropped, counted with
  multiplicity, as in SQuAD's answer F1). The situation, its automatic thoughts and the behaviour
  are scored against the one true situation they match best (highest mean F1 of the three).

Every score is in [0, 1]. An attempt is stored as annotations of rubric ``ccd_trainer``.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Collection, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbench.domain.ccd import ALL_CORE_BELIEFS, EMOTIONS, CognitiveModel, belief_group
from workbench.domain.profile import CBTProfile
from workbench.store import Annotation, Store

RUBRIC = "ccd_trainer"
"""Rubric id of trainer attempts in the annotations table."""

FREE_TEXT_FIELDS: dict[str, str] = {
    "life_history": "Relevant history",
    "intermediate_beliefs": "Intermediate beliefs (rules, attitudes, assumptions)",
    "coping_strategies": "Coping strategies",
    "situation": "Situation",
    "automatic_thoughts": "Automatic thoughts",
    "behavior": "Behaviour",
}
"""The attempt's free-text fields and their labels, in the diagram's order."""
SITUATION_FIELDS = ("situation", "automatic_thoughts", "behavior")

STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "with",
    "from", "by", "as", "is", "are", "was", "were", "be", "been", "being", "am", "i", "me", "my",
    "you", "your", "he", "him", "his", "she", "her", "it", "its", "we", "us", "our", "they",
    "them", "their", "this", "that", "these", "those", "do", "does", "did", "have", "has", "had",
    "not", "no", "so", "very", "just", "than", "then", "there",
})
"""Function words left out of the token overlap."""
_WORD = re.compile(r"[a-z0-9']+")


class CCDAttempt(BaseModel):
    """What the trainee filled in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    life_history: str = ""
    """Relevant history, in the trainee's words."""
    core_beliefs: tuple[str, ...] = ()
    """Core beliefs ticked, from the closed list of 19."""
    intermediate_beliefs: str = ""
    coping_strategies: str = ""
    situation: str = ""
    automatic_thoughts: str = ""
    emotions: tuple[str, ...] = ()
    """Emotions chosen, from the closed list of 9."""
    behavior: str = ""

    @field_validator("core_beliefs")
    @classmethod
    def _known_beliefs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, ALL_CORE_BELIEFS, "core belief")

    @field_validator("emotions")
    @classmethod
    def _known_emotions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, EMOTIONS, "emotion")


def _known(value: tuple[str, ...], vocabulary: Sequence[str], what: str) -> tuple[str, ...]:
    unknown = [v for v in value if v not in vocabulary]
    if unknown:
        raise ValueError(f"unknown {what}(s): {', '.join(unknown)}")
    return tuple(v for v in vocabulary if v in value)  # canonical order, no repeats


class FieldScore(BaseModel):
    """One field of the diagram: the trainee's answer beside the truth, and the overlap."""

    model_config = ConfigDict(frozen=True)

    field: str
    label: str
    answer: str
    truth: str
    score: float = Field(ge=0, le=1)
    method: str
    """``Jaccard`` or ``token F1``."""


class CCDScore(BaseModel):
    """Every field's score and their mean."""

    model_config = ConfigDict(frozen=True)

    fields: list[FieldScore]
    overall: float
    situation_index: int
    """Which true situation (0-based) the trainee's situation was scored against."""


def jaccard(a: Collection[str], b: Collection[str]) -> float:
    """|A ∩ B| / |A ∪ B|; two empty sets agree perfectly (1.0)."""
    sa, sb = set(a), set(b)
    return 1.0 if not sa | sb else len(sa & sb) / len(sa | sb)


def content_tokens(text: str) -> list[str]:
    """Lower-cased words without common function words."""
    return [w for w in _WORD.findall(text.lower().replace("’", "'")) if w not in STOPWORDS]


def token_f1(answer: str, truth: str) -> float:
    """Harmonic mean of token precision and recall (tokens counted with multiplicity)."""
    pred, gold = Counter(content_tokens(answer)), Counter(content_tokens(truth))
    if not pred or not gold:
        return float(not pred and not gold)
    common = sum((pred & gold).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def score_attempt(attempt: CCDAttempt, profile: CBTProfile) -> CCDScore:
    """Compare an attempt with the profile's cognitive model and life history."""
    model: CognitiveModel = profile.cognitive_model
    chosen_groups = sorted({belief_group(b) for b in attempt.core_beliefs})
    best = max(range(len(model.situations)), key=lambda i: statistics.fmean(
        token_f1(getattr(attempt, f), getattr(model.situations[i], f)) for f in SITUATION_FIELDS))
    truth_situation = model.situations[best]
    rows = [
        _text("life_history", attempt.life_history, profile.life_history),
        _labels("core_beliefs", "Core beliefs", attempt.core_beliefs,
                _known(model.core_beliefs, ALL_CORE_BELIEFS, "core belief")),
        _labels("belief_groups", "Core belief groups", chosen_groups, model.belief_groups),
        _text("intermediate_beliefs", attempt.intermediate_beliefs, model.intermediate_beliefs),
        _text("coping_strategies", attempt.coping_strategies, model.coping_strategies),
        *(_text(f, getattr(attempt, f), getattr(truth_situation, f)) for f in SITUATION_FIELDS),
        _labels("emotions", "Emotions", attempt.emotions, model.emotions),
    ]
    return CCDScore(fields=rows, overall=statistics.fmean(r.score for r in rows),
                    situation_index=best)


def _text(field: str, answer: str, truth: str) -> FieldScore:
    return FieldScore(field=field, label=FREE_TEXT_FIELDS[field], answer=answer, truth=truth,
                      score=token_f1(answer, truth), method="token F1")


def _labels(field: str, label: str, answer: Sequence[str], truth: Sequence[str]) -> FieldScore:
    return FieldScore(field=field, label=label, answer=", ".join(answer),
                      truth=", ".join(truth), score=jaccard(answer, truth), method="Jaccard")


def score_rows(score: CCDScore) -> list[dict[str, object]]:
    """Rows for a table: field, the score (0-1, beside the field: long answers would push it
    off-screen), the trainee's answer, the truth and the method."""
    return [{"field": f.label, "score": round(f.score, 3), "your answer": f.answer,
             "ground truth": f.truth, "method": f.method} for f in score.fields]


def save_attempt(store: Store, conversation_id: str, annotator: str, attempt: CCDAttempt,
                 score: CCDScore) -> None:
    """Store the attempt (one annotation per field) and its scores (item ``scores``), submitted."""
    values: dict[str, object] = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in attempt.model_dump().items()
    }
    values["scores"] = {f.field: f.score for f in score.fields} | {"overall": score.overall}
    for item, value in values.items():
        store.put_annotation(Annotation(conversation_id=conversation_id, rubric=RUBRIC, item=item,
                                        value=value, annotator=annotator, status="submitted"))


def load_attempt(store: Store, conversation_id: str, annotator: str) -> CCDAttempt | None:
    """The attempt stored for this conversation by this annotator, or None."""
    values = {a.item: a.value for a in store.annotations(conversation_id, annotator)
              if a.rubric == RUBRIC and a.item in CCDAttempt.model_fields}
    return CCDAttempt.model_validate(values) if values else None
