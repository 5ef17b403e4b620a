"""Realism metrics: small hand-checked inputs, then the shared reference corpora."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy.linalg import sqrtm

from workbench.analysis.bootstrap import Resampling
from workbench.analysis.realism import (
    PatientTurns,
    _auc,
    classifier_two_sample_test,
    distance_with_yardsticks,
    frechet_distance,
    frechet_realism,
    split_halves,
)

FEW = Resampling(n_resamples=30)
POINT = Resampling(n_resamples=2)  # where a test looks at values only
SHARED = Resampling(n_resamples=20)  # each resample refits the cross-validation


def test_auc_is_the_mann_whitney_statistic():
    """Positives 0.9, 0.4; negatives 0.5, 0.1: of four pairs, 0.4 < 0.5 is the one lost: 3/4.
    A tie counts one half."""
    assert _auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.5, 0.1])) == 0.75
    assert _auc(np.array([1, 0]), np.array([0.3, 0.3])) == 0.5


def test_frechet_distance_in_one_dimension_by_hand():
    """[0, 2]: mean 1, variance 2; [10, 14]: mean 12, variance 8.
    FD = (12 - 1)² + 2 + 8 - 2·sqrt(2·8) = 121 + 10 - 8 = 123."""
    assert frechet_distance(np.array([[0.0], [2.0]]), np.array([[10.0], [14.0]])) == pytest.approx(
        123.0
    )


def test_frechet_distance_matches_the_sqrtm_formula_and_is_zero_on_itself():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 6)), rng.normal(loc=0.3, scale=1.5, size=(150, 6))
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    reference = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca + cb - 2 * sqrtm(ca @ cb).real)
    assert frechet_distance(a, b) == pytest.approx(reference, rel=1e-8)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    # more dimensions than rows: singular covariances stay finite and non-negative
    assert frechet_distance(rng.normal(size=(5, 40)), rng.normal(size=(6, 40))) >= 0.0


def test_distance_with_yardsticks_uses_equal_sizes_against_one_reference_half():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(400, 1))
    same = rng.normal(size=(300, 1))
    shifted = rng.normal(loc=3.0, size=(300, 1))
    conversations = [str(i // 4) for i in range(400)]

    def mean_gap(x, y):
        return float(abs(x.mean() - y.mean()))

    samples = [("sim", shifted, None), ("real", reference, conversations), ("other", same, None)]
    result = distance_with_yardsticks("gap", "mean gap", mean_gap, samples, FEW)
    assert result.n_simulated == 200 and result.n_reference == 200  # m = half of 400
    assert result.value == pytest.approx(3.0, abs=0.3)
    assert [y.label for y in result.yardsticks] == [
        "real halves (by conversation)",
        "other vs real half",
    ]
    assert all(y.value < 0.3 for y in result.yardsticks)
    assert result.interval.low < result.value < result.interval.high


def test_frechet_realism_far_and_near():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(300, 4))
    near = frechet_realism(rng.normal(size=(300, 4)), reference, resampling=FEW)
    far = frechet_realism(rng.normal(loc=2.0, size=(300, 4)), reference, resampling=FEW)
    assert far.value > 10 * near.value
    assert far.value > 10 * far.yardsticks[0].value
    assert far.definition.startswith("Fréchet")


PAIN = ["my {} hurts", "the {} is sore", "it's my {} again", "{} pain since monday"]
ASSISTANT = ["**Certainly!** My {} hurts.", "I understand. Here are my symptoms: **{}** pain."]
PARTS = ["head", "back", "knee", "chest", "stomach", "neck", "foot", "arm", "ear", "hip"]


def test_c2st_separates_separable_corpora_and_names_the_telling_ngrams():
    real = PatientTurns(tuple(t.format(p) for t in PAIN for p in PARTS), name="real")
    assistant = PatientTurns(tuple(t.format(p) for t in ASSISTANT for p in PARTS * 2), name="llm")
    result = classifier_two_sample_test(assistant, real, top_k=5, folds=3, resampling=FEW)
    assert result.value == pytest.approx(1.0)
    assert result.n_simulated == result.n_reference == 40
    telling = {g.ngram for g in result.simulated_ngrams}
    assert telling & {"*", "* *", "certainly", "understand", "i understand", "here", "are"}
    assert result.yardsticks[0].label == "real halves (by turn)"


def test_style_only_c2st_masks_content_but_keeps_style():
    """Same words on both sides except the content: style-only cannot tell "head" from "knee"
    corpora apart (cross-validation on identical documents scores about, not exactly, 0.5),
    while the full test can; markdown and stock phrases survive the mask."""
    heads = PatientTurns(tuple(t.format("head") for t in PAIN * 10), name="head")
    knees = PatientTurns(tuple(t.format("knee") for t in PAIN * 10), name="knee")
    full = classifier_two_sample_test(heads, knees, folds=3, top_k=3, resampling=POINT)
    style = classifier_two_sample_test(heads, knees, folds=3, style_only=True, resampling=POINT)
    assert full.value == pytest.approx(1.0)
    assert style.value < 0.6  # the masked corpora are the same documents: chance level
    assert style.metric == "c2st_style_auc" and style.style_only
    real = PatientTurns(tuple(t.format(p) for t in PAIN for p in PARTS))
    assistant = PatientTurns(tuple(t.format(p) for t in ASSISTANT for p in PARTS * 2))
    styled = classifier_two_sample_test(assistant, real, folds=3, style_only=True, resampling=POINT)
    assert styled.value > 0.95


def test_c2st_needs_two_units_per_side():
    tiny = PatientTurns(("only one",), ("c1",))
    with pytest.raises(ValueError, match="at least 2"):
        classifier_two_sample_test(tiny, tiny, resampling=FEW)


def test_split_halves_keeps_conversations_whole():
    turns = PatientTurns.from_conversations([(f"c{i}", ["a", "b", "c"]) for i in range(10)])
    first, second = split_halves(turns, seed=3)
    assert not set(first.conversations) & set(second.conversations)
    assert len(first) == len(second) == 15


def assistant_style_replies(n: int, seed: int = 0) -> list[str]:
    """Patient replies as an assistant would write them."""
    openers = [
        "I understand your concern.",
        "Certainly!",
        "Great question!",
        "Thank you for asking.",
        "I'd be happy to help with that.",
    ]
    bodies = [
        "Here are my symptoms: **fever**, **cough**, and fatigue.",
        "Here's a summary:\n- Headache for 3 days\n- Mild nausea",
        "It's important to note that the pain started on Monday — it has been constant since.",
        "My main concerns are:\n1. Chest tightness\n2. Shortness of breath",
        "The discomfort is located in my lower back and radiates to my left leg.",
    ]
    closers = [
        "I hope this helps!",
        "Feel free to ask me anything else.",
        "Let me know if you need more details.",
        "What about you, how are you today?",
        "Do you have any advice on how to manage this?",
    ]
    replies = [" ".join(parts) for parts in itertools.product(openers, bodies, closers)]
    return random.Random(seed).choices(replies, k=n)


@pytest.mark.shared
def test_two_halves_of_a_real_corpus_are_indistinguishable(primock57):
    first, second = split_halves(primock57, seed=0)
    result = classifier_two_sample_test(first, second, resampling=SHARED)
    assert 0.4 < result.value < 0.6
    assert result.interval.low < 0.5 < result.interval.high
    assert "conversations" in result.interval.method


@pytest.mark.shared
def test_real_turns_against_assistant_style_text_are_told_apart(primock57):
    llm = PatientTurns(tuple(assistant_style_replies(300)), name="assistant-style")
    result = classifier_two_sample_test(llm, primock57, resampling=SHARED)
    assert result.value > 0.9
    assert result.interval.low > 0.8
    halves = result.yardsticks[0]  # primock57 halves, 300 turns a side like the value
    assert halves.n_a == halves.n_b == 300
    assert halves.interval.low < 0.5 < halves.interval.high
