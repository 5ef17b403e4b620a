"""Resampling intervals: groups stay whole, strata keep their sizes, Wilson matches its formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.analysis.bootstrap import Resampling, estimate, resample_interval, wilson_interval

FEW = Resampling(n_resamples=200)


def test_percentile_bootstrap_of_a_mean_is_deterministic_and_covers_it():
    values = np.arange(20, dtype=float)
    first = resample_interval(lambda idx: values[idx].mean(), 20, resampling=FEW)
    again = resample_interval(lambda idx: values[idx].mean(), 20, resampling=FEW)
    assert first == again
    assert first.low < 9.5 < first.high
    assert first.method == "percentile bootstrap, 200 resamples of items"


def test_groups_are_resampled_whole():
    groups = ["a", "a", "b", "b", "b", "c"]
    seen = []

    def statistic(idx: np.ndarray) -> float:
        seen.append(sorted(idx.tolist()))
        return 0.0

    resample_interval(statistic, 6, groups=groups, resampling=FEW)
    members = {"a": [0, 1], "b": [2, 3, 4], "c": [5]}
    for drawn in seen:
        for indices in members.values():
            # every group appears with all its members, as many times as it was drawn
            counts = {i: drawn.count(i) for i in indices}
            assert len(set(counts.values())) == 1


def test_strata_keep_their_sizes():
    side = np.array([0] * 3 + [1] * 7)
    sizes = set()

    def statistic(idx: np.ndarray) -> float:
        sizes.add((int((side[idx] == 0).sum()), int((side[idx] == 1).sum())))
        return 0.0

    resample_interval(statistic, 10, strata=side, resampling=FEW)
    assert sizes == {(3, 7)}


def test_a_group_spanning_two_strata_is_an_error():
    with pytest.raises(ValueError, match="spans two strata"):
        resample_interval(lambda idx: 0.0, 4, groups=[1, 1, 2, 2], strata=[0, 1, 0, 1])


def test_half_samples_draw_half_without_replacement_and_centre_on_the_value():
    drawn = []

    def statistic(idx: np.ndarray) -> float:
        drawn.append(idx)
        return float(len(idx))

    interval = resample_interval(statistic, 10, method="half-sample", resampling=FEW, estimate=10.0)
    assert all(len(d) == 5 and len(set(d.tolist())) == 5 for d in drawn)
    assert interval.low == interval.high == 10.0  # every half has 5 items: zero spread around 10


def test_normal_bootstrap_is_value_plus_minus_z_sd_of_replicates():
    values = np.arange(20, dtype=float)
    replicates = []

    def statistic(idx: np.ndarray) -> float:
        replicates.append(values[idx].mean())
        return replicates[-1]

    interval = resample_interval(
        statistic, 20, method="normal-bootstrap", resampling=FEW, estimate=9.5, bounds=(0, 10)
    )
    half_width = 1.959964 * np.std(replicates, ddof=1)
    assert interval.low == pytest.approx(9.5 - half_width)
    assert interval.high == 10  # clipped to the bounds
    assert interval.method == "value ± z·sd of 200 bootstrap resamples of items"


def test_too_small_or_undefined_samples_have_no_interval():
    assert resample_interval(lambda idx: 1.0, 1) is None
    assert resample_interval(lambda idx: math.nan, 10, resampling=FEW) is None


def test_estimate_holds_value_interval_and_definition():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    result = estimate(
        "mean", lambda idx: values[idx].mean(), 4, definition="the mean", resampling=FEW
    )
    assert result.value == 2.5 and result.n == 4 and result.definition == "the mean"
    assert result.interval is not None and result.interval.low <= 2.5 <= result.interval.high


def test_wilson_interval_of_one_in_four():
    """Wilson (z = 1.96) for 1/4: centre (0.25 + z²/8) / (1 + z²/4) = 0.37247, half-width
    z·sqrt(0.25·0.75/4 + z²/64) / (1 + z²/4) = 0.32689, so [0.0456, 0.6994]."""
    interval = wilson_interval(1, 4)
    assert interval.low == pytest.approx(0.0456, abs=1e-4)
    assert interval.high == pytest.approx(0.6994, abs=1e-4)
    zero = wilson_interval(0, 50)
    assert zero.low == 0.0 and 0.05 < zero.high < 0.08
    assert wilson_interval(0, 0) is None


def test_intervals_from_fewer_than_ten_units_carry_a_caution():
    from workbench.analysis.bootstrap import SMALL_N, format_interval

    few = resample_interval(lambda idx: float(np.mean(idx)), 4, resampling=Resampling(n_resamples=50))
    assert few.n_units == 4 and few.small_n and SMALL_N == 10
    assert format_interval(1.5, few).endswith("⚠ n=4<10")
    many = resample_interval(lambda idx: float(np.mean(idx)), 12,
                             resampling=Resampling(n_resamples=50))
    assert many.n_units == 12 and not many.small_n and "⚠" not in format_interval(5.5, many)
    # two sides: the smaller side's units count
    sides = resample_interval(lambda idx: float(np.mean(idx)), 30, strata=[0] * 25 + [1] * 5,
                              resampling=Resampling(n_resamples=50))
    assert sides.n_units == 5 and sides.small_n
    wilson = wilson_interval(3, 8)
    assert wilson.small_n and format_interval(3 / 8, wilson, bound_digits=2).endswith("⚠ n=8<10")
    assert format_interval(float("nan"), wilson) == "n/a"
