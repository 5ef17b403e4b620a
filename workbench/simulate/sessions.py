"""Multi-session personas: a series of K runs, each session remembering the ones before.

Session 1 is an ordinary run. When session N is done, a configured model summarises each of its
conversations twice with the library's ``session_summary.j2``: as the patient remembers it and as
the clinician's own notes. Session N+1 is then planned as a new run with the same conversations'
plans, the patient prompt (every state's) carrying the patient summaries of sessions 1..N and the
clinician prompt its notes, both rendered with ``session_memory.j2``. Every summary is stored in
the next session's conversation metadata (``metadata["session"]``), so a series resumes from the
store alone: an unfinished session is resumed, a finished one is summarised (again, if the
process died while summarising) and the next planned; nothing already stored is redone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench.backends import ChatOptions, get_backend
from workbench.domain.prompts import render_template
from workbench.domain.sessions import SessionInfo, SessionSummary, session_of
from workbench.domain.transcript import Transcript
from workbench.simulate.conversation import ConversationPlan
from workbench.simulate.writer import stored_plan

if TYPE_CHECKING:
    from workbench.backends import Backend
    from workbench.library import Library
    from workbench.store import Store
    from workbench.store.records import RunRecord

SUMMARY_TEMPLATE = "session_summary.j2"
MEMORY_TEMPLATE = "session_memory.j2"
Side = Literal["patient", "clinician"]


async def summarize(transcript: Transcript, side: Side, library: Library,
                    backend: Backend, number: int) -> str:
    """A configured model's summary of a finished session, for ``side``.

    Raises:
        PromptError: the summary template is missing or broken.
        BackendError: the model call failed.
    """
    scenario = library.scenarios().get(transcript.scenario or "")
    prompt = render_template(SUMMARY_TEMPLATE, library.templates(), {
        "side": side, "number": number,
        "patient_role": scenario.patient_role if scenario else "patient",
        "clinician_role": scenario.clinician_role if scenario else "clinician",
        "turns": [{"role": t.role, "text": t.text} for t in transcript.turns],
    })
    reply = await backend.chat([{"role": "user", "content": prompt}],
                               ChatOptions(temperature=0.0, seed=0))
    return reply.text.strip()


def memory_block(templates: dict[str, str], side: Side, number: int,
                 summaries: Sequence[SessionSummary]) -> str:
    """The text appended to ``side``'s system prompt in session ``number``."""
    return render_template(MEMORY_TEMPLATE, templates, {
        "side": side, "number": number,
        "summaries": [s.model_dump() for s in summaries]})


def _with_memory(prompt: str | None, block: str) -> str | None:
    return None if prompt is None else f"{prompt}\n\n{block}"


def plan_next_session(store: Store, library: Library, previous: RunRecord,
                      summaries: dict[str, tuple[str, str]], info: dict[str, SessionInfo],
                      ) -> RunRecord:
    """Write session N+1 as a new run: the previous run's conversations re-planned with memory.

    Args:
        store: The store.
        library: For the memory template.
        previous: Session N's run.
        summaries: Conversation id → (patient summary, clinician notes) of session N.
        info: Conversation id → its ``SessionInfo`` in session N.
    """
    from workbench.store.records import NewConversation

    templates = library.templates()
    convs = store.conversations_of_run(previous.id, with_turns=False)
    first = info[convs[0].id]
    number = first.number + 1
    run = store.create_run(name=f"{_base_name(previous.name)} · session {number} of {first.of}",
                           config=previous.config, patient_model=previous.patient_model,
                           clinician=previous.clinician)
    new = []
    for conv in convs:
        old = info[conv.id]
        patient_text, notes_text = summaries[conv.id]
        mine = SessionInfo(
            series=old.series, number=number, of=old.of, summary_model=old.summary_model,
            previous=conv.id,
            patient_summaries=[*old.patient_summaries,
                               SessionSummary(number=old.number, text=patient_text)],
            clinician_notes=[*old.clinician_notes,
                             SessionSummary(number=old.number, text=notes_text)])
        block = memory_block(templates, "patient", number, mine.patient_summaries)
        # Plans name their prompts by hash: the prompts with memory are stored once, like any.
        prompts = {key: f"{text}\n\n{block}"
                   for key, text in stored_plan(store, conv).patient_prompts.items()}
        plan = ConversationPlan.model_validate(conv.metadata["plan"]).model_copy(update={
            "patient_prompts": {},
            "patient_prompt_hashes": dict(zip(prompts, store.add_prompts(prompts.values())))})
        notes = memory_block(templates, "clinician", number, mine.clinician_notes)
        new.append(NewConversation(
            run_id=run.id, persona_id=conv.persona_id, persona_hash=conv.persona_hash,
            scenario=conv.scenario, profile=conv.profile, levels=dict(conv.levels),
            patient_model=conv.patient_model, clinician=conv.clinician, seed=conv.seed,
            sample=conv.sample, patient_prompt=_with_memory(conv.patient_prompt, block),
            clinician_prompt=_with_memory(conv.clinician_prompt, notes),
            patient_template_hash=conv.patient_template_hash,
            clinician_template_hash=conv.clinician_template_hash,
            metadata={**conv.metadata, "plan": plan.model_dump(mode="json"),
                      "session": mine.model_dump(mode="json")}))
    store.add_conversations(new)
    return run


def _base_name(name: str) -> str:
    return name.split(" · session ")[0]


def start_series(store: Store, run: RunRecord, sessions: int, summary_model: str) -> str:
    """Mark a freshly planned run as session 1 of a series of ``sessions``; returns the series
    id (the run's id)."""
    info = SessionInfo(series=run.id, number=1, of=sessions, summary_model=summary_model)
    store.merge_conversation_metadata(run.id, "session", info.model_dump(mode="json"))
    return run.id


def series_runs(store: Store, series: str) -> list[RunRecord]:
    """The runs of a series in session order (session 1's run id is the series id)."""
    found: dict[int, RunRecord] = {}
    for run in store.list_runs():
        convs = store.conversations_of_run(run.id, with_turns=False)
        info = session_of(convs[0]) if convs else None
        if info is not None and info.series == series:
            found[info.number] = run
    return [found[n] for n in sorted(found)]


async def run_series(store_path: Path, library: Library, series: str, *,
                     hosts: Sequence[str] | None = None, allow_remote: bool = False,
                     on_session: Callable[[int, RunRecord], None] | None = None,
                     **execute: Any) -> list[RunRecord]:
    """Run (or resume) every session of a series to the end; returns the runs in order.

    Raises:
        ValueError: no series of that id.
        BackendError: the summary model fails.
    """
    from workbench.simulate import execute_run, resume_run
    from workbench.store import Store

    while True:
        with Store(store_path) as store:
            runs = series_runs(store, series)
            if not runs:
                raise ValueError(f"no multi-session series {series!r} in the store")
            last = runs[-1]
        if on_session:
            on_session(len(runs), last)
        fresh = last.status == "pending"
        if last.status != "done":
            run = execute_run if fresh else resume_run
            summary = await run(store_path, last.id, hosts=hosts, allow_remote=allow_remote,
                                **execute)
            if summary.status != "done":
                return runs
        with Store(store_path) as store:
            convs = store.conversations_of_run(last.id, with_turns=True)
            info = {c.id: session_of(c) for c in convs}
            first = next(iter(info.values()))
            if first is None or first.number >= first.of:
                return series_runs(store, series)
            backend = get_backend(first.summary_model, hosts=hosts, allow_remote=allow_remote)
            summaries = {}
            for conv in convs:
                summaries[conv.id] = (
                    await summarize(conv, "patient", library, backend, first.number),
                    await summarize(conv, "clinician", library, backend, first.number))
            plan_next_session(store, library, store.get_run(last.id), summaries,
                              {k: v for k, v in info.items() if v is not None})
