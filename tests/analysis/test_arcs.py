"""Arc metrics reproduce hand-computed values on small inputs; the scorer is VADER's lexicon."""

from __future__ import annotations

import math

import pytest

from workbench.analysis.arcs import (
    ConversationArc,
    arc_curve,
    arc_report,
    arc_shape,
    resolution_position,
    turn_affect,
)
from workbench.analysis.bootstrap import Resampling


def test_the_scorer_reads_distress_as_negative_and_relief_as_positive() -> None:
    bad, neutral, good = turn_affect(["I feel awful and scared.", "It was on Tuesday.",
                                      "That really helps, thank you, I feel much better."])
    assert bad < -0.5 and neutral == 0.0 and good > 0.5


@pytest.mark.parametrize(("scores", "shape"), [
    ([-0.6, -0.6, 0.0, 0.0, 0.5, 0.5], "up-up"),      # thirds -0.6, 0.0, 0.5
    ([0.2, 0.2, 0.25], "flat-flat"),                  # steps 0.0 and 0.05 are within 0.1
    ([-0.2, 0.3, -0.4], "up-down"),
    ([0.5, 0.1, 0.1, -0.3], "down-down"),             # array_split: [0.5,0.1], [0.1], [-0.3]
    ([0.1, -0.1], "short"),
])
def test_shapes_code_each_step_between_thirds(scores: list[float], shape: str) -> None:
    assert arc_shape(scores) == shape


@pytest.mark.parametrize(("scores", "position"), [
    ([-0.5, -0.2, 0.1, 0.3], 0.5),       # two of four turns before the last non-negative run
    ([0.1, -0.3, 0.0, 0.2, 0.4], 0.4),
    ([0.2, 0.3], 0.0),                   # never negative
    ([0.2, -0.3], None),                 # ends negative: unresolved
    ([], None),
])
def test_resolution_is_the_share_of_turns_before_the_final_non_negative_run(
    scores: list[float], position: float | None
) -> None:
    assert resolution_position(scores) == position


def test_the_curve_averages_turns_by_relative_position() -> None:
    assert arc_curve([1.0, -1.0, 0.5, 0.5], bins=2) == [0.0, 0.5]
    assert arc_curve([0.4], bins=3) == [0.4, None, None]


def test_a_report_counts_shapes_unresolved_and_takes_the_median_resolution() -> None:
    arcs = [ConversationArc(conversation=c, scores=s, shape=arc_shape(s),
                            resolution=resolution_position(s))
            for c, s in [("a", [-0.5, -0.2, 0.1, 0.3]), ("b", [0.1, -0.3, 0.0, 0.2, 0.4]),
                         ("c", [0.2, 0.3]), ("d", [0.2, -0.3])]]
    report = arc_report("x", arcs, Resampling(n_resamples=50))
    assert report.n_conversations == 4
    assert report.resolution.value == pytest.approx(0.4)   # median of 0.5, 0.4, 0.0
    assert report.resolution.n == 3
    assert report.unresolved == 0.25 and report.unresolved_interval is not None
    # a: thirds -0.35, 0.1, 0.3; b: -0.1, 0.1, 0.4: both up-up; c and d are short (not a shape)
    assert report.shape_counts == {"up-up": 2, "short": 2} and report.distinct_shapes == 1
    assert report.curve[0] == pytest.approx((-0.5 + 0.1 + 0.2 + 0.2) / 4)


def test_an_empty_sample_is_reported_as_undefined_not_zero() -> None:
    report = arc_report("empty", [])
    assert report.n_conversations == 0 and math.isnan(report.unresolved)
    assert math.isnan(report.resolution.value) and report.distinct_shapes == 0
