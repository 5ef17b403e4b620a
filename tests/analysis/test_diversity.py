"""Diversity metrics pinned on tiny inputs computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.analysis.bootstrap import Resampling
from workbench.analysis.diversity import (
    distinct_n,
    first_turn_diversity,
    measure_diversity,
    mtld,
    self_bleu,
    tokenize,
    vendi_score,
    words,
)

FEW = Resampling(n_resamples=50)


def test_tokenizer_lowercases_and_keeps_punctuation_and_contractions():
    assert tokenize("I don't know... OK?") == ["i", "don't", "know", ".", ".", ".", "ok", "?"]
    assert words("Well — it hurts, doctor!") == ["well", "it", "hurts", "doctor"]


def test_distinct_n_by_hand():
    """ "the cat sat" / "the cat ran": words the, cat, sat, the, cat, ran → 4 unique of 6;
    pairs (the cat), (cat sat), (the cat), (cat ran) → 3 unique of 4. Pairs never span texts."""
    corpus = ["The cat sat", "the cat ran"]
    assert distinct_n(corpus, 1) == pytest.approx(4 / 6)
    assert distinct_n(corpus, 2) == pytest.approx(3 / 4)
    assert distinct_n(["yes"], 2) != distinct_n(["yes"], 2)  # no pair at all: NaN


def test_self_bleu_of_identical_texts_is_one():
    assert self_bleu(["my chest hurts when I breathe"] * 6) == pytest.approx(1.0)


def test_self_bleu_by_hand():
    """ "a b c d" against "a b c e": unigrams 3/4, bigrams 2/3 (ab, bc), trigrams 1/2 (abc); equal
    lengths, so no brevity penalty: BLEU = (3/4 · 2/3 · 1/2)^(1/3) = 0.25^(1/3), both ways."""
    assert self_bleu(["a b c d", "a b c e"]) == pytest.approx(0.25 ** (1 / 3))


def test_self_bleu_smoothing_and_effective_order():
    """ "a b" against "c d": no match at any order; method 1 credits 0.1 match: p1 = 0.1/2,
    p2 = 0.1/1; a 2-token text has no trigram, so the mean is over two orders: sqrt(0.005)."""
    assert self_bleu(["a b", "c d"]) == pytest.approx(math.sqrt(0.05 * 0.1))


def test_self_bleu_brevity_penalty():
    """ "a b" against "a b c d": precisions 1, 1; closest reference length 4 > 2, so
    BP = exp(1 - 4/2) = e^-1. "a b c d" against "a b": p1 = 2/4, p2 = 1/3, p3 = 0.1/2; longer than
    its reference, no penalty: (1/2 · 1/3 · 1/20)^(1/3)."""
    expected = (math.exp(-1) + (1 / 2 * 1 / 3 * 1 / 20) ** (1 / 3)) / 2
    assert self_bleu(["a b", "a b c d"]) == pytest.approx(expected)


def test_self_bleu_sample_is_fixed_size_and_seeded():
    texts = [f"patient {i} says {i % 7} things" for i in range(40)]
    assert self_bleu(texts, sample_size=10, seed=1) == self_bleu(texts, sample_size=10, seed=1)
    assert self_bleu(texts, sample_size=10, seed=1) != self_bleu(texts, sample_size=10, seed=2)


def test_vendi_of_identical_and_orthogonal_vectors():
    assert vendi_score(np.tile([0.3, 0.4, 0.5], (7, 1))) == pytest.approx(1.0)
    assert vendi_score(np.eye(5)) == pytest.approx(5.0)
    assert vendi_score(3 * np.eye(4)[:, :4]) == pytest.approx(4.0)  # cosine: scale-free


def test_vendi_of_two_vectors_at_sixty_degrees():
    """K/2 = [[1, .5], [.5, 1]]/2 has eigenvalues 0.75 and 0.25:
    exp(-(0.75 ln 0.75 + 0.25 ln 0.25)) = 1.7548."""
    x = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    assert vendi_score(x) == pytest.approx(
        math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    )


def test_vendi_uses_the_small_gram_matrix_when_there_are_more_rows_than_dimensions():
    x = np.random.default_rng(0).normal(size=(12, 3))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    eigenvalues = np.linalg.eigvalsh(unit @ unit.T / 12)
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    assert vendi_score(x) == pytest.approx(np.exp(-np.sum(eigenvalues * np.log(eigenvalues))))
    with pytest.raises(ValueError, match="all zeros"):
        vendi_score(np.zeros((2, 3)))


def test_mtld_whole_factors():
    """ "a b a b a b a b a": the TTR falls to 2/3 ≤ 0.72 at every third word, so three full
    factors and no remainder in both directions: 9 / 3 = 3."""
    assert mtld(["a b a b a b a b a"]) == pytest.approx(3.0)


def test_mtld_partial_factor():
    """Forward "a a b c": TTR 1/2 at the 2nd word (a factor), then "b c" has TTR 1, a partial
    factor of 0: 4 / 1 = 4. Backward "c b a a": TTR 3/4 = 0.75 > 0.72 at the end, a partial factor
    (1 - 0.75) / (1 - 0.72) = 0.8929: 4 / 0.8929 = 4.48. MTLD = (4 + 4.48) / 2 = 4.24."""
    assert mtld(["a a b c"]) == pytest.approx(4.24)
    assert mtld(["a a", "b c."]) == pytest.approx(4.24)  # texts read as one stream, no punctuation


def test_mtld_without_repetition_is_undefined():
    assert math.isnan(mtld(["every word differs here"]))
    assert math.isnan(mtld([""]))


def test_measure_diversity_report_with_intervals():
    texts = [
        f"my {part} hurts since {day}" for part in ("head", "back", "leg") for day in "abcdefg"
    ]
    embeddings = np.random.default_rng(1).normal(size=(len(texts), 8))
    report = measure_diversity(texts, embeddings, resampling=FEW)
    assert report.n_texts == 21
    for estimate in (report.distinct_1, report.distinct_2, report.self_bleu_3, report.mtld):
        assert estimate.interval.low <= estimate.value <= estimate.interval.high
        assert "half-sample" in estimate.interval.method
    assert report.distinct_1.value == pytest.approx(distinct_n(texts, 1))
    assert report.self_bleu_3.value == pytest.approx(self_bleu(texts))
    assert report.vendi.value == pytest.approx(vendi_score(embeddings))
    assert 1.0 <= report.vendi.interval.low <= report.vendi.interval.high <= 21


def test_first_turn_diversity_takes_texts_and_optional_embeddings():
    openers = ["Hi doctor, I have a cough."] * 5 + ["My knee hurts."]
    report = first_turn_diversity(openers, resampling=FEW)
    assert report.self_bleu_3 is None and report.mtld is None and report.vendi is None
    assert report.distinct_1.value == pytest.approx(distinct_n(openers, 1))
    with_vendi = first_turn_diversity(openers, np.eye(6)[[0, 0, 0, 0, 0, 1]], resampling=FEW)
    assert with_vendi.vendi.value == pytest.approx(
        math.exp(-(5 / 6 * math.log(5 / 6) + 1 / 6 * math.log(1 / 6)))
    )
