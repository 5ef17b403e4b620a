"""The matched comparison pinned on real text and the real embedding model: a conversation
against itself, shuffled pairs against the baseline, facts disclosed turn by turn."""

from __future__ import annotations

import numpy as np
import pytest

from tests.twins.conftest import CORPUS
from workbench.analysis.disclosure import disclosures, fact_terms, mentions
from workbench.analysis.embeddings import embed_texts
from workbench.analysis.matched import TwinPair, compare_pairs, shuffled_baseline
from workbench.domain.exchanges import exchanges
from workbench.domain.profile import EDProfile, TwinSource
from workbench.domain.transcript import Transcript, Turn
from workbench.store import Store

pytest.importorskip("sentence_transformers")

PROFILE = EDProfile(id="twin_clinic_c1", twin=TwinSource(corpus=CORPUS, conversation="c1"),
                    name="", gender="", race="", tobacco="quit smoking ten years ago",
                    alcohol="", illicit_drugs="", exercise="", marital_status="", children="",
                    living_situation="", occupation="", insurance="",
                    allergies="penicillin causes a rash", family_history="",
                    medical_devices="", medical_history="",
                    present_illness_positive="green phlegm in the mornings",
                    present_illness_negative="", chief_complaint="cough for a week with fever",
                    medications="", arrival_transport="", disposition="", diagnosis="")


def _embed(store: Store):
    return lambda texts: embed_texts(store, texts).vectors


def test_a_conversation_against_itself(store: Store) -> None:
    real = store.get_transcript(f"{CORPUS}:c1")
    report = compare_pairs([TwinPair(real, real, PROFILE)], _embed(store), c2st=False)
    (pair,) = report.pairs
    answered = [m for m in pair.exchanges if m.similarity is not None]
    assert len(answered) == 4 and len(pair.exchanges) == 5  # the last turn got no reply
    assert all(m.similarity == pytest.approx(1.0, abs=1e-5) for m in answered)
    assert [m.length_ratio for m in pair.exchanges] == [1.0, 1.0, 1.0, 1.0, None]
    assert report.similarity.value == pytest.approx(1.0, abs=1e-5)
    assert report.similarity.value > report.baseline
    # Every fact the real patient mentions is disclosed at the same exchange on both sides.
    assert {f.field: f.real_turn for f in pair.facts} == {
        "tobacco": 2, "allergies": 3, "present_illness_positive": 1, "chief_complaint": 0}
    assert all(f.real_turn == f.simulated_turn for f in pair.facts)
    assert pair.disclosure_lag == 0.0 and pair.facts_real == pair.facts_simulated == 4


def test_shuffled_pairs_give_the_baseline(store: Store) -> None:
    real = store.get_transcript(f"{CORPUS}:c1")
    replies = [e.patient for e in exchanges(real.turns) if e.patient]
    n = len(replies)
    vectors = embed_texts(store, replies).vectors
    means = []
    for shift in range(1, n):  # every cyclic shift pairs each reply with another turn's
        shuffled = _with_replies(real, [replies[(i + shift) % n] for i in range(n)])
        report = compare_pairs([TwinPair(shuffled, real, PROFILE)], _embed(store), c2st=False)
        means.append(report.similarity.value)
    # The mean over all shifts is the mean over every mismatched pair: the baseline the
    # conversation gets against itself.
    itself = compare_pairs([TwinPair(real, real, PROFILE)], _embed(store), c2st=False)
    assert itself.baseline == pytest.approx(_brute_baseline(vectors), abs=1e-5)
    assert np.mean(means) == pytest.approx(itself.baseline, abs=1e-5)
    assert max(means) < itself.similarity.value
    total, count = shuffled_baseline(vectors, vectors)
    assert count == n * (n - 1) and total / count == pytest.approx(_brute_baseline(vectors))


def test_facts_mentioned_need_the_key_terms() -> None:
    terms = fact_terms(PROFILE)
    assert "age" not in terms and "diagnosis" not in terms  # empty facts are not counted
    assert mentions("I get a rash from penicillin.", terms) == ["allergies"]
    assert mentions("My coughing started a week ago.", terms) == ["chief_complaint"]
    assert mentions("Nothing else really.", terms) == []
    late = disclosures(PROFILE, ["a cough for a week", "rash with penicillin"],
                       ["a cough for a week, and penicillin gives me a rash", "no"])
    assert {f.field: (f.real_turn, f.simulated_turn) for f in late} == {
        "tobacco": (None, None), "allergies": (1, 0), "present_illness_positive": (None, None),
        "chief_complaint": (0, 0)}


def _brute_baseline(vectors: np.ndarray) -> float:
    sims = vectors @ vectors.T
    n = len(vectors)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


def _with_replies(real: Transcript, replies: list[str]) -> Transcript:
    turns, k = [], 0
    for e in exchanges(real.turns):
        turns.append(Turn(index=len(turns), role="clinician", text=e.clinician))
        if e.patient:
            turns.append(Turn(index=len(turns), role="patient", text=replies[k]))
            k += 1
    return real.model_copy(update={"id": "shuffled", "turns": turns})
