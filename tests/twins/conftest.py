"""A small real-looking corpus the tests write, extraction fixtures, a library copy and a store."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import OllamaTestServer
from tests.support.twin_extraction import extraction_replies
from workbench.io import import_reference
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.store import Store

MODEL = "ollama/llama3.2:1b"
CORPUS = "clinic"
CONVERSATIONS = [
    {"id": "c1", "utterances": [
        {"speaker": "doctor", "text": "Hello, what brings you in today?"},
        {"speaker": "patient", "text": "I've had a cough for about a week."},
        {"speaker": "patient", "text": "And a fever since Tuesday."},
        {"speaker": "doctor", "text": "Are you bringing anything up when you cough?"},
        {"speaker": "patient", "text": "Yes, green phlegm, mostly in the mornings."},
        {"speaker": "doctor", "text": "Do you smoke?"},
        {"speaker": "patient", "text": "No, I quit smoking ten years ago."},
        {"speaker": "doctor", "text": "Any allergies to medicines?"},
        {"speaker": "patient", "text": "Penicillin gives me a rash."},
        {"speaker": "doctor", "text": "Thank you, I'll listen to your chest now."},
    ]},
    {"id": "c2", "utterances": [
        {"speaker": "doctor", "text": "Good morning, how can I help?"},
        {"speaker": "patient", "text": "It burns when I pass urine, since Sunday."},
        {"speaker": "doctor", "text": "Any pain in your back or a temperature?"},
        {"speaker": "patient", "text": "No back pain, no temperature."},
        {"speaker": "doctor", "text": "Do you take any regular medicines?"},
        {"speaker": "patient", "text": "Just metformin for my diabetes."},
        {"speaker": "doctor", "text": "Okay, we'll test a urine sample."},
        {"speaker": "patient", "text": "Fine, thank you."},
    ]},
]
FACTS = {
    "c1": {"age": None, "gender": "", "chief_complaint": "cough for a week with fever",
           "present_illness_positive": "green phlegm in the mornings; fever since Tuesday",
           "tobacco": "quit smoking ten years ago", "allergies": "penicillin causes a rash",
           "diagnosis": None},
    "c2": {"chief_complaint": "burning when passing urine since Sunday",
           "present_illness_negative": "no back pain, no temperature",
           "medications": "metformin", "medical_history": "diabetes", "pain": "3"},
}
FIXTURES = {cid: json.dumps(facts) for cid, facts in FACTS.items()}
"""What the extraction model answers for each conversation (valid JSON objects)."""


def write_corpus(path: Path, conversations: list[dict] = CONVERSATIONS) -> Path:
    """The corpus as a JSONL file, one conversation per line."""
    path.write_text("".join(json.dumps(c) + "\n" for c in conversations), encoding="utf-8")
    return path


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """A writable copy of the shipped persona library."""
    root = tmp_path / "personas"
    shutil.copytree(PROJECT_ROOT / "personas", root)
    return Library(root)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store holding the written corpus as reference corpus ``clinic``."""
    with Store(tmp_path / "store.db") as db:
        import_reference(db, write_corpus(tmp_path / "clinic.jsonl"), CORPUS)
        yield db


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    """The Ollama-API test server answering extraction prompts with ``FIXTURES``."""
    with OllamaTestServer(reply_fn=extraction_replies(FIXTURES)) as srv:
        yield srv
