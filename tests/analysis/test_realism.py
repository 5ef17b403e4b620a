"""Realism metrics: small hand-checked inputs, then the shared reference corpora."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import sqrtm

from workbench.analysis.bootstrap import Resampling
from workbench.analysis.realism import (
    PatientTurns,
    distance_with_yardsticks,
    frechet_distance,
    frechet_realism,
    split_halves,
)

FEW = Resampling(n_resamples=30)
POINT = Resampling(n_resamples=2)  # where a test looks at values only


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


def test_split_halves_keeps_conversations_whole():
    turns = PatientTurns.from_conversations([(f"c{i}", ["a", "b", "c"]) for i in range(10)])
    first, second = split_halves(turns, seed=3)
    assert not set(first.conversations) & set(second.conversations)
    assert len(first) == len(second) == 15
