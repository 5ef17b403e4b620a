"""Questionnaire fidelity: does a simulated patient answer the PHQ-9 / GAD-7 as its persona says?

After a conversation, the same simulated patient (same persona prompt, same model, the
conversation as its context) is asked each item in character, one item at a time, each after the
whole conversation (answers do not prime each other). Replies are parsed to 0–3 and compared with
the persona's intended answers: per-item absolute error and agreement of the severity band.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from workbench.backends import Backend, ChatOptions
from workbench.domain.prompts import ResolvedPersona
from workbench.domain.questionnaires import (
    FREQUENCY_OPTIONS,
    GAD7_ITEMS,
    PHQ9_ITEMS,
    gad7_band,
    phq9_band,
)
from workbench.domain.transcript import Transcript
from workbench.store import Store

Instrument = Literal["phq9", "gad7"]
INSTRUMENTS: dict[Instrument, tuple[str, ...]] = {"phq9": PHQ9_ITEMS, "gad7": GAD7_ITEMS}
BANDS = {"phq9": phq9_band, "gad7": gad7_band}
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


def item_question(instrument: Instrument, index: int) -> str:
    """What the clinician asks for item ``index`` (0-based), with the four answer options."""
    options = "; ".join(f"{k} = {text}" for k, text in enumerate(FREQUENCY_OPTIONS))
    item = INSTRUMENTS[instrument][index]
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
    lowered = text.lower()
    digits = {int(m) for m in _DIGIT.findall(lowered)}
    if digits:
        return digits.pop() if len(digits) == 1 else None
    # Longest option first: "more than half the days" must not read as "several days".
    phrases = {value for pattern, value in _PHRASES if pattern.search(lowered)}
    if phrases:
        return phrases.pop() if len(phrases) == 1 else None
    words = {_WORDS[w] for w in _WORD.findall(lowered)}
    return words.pop() if len(words) == 1 else None


def intended_answers(persona: ResolvedPersona, instrument: Instrument) -> tuple[int, ...] | None:
    """The persona's own answers (else its profile's) to the instrument, or None if it has none."""
    chosen = persona.persona.questionnaires or getattr(persona.profile, "questionnaires", None)
    answers = getattr(chosen, instrument, None) if chosen is not None else None
    return None if answers is None else tuple(answers.items)


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


class FidelityResult(BaseModel):
    """A simulated patient's questionnaire answers against its persona's intended answers."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    """The conversation the patient answered after."""
    instrument: Instrument
    """``phq9`` or ``gad7``."""
    replies: list[str]
    """The patient's reply to each item, verbatim."""
    answers: list[int | None]
    """Parsed answer per item (None: no clear 0–3 answer)."""
    intended: list[int]
    """The persona's intended answer per item."""
    abs_errors: list[int | None]
    """Per item |answer − intended| (None where unparsed)."""
    mean_abs_error: float | None
    """Mean of the parsed items' absolute errors (None when no item parsed)."""
    answered_band: str | None
    """Severity band of the answered total (None unless every item parsed)."""
    intended_band: str
    """Severity band of the intended total."""
    band_agrees: bool | None
    """Answered band equals intended band (None unless every item parsed)."""


def compare_answers(
    conversation_id: str, instrument: Instrument, replies: Sequence[str], intended: Sequence[int]
) -> FidelityResult:
    """Parse ``replies`` and compare them with the ``intended`` answers, item by item."""
    if len(replies) != len(intended) or len(intended) != len(INSTRUMENTS[instrument]):
        raise ValueError(f"{instrument} has {len(INSTRUMENTS[instrument])} items; got "
                         f"{len(replies)} replies and {len(intended)} intended answers")
    answers = [parse_answer(r) for r in replies]
    errors = [None if a is None else abs(a - i) for a, i in zip(answers, intended)]
    parsed = [e for e in errors if e is not None]
    complete = all(a is not None for a in answers)
    band = BANDS[instrument]
    answered_band = band(sum(a for a in answers if a is not None)) if complete else None
    return FidelityResult(
        conversation_id=conversation_id, instrument=instrument, replies=list(replies),
        answers=answers, intended=list(intended), abs_errors=errors,
        mean_abs_error=sum(parsed) / len(parsed) if parsed else None,
        answered_band=answered_band, intended_band=band(sum(intended)),
        band_agrees=None if answered_band is None else answered_band == band(sum(intended)),
    )


async def questionnaire_fidelity(
    store: Store,
    conversation_id: str,
    backend: Backend,
    instrument: Instrument = "phq9",
    options: ChatOptions | None = None,
) -> FidelityResult:
    """Ask the conversation's simulated patient every item, in character, and compare.

    Args:
        store: the store holding the conversation and its persona.
        conversation_id: a simulated conversation (its stored patient prompt is the context).
        backend: the patient's model (build it from the transcript's ``patient_model`` spec).
        instrument: ``phq9`` or ``gad7``.
        options: generation options (default: the backend's).

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
    for index in range(len(INSTRUMENTS[instrument])):
        question = {"role": "user", "content": item_question(instrument, index)}
        replies.append((await backend.chat([*context, question], options)).text)
    return compare_answers(conversation_id, instrument, replies, intended)
