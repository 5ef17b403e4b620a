"""Personas by content hash; runs, their status, cancel flag and progress."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.store.factories import turns
from workbench.domain.prompts import ResolvedPersona
from workbench.store import NewConversation, Store, UnknownRun


def test_upsert_persona_is_idempotent_and_round_trips(
    store: Store, persona: Callable[..., ResolvedPersona]
) -> None:
    resolved = persona("ada", {"personality": "verbose", "language": "B"})
    first = store.upsert_persona(resolved)
    assert store.upsert_persona(resolved) == first == resolved.content_hash()
    record = store.get_persona(first)
    assert record is not None
    assert (record.persona_id, record.scenario, record.profile_id) == ("ada", "ed_consult",
                                                                       "ed_pn_01")
    assert record.levels == {"personality": "verbose", "language": "B"}
    assert record.source_path == "personas/personas/ed_consult/ada.yaml"
    assert record.body["profile"]["name"] == "Ada Byron"  # the resolved profile is kept
    assert record.resolved() == resolved
    assert store.stats().personas == 1
    assert store.get_persona("0" * 16) is None


def test_personas_differing_in_a_level_are_two_rows(
    store: Store, persona: Callable[..., ResolvedPersona]
) -> None:
    a = store.upsert_persona(persona("ada", {"personality": "plain", "language": "A"}))
    b = store.upsert_persona(persona("ada", {"personality": "plain", "language": "C"}))
    assert a != b and store.stats().personas == 2


def test_runs_are_created_listed_and_steered(store: Store) -> None:
    first = store.create_run(name="pilot", config={"samples": 3, "temperature": 0.7},
                             patient_model="ollama/llama3.2:3b", clinician="scripted/intake")
    second = store.create_run(name="second", config={}, patient_model="m", clinician="c")
    assert first.id.startswith("r-") and len(first.id) == len("r-20261126-021530-ab12")
    assert (first.status, first.cancel_requested, first.finished_at) == ("pending", False, None)
    assert store.get_run(first.id).config == {"samples": 3, "temperature": 0.7}
    assert [r.id for r in store.list_runs()] == [second.id, first.id]

    store.set_run_status(first.id, "running")
    assert store.get_run(first.id).status == "running"
    assert store.get_run(first.id).finished_at is None
    store.set_run_status(first.id, "done")
    done = store.get_run(first.id)
    assert done.status == "done" and done.finished_at is not None
    with pytest.raises(ValueError, match="unknown run status 'paused'"):
        store.set_run_status(first.id, "paused")


def test_cancel_flag(store: Store) -> None:
    run = store.create_run(name="x", config={}, patient_model="m", clinician="c")
    assert store.cancel_requested(run.id) is False
    store.request_cancel(run.id)
    assert store.cancel_requested(run.id) is True
    assert store.get_run(run.id).cancel_requested is True
    with Store(store.path) as other:  # another process's view
        assert other.cancel_requested(run.id) is True


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_run("r-missing"),
        lambda s: s.set_run_status("r-missing", "done"),
        lambda s: s.request_cancel("r-missing"),
        lambda s: s.cancel_requested("r-missing"),
        lambda s: s.run_progress("r-missing"),
        lambda s: s.conversations_of_run("r-missing"),
    ],
)
def test_unknown_run_is_named(store: Store, call: Callable[[Store], object]) -> None:
    with pytest.raises(UnknownRun) as caught:
        call(store)
    assert str(caught.value) == f"no run 'r-missing' in store {store.path}"


def test_run_progress_counts_statuses_and_turns(store: Store) -> None:
    run = store.create_run(name="x", config={}, patient_model="m", clinician="c")
    other = store.create_run(name="y", config={}, patient_model="m", clinician="c")
    ids = store.add_conversations([NewConversation(run_id=run.id) for _ in range(5)])
    store.add_conversation(NewConversation(run_id=other.id))
    store.append_turns_bulk([(ids[0], t) for t in turns(["a", "b", "c"])])
    store.append_turns_bulk([(ids[1], t) for t in turns(["a", "b"])])
    store.set_conversation_status(ids[0], "done")
    store.set_conversation_status(ids[1], "running")
    store.set_conversation_status(ids[2], "failed", failure_reason="backend timed out")
    progress = store.run_progress(run.id)
    assert progress.counts == {"pending": 2, "running": 1, "done": 1, "failed": 1,
                               "cancelled": 0}
    assert (progress.total_conversations, progress.total_turns, progress.finished) == (5, 5, 2)
    assert store.run_progress(other.id).total_conversations == 1
