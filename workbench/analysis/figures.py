"""Plotly figures of the embedding analysis: the map, axis separation, recoverability.

Model text reaches the hover labels, which plotly renders as a small subset of HTML: every text
is escaped before it is placed in a figure.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:
    import polars as pl

    from workbench.analysis.clusters import AxisSeparation
    from workbench.analysis.recoverability import AxisRecoverability

MISSING = "(none)"
"""Legend entry of units without a value in the colour column."""
_WEBGL_FROM = 3_000
"""Points above which the map is drawn with WebGL."""
_PALETTE = (
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#EECA3B",
    "#B279A2",
    "#FF9DA6",
    "#9D755D",
    "#BAB0AC",
)


def hover_text(text: str, width: int = 60) -> str:
    """Escape text for a plotly hover label and wrap it into lines of about ``width``."""
    lines = textwrap.wrap(text, width=width) or [""]
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def map_figure(
    frame: pl.DataFrame,
    color_by: str,
    title: str = "",
    names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Scatter of the units at ``x``, ``y``, one trace (and colour) per value of ``color_by``.

    Each point carries ``[conversation_id, unit_id]`` as ``customdata``, for selections; the
    hover shows the colour value, the conversation and the escaped snippet. ``names`` renames
    values in the legend and hover (e.g. cluster titles); they are escaped like everything else.
    """
    names = names or {}
    values = [MISSING if v is None else str(v) for v in frame[color_by].to_list()]
    categories = sorted(set(values), key=_natural)
    trace = go.Scattergl if len(frame) > _WEBGL_FROM else go.Scatter
    xs, ys = frame["x"].to_list(), frame["y"].to_list()
    conversations, units = frame["conversation_id"].to_list(), frame["unit_id"].to_list()
    snippets = frame["snippet"].to_list()
    fig = go.Figure()
    for n, category in enumerate(categories):
        rows = [i for i, v in enumerate(values) if v == category]
        shown = html.escape(names.get(category, category))
        fig.add_trace(
            trace(
                x=[xs[i] for i in rows],
                y=[ys[i] for i in rows],
                mode="markers",
                name=shown,
                marker={"size": 8, "opacity": 0.8, "color": _PALETTE[n % len(_PALETTE)]},
                customdata=[[conversations[i], units[i]] for i in rows],
                text=[hover_text(snippets[i]) for i in rows],
                hovertemplate=(
                    f"<b>{html.escape(color_by)}: {shown}</b><br>"
                    "%{customdata[0]}<br>%{text}<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        title=title or None,
        dragmode="lasso",
        height=560,
        legend_title_text=html.escape(color_by),
        xaxis={"showticklabels": False, "title": None},
        yaxis={"showticklabels": False, "title": None},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def separation_figure(separation: Sequence[AxisSeparation]) -> go.Figure:
    """Grouped bars per axis: silhouette by level and NMI with the clusters."""
    axes = [s.axis for s in separation]
    fig = go.Figure(
        [
            go.Bar(name="silhouette", x=axes, y=[s.silhouette for s in separation]),
            go.Bar(name="NMI with clusters", x=axes, y=[s.nmi for s in separation]),
        ]
    )
    fig.update_layout(
        barmode="group", yaxis={"range": [-1, 1]}, margin={"t": 30, "b": 10}, height=300
    )
    return fig


def recoverability_figure(results: Sequence[AxisRecoverability]) -> go.Figure:
    """Accuracy per axis and feature set with its interval, and chance as a marker."""
    fig = go.Figure()
    for features in ("embeddings", "tfidf"):
        rows = [r for r in results if r.features == features and r.accuracy is not None]
        if not rows:
            continue
        fig.add_trace(
            go.Bar(
                name=features,
                x=[r.axis for r in rows],
                y=[r.accuracy for r in rows],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [_above(r) for r in rows],
                    "arrayminus": [_below(r) for r in rows],
                },
            )
        )
    tested = [r for r in results if r.chance is not None]
    chance = {r.axis: r.chance for r in tested}
    fig.add_trace(
        go.Scatter(
            name="chance",
            x=list(chance),
            y=list(chance.values()),
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 30, "color": "black"},
        )
    )
    fig.update_layout(
        barmode="group",
        yaxis={"range": [0, 1], "title": "accuracy"},
        margin={"t": 30, "b": 10},
        height=320,
    )
    return fig


def confusion_figure(result: AxisRecoverability) -> go.Figure:
    """Heat map of a confusion matrix: rows intended level, columns predicted level."""
    labels = [html.escape(level) for level in result.levels]
    fig = go.Figure(
        go.Heatmap(
            z=result.confusion,
            x=labels,
            y=labels,
            colorscale="Blues",
            texttemplate="%{z}",
            showscale=False,
        )
    )
    fig.update_layout(
        title={"text": f"{html.escape(result.axis)} · {result.features}", "font": {"size": 14}},
        xaxis={"title": "predicted"},
        yaxis={"title": "intended", "autorange": "reversed"},
        margin={"t": 40, "b": 10},
        height=270,
    )
    return fig


def _above(r: AxisRecoverability) -> float:
    return 0.0 if r.interval is None or r.accuracy is None else r.interval.high - r.accuracy


def _below(r: AxisRecoverability) -> float:
    return 0.0 if r.interval is None or r.accuracy is None else r.accuracy - r.interval.low


def _natural(value: str) -> tuple[int, float | str]:
    """Sort numeric labels (cluster ids) as numbers, the rest as text."""
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)
