"""Progress of the Metrics page's and `workbench metrics`' other long jobs: arcs (one step per
sample, moving with its conversations) and questionnaire fidelity (one step per item)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.metrics.conftest import MetricsStore
from tests.metrics.test_questionnaire_fidelity import stored_conversation
from tests.support import OllamaTestServer
from tests.support.progress import assert_in_order, cli_env, on_a_terminal, recorder
from workbench.analysis import questionnaire_fidelity as qf
from workbench.backends import OllamaBackend
from workbench.store import Store
from workbench.views.arcs import arc_results


def test_arcs_tell_each_sample_read_then_scored(metrics_store: MetricsStore) -> None:
    told, tell = recorder()
    with Store(metrics_store.path) as store:
        results = arc_results(store, [metrics_store.run_id, metrics_store.hand_run_id],
                              by="run", references=["clinic"], on_progress=tell)
    assert len(results.groups) == 2 and results.references[0].n_conversations == 8
    assert_in_order(told, 2)
    assert told[0] == (0, 2, "reading the measured conversations")
    # The measured sample's step is shared by its two runs, each moving with its conversations.
    assert (0.5, 2, f"scoring the affect of {results.groups[0].name}: 6 of 6 conversations") \
        in told
    assert (1, 2, "reading corpus clinic") in told
    assert told[-1] == (2, 2, "scoring the affect of clinic: 8 of 8 conversations")


def test_metrics_arcs_shows_its_bar_on_the_terminal(metrics_store: MetricsStore,
                                                    tmp_path: Path) -> None:
    status, out, screen = on_a_terminal(
        ["metrics", "arcs", "--run", metrics_store.hand_run_id, "--reference", "ward",
         "--resamples", "20", "--store", str(metrics_store.path)],
        cli_env(tmp_path / "settings.json"))
    assert status == 0, screen
    assert "Arcs by run" in out
    for what in ("arcs:", "reading corpus ward", "scoring the affect of ward: 6 of 6",
                 "100%"):
        assert what in screen, (what, screen)


def test_questionnaire_fidelity_tells_one_step_per_item(tmp_path: Path) -> None:
    conv_id = stored_conversation(tmp_path / "store.db")
    told, tell = recorder()
    with OllamaTestServer(reply_fn=lambda body: "1") as server, \
            Store(tmp_path / "store.db") as store:
        backend = OllamaBackend("llama3.2:1b", host=server.url)
        result = asyncio.run(qf.questionnaire_fidelity(store, conv_id, backend, "gad7",
                                                       on_progress=tell))
    assert result.answers == [1] * 7
    assert told == [(i, 7, f"asking item {i + 1} in character") for i in range(7)]
