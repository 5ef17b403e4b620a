"""Per-turn emotional state: an emotion and an intensity that move by rules written as data.

A level of the ``arc`` axis (``personas/axes/arc.yaml``) carries an :class:`AffectArc`: where the
patient's feeling starts and the rules that move it after each clinician turn. A rule fires on
the clinician's act (``personas/affect/acts.yaml`` classifies every clinician turn with a small
ordered rule set) and on the turn number. The state is a pure function of the clinician turns
so far, so a resumed conversation rebuilds it exactly by replaying its stored clinician turns.

A CBT arc may also hold a complaint chain: the order in which the client reveals their problems,
one step further each time the clinician has earned it (e.g. two empathic or open turns).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from workbench.domain.ccd import EMOTIONS

NEUTRAL = "neutral"
"""The emotion shown when intensity is 0 (and a start emotion of its own)."""
AFFECT_EMOTIONS: tuple[str, ...] = (NEUTRAL, *EMOTIONS)
"""The cognitive model's closed list of nine emotions, plus neutral."""
MAX_INTENSITY = 3
INTENSITY_LABELS = ("none", "mild", "moderate", "strong")
"""Words for intensity 0..3, as the state template and the captions show them."""
ACTS: tuple[str, ...] = ("reassurance", "empathy", "open_question", "closed_question",
                         "confrontation", "psychoeducation", "closing", "statement")
"""Clinician acts a rule may name; ``statement`` is what no act rule matched."""
PROFILE_EMOTION = "profile"
"""Start emotion meaning: the first emotion of the profile's first situation (CBT profiles)."""


def _known_emotion(value: str | None) -> str | None:
    if value is not None and value not in AFFECT_EMOTIONS and value != PROFILE_EMOTION:
        raise ValueError(f"emotion {value!r} is not in the closed list: "
                         + ", ".join(AFFECT_EMOTIONS) + f" (or {PROFILE_EMOTION!r})")
    return value


def _known_act(value: str) -> str:
    if value not in ACTS:
        raise ValueError(f"unknown act {value!r}; valid: {', '.join(ACTS)}")
    return value


Emotion = Annotated[str, AfterValidator(_known_emotion)]
Act = Annotated[str, AfterValidator(_known_act)]


class AffectRule(BaseModel):
    """One rule: when it fires, how the state changes. Every firing rule applies, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    acts: tuple[Act, ...] = ()
    """Clinician acts that make this rule count (empty: every clinician turn counts)."""
    from_turn: int = Field(default=1, ge=1)
    """First clinician turn (1-based) the rule counts from."""
    until_turn: int | None = Field(default=None, ge=1)
    """Last clinician turn the rule counts on (None: no end)."""
    every: int = Field(default=1, ge=1)
    """The rule fires on every n-th qualifying turn (its own counter; 1: on each)."""
    change: int = 0
    """Added to the intensity (clamped to 0..3)."""
    set_intensity: int | None = Field(default=None, ge=0, le=MAX_INTENSITY)
    """Sets the intensity (before ``change`` is added)."""
    emotion: Emotion | None = None
    """Switches the emotion (closed list or neutral)."""



class ChainRule(BaseModel):
    """A complaint chain: which profile facts the patient reveals, in order, and what earns it."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    items: tuple[str, ...] = Field(min_length=1)
    """Dotted paths into the profile, in the order they come out (e.g.
    ``cognitive_model.situations.0.situation``); paths the profile lacks are skipped."""
    advance_on: tuple[Act, ...] = Field(min_length=1)
    """Clinician acts that earn the next step."""
    every: int = Field(default=2, ge=1)
    """Earning turns it takes per step."""



class AffectStart(BaseModel):
    """Where the feeling starts."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    emotion: Emotion = PROFILE_EMOTION
    """An emotion of the closed list, neutral, or ``profile``."""
    fallback: Emotion = "anxious/worried"
    """The emotion when ``profile`` finds none (emergency-department profiles)."""
    intensity: int = Field(default=2, ge=0, le=MAX_INTENSITY)



class AffectArc(BaseModel):
    """An arc template: the start state and the rules that move it (an ``arc`` level's data)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    start: AffectStart = AffectStart()
    rules: tuple[AffectRule, ...] = ()
    """Applied in order after each clinician turn (empty: the feeling holds steady)."""
    complaint_chain: ChainRule | None = None
    """Optional order of revelation (CBT scenarios)."""


class ActPattern(BaseModel):
    """One act rule: the first rule whose test passes names the clinician's act."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    act: Act
    """The act this rule names."""
    phrases: tuple[str, ...] = ()
    """Case-insensitive substrings; one must occur (empty: no phrase needed)."""
    starts: tuple[str, ...] = ()
    """Case-insensitive words the turn (or one of its sentences) must start with."""
    question: bool = False
    """The turn must contain a question mark."""



class ActRules(BaseModel):
    """The ordered act rules (``personas/affect/acts.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    rules: tuple[ActPattern, ...] = Field(min_length=1)
    fallback: Act = "statement"
    """The act when no rule matches."""
    model: str | None = None
    """Optional backend spec (e.g. ``ollama/llama3.2:3b``) of a model that names each clinician
    turn's act instead of the rules; when its reply names no act, the rules decide."""
    model_instruction: str = (
        "You label what a clinician's turn in a consultation mainly does. Answer with exactly "
        "one of these labels and nothing else: {acts}.")
    """The classifier model's system prompt; ``{acts}`` becomes the list of acts."""


class ActChoice(BaseModel):
    """A classified clinician turn: the act and why (recorded in the turn's state)."""

    model_config = ConfigDict(frozen=True)

    act: str
    by: Literal["rules", "marker", "model"]
    """Who chose it: the act rules, the closing marker, or a configured model."""
    rule: int | None = None
    """Index of the act rule that matched (None: the fallback)."""
    matched: str | None = None
    """The phrase or opening word that matched."""


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)([^.!?]*)")


def classify_act(text: str, rules: ActRules) -> ActChoice:
    """The clinician's act in ``text``: the first act rule that matches, else the fallback."""
    lowered = text.lower().replace("’", "'")
    sentences = [m.group(1).strip() for m in _SENTENCE_START.finditer(lowered)]
    for i, rule in enumerate(rules.rules):
        if rule.question and "?" not in lowered:
            continue
        matched = None
        if rule.phrases:
            matched = next((p for p in rule.phrases if p.lower() in lowered), None)
            if matched is None:
                continue
        if rule.starts:
            word = next((w for w in rule.starts
                         if any(_starts_with(s, w.lower()) for s in sentences)), None)
            if word is None:
                continue
            matched = matched or word
        return ActChoice(act=rule.act, by="rules", rule=i, matched=matched)
    return ActChoice(act=rules.fallback, by="rules")


def classifier_messages(text: str, rules: ActRules) -> list[dict[str, str]]:
    """The messages sent to the configured classifier model for one clinician turn."""
    instruction = rules.model_instruction.replace("{acts}", ", ".join(ACTS))
    return [{"role": "system", "content": instruction}, {"role": "user", "content": text}]


def parse_act(reply: str) -> str | None:
    """The act a classifier model's reply names (the first act label in it), or None."""
    lowered = reply.lower().replace(" ", "_").replace("-", "_")
    found = [(lowered.find(act), act) for act in ACTS if act in lowered]
    return min(found)[1] if found else None


def _starts_with(sentence: str, word: str) -> bool:
    return sentence == word or sentence.startswith(word + " ") or sentence.startswith(word + ",")


class AffectPlan(BaseModel):
    """Everything the loop needs to move and render the state, fixed when the run is planned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    arc: str
    """The arc level's id (e.g. ``relapse``)."""
    emotion: str
    """Start emotion, resolved (never ``profile``)."""
    intensity: int
    rules: tuple[AffectRule, ...] = ()
    acts: ActRules
    chain_advance_on: tuple[str, ...] = ()
    chain_every: int = 1
    chain_length: int = 0
    """Number of complaint-chain items found in the profile (0: no chain)."""
    texts: dict[str, str]
    """Rendered state text per ``state_text_key`` (every reachable emotion × intensity ×
    complaint-chain step)."""


def state_text_key(emotion: str, intensity: int, chain_step: int = 0) -> str:
    """Key of a rendered state text: the shown emotion, the intensity and the chain step."""
    return f"{shown_emotion(emotion, intensity)}|{intensity}|{chain_step}"


def shown_emotion(emotion: str, intensity: int) -> str:
    """The emotion as shown: neutral when the intensity is 0."""
    return NEUTRAL if intensity == 0 else emotion


class AffectState(BaseModel):
    """The patient's feeling after some clinician turns (JSON-ready, stored per turn)."""

    model_config = ConfigDict(frozen=True)

    emotion: str
    intensity: int
    turn: int = 0
    """Clinician turns counted so far."""
    counters: tuple[int, ...] = ()
    """Qualifying turns per rule since it last fired."""
    chain_step: int = 0
    """Complaint-chain items the patient may talk about so far, minus one."""
    chain_count: int = 0

    @classmethod
    def start(cls, plan: AffectPlan) -> AffectState:
        """The state before the first clinician turn."""
        return cls(emotion=plan.emotion, intensity=plan.intensity,
                   counters=(0,) * len(plan.rules))

    def after(self, act: str, plan: AffectPlan) -> AffectState:
        """The state after a clinician turn of this act (a new object)."""
        turn = self.turn + 1
        emotion, intensity = self.emotion, self.intensity
        counters = list(self.counters)
        for i, rule in enumerate(plan.rules):
            if turn < rule.from_turn or (rule.until_turn is not None and turn > rule.until_turn):
                continue
            if rule.acts and act not in rule.acts:
                continue
            counters[i] += 1
            if counters[i] < rule.every:
                continue
            counters[i] = 0
            if rule.set_intensity is not None:
                intensity = rule.set_intensity
            intensity = max(0, min(MAX_INTENSITY, intensity + rule.change))
            if rule.emotion is not None:
                emotion = rule.emotion
        step, count = self.chain_step, self.chain_count
        if plan.chain_length and act in plan.chain_advance_on and step < plan.chain_length - 1:
            count += 1
            if count >= plan.chain_every:
                step, count = step + 1, 0
        return AffectState(emotion=emotion, intensity=intensity, turn=turn,
                           counters=tuple(counters), chain_step=step, chain_count=count)

    def text(self, plan: AffectPlan) -> str:
        """The state's text for the patient prompt (rendered when the run was planned)."""
        return plan.texts[state_text_key(self.emotion, self.intensity, self.chain_step)]

    def record(self) -> dict[str, object]:
        """What a patient turn stores about the feeling it was written under."""
        out: dict[str, object] = {"emotion": shown_emotion(self.emotion, self.intensity),
                                  "intensity": self.intensity}
        if self.chain_step or self.chain_count:
            out["chain_step"] = self.chain_step
        return out


def reachable_emotions(arc: AffectArc, start_emotion: str) -> list[str]:
    """Emotions the arc can show: the start, every rule's switch and neutral (intensity 0)."""
    found = [start_emotion, *(r.emotion for r in arc.rules if r.emotion), NEUTRAL]
    return list(dict.fromkeys(found))


def profile_value(profile: dict[str, object], path: str) -> object | None:
    """The value at a dotted path (``a.0.b``) in a profile dump; None when it is absent."""
    value: object = profile
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list | tuple) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    return value
