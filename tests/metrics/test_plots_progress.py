"""The Metrics figures (each a plotly figure with its definition in the hover, its table beside
it) and the reports' progress steps."""

from __future__ import annotations

import math

from tests.metrics.conftest import MetricsStore
from tests.metrics.test_page import open_page
from workbench.analysis.reports import diversity_report, realism_report
from workbench.store import Store
from workbench.views.plots import diversity_figure, realism_figure, turn_length_figure


def test_realism_report_tells_each_step_and_gives_turn_lengths(metrics_store: MetricsStore):
    seen: list[tuple[float, int, str]] = []
    with Store(metrics_store.path) as store:
        result = realism_report(store, [metrics_store.run_id], "clinic", second_reference="ward",
                                on_progress=lambda d, t, w: seen.append((d, t, w)))
    steps = {t for _, t, _ in seen}
    assert len(steps) == 1 and [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    assert seen[0][2].startswith("classifier two-sample test")
    assert any(w.startswith("turn lengths") for _, _, w in seen)
    assert set(result.turn_words) == {"measured", "clinic", "ward"}
    assert len(result.turn_words["measured"]) == result.n_simulated_turns
    assert "turn_words" not in result.model_dump()  # not in --json

    figure = realism_figure(result)
    shown = [r for r in result.results if not math.isnan(r.value)]
    assert [a.text for a in figure.layout.annotations] == [r.metric for r in shown]
    first = shown[0]
    point = figure.data[0]
    assert point.x[0] == first.value and point.error_x.array[0] == first.high - first.value
    assert first.definition[:30] in point.hovertemplate.replace("<br>", " ")
    n_points = sum(1 + sum(not math.isnan(y.value) for y in r.yardsticks) for r in shown)
    assert len(figure.data) == n_points  # each figure beside its yardsticks

    lengths = turn_length_figure(result.turn_words)
    assert [len(h.x) for h in lengths.data] == [len(v) for v in result.turn_words.values()]
    assert "Words per patient turn" in lengths.data[0].hovertemplate


def test_diversity_figure_has_a_point_per_group_with_its_interval(metrics_store) -> None:
    with Store(metrics_store.path) as store:
        result = diversity_report(store, [metrics_store.run_id], by="level:mood",
                                  reference="clinic")
    figure = diversity_figure(result, "distinct_2")
    assert [d.y[0] for d in figure.data] == ["mood=low", "mood=high", "clinic (real)"]
    for trace, group in zip(figure.data, result.groups):
        e = group.turns.distinct_2
        assert trace.x[0] == e.value
        assert math.isclose(trace.error_x.arrayminus[0], e.value - e.low)
    assert figure.data[-1].marker.color != figure.data[0].marker.color  # the real corpus apart


def test_metrics_page_shows_progress_then_charts_and_tables(monkeypatch, metrics_store) -> None:
    at = open_page(monkeypatch, metrics_store.path)
    at.multiselect(key="metrics_runs").set_value([metrics_store.run_id]).run()
    at.button(key="metrics_diversity_go").click().run()
    at.button(key="metrics_realism_go").click().run()
    assert not at.exception, at.exception
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(charts) == 3  # diversity, realism, turn lengths
    assert len(at.tabs) >= 5 and {"Chart", "Table", "Turn lengths"} <= {t.label for t in at.tabs}
    assert not at.get("progress")  # the bars go once the results are in
    at.selectbox(key="metrics_div_plot").set_value("mtld").run()
    assert not at.exception
