"""Figures: one trace per colour value, conversation ids on the points, escaped hover text."""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.analysis.clusters import AxisSeparation
from workbench.analysis.figures import (
    confusion_figure,
    hover_text,
    map_figure,
    recoverability_figure,
    separation_figure,
)
from workbench.analysis.recoverability import recover_levels


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unit_id": ["c1", "c2", "c3"],
            "conversation_id": ["c1", "c2", "c3"],
            "snippet": ["<script>alert(1)</script> & more", "fine", "ok"],
            "x": [0.0, 1.0, 2.0],
            "y": [0.0, 1.0, 0.5],
            "axis:mood": ["low", "ok", None],
            "cluster": [10, 2, 2],
        }
    )


def test_map_has_one_trace_per_value_with_ids_and_escaped_hover() -> None:
    fig = map_figure(frame(), "axis:mood")
    assert [t.name for t in fig.data] == ["(none)", "low", "ok"]
    low = fig.data[1]
    assert [list(c) for c in low.customdata] == [["c1", "c1"]]
    assert "<script>" not in low.text[0] and "&lt;script&gt;" in low.text[0]
    assert fig.layout.dragmode == "lasso"


def test_clusters_sort_as_numbers() -> None:
    assert [t.name for t in map_figure(frame(), "cluster").data] == ["2", "10"]


def test_hover_text_wraps_and_escapes() -> None:
    assert hover_text("a <b> " + "x" * 70, width=20).count("<br>") >= 3
    assert "&lt;b&gt;" in hover_text("a <b>")


def test_analysis_figures_build() -> None:
    sep = [
        AxisSeparation(
            axis="mood", n=3, n_levels=2, silhouette=0.5, silhouette_by_level={}, nmi=0.2
        )
    ]
    assert len(separation_figure(sep).data) == 2
    rng = np.random.default_rng(0)
    result = recover_levels(rng.normal(size=(20, 4)), ["a", "b"] * 10, axis="mood")
    assert confusion_figure(result).data[0].z is not None
    assert {t.name for t in recoverability_figure([result]).data} == {"embeddings", "chance"}
