"""Fixtures of the embedding tests: a small store filled through the public Store API, and a
fake encoder that counts its calls (no model needed)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from workbench.analysis.corpus import load_units
from workbench.analysis.embeddings import DEFAULT_MODEL, text_hash
from workbench.domain.transcript import Turn
from workbench.store import NewConversation, Store

WORDS = {
    ("confusion", "high"): "muddled forget where what day lost",
    ("confusion", "normal"): "clear remember exactly yesterday morning",
    ("mood", "low"): "sad tired hopeless crying",
    ("mood", "ok"): "fine cheerful okay calm",
}
DIM = 16


class CountingEncoder:
    """Deterministic fake model: a text's vector comes from its hash; counts encode calls."""

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self.calls = 0
        self.texts = 0

    def encode(self, sentences: list[str], **kwargs: object) -> np.ndarray:
        self.calls += 1
        self.texts += len(sentences)
        return np.stack([fake_vector(s, self.dim) for s in sentences])


def fake_vector(text: str, dim: int = DIM) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
    v = np.random.default_rng(seed).normal(size=dim)
    return (v / np.linalg.norm(v)).astype(np.float32)


def fill_store(path: Path, per_cell: int = 3) -> str:
    """One run of 2×2 axis levels × ``per_cell`` conversations, with patient text that
    names its levels' words. Returns the run id."""
    with Store(path) as store:
        run = store.create_run(
            name="toy", config={}, patient_model="scripted/toy", clinician="scripted/intake"
        )
        convs, rows = [], []
        for confusion in ("high", "normal"):
            for mood in ("low", "ok"):
                for sample in range(per_cell):
                    convs.append((confusion, mood, sample))
        ids = store.add_conversations(
            [
                NewConversation(
                    run_id=run.id,
                    persona_id=f"p_{c}_{m}",
                    scenario="ed_consult",
                    levels={"confusion": c, "mood": m},
                    patient_model="scripted/toy",
                    clinician="scripted/intake",
                    sample=s,
                    status="done",
                )
                for c, m, s in convs
            ]
        )
        for conv_id, (c, m, s) in zip(ids, convs, strict=True):
            rows.append((conv_id, Turn(index=0, role="clinician", text="What brings you in?")))
            rows.append(
                (
                    conv_id,
                    Turn(
                        index=1,
                        role="patient",
                        text=f"I feel {WORDS[('confusion', c)]} <b>sample {s}</b>",
                    ),
                )
            )
            rows.append((conv_id, Turn(index=2, role="clinician", text="Tell me more.")))
            rows.append(
                (conv_id, Turn(index=3, role="patient", text=f"Also {WORDS[('mood', m)]}."))
            )
        store.append_turns_bulk(rows)
        return run.id


def cache_fake_embeddings(path: Path, run_id: str) -> None:
    """Put fake vectors for every conversation unit of the run under the default model."""
    with Store(path) as store:
        units = load_units(store, run_id, "conversation")
        store.put_embeddings(DEFAULT_MODEL, {text_hash(t): fake_vector(t) for t in units["text"]})


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def filled(store_path: Path) -> Iterator[tuple[Path, str]]:
    """(store path, run id) of a filled store whose conversation units are all embedded."""
    run_id = fill_store(store_path)
    cache_fake_embeddings(store_path, run_id)
    yield store_path, run_id
