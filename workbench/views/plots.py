"""Plots where people look, each a function returning a plotly figure; every figure carries its
definition in the hover, and the page puts its table one click away (a tab beside it).

- :func:`realism_figure`: each realism figure as a point with its interval, beside its
  yardsticks (real against real), one panel per metric (their scales differ);
- :func:`turn_length_figure`: words per patient turn, measured against each real corpus;
- :func:`diversity_figure`: one diversity metric per group with its interval;
- :func:`agreement_figure`: Krippendorff's alpha and Gwet's AC1 per item with intervals.

Names from the store (runs, corpora, items) reach plotly only through ``hover_text`` (escaped).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.analysis.figures import hover_text
from workbench.analysis.reports import DiversityResults, RealismResults
from workbench.annotation.agreement_report import AgreementReport

TURN_LENGTH_DEFINITION = ("Words per patient turn (word tokens of the project tokenizer, "
                          "punctuation not counted); each side's bars sum to 1.")
_MEASURED, _YARDSTICK = "#4E79A7", "#9C9C9C"


def _error(value: float, low: float | None, high: float | None) -> tuple[float, float]:
    """Distances from the value to the interval's ends (0 without an interval)."""
    if low is None or high is None or math.isnan(value):
        return 0.0, 0.0
    return max(0.0, high - value), max(0.0, value - low)


def realism_figure(results: RealismResults) -> go.Figure:
    """One panel per realism metric: the measured side against the reference (blue) above its
    yardsticks (grey), each a point with its 95 % interval and its n in the hover."""
    shown = [r for r in results.results if not math.isnan(r.value)]
    figure = make_subplots(rows=max(1, len(shown)), cols=1, vertical_spacing=0.06,
                           subplot_titles=[hover_text(r.metric) for r in shown])
    for row, r in enumerate(shown, start=1):
        points = [(f"measured vs {results.reference}", r.value, r.low, r.high,
                   f"n = {r.n_simulated:,} / {r.n_reference:,}", _MEASURED)]
        points += [(y.label, y.value, y.low, y.high, f"n = {y.n_a:,} / {y.n_b:,}", _YARDSTICK)
                   for y in r.yardsticks if not math.isnan(y.value)]
        for label, value, low, high, n, colour in points:
            plus, minus = _error(value, low, high)
            figure.add_trace(go.Scatter(
                x=[value], y=[hover_text(label, 40)], mode="markers", showlegend=False,
                marker={"color": colour, "size": 11},
                error_x={"type": "data", "array": [plus], "arrayminus": [minus]},
                hovertemplate=f"{hover_text(label)}: %{{x:.3f}} · {n}<br><br>"
                              f"{hover_text(r.definition, 70)}<extra></extra>"), row=row, col=1)
    figure.update_layout(height=max(260, 170 * len(shown)), margin={"l": 10, "r": 10, "t": 40,
                                                                    "b": 10})
    return figure


def turn_length_figure(turn_words: Mapping[str, Sequence[int]], cap: int = 150) -> go.Figure:
    """Distribution of words per patient turn, one translucent histogram per side (lengths over
    ``cap`` words are shown in the last bar)."""
    figure = go.Figure()
    for side, counts in turn_words.items():
        capped = [min(c, cap) for c in counts]
        figure.add_trace(go.Histogram(
            x=capped, name=hover_text(f"{side} (n={len(counts):,})"), histnorm="probability",
            xbins={"start": 0, "end": cap + 1, "size": max(1, cap // 50)}, opacity=0.55,
            hovertemplate=f"{hover_text(side)}: %{{x}} words · %{{y:.1%}}<br><br>"
                          f"{hover_text(TURN_LENGTH_DEFINITION, 70)}<extra></extra>"))
    figure.update_layout(barmode="overlay", xaxis_title=f"words per patient turn (≥ {cap} "
                         "in the last bar)", yaxis_title="share of turns", height=340,
                         margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return figure


def diversity_figure(results: DiversityResults, metric: str) -> go.Figure:
    """One metric per group (the real corpus in grey) with its half-sample interval."""
    figure = go.Figure()
    definition = hover_text(results.definitions.get(metric, ""), 70)
    for g in results.groups:
        estimate = getattr(g.turns, metric, None)
        if estimate is None or math.isnan(estimate.value):
            continue
        label = f"{g.group} (real)" if g.real else g.group
        plus, minus = _error(estimate.value, estimate.low, estimate.high)
        figure.add_trace(go.Scatter(
            x=[estimate.value], y=[hover_text(label, 40)], mode="markers", showlegend=False,
            marker={"color": _YARDSTICK if g.real else _MEASURED, "size": 11},
            error_x={"type": "data", "array": [plus], "arrayminus": [minus]},
            hovertemplate=f"{hover_text(label)}: %{{x:.3f}} · n = {estimate.n:,} texts<br><br>"
                          f"{definition}<extra></extra>"))
    figure.update_layout(xaxis_title=hover_text(metric), height=max(220, 45 * len(results.groups)
                                                                     + 120),
                         margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return figure


def agreement_figure(report: AgreementReport, definitions: Mapping[str, str]) -> go.Figure:
    """Krippendorff's alpha and Gwet's AC1 per item, each with its bootstrap interval."""
    figure = go.Figure()
    for name, attribute, colour in (("Krippendorff's alpha", "alpha", _MEASURED),
                                    ("Gwet's AC1", "ac1", "#F28E2B")):
        about = hover_text(definitions.get("krippendorff_alpha" if attribute == "alpha"
                                           else "gwet_ac1", ""), 70)
        xs, ys, plus, minus, notes = [], [], [], [], []
        for item in report.items:
            estimate = getattr(item, attribute)
            if math.isnan(estimate.value):
                continue
            xs.append(estimate.value)
            ys.append(hover_text(item.kind.label, 40))
            up, down = _error(estimate.value, estimate.low, estimate.high)
            plus.append(up)
            minus.append(down)
            notes.append(f"{item.n_units} units · {len(item.annotators)} annotators")
        figure.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", name=name, marker={"color": colour, "size": 10},
            customdata=notes, error_x={"type": "data", "array": plus, "arrayminus": minus},
            hovertemplate=f"%{{y}}: %{{x:.3f}} · %{{customdata}}<br><br>{about}<extra>"
                          f"{name}</extra>"))
    figure.add_vline(x=0, line_dash="dot", line_color="#999")
    figure.update_layout(xaxis_title="agreement (1 = perfect, 0 = chance)",
                         height=max(240, 40 * len(report.items) + 140),
                         margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return figure
