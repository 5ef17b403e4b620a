"""The yardstick: arcs of the real reference corpora, imported into a store as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.io.conftest import shared_corpus
from workbench.analysis.arcs import sample_arcs
from workbench.analysis.bootstrap import Resampling
from workbench.analysis.samples import corpus_conversations
from workbench.io import import_reference
from workbench.store import Store
from workbench.views.arcs import arc_figure, arc_results

pytestmark = pytest.mark.shared


@pytest.mark.parametrize(("corpus", "n"), [("primock57", 57), ("mibot", None)])
def test_real_corpora_arcs_are_computed(tmp_path: Path, corpus: str, n: int | None) -> None:
    path = shared_corpus(corpus)
    with Store(tmp_path / "store.db") as store:
        import_reference(store, path, corpus)
        (report,) = sample_arcs(corpus_conversations(store, corpus),
                                resampling=Resampling(n_resamples=200))
    if n is not None:
        assert report.n_conversations == n
    assert report.n_conversations >= 20
    # Real patients' arcs vary: several shapes, and resolution somewhere inside the conversation.
    assert report.distinct_shapes >= 3
    assert 0.0 <= report.resolution.value <= 1.0 and report.resolution.interval is not None
    assert 0.0 <= report.unresolved < 1.0
    assert sum(report.shape_counts.values()) == report.n_conversations
    assert all(len(a.scores) >= 1 for a in report.arcs)
    with Store(tmp_path / "store.db") as store:  # plotted as the yardstick, dashed
        figure = arc_figure(arc_results(store, corpora=[corpus], references=[corpus],
                                        resampling=Resampling(n_resamples=20)))
    dashed = [t for t in figure.data if t.line.dash == "dash"]
    assert [t.name for t in dashed] == [corpus] and len(dashed[0].y) == 10
    assert all(v is not None and -1 <= v <= 1 for v in dashed[0].y)
    print(corpus, report.n_conversations, round(report.resolution.value, 3),
          round(report.unresolved, 3), report.distinct_shapes, report.shape_counts)
