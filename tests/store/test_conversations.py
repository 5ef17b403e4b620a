"""Adding conversations, their references and status, reading transcripts back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.store.factories import turns
from workbench.domain.prompts import ResolvedPersona
from workbench.store import (
    NewConversation,
    Store,
    StoreError,
    UnknownConversation,
    UnknownCorpus,
    UnknownPersona,
    UnknownRun,
)


def test_conversation_round_trips_as_transcript(
    store: Store, persona: Callable[..., ResolvedPersona]
) -> None:
    resolved = persona("ada", {"personality": "verbose", "language": "B"})
    persona_hash = store.upsert_persona(resolved)
    run = store.create_run(name="x", config={}, patient_model="ollama/llama3.2:3b",
                           clinician="scripted/intake")
    conversation_id = store.add_conversation(NewConversation(
        run_id=run.id, persona_hash=persona_hash, persona_id="ada", scenario="ed_consult",
        profile="ed_pn_01", levels={"personality": "verbose", "language": "B"},
        patient_model="ollama/llama3.2:3b", clinician="scripted/intake", seed=11, sample=1,
        patient_prompt="You are Ada.", clinician_prompt="You are a doctor.",
        patient_template_hash="aaaa", clinician_template_hash="bbbb",
        metadata={"temperature": 0.7},
    ))
    assert conversation_id.startswith("c-")
    stored = [t.model_copy(update={"state": {"confusion": "high"}, "latency_s": 1.5,
                                   "prompt_tokens": 300, "completion_tokens": 20})
              for t in turns(["What brings you in?", "A cough."])]
    for turn in stored:
        store.append_turn(conversation_id, turn)
    store.set_conversation_status(conversation_id, "done")

    transcript = store.get_transcript(conversation_id)
    assert transcript.sample == 1 and transcript.created_at is not None
    assert transcript.model_dump(exclude={"turns", "sample", "created_at"}) == {
        "id": conversation_id, "run_id": run.id, "source": "simulated", "persona_id": "ada",
        "persona_hash": persona_hash, "scenario": "ed_consult", "profile": "ed_pn_01",
        "levels": {"personality": "verbose", "language": "B"},
        "patient_model": "ollama/llama3.2:3b", "clinician": "scripted/intake", "seed": 11,
        "status": "done", "failure_reason": None, "patient_prompt": "You are Ada.",
        "clinician_prompt": "You are a doctor.", "patient_template_hash": "aaaa",
        "clinician_template_hash": "bbbb", "metadata": {"temperature": 0.7},
    }
    assert [t.model_dump(exclude={"created_at"}) for t in transcript.turns] == [
        t.model_dump(exclude={"created_at"}) for t in stored
    ]
    assert all(t.created_at is not None for t in transcript.turns)


def test_prompts_are_stored_once(store: Store) -> None:
    store.add_conversations([
        NewConversation(patient_prompt="same long prompt", clinician_prompt="doctor")
        for _ in range(10)
    ])
    assert store._conn.execute("SELECT count(*) FROM prompts").fetchone()[0] == 2


def test_failure_reason_is_recorded_and_cleared(store: Store) -> None:
    conversation_id = store.add_conversation(NewConversation())
    store.set_conversation_status(conversation_id, "failed", "ollama: model not found")
    assert store.get_transcript(conversation_id).failure_reason == "ollama: model not found"
    store.set_conversation_status(conversation_id, "running")
    assert store.get_transcript(conversation_id).failure_reason is None
    with pytest.raises(ValueError, match="unknown conversation status 'finished'"):
        store.set_conversation_status(conversation_id, "finished")
    with pytest.raises(UnknownConversation, match="no conversation 'c-nope'"):
        store.set_conversation_status("c-nope", "done")
    with pytest.raises(UnknownConversation, match="no conversation 'c-nope'"):
        store.get_transcript("c-nope")


def test_bad_references_are_named_and_nothing_is_written(store: Store) -> None:
    run = store.create_run(name="x", config={}, patient_model="m", clinician="c")
    good = NewConversation(run_id=run.id)
    cases = [
        (NewConversation(run_id="r-gone"), UnknownRun, "no run 'r-gone'"),
        (NewConversation(persona_hash="feedface"), UnknownPersona, "no persona 'feedface'"),
        (NewConversation(source="reference:mts"), UnknownCorpus, "no corpus 'mts'"),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=message):
            store.add_conversations([good, bad])
    assert store.stats().conversations == 0


def test_given_ids_are_kept_and_must_be_free(store: Store) -> None:
    store.register_corpus("mts", description="MTS-Dialog", licence="CC BY 4.0")
    assert store.add_conversations([
        NewConversation(id="mts-0001", source="reference:mts", status="done"),
        NewConversation(id="mts-0002", source="reference:mts", status="done"),
    ]) == ["mts-0001", "mts-0002"]
    with pytest.raises(StoreError, match="'mts-0001' already exists"):
        store.add_conversation(NewConversation(id="mts-0001"))
    with pytest.raises(StoreError, match="'x' is given twice"):
        store.add_conversations([NewConversation(id="x"), NewConversation(id="x")])
    assert store.stats().conversations == 2
    assert store.get_transcript("mts-0002").status == "done"


def test_conversations_of_run_filters_and_loads_turns(store: Store) -> None:
    run = store.create_run(name="x", config={}, patient_model="m", clinician="c")
    ids = store.add_conversations([NewConversation(run_id=run.id, sample=i) for i in range(4)])
    store.add_conversation(NewConversation())  # not in the run
    for n, conversation_id in enumerate(ids):
        store.append_turns_bulk([(conversation_id, t) for t in turns(["q", "a"] * n)])
    store.set_conversation_status(ids[1], "done")
    store.set_conversation_status(ids[3], "failed")

    plain = store.conversations_of_run(run.id)
    assert [t.id for t in plain] == ids and all(t.turns == [] for t in plain)
    loaded = store.conversations_of_run(run.id, with_turns=True)
    assert [len(t.turns) for t in loaded] == [0, 2, 4, 6]
    assert [t.index for t in loaded[3].turns] == list(range(6))
    finished = store.conversations_of_run(run.id, {"done", "failed"}, with_turns=True)
    assert [(t.id, len(t.turns)) for t in finished] == [(ids[1], 2), (ids[3], 6)]


def test_created_at_may_be_given_and_is_kept_in_utc(store: Store) -> None:
    moment = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    conversation_id = store.add_conversation(NewConversation(created_at=moment))
    page = store.list_conversations()
    assert page.items[0].id == conversation_id and page.items[0].created_at == moment
