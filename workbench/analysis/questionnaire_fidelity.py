"""Questionnaire fidelity: does a simulated patient answer the PHQ-9 / GAD-7 / Mini-IPIP as its
persona says?

After a conversation, the same simulated patient (same persona prompt, same model, the
conversation as its context) is asked each item in character, one item at a time, each after the
whole conversation (answers do not prime each other). Replies are parsed (0–3 for the PHQ-9 and
GAD-7, 1–5 for the Mini-IPIP) and compared with the persona's intended answers: per-item absolute
error, and agreement of the severity band (PHQ-9, GAD-7) or, per Big-Five factor, the score error
and agreement of the low / medium / high level (Mini-IPIP).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from workbench.backends import Backend, ChatOptions
from workbench.domain.prompts import ResolvedPersona
from workbench.domain.questionnaires import (
    FREQUENCY_OPTIONS,
    GAD7_ITEMS,
    LIKERT_OPTIONS,
    MINI_IPIP_ITEMS,
    PHQ9_ITEMS,
    MiniIPIP,
    gad7_band,
    phq9_band,
)
from workbench.domain.transcript import Transcript
from workbench.store import Store

if TYPE_CHECKING:
    from workbench.analysis.steps import StepProgress

Instrument = Literal["phq9", "gad7", "mini_ipip"]
INSTRUMENTS: dict[Instrument, tuple[str, ...]] = {
    "phq9": PHQ9_ITEMS,
    "gad7": GAD7_ITEMS,
    "mini_ipip": tuple(text for text, _, _ in MINI_IPIP_ITEMS),
}
BANDS = {"phq9": phq9_band, "gad7": gad7_band}
"""Severity band of a total, for the instruments that have one (not the Mini-IPIP)."""
_PHRASES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\bnot at all\b|\bnever\b|\bnone of the days\b"), 0),
    (re.compile(r"\bseveral days\b|\bsome days\b|\ba few days\b"), 1),
    (re.compile(r"\bmore than half(?: of)?(?: the)? days\b|\bmost days\b"), 2),
    (re.compile(r"\bnearly every ?day\b|\balmost every ?day\b|\bevery day\b|\ball the time\b"), 3),
)
_DIGIT = re.compile(r"(?<![\d.])([0-3])(?!\d|\.\d|\s*(?:/|out of)\s*\d)")
"""A lone digit 0–3: not part of a number, a decimal or a scale ("2/10", "3 out of 10")."""
_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3}
_WORD = re.compile(r"\b(zero|one|two|three)\b(?!\s+of\b)")
_NOT = r"(?<!\bnot )(?<!\bnot that )"
_LIKERT_PHRASES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(_NOT + r"\b(?:very|completely|totally|extremely) inaccurate\b"), 1),
    (re.compile(_NOT + r"\b(?:moderately|somewhat|fairly|mostly) inaccurate\b"), 2),
    (re.compile(r"\bneither accurate nor inaccurate\b|\bneutral\b"), 3),
    (re.compile(_NOT + r"\b(?:moderately|somewhat|fairly|mostly) accurate\b"), 4),
    (re.compile(_NOT + r"\b(?:very|completely|totally|extremely) accurate\b"), 5),
)
"""Likert option phrases; "inaccurate" never matches "accurate" (word boundaries), and a negated
phrase ("not very accurate") is no answer."""
_LIKERT_DIGIT = re.compile(
    r"(?<![\d.])(?<!/)(?<!/ )(?<!out of )([1-5])(?!\d|\.\d|\s*(?:/|out of)\s*(?!5\b)\d)")
"""A lone digit 1–5: not part of a number, a decimal, a scale other than the answer's own
("4 out of 5" is 4; "3/10" is no answer) nor that scale's own 5."""
_LIKERT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_LIKERT_WORD = re.compile(r"\b(one|two|three|four|five)\b(?!\s+of\b)")


def item_question(instrument: Instrument, index: int) -> str:
    """What the clinician asks for item ``index`` (0-based), with the instrument's options."""
    item = INSTRUMENTS[instrument][index]
    if instrument == "mini_ipip":
        options = "; ".join(f"{k} = {text}" for k, text in enumerate(LIKERT_OPTIONS, start=1))
        return (f"Before we finish, one question from a standard form. Describe yourself as you "
                f"generally are now: how accurately does this describe you? \"{item}\" Answer "
                f"with a number ({options}), then say it in your own words if you like.")
    options = "; ".join(f"{k} = {text}" for k, text in enumerate(FREQUENCY_OPTIONS))
    return (f"Before we finish, one question from a standard form. Over the last two weeks, how "
            f"often have you been bothered by: {item}? Answer with a number ({options}), then say "
            "it in your own words if you like.")


def parse_answer(text: str) -> int | None:
    """The 0–3 answer in a reply, or None when there is none or the reply is ambiguous.

    A lone digit 0–3 wins (``"2 - more than half the days"``, ``"I'd say 1."``), then an option
    phrase (``"nearly every day"``), then a number word (``"two"``). Two different candidates of
    the same kind (``"1 or 2"``) are ambiguous. Digits in scales (``"2/10"``) and decimals are
    not answers.
    """
    return _parse(text, _DIGIT, _PHRASES, _WORD, _WORDS)


def parse_likert(text: str) -> int | None:
    """The 1–5 Mini-IPIP answer in a reply, or None when there is none or it is ambiguous.

    As :func:`parse_answer`, on the Likert scale: a lone digit 1–5 (``"4 - moderately
    accurate"``, ``"4 out of 5"``), then an option phrase (``"very inaccurate"``,
    ``"neither accurate nor inaccurate"``), then a number word. ``"3 or 4"``, ``"0"``, ``"6"``
    and ``"3/10"`` are no answer.
    """
    return _parse(text, _LIKERT_DIGIT, _LIKERT_PHRASES, _LIKERT_WORD, _LIKERT_WORDS)


def _parse(
    text: str,
    digit: re.Pattern[str],
    phrases: Sequence[tuple[re.Pattern[str], int]],
    word: re.Pattern[str],
    words: dict[str, int],
) -> int | None:
    lowered = text.lower()
    digits = {int(m) for m in digit.findall(lowered)}
    if digits:
        return digits.pop() if len(digits) == 1 else None
    # Each option phrase is anchored so that "more than half the days" does not also read as
    # "several days", nor "inaccurate" as "accurate": two hits are two different answers.
    found = {value for pattern, value in phrases if pattern.search(lowered)}
    if found:
        return found.pop() if len(found) == 1 else None
    named = {words[w] for w in word.findall(lowered)}
    return named.pop() if len(named) == 1 else None


def intended_answers(persona: ResolvedPersona, instrument: Instrument) -> tuple[int, ...] | None:
    """The persona's own answers (else its profile's) to the instrument, or None if it has none."""
    for source in (persona.persona, persona.profile):
        chosen = getattr(source, "questionnaires", None)
        answers = getattr(chosen, instrument, None) if chosen is not None else None
        if answers is not None:
            return tuple(answers.items)
    return None


def patient_messages(transcript: Transcript) -> list[dict[str, str]]:
    """The patient's view of a conversation: its prompt as system, clinician turns as user,
    its own turns as assistant (as the conversation loop sent them)."""
    if not transcript.patient_prompt:
        raise ValueError(f"conversation {transcript.id} has no stored patient prompt: only "
                         "simulated conversations can answer questionnaires")
    messages = [{"role": "system", "content": transcript.patient_prompt}]
    messages += [{"role": "assistant" if t.role == "patient" else "user", "content": t.text}
                 for t in transcript.turns]
    return messages


class FactorFidelity(BaseModel):
    """One Big-Five factor of the Mini-IPIP: answered against intended score and level."""

    model_config = ConfigDict(frozen=True)

    factor: str
    """Big-Five factor (extraversion, agreeableness, conscientiousness, neuroticism, intellect)."""
    intended_score: int
    """Factor score (4–20, reverse-keyed items flipped) of the intended answers."""
    answered_score: int | None
    """Factor score of the answers (None unless the factor's four items parsed)."""
    score_error: int | None
    """|answered score − intended score| (None unless the factor's four items parsed)."""
    intended_level: str
    """low / medium / high of the intended score."""
    answered_level: str | None
    """low / medium / high of the answered score (None unless its four items parsed)."""
    level_agrees: bool | None
    """Answered level equals intended level (None unless the factor's four items parsed)."""


class FidelityResult(BaseModel):
    """A simulated patient's questionnaire answers against its persona's intended answers."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    """The conversation the patient answered after."""
    instrument: Instrument
    """``phq9``, ``gad7`` or ``mini_ipip``."""
    replies: list[str]
    """The patient's reply to each item, verbatim."""
    answers: list[int | None]
    """Parsed answer per item (None: no clear answer; 0–3, or 1–5 for the Mini-IPIP)."""
    intended: list[int]
    """The persona's intended answer per item."""
    abs_errors: list[int | None]
    """Per item |answer − intended| (None where unparsed)."""
    mean_abs_error: float | None
    """Mean of the parsed items' absolute errors (None when no item parsed)."""
    answered_band: str | None
    """Severity band of the answered total (None unless every item parsed; None for the
    Mini-IPIP, which has factor levels instead)."""
    intended_band: str | None
    """Severity band of the intended total (None for the Mini-IPIP)."""
    band_agrees: bool | None
    """Answered band equals intended band (None unless every item parsed; None for the
    Mini-IPIP)."""
    factors: list[FactorFidelity] | None = None
    """Mini-IPIP only: per Big-Five factor, score error and level agreement (None otherwise)."""


def compare_answers(
    conversation_id: str, instrument: Instrument, replies: Sequence[str], intended: Sequence[int]
) -> FidelityResult:
    """Parse ``replies`` and compare them with the ``intended`` answers, item by item."""
    if len(replies) != len(intended) or len(intended) != len(INSTRUMENTS[instrument]):
        raise ValueError(f"{instrument} has {len(INSTRUMENTS[instrument])} items; got "
                         f"{len(replies)} replies and {len(intended)} intended answers")
    parse = parse_likert if instrument == "mini_ipip" else parse_answer
    answers = [parse(r) for r in replies]
    errors = [None if a is None else abs(a - i) for a, i in zip(answers, intended)]
    parsed = [e for e in errors if e is not None]
    common = {
        "conversation_id": conversation_id, "instrument": instrument, "replies": list(replies),
        "answers": answers, "intended": list(intended), "abs_errors": errors,
        "mean_abs_error": sum(parsed) / len(parsed) if parsed else None,
    }
    if instrument == "mini_ipip":
        return FidelityResult(**common, answered_band=None, intended_band=None,
                              band_agrees=None, factors=compare_factors(answers, intended))
    complete = all(a is not None for a in answers)
    band = BANDS[instrument]
    answered_band = band(sum(a for a in answers if a is not None)) if complete else None
    return FidelityResult(
        **common, answered_band=answered_band, intended_band=band(sum(intended)),
        band_agrees=None if answered_band is None else answered_band == band(sum(intended)),
    )


def compare_factors(answers: Sequence[int | None], intended: Sequence[int]) -> list[FactorFidelity]:
    """Mini-IPIP factor scores and levels of ``answers`` against ``intended``, per factor.

    Scored by :class:`MiniIPIP` (reverse keying and level cuts live there). A factor with an
    unparsed item has no answered score or level; the others are still compared.
    """
    wanted = MiniIPIP(items=tuple(intended))
    # An unparsed item is scored as a placeholder midpoint only so MiniIPIP can score the other
    # factors; every factor holding one is blanked below.
    answered = MiniIPIP(items=tuple(3 if a is None else a for a in answers))
    incomplete = {factor for a, (_, factor, _) in zip(answers, MINI_IPIP_ITEMS) if a is None}
    scores, levels = answered.factor_scores(), answered.levels()
    result = []
    for factor, score in wanted.factor_scores().items():
        known = factor not in incomplete
        result.append(FactorFidelity(
            factor=factor, intended_score=score, intended_level=wanted.levels()[factor],
            answered_score=scores[factor] if known else None,
            score_error=abs(scores[factor] - score) if known else None,
            answered_level=levels[factor] if known else None,
            level_agrees=levels[factor] == wanted.levels()[factor] if known else None,
        ))
    return result


async def questionnaire_fidelity(
    store: Store,
    conversation_id: str,
    backend: Backend,
    instrument: Instrument = "phq9",
    options: ChatOptions | None = None,
    on_progress: StepProgress | None = None,
) -> FidelityResult:
    """Ask the conversation's simulated patient every item, in character, and compare.

    Args:
        store: the store holding the conversation and its persona.
        conversation_id: a simulated conversation (its stored patient prompt is the context).
        backend: the patient's model (build it from the transcript's ``patient_model`` spec).
        instrument: ``phq9``, ``gad7`` or ``mini_ipip``.
        options: generation options (default: the backend's).
        on_progress: told before each item (one step an item: a model call each).

    Raises:
        UnknownConversation: no such conversation.
        ValueError: the conversation has no patient prompt or persona, or the persona no
            intended answers to the instrument.
        BackendError: the model call failed.
    """
    transcript = store.get_transcript(conversation_id)
    record = store.get_persona(transcript.persona_hash) if transcript.persona_hash else None
    if record is None:
        raise ValueError(f"conversation {conversation_id} has no stored persona to compare with")
    intended = intended_answers(record.resolved(), instrument)
    if intended is None:
        raise ValueError(f"persona {record.persona_id} has no intended {instrument} answers: add "
                         f"questionnaires.{instrument}.items to its profile or persona YAML")
    context = patient_messages(transcript)
    replies = []
    items = len(INSTRUMENTS[instrument])
    for index in range(items):
        if on_progress is not None:
            on_progress(index, items, f"asking item {index + 1} in character")
        question = {"role": "user", "content": item_question(instrument, index)}
        replies.append((await backend.chat([*context, question], options)).text)
    return compare_answers(conversation_id, instrument, replies, intended)
