"""Planning a run: choose personas, render their prompts, write the run and its conversations.

Planning does all the library work up front (resolving personas, rendering every prompt a
conversation can need), so executing or resuming a run reads only the store. Planning writes
nothing until every persona has resolved and rendered: a user error leaves the store unchanged.
``plan_checked_run`` is the one sequence of checks (personas, levels, clinician, servers) that
both the command line and the Runs page go through before ``plan_run`` writes anything.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
import itertools
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from workbench.backends import ChatOptions, parse_spec
from workbench.domain.prompts import RenderedPrompts, ResolvedPersona
from workbench.domain.affect import AffectPlan
from workbench.domain.state import PatientState
from workbench.simulate.affect import plan_affect
from workbench.simulate.conversation import ConversationPlan, state_key
from workbench.simulate.hosts import preflight

if TYPE_CHECKING:
    from workbench.library import Library
    from workbench.store import Store
    from workbench.simulate.replay import ReplayPlan
    from workbench.store.records import NewConversation, RunRecord


PlanField = Literal["personas", "levels", "patient_model", "clinician"]
"""The input of a run a :class:`PlanError` is about (a ``RunConfig`` field)."""
_OPTIONS: dict[str, str] = {"personas": "--personas", "levels": "--level",
                            "patient_model": "--patient-model", "clinician": "--clinician"}
"""The command line's option for each field."""


class PlanError(ValueError):
    """A run cannot be planned as asked (unknown persona, bad level...); says which input and why.

    ``str(exc)`` is the command line's wording, which names its options (``--level
    confusion=high: …``); a page names its own widgets from the parts instead
    (``workbench.views.messages.plan_problem``). Broken library files raise
    ``workbench.library.LibraryError`` instead.

    Args:
        problem: What is wrong and what to do, in words that name no command-line option.
        field: The input at fault; None when the error is about no single input.
        value: What was given there (e.g. ``confusion=high``), or None.
        command_line: The command line's wording when it is more than
            ``<option> <value>: <problem>`` (e.g. it names another option to use).
    """

    def __init__(self, problem: str, *, field: PlanField | None = None,
                 value: str | None = None, command_line: str | None = None) -> None:
        if command_line is None and field is not None and value is not None:
            command_line = f"{_OPTIONS[field]} {value}: {problem}"
        super().__init__(command_line or problem)
        self.problem = problem
        self.field = field
        self.value = value


class RunConfig(BaseModel):
    """What a run is made of, stored with the run so ``workbench run RUN_ID`` can execute it."""

    model_config = ConfigDict(extra="forbid")

    personas: list[str]
    """Persona ids, in the order their conversations were planned."""
    levels: dict[str, str] = Field(default_factory=dict)
    """Axis → level overrides applied to every persona whose scenario has the axis."""
    patient_model: str
    """Patient backend spec, e.g. ``ollama/llama3.2:3b``."""
    clinician: str
    """Clinician backend spec: a model, ``scripted/<script>``, or ``replay/<corpus>`` (twins)."""
    samples: int = Field(default=1, ge=1)
    """Conversations per persona; sample *i* uses seed ``seed + i``."""
    seed: int = 0
    """Base seed."""
    max_turns: int | None = Field(default=None, ge=1)
    """Turn limit for every conversation; None: each scenario's own ``max_turns``."""
    concurrency: int = Field(default=4, ge=1)
    """Model calls in flight per host."""
    hosts: list[str] = Field(default_factory=list)
    """Ollama hosts to spread conversations over (the CLI fills in the settings' hosts); empty:
    ``$OLLAMA_HOST``, else the local default."""
    allow_remote: bool = False
    """Allow hosts that are not this machine while planning (this invocation's opt-in). Never
    stored with the run: executing or resuming a run asks the executing invocation again."""
    options: ChatOptions = ChatOptions()
    """Generation options for both sides (the seed is set per conversation)."""
    script: list[str] | None = None
    """A scripted clinician's questions, copied from the library when the run is planned."""

    @property
    def scripted_clinician(self) -> bool:
        """Whether the clinician is a script."""
        return parse_spec(self.clinician).kind == "scripted"


def select_personas(
    library: Library, patterns: Sequence[str], *, scenario: str | None = None
) -> list[str]:
    """Persona ids matching ids or globs (``ed_*``), in library order, without duplicates.

    Each pattern may also be a comma-separated list.

    Raises:
        PlanError: A pattern matches nothing; the message lists close matches.
    """
    known = [pid for pid, p in library.personas().items()
             if scenario is None or p.scenario == scenario]
    chosen: list[str] = []
    for pattern in (p.strip() for raw in patterns for p in raw.split(",")):
        if not pattern:
            continue
        if any(c in pattern for c in "*?["):
            matches = fnmatch.filter(known, pattern)
        else:
            matches = [pattern] if pattern in known else []
        if not matches:
            close = _close_ids(pattern, known)
            where = f" in scenario {scenario!r}" if scenario else ""
            hint = f" Close matches: {', '.join(close)}." if close else ""
            found = f"in the library at {library.root}.{hint}"
            raise PlanError(
                f"no such persona{where} {found} The Personas page lists them all.",
                field="personas", value=pattern,
                command_line=f"No persona {pattern!r}{where} {found} `workbench personas list` "
                "shows them all; globs such as 'ed_*' work too.")
        chosen.extend(m for m in matches if m not in chosen)
    if not chosen:
        raise PlanError("none is chosen; choose at least one.", field="personas",
                        command_line="No persona chosen: pass --personas with ids or globs "
                        "(e.g. 'ed_*').")
    return chosen


def _close_ids(pattern: str, known: Sequence[str], n: int = 5) -> list[str]:
    """Ids that share the longest prefix with ``pattern`` (ids encode profile and levels, so the
    prefix is the profile), then those ``difflib`` finds similar."""
    def shared(pid: str) -> int:
        return len(os.path.commonprefix([pid, pattern]))

    longest = max((shared(pid) for pid in known), default=0)
    by_prefix = [pid for pid in known if longest >= 4 and shared(pid) == longest]
    similar = difflib.get_close_matches(pattern, known, n=n, cutoff=0.5)
    return list(dict.fromkeys(by_prefix + similar))[:n]


def parse_levels(items: Sequence[str]) -> dict[str, str]:
    """``["confusion=high", ...]`` → ``{"confusion": "high"}``.

    Raises:
        PlanError: An item is not ``axis=level``.
    """
    levels: dict[str, str] = {}
    for item in items:
        axis, sep, level = item.partition("=")
        if not sep or not axis.strip() or not level.strip():
            raise PlanError("write it as axis=level, e.g. confusion=high.", field="levels",
                            value=item, command_line=f"--level {item!r}: write it as "
                            "axis=level, e.g. confusion=high.")
        levels[axis.strip()] = level.strip()
    return levels


def check_levels(library: Library, levels: dict[str, str], persona_ids: Sequence[str]) -> None:
    """Every override names a known axis and level, used by at least one chosen persona.

    Raises:
        PlanError: naming the axis or level and what is valid.
    """
    axes = library.axes()
    personas = library.personas()
    scenarios = library.scenarios()
    used = {a for pid in persona_ids for scenario in [scenarios[personas[pid].scenario]]
            for a in (*scenario.axes, *scenario.optional_axes)}
    for axis_id, level_id in levels.items():
        given = f"{axis_id}={level_id}"
        if axis_id not in axes:
            raise PlanError(f"no axis {axis_id!r}; axes: {', '.join(sorted(axes))}.",
                            field="levels", value=given)
        if axis_id not in used:
            raise PlanError(f"none of the chosen personas' scenarios has axis {axis_id!r}.",
                            field="levels", value=given)
        try:
            axes[axis_id].level(level_id)
        except KeyError as exc:
            raise PlanError(f"{exc.args[0]}.", field="levels", value=given) from None


def check_clinician(library: Library, clinician: str, persona_ids: Sequence[str]) -> None:
    """A scripted clinician exists and was written for the chosen personas' scenario; a
    replayed clinician (``replay/<corpus>``) gets only twins of its corpus.

    Raises:
        PlanError: naming the script, its scenario and the personas that do not fit.
        LibraryLookupError: no such script (the message lists the available ones).
    """
    spec = parse_spec(clinician)
    if spec.kind == "replay":
        from workbench.simulate.replay import check_twins

        check_twins(library, spec.model, persona_ids)
        return
    if spec.kind != "scripted":
        return
    library.load_script(spec.model)  # raises, listing the scripts, when unknown
    script = library.scripts()[spec.model]
    personas = library.personas()
    misfits = [pid for pid in persona_ids if personas[pid].scenario != script.scenario]
    if misfits:
        named = (f"{len(misfits)} chosen persona(s) are not ({', '.join(misfits[:5])}"
                 f"{', ...' if len(misfits) > 5 else ''})")
        raise PlanError(
            f"the script is written for scenario {script.scenario!r}, but {named}. Choose "
            f"personas of scenario {script.scenario!r}, or another script.",
            field="clinician", value=clinician,
            command_line=f"Script {spec.model!r} is written for scenario {script.scenario!r}, "
            f"but {named}. Choose personas with --scenario {script.scenario}, or another script.")


def reachable_states(resolved: ResolvedPersona) -> list[dict[str, str]]:
    """Every combination of scheduled levels the patient can pass through, start first."""
    start = PatientState.start(dict(resolved.persona.levels), resolved.axes).levels
    chains: dict[str, list[str]] = {}
    for axis_id, level_id in start.items():
        axis, chain = resolved.axes[axis_id], [level_id]
        schedule = axis.level(level_id).schedule
        while schedule is not None and schedule.next not in chain:
            chain.append(schedule.next)
            schedule = axis.level(schedule.next).schedule
        chains[axis_id] = chain
    axes = list(chains)
    return [dict(zip(axes, combo)) for combo in itertools.product(*(chains[a] for a in axes))]


class PreparedPersona(BaseModel):
    """A persona ready to plan: resolved, with its initial prompts and every state's prompt."""

    model_config = ConfigDict(frozen=True)

    resolved: ResolvedPersona
    prompts: RenderedPrompts
    patient_prompts: dict[str, str]
    sentence_caps: dict[str, int | None]
    affect: AffectPlan | None = None
    """The arc's rules and rendered state texts, when the persona has an arc level."""


def prepare_persona(library: Library, persona_id: str, levels: dict[str, str]) -> PreparedPersona:
    """Resolve a persona with level overrides and render the prompts of every reachable state.

    Raises:
        LibraryError: The persona cannot be resolved or rendered (naming file and field).
    """
    persona = library.personas()[persona_id]
    scenario = library.scenarios()[persona.scenario]
    axes = (*scenario.axes, *scenario.optional_axes)
    for axis_id, level_id in levels.items():
        if axis_id in axes:
            persona = persona.with_level(axis_id, level_id)
    resolved = library.resolve(persona)
    prompts = library.render(resolved)
    patient_prompts: dict[str, str] = {}
    caps: dict[str, int | None] = {}
    for i, state in enumerate(reachable_states(resolved)):
        # The first reachable state is the start state, whose prompts are rendered already.
        rendered = library.render(resolved, overrides=state) if i else prompts
        key = state_key(state)
        patient_prompts[key], caps[key] = rendered.patient, rendered.sentence_cap
    return PreparedPersona(resolved=resolved, prompts=prompts, patient_prompts=patient_prompts,
                           sentence_caps=caps, affect=plan_affect(library, resolved))


def plan_run(
    store: Store, library: Library, config: RunConfig, *, name: str | None = None
) -> RunRecord:
    """Create a run and its pending conversations (personas × samples) in the store.

    Every persona is resolved and rendered (and a scripted clinician's questions read) before
    anything is written, so a bad persona leaves the store unchanged. The prompts of every state
    a patient can reach and the script's questions are stored with the run, so executing and
    resuming it never reads the library again.

    Args:
        store: The store to write to.
        library: The persona library the ids refer to.
        config: The run's make-up; ``config.personas`` must be ids (see ``select_personas``) and
            ``config.levels`` checked (see ``check_levels``).
        name: A label for the run (default: personas, samples and models).

    Returns:
        The new run's record.

    Raises:
        LibraryError: A persona cannot be resolved or rendered, or the script is unknown.
    """
    scripted = config.scripted_clinician
    prepared = [prepare_persona(library, pid, config.levels) for pid in config.personas]
    replays = _replay_plans(store, prepared, config)
    if scripted and config.script is None:
        script = library.load_script(parse_spec(config.clinician).model)
        config = config.model_copy(update={"script": script})
    name = name or (f"{len(config.personas)} personas × {config.samples} · "
                    f"{config.patient_model} · {config.clinician}")
    run = store.create_run(name=name, config=config.model_dump(mode="json",
                                                               exclude={"allow_remote"}),
                           patient_model=config.patient_model, clinician=config.clinician)
    store.add_conversations(_new_conversations(store, run.id, config, prepared, replays))
    return run


def _new_conversations(store: Store, run_id: str, config: RunConfig,
                       prepared: Sequence[PreparedPersona],
                       replays: Sequence[ReplayPlan | None]) -> Iterator[NewConversation]:
    """The run's conversations, one at a time (the store adds them in batches)."""
    from workbench.store.records import NewConversation

    scripted = config.scripted_clinician
    for item, replay in zip(prepared, replays, strict=True):
        resolved, scenario = item.resolved, item.resolved.scenario
        persona_hash = store.upsert_persona(resolved)
        # Every state's prompt is stored once; the plan names them by hash.
        keys = list(item.patient_prompts)
        hashes = dict(zip(keys, store.add_prompts(item.patient_prompts[k] for k in keys)))
        scheduled = {a: resolved.axes[a] for a in
                     PatientState.start(dict(resolved.persona.levels), resolved.axes).levels}
        for sample in range(config.samples):
            plan = ConversationPlan(
                sample=sample,
                max_turns=replay.max_turns if replay else config.max_turns or scenario.max_turns,
                # A replay plays the real clinician's turns from the first: the clinician opens.
                opener="clinician" if replay else scenario.opener,
                opening_line=None if replay else scenario.opening_line,
                end_marker=scenario.end_marker,
                persona_levels=dict(resolved.persona.levels),
                scheduled_axes=scheduled,
                patient_prompt_hashes=hashes,
                sentence_caps=item.sentence_caps,
                affect=item.affect,
            )
            yield NewConversation(
                run_id=run_id,
                persona_id=resolved.persona.id,
                persona_hash=persona_hash,
                scenario=scenario.id,
                profile=resolved.profile.id,
                levels=dict(resolved.persona.levels),
                patient_model=config.patient_model,
                clinician=config.clinician,
                seed=config.seed + sample,
                sample=sample,
                patient_prompt=item.prompts.patient,
                # A scripted clinician has no prompt: its questions are the whole clinician side.
                clinician_prompt=replay.prompt if replay else
                None if scripted else item.prompts.clinician,
                patient_template_hash=item.prompts.patient_template_hash,
                clinician_template_hash=None if scripted or replay
                else item.prompts.clinician_template_hash,
                metadata={"plan": plan.model_dump(mode="json")},
            )


def _replay_plans(store: Store, prepared: Sequence[PreparedPersona],
                  config: RunConfig) -> list[ReplayPlan | None]:
    """Each persona's replayed clinician for a ``replay/<corpus>`` run (None for other runs).

    Raises:
        PlanError: a persona is no twin of the corpus or its conversation is missing.
    """
    spec = parse_spec(config.clinician)
    if spec.kind != "replay":
        return [None] * len(prepared)
    from workbench.simulate.replay import replay_plan

    return [replay_plan(store, item.resolved, spec.model, config.max_turns) for item in prepared]


def check_run(library: Library, config: RunConfig) -> RunConfig:
    """Check a run completely without writing anything; return it with persona ids resolved.

    The checks, in order: the personas exist (ids; ``select_personas`` turns globs into ids),
    the level overrides and a scripted clinician fit them, and both sides' servers answer and
    have the models. Runs its own event loop for the server checks: call it from synchronous
    code (a command, a page).

    Raises:
        PlanError: An unknown persona (with close matches), axis or level, or a script written
            for another scenario.
        LibraryError: A persona cannot be resolved or rendered; ``LibraryLookupError`` for an
            unknown script.
        BackendError: A server is unreachable, lacks a model or is remote without the opt-in.
    """
    ids = select_personas(library, config.personas)
    config = config.model_copy(update={"personas": ids})
    check_levels(library, config.levels, ids)
    check_clinician(library, config.clinician, ids)
    asyncio.run(preflight(config, allow_remote=config.allow_remote,
                          script_loader=library.load_script))
    return config


def plan_checked_run(
    store: Store, library: Library, config: RunConfig, *, name: str | None = None
) -> RunRecord:
    """``check_run``, then write the run and its pending conversations (``plan_run``).

    Args:
        store: The store to write to (nothing is written unless every check passes).
        library: The persona library the ids refer to.
        config: The run's make-up.
        name: A label for the run (default: personas, samples and models).

    Returns:
        The new run's record.

    Raises:
        The errors of ``check_run``; nothing is written then.
    """
    return plan_run(store, library, check_run(library, config), name=name or None)
