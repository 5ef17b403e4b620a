"""A small store for the metrics tests, filled through the public Store API and the reference
importer: a simulated run written in an assistant's style, a tiny hand-checkable run, and two
small real-style reference corpora imported from CSV files made here."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from workbench.analysis.embeddings import DEFAULT_MODEL, text_hash
from workbench.analysis.reports import corpus_conversations, run_conversations
from workbench.domain.transcript import Turn
from workbench.io.reference import import_reference
from workbench.store import NewConversation, Store

HAND_TURNS = (("I feel sad.", "I feel tired."), ("sad sad sad", "Tired."))
"""Patient turns of the hand run, two conversations. Tokens: 13, unique 5 (i feel sad . tired);
word pairs: 9, unique 6 — distinct-1 = 5/13, distinct-2 = 6/9."""

ASSISTANT = (
    "I understand your concern. Here are the **main symptoms** I have:\n- headaches\n- fatigue",
    "Certainly! It's important to note that my sleep has been poor — roughly five hours.",
    "Great question. To summarize: pain, tiredness and worry. What about you?",
)
REAL = (
    "um it's been hurting since tuesday",
    "yeah, mostly at night",
    "no not really, just the back",
    "i dunno, maybe a week",
)


DIM = 16


def fake_vector(text: str) -> np.ndarray:
    """A unit vector drawn from the text's hash (the same text, the same vector)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
    v = np.random.default_rng(seed).normal(size=DIM)
    return (v / np.linalg.norm(v)).astype(np.float32)


def cache_fake_embeddings(path: Path) -> int:
    """Cache a fake vector for every turn text in the store under the default model, so the
    embedding metrics read the store cache and no model is loaded. Returns the texts cached."""
    with Store(path) as store:
        samples = [run_conversations(store, [r.id for r in store.list_runs()])]
        samples += [corpus_conversations(store, c.name) for c in store.list_corpora()]
        texts = {turn.text for sample in samples for t in sample.transcripts for turn in t.turns}
        store.put_embeddings(DEFAULT_MODEL, {text_hash(t): fake_vector(t) for t in texts})
    return len(texts)


class MetricsStore(NamedTuple):
    path: Path
    run_id: str
    """Six assistant-style conversations, two personas, two levels of ``mood``."""
    hand_run_id: str
    """Two conversations with the :data:`HAND_TURNS`."""


def write_reference_csv(path: Path, conversations: int, seed_word: str) -> Path:
    """A CSV of real-style conversations (doctor/patient rows), four patient turns each."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["conversation", "speaker", "text"])
        for c in range(conversations):
            for k, text in enumerate(REAL):
                writer.writerow([f"c{c}", "doctor", f"and how is the {seed_word} {k}?"])
                writer.writerow([f"c{c}", "patient", f"{text} {seed_word}{c}"])
    return path


def _add_run(store: Store, name: str, turns_of: list[tuple[str, str, tuple[str, ...]]]) -> str:
    """A run with one conversation per (persona, mood level, patient turns)."""
    run = store.create_run(name=name, config={}, patient_model="scripted/toy",
                           clinician="scripted/intake")
    ids = store.add_conversations([
        NewConversation(run_id=run.id, persona_id=persona, scenario="ed_consult",
                        levels={"mood": mood}, patient_model="scripted/toy",
                        clinician="scripted/intake", sample=n, status="done")
        for n, (persona, mood, _) in enumerate(turns_of)
    ])
    rows = []
    for conv_id, (_, _, texts) in zip(ids, turns_of, strict=True):
        for k, text in enumerate(texts):
            rows.append((conv_id, Turn(index=2 * k, role="clinician", text="Go on.")))
            rows.append((conv_id, Turn(index=2 * k + 1, role="patient", text=text)))
    store.append_turns_bulk(rows)
    return run.id


def build_store(directory: Path, *, embedded: bool = True) -> MetricsStore:
    """The metrics store under ``directory``: two runs, corpora ``clinic`` (8 conversations) and
    ``ward`` (6); with ``embedded``, fake vectors of every text cached (no model needed)."""
    path = directory / "store.db"
    with Store(path) as store:
        run_id = _add_run(store, "assistant-style", [
            (f"p{n % 2}", "low" if n < 3 else "high",
             tuple(f"{t} (visit {n})" for t in ASSISTANT)) for n in range(6)
        ])
        hand = _add_run(store, "hand", [("p0", "low", HAND_TURNS[0]), ("p1", "high", HAND_TURNS[1])])
        for name, n in (("clinic", 8), ("ward", 6)):
            import_reference(store, write_reference_csv(directory / f"{name}.csv", n, name), name)
    if embedded:
        cache_fake_embeddings(path)
    return MetricsStore(path, run_id, hand)


@pytest.fixture(scope="session")
def metrics_store(tmp_path_factory: pytest.TempPathFactory) -> MetricsStore:
    """Built once per session; tests only read it (embeddings cached along the way are fine)."""
    return build_store(tmp_path_factory.mktemp("metrics"))
