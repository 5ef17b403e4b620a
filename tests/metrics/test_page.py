"""The Metrics page on the small metrics store (AppTest; fake vectors cached, so no model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown
from tests.metrics.conftest import MetricsStore

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "metrics.py")


def open_page(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    monkeypatch.setenv("WORKBENCH_STORE", str(path))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(path.with_name("no_settings.json")))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def test_first_view_computes_nothing(monkeypatch, metrics_store: MetricsStore) -> None:
    at = open_page(monkeypatch, metrics_store.path)
    assert at.title[0].value == "Metrics"
    assert len(at.dataframe) == 1  # role adherence only: regular expressions, no model
    assert any("press the button" in shown(c.value) for c in at.caption)


def test_role_adherence_is_counted_per_run(monkeypatch, metrics_store: MetricsStore) -> None:
    at = open_page(monkeypatch, metrics_store.path)
    at.multiselect(key="metrics_runs").set_value([metrics_store.hand_run_id,
                                                  metrics_store.run_id]).run()
    (table,) = [d.value for d in at.dataframe if "third person" in d.value.columns]
    assert list(table["run"]) == [metrics_store.hand_run_id, metrics_store.run_id]
    assert list(table["patient turns"])[0] == 4  # the hand run: four patient turns
    assert list(table["clinician voice"])[0].startswith("0 (0%")
    assert any("Narrates the patient in the third person" in shown(c.value) for c in at.caption)


def test_buttons_compute_and_show_the_tables(monkeypatch, metrics_store: MetricsStore) -> None:
    at = open_page(monkeypatch, metrics_store.path)
    at.multiselect(key="metrics_runs").set_value([metrics_store.hand_run_id]).run()
    at.button(key="metrics_diversity_go").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["distinct_1"].iloc[0].startswith("0.385 [")  # 5/13
    assert any("Distinct-2: unique word pairs" in shown(c.value) for c in at.caption)

    at.multiselect(key="metrics_runs").set_value([metrics_store.run_id]).run()
    at.selectbox(key="metrics_by").set_value("level:mood").run()
    at.button(key="metrics_diversity_go").click().run()
    assert list(at.dataframe[0].value["group"]) == [
        "mood=low", "mood=high"]

    at.selectbox(key="metrics_second").set_value("ward").run()
    at.button(key="metrics_realism_go").click().run()
    assert not at.exception, at.exception
    realism = at.dataframe[1].value
    assert list(realism["metric"]) == ["c2st_auc", "c2st_style_auc", "frechet",
                                       "turn_length_wasserstein", "turn_length_ks",
                                       "conversation_length_gap"]
    assert {"reference halves", "between real corpora", "n per side"} <= set(realism.columns)
    assert realism["measured vs reference"].iloc[0].startswith("1.000")
    assert realism["n per side"].iloc[0] == "18 / 18"
    content_ngrams, style_ngrams, tells = (at.dataframe[i].value for i in (2, 3, 4))
    assert set(content_ngrams["side"]) == {"measured", "reference"}
    assert "<w>" in " ".join(style_ngrams["ngram"])
    assert "assistant_phrase" in set(tells["tell"]) and "on real text" in tells.columns

    # A corpus on the measured side, a real corpus beside the diversity groups.
    at.multiselect(key="metrics_runs").set_value([]).run()
    at.multiselect(key="metrics_corpora").set_value(["ward"]).run()
    at.selectbox(key="metrics_by").set_value("run").run()
    at.selectbox(key="metrics_real").set_value("clinic").run()
    at.button(key="metrics_diversity_go").click().run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["group"]) == ["ward", "clinic (real)"]
    assert any("24 sampled patient turns" in shown(c.value) for c in at.caption)


def test_user_errors_show_on_the_page(monkeypatch, metrics_store: MetricsStore) -> None:
    at = open_page(monkeypatch, metrics_store.path)
    at.multiselect(key="metrics_runs").set_value([metrics_store.hand_run_id]).run()
    at.button(key="metrics_realism_go").click().run()
    assert not at.exception
    assert "realism needs at least 10 turns" in shown(at.error[0].value)
    # Group by offers only what exists: the groupings and the stored axes (no typing).
    options = at.selectbox(key="metrics_by").options
    assert options[:3] == ["run or corpus", "persona", "patient model"]
    assert "level of mood" in options and not any("anger" in o for o in options)


def test_the_page_module_imports_no_heavy_library() -> None:
    """Opening the page is light: sklearn, scipy and sentence-transformers load on compute."""
    code = ("import sys; import workbench.analysis.reports, workbench.analysis.corpus; "
            "print(sorted(m for m in ('sklearn', 'scipy', 'sentence_transformers', 'torch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_arcs_tab_plots_and_tabulates_runs_beside_a_real_corpus(
        monkeypatch, metrics_store: MetricsStore) -> None:
    at = open_page(monkeypatch, metrics_store.path)
    at.multiselect(key="metrics_runs").set_value([metrics_store.hand_run_id]).run()
    at.multiselect(key="metrics_arcs_refs").set_value(["ward"]).run()
    at.button(key="metrics_arcs_go").click().run()
    assert not at.exception, at.exception
    # The arcs table is the one with a side column (the Role adherence tab has its own table).
    (table,) = [df.value for df in at.dataframe if "side" in df.value.columns]
    assert list(table["side"]) == ["measured", "real (yardstick)"]
    assert list(table["conversations"])[0] == "2"
    assert any("VADER compound" in shown(c.value) for c in at.caption)
    at.selectbox(key="metrics_by").set_value("persona").run()  # another widget: kept, no bar
    assert not at.exception and not at.get("progress")
    assert [df for df in at.dataframe if "side" in df.value.columns]


def test_role_adherence_of_large_runs_waits_for_its_button(monkeypatch,
                                                           metrics_store: MetricsStore) -> None:
    # Checking every patient turn of a 100,000-conversation run took 11.6 s as the page opened
    # (benchmarks/app_bench.py); beyond ROLES_AT_ONCE turns the page asks first.
    from workbench.views import metrics as view

    monkeypatch.setattr(view, "ROLES_AT_ONCE", 1)
    at = open_page(monkeypatch, metrics_store.path)
    assert not [d for d in at.dataframe if "third person" in d.value.columns]
    (button,) = [b for b in at.button if b.key == "metrics_roles_go"]
    assert button.label.startswith("Check role adherence (") and "turns)" in button.label
    button.click().run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "third person" in d.value.columns]
    assert len(table) == 1 and table["patient turns"].iloc[0] > 0  # the first run, checked
    assert not at.get("progress")  # the bar is gone once done
