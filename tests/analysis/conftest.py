"""Shared fixtures of the analysis tests: the reference corpora under ../shared/reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.analysis.realism import PatientTurns

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (PROJECT_ROOT / "../shared/reference").resolve()
PATIENT_SPEAKERS = {"patient", "client"}


def load_patient_turns(corpus: str) -> PatientTurns:
    """Patient turns of one reference corpus (one conversation per JSON line)."""
    path = REFERENCE / corpus / "conversations.jsonl"
    if not path.exists():
        pytest.skip(
            "../shared/reference not found: the realism tests need the shared reference corpora"
        )
    conversations = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            turns = [u["text"] for u in record["utterances"] if u["speaker"] in PATIENT_SPEAKERS]
            conversations.append((record["id"], turns))
    return PatientTurns.from_conversations(conversations, name=corpus)


@pytest.fixture(scope="session")
def primock57() -> PatientTurns:
    """PriMock57 patient turns with their conversation ids."""
    if not REFERENCE.is_dir():
        pytest.skip(
            "../shared/reference not found: the realism tests need the shared reference corpora"
        )
    return load_patient_turns("primock57")
