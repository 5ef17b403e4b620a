"""A small store with every kind of row an export carries, and paths to the shared corpora."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.domain.transcript import Turn
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.store import Annotation, NewConversation, Store

REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"
"""The shared real corpora (../shared/reference from the project root)."""
PERSONA = "ed_mi_01-distrust-B-high-normal"


def shared_corpus(name: str) -> Path:
    """A shared corpus file, or skip the test with the reason when it is absent."""
    path = REFERENCE / name / "conversations.jsonl"
    if not path.is_file():
        pytest.skip(f"../shared/reference not found: {path}")
    return path


def _at(second: int) -> datetime:
    return datetime(2026, 11, 26, 2, 15, second, 123456 if second % 2 else 0, tzinfo=UTC)


def fill_store(store: Store) -> dict[str, str]:
    """A run with three conversations (done with annotations, failed, empty) and one reference
    conversation; returns their ids by role."""
    resolved = Library(PROJECT_ROOT / "personas").resolve(PERSONA)
    persona_hash = store.upsert_persona(resolved)
    run = store.create_run(name="pilot", config={"samples": 2, "options": {"temperature": 0.7}},
                           patient_model="ollama/llama3.2:3b", clinician="scripted/ed_intake")
    store.set_run_status(run.id, "done")
    common = {
        "run_id": run.id,
        "persona_hash": persona_hash,
        "persona_id": resolved.persona.id,
        "scenario": resolved.scenario.id,
        "profile": resolved.persona.profile,
        "levels": dict(resolved.persona.levels),
        "patient_model": "ollama/llama3.2:3b",
        "clinician": "scripted/ed_intake",
        "patient_prompt": "You are a patient — «quoted», line 1\n2",
        "clinician_prompt": "You are the doctor.",
        "patient_template_hash": "aaaa",
        "clinician_template_hash": "bbbb",
    }
    done, failed, empty = store.add_conversations([
        NewConversation(**common, seed=1, sample=0, created_at=_at(1),
                        metadata={"options": {"temperature": 0.7}, "note": 'a "quote", a comma'}),
        NewConversation(**common, seed=2, sample=1, created_at=_at(2)),
        NewConversation(**common, seed=3, sample=2, created_at=_at(3)),
    ])
    texts = [
        ("clinician", "Hello, what brings you in today?"),
        ("patient", "My chest hurts,\nand I don't trust doctors much."),
        ("clinician", "When did it start?"),
        ("patient", ""),
    ]
    for index, (role, text) in enumerate(texts):
        store.append_turn(done, Turn(
            index=index, role=role, text=text,
            state={"confusion": "normal", "sentences": 2} if role == "patient" else {},
            latency_s=0.1 * (index + 1) if role == "patient" else None,
            prompt_tokens=100 + index if role == "patient" else None,
            completion_tokens=20 if role == "patient" else None,
            created_at=_at(10 + index),
        ))
    store.append_turn(failed, Turn(index=0, role="clinician", text="Hello?", created_at=_at(20)))
    store.set_conversation_status(done, "done")
    store.set_conversation_status(failed, "failed", "backend timed out after 3 retries")
    for a in (
        Annotation(conversation_id=done, rubric="persona_fidelity", item="axis_personality",
                   value=3, annotator="ana", status="submitted"),
        Annotation(conversation_id=done, rubric="persona_fidelity", item="realism", value=2,
                   annotator="judge:ollama/qwen", status="submitted"),
        Annotation(conversation_id=done, turn_idx=1, rubric="llm_tells", item="tells",
                   value=["em_dash", "too_long"], annotator="ana"),
        Annotation(conversation_id=done, turn_idx=2, rubric="clinician_acts", item="ed_act",
                   value="known_symptoms", annotator="ben", status="submitted"),
        Annotation(conversation_id=done, rubric="persona_fidelity", item="fidelity_note",
                   value="Naïve, but \"real\"; ok", annotator="ben"),
    ):
        store.put_annotation(a)
    store.register_corpus("tiny", description="two lines", licence="CC0")
    (ref,) = store.add_conversations([NewConversation(
        id="tiny:1", source="reference:tiny", status="done", created_at=_at(30),
        metadata={"original_id": "1"},
    )])
    store.append_turns_bulk([
        (ref, Turn(index=0, role="clinician", text="How are you?", state={"speaker": "doctor"},
                   created_at=_at(31))),
        (ref, Turn(index=1, role="patient", text="Fine.", state={"speaker": "patient"},
                   created_at=_at(31))),
    ])
    return {"run": run.id, "done": done, "failed": failed, "empty": empty, "reference": ref}


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A store file with :func:`fill_store`'s rows, and their ids."""
    path = tmp_path / "source.db"
    with Store(path) as store:
        ids = fill_store(store)
    return path, ids
