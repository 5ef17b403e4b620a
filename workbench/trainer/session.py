"""A trainer session: a person plays the clinician against a simulated patient, turn by turn.

The session is an ordinary conversation in the store (no run; clinician ``human:<name>``), planned
like a run's (every reachable patient prompt rendered up front) and driven by the run engine's own
loop, ``simulate.Conversation``: each exchange replays the stored turns, so the patient's state
(e.g. confusion easing as the trainee reassures) and the per-turn records are exactly the
engine's. The trainee is a clinician whose script holds one line, the message just typed; when the
loop asks for the next one, ``ScriptExhausted`` hands control back to the page.

Every turn is committed as soon as it exists, so a failed model call loses nothing: the trainee's
message is stored, and the patient's reply can be asked for again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from workbench.backends import ChatOptions, Reply, ScriptExhausted, check_backend, get_backend
from workbench.domain.state import PatientState
from workbench.domain.transcript import Role, Transcript, Turn
from workbench.library import Library
from workbench.simulate.conversation import Conversation, ConversationPlan
from workbench.simulate.plan import prepare_persona
from workbench.store import ConversationFilter, ConversationSummary, NewConversation, Store
from workbench.store.records import FINISHED_STATUSES

TRAINER_MAX_TURNS = 80
"""Turn limit of a session (both sides): about the ten minutes PATIENT-Ψ's trainer gives."""


def trainee_spec(name: str) -> str:
    """The clinician spec of a person: ``human:<name>``."""
    return f"human:{name.strip()}"


def start_session(
    store: Store,
    library: Library,
    persona_id: str,
    levels: dict[str, str],
    patient_model: str,
    trainee: str,
    *,
    hosts: Sequence[str] = (),
    allow_remote: bool = False,
) -> str:
    """Check the model, render the persona and add the session's conversation; return its id.

    Args:
        persona_id: A library persona.
        levels: Axis → level overrides (e.g. another conversational style).
        patient_model: Backend spec of the simulated patient.
        trainee: The trainee's name.

    Raises:
        LibraryError: The persona cannot be resolved or rendered.
        BackendError: The model server is unreachable, lacks the model or is refused; the
            message says how to fix it. Nothing is written to the store.
    """
    prepared = prepare_persona(library, persona_id, levels)
    asyncio.run(check_backend(patient_model, hosts=list(hosts) or None,
                              allow_remote=allow_remote))
    resolved, scenario = prepared.resolved, prepared.resolved.scenario
    scheduled = PatientState.start(dict(resolved.persona.levels), resolved.axes).levels
    plan = ConversationPlan(
        sample=0,
        max_turns=TRAINER_MAX_TURNS,
        opener=scenario.opener,
        opening_line=None,  # the trainee opens in their own words
        end_marker=scenario.end_marker,
        persona_levels=dict(resolved.persona.levels),
        scheduled_axes={axis: resolved.axes[axis] for axis in scheduled},
        patient_prompts=prepared.patient_prompts,
        sentence_caps=prepared.sentence_caps,
    )
    return store.add_conversation(NewConversation(
        persona_hash=store.upsert_persona(resolved),
        persona_id=resolved.persona.id,
        scenario=scenario.id,
        profile=resolved.profile.id,
        levels=dict(resolved.persona.levels),
        patient_model=patient_model,
        clinician=trainee_spec(trainee),
        status="running",
        patient_prompt=prepared.prompts.patient,
        patient_template_hash=prepared.prompts.patient_template_hash,
        metadata={"plan": plan.model_dump(mode="json"), "trainer": {"trainee": trainee.strip()}},
    ))


class SessionState(NamedTuple):
    """Where a session stands."""

    next_role: Role | None
    """Who speaks next, or None when the session is over."""
    ended_by: str | None
    """Why the conversation ended (closing marker, turn limit), if it did."""


def session_state(transcript: Transcript) -> SessionState:
    """Who speaks next in a trainer conversation, read from its stored turns."""
    plan = ConversationPlan.model_validate(transcript.metadata["plan"])
    n = len(transcript.turns)
    ended = transcript.turns[-1].state.get("ended_by") if n else None
    if ended or n >= plan.max_turns:
        return SessionState(None, ended or "limit")
    if transcript.status in FINISHED_STATUSES:
        return SessionState(None, None)
    other: Role = "clinician" if plan.opener == "patient" else "patient"
    return SessionState(plan.opener if n % 2 == 0 else other, None)


def reply_stream(
    store: Store,
    conversation_id: str,
    message: str | None,
    *,
    hosts: Sequence[str] = (),
    allow_remote: bool = False,
    options: ChatOptions | None = None,
) -> Iterator[str]:
    """Store the trainee's message, then stream the patient's reply (stored once complete).

    A synchronous generator for ``st.write_stream``: it runs the engine's async loop on an event
    loop of its own, in the caller's thread (where ``store`` lives), one step per text piece.
    Closing it early cancels the model call; what was committed stays.

    Args:
        message: The trainee's next line, or None to ask again for a missing patient reply.

    Raises:
        BackendError: The model call failed (from the first ``next()`` on).
    """
    loop = asyncio.new_event_loop()
    pieces: asyncio.Queue[str] = asyncio.Queue()
    task = loop.create_task(_exchange(store, conversation_id, message, pieces, hosts,
                                      allow_remote, options or ChatOptions()))
    try:
        while True:
            getter = loop.create_task(pieces.get())
            loop.run_until_complete(asyncio.wait({getter, task},
                                                 return_when=asyncio.FIRST_COMPLETED))
            if getter.done():
                yield getter.result()
                continue
            getter.cancel()
            while not pieces.empty():
                yield pieces.get_nowait()
            task.result()  # re-raise the model's error, if any
            return
    finally:
        if not task.done():
            task.cancel()
            loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _exchange(store: Store, conversation_id: str, message: str | None,
                    pieces: asyncio.Queue[str], hosts: Sequence[str], allow_remote: bool,
                    options: ChatOptions) -> None:
    transcript = store.get_transcript(conversation_id)
    plan = ConversationPlan.model_validate(transcript.metadata["plan"])
    backend = get_backend(transcript.patient_model or "", hosts=list(hosts) or None,
                          allow_remote=allow_remote)
    pending = [message.strip()] if message and message.strip() else []

    async def ask_trainee(_: list[dict[str, str]]) -> Reply:
        if not pending:
            raise ScriptExhausted("trainee", 0)  # the loop returns; the trainee types next
        return Reply(text=pending.pop(), latency_s=0.0, model="human")

    async def ask_patient(messages: list[dict[str, str]]) -> Reply:
        started, parts = time.perf_counter(), []
        async for piece in backend.stream(messages, plan.patient_options(options)):
            parts.append(piece)
            pieces.put_nowait(piece)
        return Reply(text="".join(parts), latency_s=time.perf_counter() - started,
                     model=backend.model, host=backend.host)

    def emit(turn: Turn) -> None:
        if turn.role == "clinician":  # a person's turn has no model latency
            turn = turn.model_copy(update={"latency_s": None})
        store.append_turn(conversation_id, turn)

    conversation = Conversation(plan, "", ask_patient=ask_patient, ask_clinician=ask_trainee,
                                emit=emit)
    try:
        if conversation.replay(transcript.turns) is not None:
            return
        outcome = await conversation.run()
    finally:
        await backend.aclose()
    if outcome.ended_by != "script":  # closing marker or turn limit: the session is over
        store.set_conversation_status(conversation_id, "done")


def finish_session(store: Store, conversation_id: str) -> None:
    """Mark the session done (the trainee ended it)."""
    store.set_conversation_status(conversation_id, "done")


def sessions_of(store: Store, trainee: str, limit: int = 20) -> list[ConversationSummary]:
    """The trainee's sessions, newest first."""
    page = store.list_conversations(ConversationFilter(clinician=[trainee_spec(trainee)]),
                                    limit=limit)
    return page.items
