"""What the Metrics page's Arcs tab and ``workbench metrics arcs`` show: per-group arc reports
beside the real corpora's, as table rows and a figure of the mean arc."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from pydantic import BaseModel, ConfigDict

from workbench.analysis.arcs import BINS, ArcReport, sample_arcs
from workbench.analysis.bootstrap import Resampling
from workbench.analysis.figures import hover_text
from workbench.analysis.samples import corpus_conversations, sample_conversations
from workbench.analysis.steps import StepProgress, within
from workbench.store import Store
from workbench.views.twins import figure, with_interval


ARC_CAPTION = (
    "Per-turn affect: VADER compound valence of each patient turn (−1..1); the figure shows its "
    "mean per tenth of the conversation (real corpora dashed). Resolution: median share of "
    "patient turns before the affect stays non-negative [95% bootstrap interval over "
    "conversations] (n: conversations that resolve); unresolved: share whose last patient turn "
    "is negative [Wilson]; shapes: up/flat/down between the thirds' mean affect. See "
    "docs/METRICS.md, Arcs.")


class ArcResults(BaseModel):
    """Arc reports of the measured groups and of the yardstick corpora."""

    model_config = ConfigDict(frozen=True)

    by: str
    groups: list[ArcReport]
    references: list[ArcReport]


def arc_results(store: Store, runs: Sequence[str] = (), corpora: Sequence[str] = (), *,
                by: str = "run", references: Sequence[str] = (),
                resampling: Resampling | None = None,
                on_progress: StepProgress | None = None) -> ArcResults:
    """Arcs of runs/corpora grouped ``by`` (run, persona, model, level:<axis>), and of each
    reference corpus whole; ``on_progress`` is told one step for the measured sample and one
    per reference corpus, each read and then scored conversation by conversation.

    Raises:
        ValueError: nothing to measure, an unknown grouping or axis, or an unknown corpus.
        UnknownRun: a run id is not in the store.
    """
    steps = 1 + len(references)
    tell = on_progress or (lambda done, total, what: None)
    tell(0, steps, "reading the measured conversations")
    sample = sample_conversations(store, runs, corpora)
    groups = sample_arcs(sample, by, resampling, within(on_progress, 0, 1, steps))
    refs = []
    for step, name in enumerate(references, 1):
        tell(step, steps, f"reading corpus {name}")
        refs += sample_arcs(corpus_conversations(store, name), None, resampling,
                            within(on_progress, step, 1, steps))
    return ArcResults(by=by, groups=groups, references=refs)


def arc_rows(results: ArcResults) -> list[dict[str, str]]:
    """One row per group and per reference corpus (plain text)."""
    rows = []
    for kind, reports in (("measured", results.groups), ("real (yardstick)", results.references)):
        for r in reports:
            top = ", ".join(f"{s} {n}" for s, n in list(r.shape_counts.items())[:3])
            unresolved = figure(r.unresolved) + (
                f" [{figure(r.unresolved_interval.low)}, {figure(r.unresolved_interval.high)}]"
                if r.unresolved_interval else "")
            rows.append({"group": r.name, "side": kind, "conversations": str(r.n_conversations),
                         "resolution (median position)": with_interval(r.resolution),
                         "unresolved share": unresolved,
                         "distinct shapes": str(r.distinct_shapes),
                         "commonest shapes": top})
    return rows


def arc_figure(results: ArcResults) -> go.Figure:
    """Mean affect by relative position (tenths of the conversation), one line per group;
    reference corpora dashed."""
    fig = go.Figure()
    x = [(i + 0.5) / BINS for i in range(BINS)]
    for reports, dash in ((results.groups, "solid"), (results.references, "dash")):
        for r in reports:
            fig.add_trace(go.Scatter(
                x=x, y=r.curve, mode="lines+markers", name=hover_text(r.name),
                line={"dash": dash},
                hovertemplate="%{y:.2f}<extra>" + hover_text(r.name) + "</extra>"))
    fig.update_layout(xaxis_title="position in the conversation (share of patient turns)",
                      yaxis_title="mean affect (VADER compound)", yaxis_range=[-1, 1],
                      legend_title_text="group")
    return fig
