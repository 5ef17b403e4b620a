"""Making twins: extract a real conversation's facts with a model, review, save as library files.

A twin is a profile (``profiles/ed/twin_<corpus>_<conversation>.yaml``, with its ``twin:``
source) and a persona of it at the scenario's ``twin_levels`` (``personas/<scenario>/``).
:func:`make_twins` does a whole corpus, one conversation at a time: a conversation whose reply
cannot be read is reported with its reason and the others go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from workbench.backends import (
    Backend,
    BackendError,
    BackendUnreachable,
    ChatOptions,
    ModelNotFound,
    NonLoopbackRefused,
)
from workbench.domain.persona import Persona
from workbench.domain.profile import EDProfile, TwinSource
from workbench.domain.prompts import PromptError
from workbench.domain.transcript import Transcript
from workbench.library import Library, LibraryError, default_persona_id
from workbench.twins.extraction import (
    FACT_FIELDS,
    ExtractionError,
    extraction_prompt,
    parse_extraction,
    profile_from_facts,
)

if TYPE_CHECKING:
    from workbench.store import Store

DEFAULT_SCENARIO = "ed_consult"
ABORTING = (BackendUnreachable, ModelNotFound, NonLoopbackRefused)
"""Backend errors no other conversation can get past: they stop ``make_twins``."""


class TwinDraft(BaseModel):
    """A twin before the user saves it: the profile, its persona, and what extraction noted."""

    model_config = ConfigDict(frozen=True)

    profile: EDProfile
    persona: Persona
    notes: list[str] = Field(default_factory=list)
    """Facts dropped from the model's answer, and why."""
    reply: str = ""
    """The model's raw reply (untrusted text)."""


class TwinOutcome(BaseModel):
    """What ``make_twins`` did with one conversation."""

    conversation: str
    """The conversation's original id."""
    profile_id: str | None = None
    persona_id: str | None = None
    paths: list[str] = Field(default_factory=list)
    """Files written."""
    facts: int = 0
    """Facts filled (non-empty fields)."""
    notes: list[str] = Field(default_factory=list)
    error: str | None = None
    """Why no twin was made (None when one was)."""


def twin_ids(corpus: str, conversation: str) -> str:
    """The profile id of a conversation's twin: ``twin_<corpus>_<conversation>``, lower case,
    every run of other characters an underscore."""
    slug = re.sub(r"[^a-z0-9]+", "_", f"{corpus}_{conversation}".lower()).strip("_")
    return f"twin_{slug}"


def source_of(transcript: Transcript) -> TwinSource:
    """The corpus and original id of an imported real conversation.

    Raises:
        ExtractionError: the conversation is not from a reference corpus.
    """
    if not transcript.source.startswith("reference:"):
        raise ExtractionError(f"conversation {transcript.id!r} is not a real conversation of an "
                              "imported corpus; twins are made from reference corpora")
    corpus = transcript.source.removeprefix("reference:")
    original = transcript.metadata.get("original_id") or transcript.id.removeprefix(f"{corpus}:")
    return TwinSource(corpus=corpus, conversation=str(original))


def twin_persona(library: Library, profile: EDProfile, scenario: str = DEFAULT_SCENARIO,
                 levels: Mapping[str, str] | None = None) -> Persona:
    """The twin's persona: the scenario's ``twin_levels`` (first level where unset), overridden
    by ``levels``.

    Raises:
        ExtractionError: the scenario does not take ED profiles.
    """
    scen = library.scenarios()[scenario]
    if scen.profile_kind != "ed":
        raise ExtractionError(f"scenario {scenario!r} takes {scen.profile_kind} profiles; twins "
                              "are made for scenarios with emergency-department (ed) profiles")
    axes = library.axes()
    chosen = {a: scen.twin_levels.get(a) or axes[a].level_ids[0] for a in scen.axes}
    chosen.update(levels or {})
    return Persona(id=default_persona_id(profile.id, scen, chosen), scenario=scenario,
                   profile=profile.id, levels=chosen)


async def extract_twin(library: Library, transcript: Transcript, backend: Backend, *,
                       scenario: str = DEFAULT_SCENARIO,
                       options: ChatOptions | None = None) -> TwinDraft:
    """Ask ``backend`` for the facts of a real conversation and make them a twin draft.

    Raises:
        ExtractionError: the reply cannot be read or the scenario takes no ED profiles.
        PromptError: the extraction template is missing or broken.
        BackendError: the model call failed.
    """
    source = source_of(transcript)
    prompt = extraction_prompt(library.templates(), transcript, source.corpus,
                               source.conversation)
    reply = await backend.chat([{"role": "user", "content": prompt}],
                               options or ChatOptions(temperature=0.0, seed=0))
    facts = parse_extraction(reply.text)
    source = source.model_copy(update={"extraction_model": backend.name})
    profile, notes = profile_from_facts(facts, twin_ids(source.corpus, source.conversation),
                                        source)
    return TwinDraft(profile=profile, persona=twin_persona(library, profile, scenario),
                     notes=notes, reply=reply.text)


def hand_twin(library: Library, transcript: Transcript,
              scenario: str = DEFAULT_SCENARIO) -> TwinDraft:
    """An empty twin of a conversation, for the user to fill by hand (no extraction model)."""
    source = source_of(transcript)
    profile, _ = profile_from_facts({}, twin_ids(source.corpus, source.conversation), source)
    return TwinDraft(profile=profile, persona=twin_persona(library, profile, scenario))


def save_twin(library: Library, profile: EDProfile, persona: Persona,
              overwrite: bool = False) -> list[Path]:
    """Write the twin's profile, then its persona, after validating both.

    Raises:
        LibraryError: listing what is wrong; a profile written for a persona that then fails is
            removed again (unless it replaced an existing file).
    """
    if profile.twin is None:
        raise LibraryError(f"profile {profile.id!r} has no twin source; save it as a profile")
    existed = (library.root / "profiles" / "ed" / f"{profile.id}.yaml").exists()
    profile_path = library.save_profile(profile, overwrite=overwrite)
    try:
        checked = library.compose_persona(persona.scenario, persona.profile, persona.levels,
                                          id=persona.id)
        persona_path = library.save_persona(checked, overwrite=overwrite)
    except LibraryError:
        if not existed:
            profile_path.unlink(missing_ok=True)
            library.refresh()
        raise
    return [profile_path, persona_path]


def filled(profile: EDProfile) -> int:
    """How many facts a twin holds."""
    return sum(getattr(profile, n) not in (None, "") for n in FACT_FIELDS)


async def make_twins(
    store: Store, library: Library, corpus: str, backend: Backend, *,
    conversations: Sequence[str] | None = None, limit: int | None = None,
    scenario: str = DEFAULT_SCENARIO, overwrite: bool = False,
    options: ChatOptions | None = None, on_done: Callable[[TwinOutcome], None] | None = None,
) -> list[TwinOutcome]:
    """Extract and save the twins of a corpus's conversations (all, the chosen ids, or the
    first ``limit`` in file order), one outcome per conversation.

    Raises:
        UnknownReference: no such corpus.
        ExtractionError: a chosen conversation id is not in the corpus.
        BackendError: the model server is unreachable, lacks the model or is refused (the
            other backend errors are reported per conversation).
    """
    from workbench.analysis.samples import corpus_conversations

    transcripts = list(corpus_conversations(store, corpus).transcripts)
    if conversations:
        by_id = {source_of(t).conversation: t for t in transcripts}
        unknown = [c for c in conversations if c not in by_id]
        if unknown:
            raise ExtractionError(f"corpus {corpus!r} has no conversation(s) "
                                  f"{', '.join(map(repr, unknown))}; e.g. "
                                  f"{', '.join(list(by_id)[:3])}")
        transcripts = [by_id[c] for c in dict.fromkeys(conversations)]
    transcripts = transcripts[:limit] if limit else transcripts
    outcomes = []
    for transcript in transcripts:
        outcome = TwinOutcome(conversation=source_of(transcript).conversation)
        try:
            draft = await extract_twin(library, transcript, backend, scenario=scenario,
                                       options=options)
            paths = save_twin(library, draft.profile, draft.persona, overwrite=overwrite)
            outcome = outcome.model_copy(update={
                "profile_id": draft.profile.id, "persona_id": draft.persona.id,
                "paths": [str(p) for p in paths], "facts": filled(draft.profile),
                "notes": draft.notes})
        except BackendError as exc:
            if isinstance(exc, ABORTING):
                raise
            outcome = outcome.model_copy(update={"error": exc.message})
        except (ExtractionError, PromptError, LibraryError) as exc:
            outcome = outcome.model_copy(update={"error": str(exc)})
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    return outcomes
