"""The conversation loop: two sides taking turns until an end rule fires.

The loop is backend-agnostic: it is handed two ``ask`` callables (messages in, ``Reply`` out) and
an ``emit`` callable that commits a turn. The run engine wraps retries, host slots and the writer
around them; the trainer or a test can call ``run_conversation`` directly.

Who sees what: each side's model gets its own system prompt and the dialogue from its own point of
view, its own turns as ``assistant`` and the other side's as ``user``.

State: the patient's scheduled levels (e.g. confusion easing from high to moderate to normal as
the clinician reassures) are a pure function of the clinician turns so far, so a resumed
conversation rebuilds them by replaying its stored clinician turns. The patient prompt of every
reachable state is rendered once when the run is planned (``ConversationPlan.patient_prompts``):
the loop only swaps strings when a level changes, and a resumed run uses exactly the prompts it
was planned with, whatever happened to the library since. An emotional arc (``plan.affect``)
is rebuilt the same way, from the acts stored with the clinician turns; its state's text,
rendered at planning too, is appended to the patient's system prompt for each reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from workbench.backends import ChatOptions, Reply, ScriptExhausted
from workbench.domain.affect import (
    ActChoice,
    AffectPlan,
    AffectState,
    classifier_messages,
    classify_act,
    parse_act,
)
from workbench.domain.axes import Axis
from workbench.domain.state import PatientState, count_sentences
from workbench.domain.transcript import Role, Turn

EndedBy = Literal["marker", "limit", "script"]
"""Why a conversation ended: the clinician's closing marker, the turn limit, the script ran out."""

Ask = Callable[[list[dict[str, str]]], Awaitable[Reply]]
"""One model call for one side: the messages from that side's point of view → its reply."""
Emit = Callable[[Turn], None]
"""Commit one turn (the engine hands it to the writer; it must not block)."""
Remaining = Callable[[list[dict[str, str]]], int]
"""A scripted clinician's questions left, given the clinician's view of the dialogue."""

TOKENS_PER_SENTENCE = 40
"""Tokens allowed per capped sentence: a long spoken sentence is about 25 words (~33 tokens)."""
TOKENS_SLACK = 24
"""Tokens allowed on top, so a reply that ends its last sentence is not cut mid-word."""


def reply_token_limit(cap: int | None) -> int | None:
    """The most tokens a reply under a sentence cap of ``cap`` may take (None: no cap).

    Generous on purpose: a reply a little over its cap is stored whole (and counted as over
    the cap), while a model that rambles or loops is stopped long before the call's timeout.
    """
    return None if cap is None else cap * TOKENS_PER_SENTENCE + TOKENS_SLACK


def state_key(levels: dict[str, str]) -> str:
    """Canonical key of a combination of scheduled levels, e.g. ``confusion=moderate``."""
    return ",".join(f"{axis}={level}" for axis, level in sorted(levels.items()))


class ConversationPlan(BaseModel):
    """Everything the loop needs beyond the two system prompts, fixed when the run is planned.

    Stored in the conversation's ``metadata["plan"]`` so that executing or resuming a run needs
    neither the persona library nor the templates.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample: int
    """Sample index within the run (the seed is the run's base seed plus this)."""
    max_turns: int
    """Turn limit for this conversation (both sides counted)."""
    opener: Role
    """Who speaks first."""
    opening_line: str | None = None
    """Fixed first clinician line (model clinicians only; a script opens with its own question)."""
    end_marker: str | None = None
    """Closing marker the clinician writes to end the conversation."""
    persona_levels: dict[str, str]
    """The persona's level on every axis (the start state)."""
    scheduled_axes: dict[str, Axis] = Field(default_factory=dict)
    """The axes whose level can change during the conversation (only those)."""
    patient_prompts: dict[str, str] = Field(default_factory=dict)
    """Patient system prompt per reachable state key (see ``state_key``), initial state included.
    Empty in a stored plan that names its prompts by hash (``patient_prompt_hashes``)."""
    patient_prompt_hashes: dict[str, str] = Field(default_factory=dict)
    """State key → hash of the patient prompt in the store's prompts table. Plans refer to
    prompts by hash, so each prompt is stored once, not once per conversation; the engine fills
    in ``patient_prompts`` (``with_prompt_texts``) when it starts the conversation."""
    sentence_caps: dict[str, int | None] = Field(default_factory=dict)
    """Reply-length cap in force per state key."""
    affect: AffectPlan | None = None
    """The patient's emotional arc (rules and rendered state texts), when the persona has one."""

    def patient_options(self, options: ChatOptions) -> ChatOptions:
        """``options`` with ``num_predict`` bounded by the loosest sentence cap of any state.

        One bound per conversation (the cap can change with the state, the options cannot):
        the loosest cap, or no bound when some state has no cap. A smaller ``num_predict``
        already set in ``options`` wins.
        """
        caps = [self.sentence_caps.get(key) for key in self.patient_prompts] or [None]
        if any(cap is None for cap in caps):
            return options
        limit = reply_token_limit(max(c for c in caps if c is not None))
        if options.num_predict is not None and 0 <= options.num_predict <= (limit or 0):
            return options
        return options.model_copy(update={"num_predict": limit})


    def with_prompt_texts(self, texts: dict[str, str]) -> ConversationPlan:
        """This plan with ``patient_prompts`` filled in from ``texts`` (hash → text).

        Raises:
            ValueError: A prompt hash of the plan is not among ``texts``.
        """
        if not self.patient_prompt_hashes:
            return self
        missing = sorted(set(self.patient_prompt_hashes.values()) - set(texts))
        if missing:
            raise ValueError(f"the store lacks the planned patient prompt(s) {', '.join(missing)}")
        prompts = {key: texts[h] for key, h in self.patient_prompt_hashes.items()}
        return self.model_copy(update={"patient_prompts": prompts})


class Outcome(NamedTuple):
    """How a conversation ended."""

    ended_by: EndedBy
    turns: int
    """Number of turns the conversation holds."""


class Conversation:
    """One conversation's loop, resumable from any number of committed turns.

    Args:
        plan: The conversation's plan.
        clinician_prompt: The clinician's system prompt (unused by a scripted clinician, but sent
            all the same so a script and a model see the same messages).
        ask_patient: Calls the patient model.
        ask_clinician: Calls the clinician (a model or a script; a script raises
            ``ScriptExhausted`` when it has no question left).
        emit: Commits a turn.
        script_remaining: For a scripted clinician, how many questions it has left; the script
            then also asks the first question, and the patient's answer to its last question
            ends the conversation (``ended_by: "script"``).
        ask_classifier: Calls the model configured to name each clinician turn's act (an arc
            whose act rules name a ``model``); without it the act rules decide.
    """

    def __init__(
        self,
        plan: ConversationPlan,
        clinician_prompt: str,
        *,
        ask_patient: Ask,
        ask_clinician: Ask,
        emit: Emit,
        script_remaining: Remaining | None = None,
        ask_classifier: Ask | None = None,
    ) -> None:
        self.plan = plan
        self._classifier = ask_classifier
        self._ask = {"patient": ask_patient, "clinician": ask_clinician}
        self._emit = emit
        self._remaining = script_remaining
        self._axes = plan.scheduled_axes
        self.state = PatientState.start(plan.persona_levels, self._axes)
        key = state_key(self.state.levels)
        # Each side's view of the dialogue, kept incrementally (system prompt first).
        self._views: dict[Role, list[dict[str, str]]] = {
            "patient": [{"role": "system", "content": plan.patient_prompts[key]}],
            "clinician": [{"role": "system", "content": clinician_prompt}],
        }
        self._cap = plan.sentence_caps.get(key)
        self.turns = 0
        self.affect = AffectState.start(plan.affect) if plan.affect else None

    # -- replay ------------------------------------------------------------------------------
    def replay(self, turns: Sequence[Turn]) -> EndedBy | None:
        """Rebuild views and state from committed turns; the end reason if they already ended.

        Raises:
            ValueError: The turns are not contiguous from 0 or do not alternate as planned.
        """
        for turn in turns:
            if turn.index != self.turns or turn.role != self._role_at(turn.index):
                raise ValueError(
                    f"stored turn {turn.index} ({turn.role}) does not continue the conversation "
                    f"at index {self.turns} ({self._role_at(self.turns)})"
                )
            self._append(turn.role, turn.text)
            if turn.role == "clinician":
                self._advance_state(turn.text)
                self._advance_affect(turn.text, False, stored=turn.state.get("act"))
        if turns:
            ended = turns[-1].state.get("ended_by")
            if ended is not None:
                return ended  # type: ignore[no-any-return]
        return "limit" if self.turns >= self.plan.max_turns else None

    # -- the loop ----------------------------------------------------------------------------
    async def run(self) -> Outcome:
        """Produce turns until an end rule fires, committing each one as it arrives."""
        while self.turns < self.plan.max_turns:
            role = self._role_at(self.turns)
            if role == "clinician":
                try:
                    ended = await self._clinician_turn()
                except ScriptExhausted:  # a script without ``script_remaining`` ends here
                    return Outcome("script", self.turns)
            else:
                ended = await self._patient_turn()
            if ended is not None:
                return Outcome(ended, self.turns)
        return Outcome("limit", self.turns)

    async def _clinician_turn(self) -> EndedBy | None:
        index = self.turns
        reply: Reply | None = None
        if index == 0 and self.plan.opening_line and self._remaining is None:
            text = self.plan.opening_line
        else:
            reply = await self._ask["clinician"](self._views["clinician"])
            text = reply.text
        marker, closed = self.plan.end_marker, False
        if marker and marker in text:
            # The marker is an instruction to the workbench, not speech: store the words only.
            text, closed = text.replace(marker, "").strip(), True
        before = dict(self.state.levels)
        self._advance_state(text)
        state: dict[str, object] = {}
        choice = self._advance_affect(text, closed, stored=await self._model_act(text, closed))
        if choice is not None:
            state["act"] = choice.model_dump(exclude_none=True)
        changes = {a: [before[a], lvl] for a, lvl in self.state.levels.items() if before[a] != lvl}
        if changes:
            state["level_changes"] = changes
        ended: EndedBy | None = "marker" if closed else self._limit_reached(index)
        if ended:
            state["ended_by"] = ended
        self._commit("clinician", text, state, reply)
        return ended

    async def _patient_turn(self) -> EndedBy | None:
        index = self.turns
        reply = await self._ask["patient"](self._patient_view())
        sentences = count_sentences(reply.text)
        state: dict[str, object] = {
            "levels": {**self.plan.persona_levels, **self.state.levels},
            "sentences": sentences,
            "sentence_cap": self._cap,
            "over_cap": self._cap is not None and sentences > self._cap,
        }
        if self.state.counts:
            state["counts"] = dict(self.state.counts)
        if self.affect is not None:
            state["affect"] = self.affect.record()
        ended = self._limit_reached(index) or self._script_done()
        if ended:
            state["ended_by"] = ended
        self._commit("patient", reply.text, state, reply)
        return ended

    # -- helpers -----------------------------------------------------------------------------
    def _role_at(self, index: int) -> Role:
        other: Role = "clinician" if self.plan.opener == "patient" else "patient"
        return self.plan.opener if index % 2 == 0 else other

    def _limit_reached(self, index: int) -> EndedBy | None:
        return "limit" if index + 1 >= self.plan.max_turns else None

    def _script_done(self) -> EndedBy | None:
        # Decided before the patient's turn is committed, so the end reason is stored with it.
        if self._remaining is None or self._remaining(self._views["clinician"]) > 0:
            return None
        return "script"

    def _advance_state(self, clinician_text: str) -> None:
        if not self._axes:
            return
        new = self.state.after_clinician_turn(clinician_text, self._axes)
        if new.levels != self.state.levels:
            key = state_key(new.levels)
            self._views["patient"][0] = {"role": "system", "content": self.plan.patient_prompts[key]}
            self._cap = self.plan.sentence_caps.get(key)
        self.state = new

    def _advance_affect(self, clinician_text: str, closed: bool,
                        stored: dict[str, object] | None = None) -> ActChoice | None:
        """Classify the clinician's act and move the emotional state (None without an arc).

        On replay the act stored with the turn is used, not classified again: a resumed
        conversation moves exactly as it did, whoever chose the act."""
        if self.plan.affect is None or self.affect is None:
            return None
        if stored:
            choice = ActChoice.model_validate(stored)
        elif closed:
            choice = ActChoice(act="closing", by="marker")
        else:
            choice = classify_act(clinician_text, self.plan.affect.acts)
        self.affect = self.affect.after(choice.act, self.plan.affect)
        return choice

    async def _model_act(self, text: str, closed: bool) -> dict[str, object] | None:
        """The configured classifier model's act for a clinician turn (None: the rules decide)."""
        affect = self.plan.affect
        if self._classifier is None or affect is None or affect.acts.model is None or closed:
            return None
        reply = await self._classifier(classifier_messages(text, affect.acts))
        act = parse_act(reply.text)
        return None if act is None else {"act": act, "by": "model", "matched": reply.text[:80]}

    def _patient_view(self) -> list[dict[str, str]]:
        """The patient's messages, the current emotional state appended to its system prompt."""
        view = self._views["patient"]
        if self.plan.affect is None or self.affect is None:
            return view
        text = self.affect.text(self.plan.affect)
        system = {"role": "system", "content": f"{view[0]['content']}\n\n{text}".strip()}
        return [system, *view[1:]]

    def _append(self, role: Role, text: str) -> None:
        other: Role = "clinician" if role == "patient" else "patient"
        self._views[role].append({"role": "assistant", "content": text})
        self._views[other].append({"role": "user", "content": text})
        self.turns += 1

    def _commit(self, role: Role, text: str, state: dict[str, object], reply: Reply | None) -> None:
        turn = Turn(
            index=self.turns,
            role=role,
            text=text,
            state=state,
            latency_s=reply.latency_s if reply else None,
            prompt_tokens=reply.prompt_tokens if reply else None,
            completion_tokens=reply.completion_tokens if reply else None,
            created_at=datetime.now(UTC),
        )
        self._append(role, text)
        self._emit(turn)
