"""The Clusters page on a small filled store (AppTest; fake vectors cached, so no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.analysis_embed.conftest import CountingEncoder, fill_store
from tests.app.conftest import shown
from tests.support import OllamaTestServer
from workbench.analysis import corpus, embeddings, mapping
from workbench.store import Store

APP = str(Path(__file__).resolve().parents[2] / "workbench" / "app.py")
PAGE = "../pages/clusters.py"


def open_page(monkeypatch: pytest.MonkeyPatch, store_path: Path) -> AppTest:
    monkeypatch.setenv("WORKBENCH_STORE", str(store_path))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(store_path.with_name("settings.json")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_map_separation_and_keywords_show(monkeypatch, filled) -> None:
    path, _ = filled
    at = open_page(monkeypatch, path)
    assert at.title[0].value == "Clusters"
    assert any("12 conversations · projection pca" in c.value for c in at.caption)
    assert at.selectbox(key="clusters_color").value == "axis:confusion"
    assert len(at.dataframe) == 2  # separation table, keywords
    at.selectbox(key="clusters_color").set_value("cluster").run()
    assert not at.exception


def test_a_selection_lists_links_to_the_transcripts(monkeypatch, filled) -> None:
    path, run_id = filled
    with Store(path) as store:
        ids = [c.id for c in store.conversations_of_run(run_id)]
    at = open_page(monkeypatch, path)
    at.session_state["clusters_map"] = {
        "selection": {
            "points": [{"customdata": [ids[4], ids[4]]}, {"customdata": [ids[1], ids[1]]}],
            "point_indices": [4, 1],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    assert not at.exception
    assert any(s.value == "Selected: 2 conversations" for s in at.subheader)
    links = at.get("page_link")
    assert [link.proto.query_string for link in links] == [
        f"conversation={ids[4]}",
        f"conversation={ids[1]}",
    ]


def test_recoverability_flags_collapsed_levels(monkeypatch, filled) -> None:
    path, _ = filled
    at = open_page(monkeypatch, path)
    at.toggle(key="clusters_recover").set_value(True).run()
    assert not at.exception
    shown = [t.value for t in at.text]
    # n, the persona groups of the folds, chance and the permutation p-value (19 by default).
    line = next(t for t in shown if t.startswith("confusion (tfidf, n=12 in 4 persona groups)"))
    assert "accuracy 1.00" in line and "vs chance 0.50" in line and "p=" in line
    # The fake vectors are random: embeddings cannot tell the levels apart.
    assert any("collapse into each other" in w.value for w in at.warning)


def test_missing_embeddings_offer_the_command_and_load_no_model(
    monkeypatch, store_path: Path
) -> None:
    run_id = fill_store(store_path)

    def refuse(*args, **kwargs):
        raise AssertionError("the page loaded a model without being asked")

    monkeypatch.setattr(embeddings, "load_encoder", refuse)
    at = open_page(monkeypatch, store_path)
    (warning,) = at.warning
    assert "100% of the 12 texts" in shown(warning.value)
    assert f"workbench embed --run {run_id}" in shown(warning.value)
    assert at.button(key="clusters_embed")


def test_an_empty_store_says_what_to_do(monkeypatch, store_path: Path) -> None:
    Store(store_path).close()
    at = open_page(monkeypatch, store_path)
    assert "No runs yet" in at.info[0].value


def test_embed_now_embeds_then_maps(monkeypatch, store_path: Path) -> None:
    fill_store(store_path)
    fake = CountingEncoder()
    monkeypatch.setattr(embeddings, "load_encoder", lambda model=None: fake)
    at = open_page(monkeypatch, store_path)
    at.button(key="clusters_embed").click().run()
    assert not at.exception, at.exception
    assert fake.texts == 12
    assert any("12 conversations" in c.value for c in at.caption)


def test_a_large_run_is_not_read_until_asked(monkeypatch, filled) -> None:
    path, run_id = filled
    monkeypatch.setattr(corpus, "SMALL_MAP_UNITS", 5)
    real_load_units = corpus.load_units

    def watched(*args, **kwargs):
        calls.append(args[1])
        return real_load_units(*args, **kwargs)

    calls: list[object] = []
    monkeypatch.setattr(corpus, "load_units", watched)
    at = open_page(monkeypatch, path)
    assert at.multiselect(key="clusters_runs").value == []
    assert "Pick the runs to map" in at.info[0].value
    at.multiselect(key="clusters_runs").set_value([run_id]).run()
    assert "Up to 12 conversations" in at.info[0].value
    assert calls == [] and "sklearn" not in str(at.caption)
    at.button(key="clusters_go").click().run()
    assert not at.exception, at.exception
    assert calls and any("12 conversations · projection" in c.value for c in at.caption)
    at.selectbox(key="clusters_color").set_value("cluster").run()  # the choice is remembered
    assert any("12 conversations · projection" in c.value for c in at.caption)


def with_model(monkeypatch: pytest.MonkeyPatch, store_path: Path, host: str) -> None:
    settings = store_path.with_name("settings.json")
    settings.write_text(json.dumps({"default_patient_model": "ollama/llama3.2:1b"}))
    monkeypatch.setenv("OLLAMA_HOST", host)


def test_the_configured_model_names_the_clusters_as_inert_text(monkeypatch, filled) -> None:
    path, _ = filled
    payload = "<img src=x onerror=alert(1)> Memory <script>alert(2)</script> & fog"
    with OllamaTestServer(reply_fn=lambda body: payload) as srv:
        with_model(monkeypatch, path, srv.url)
        at = open_page(monkeypatch, path)
        button = at.button(key="clusters_name")
        assert shown(button.label) == "Name clusters with ollama/llama3.2:1b"
        button.click().run()
        assert not at.exception, at.exception
        assert srv.stats().chat_requests >= 2
    table = at.dataframe[1].value
    assert set(table["title"]) == {"Memory alert(2) & fog"}
    at.selectbox(key="clusters_color").set_value("cluster").run()
    # Parsed, not searched as text: plotly may write "·" as "\u00b7" or "&" as "\u0026".
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {trace.get("name") for trace in figure["data"]}
    assert "0 · Memory alert(2) &amp; fog" in names
    assert not any("<script>" in json.dumps(trace, ensure_ascii=False) for trace in figure["data"])


def test_naming_without_a_server_says_how_to_start_one(monkeypatch, filled) -> None:
    path, _ = filled
    with OllamaTestServer() as srv:
        url = srv.url
    with_model(monkeypatch, path, url)
    at = open_page(monkeypatch, path)
    at.button(key="clusters_name").click().run()
    assert not at.exception, at.exception
    (error,) = at.error
    assert f"Cannot connect to the model server at {url}" in shown(error.value)
    assert "ollama serve" in error.value


def test_jobs_leave_no_bar_and_a_stopped_map_waits_for_its_button(monkeypatch, filled) -> None:
    path, run_id = filled
    at = open_page(monkeypatch, path)
    at.toggle(key="clusters_recover").set_value(True).run()
    assert not at.exception, at.exception
    assert not at.get("progress")  # map and recoverability done: their bars and Stops are gone
    assert not [b for b in at.button if b.key and b.key.endswith("_stop")]
    titles = {json.loads(c.proto.spec)["layout"].get("title", {}).get("text")
              for c in at.get("plotly_chart")}
    assert {"confusion · embeddings", "mood · tfidf"} <= titles  # each confusion matrix named

    # What the map's Stop button leaves in the session: the map waits until asked again.
    with Store(path) as store:
        sizes = {r.id: r for r in corpus.run_sizes(store)}
    key = mapping.map_key(str(path), [run_id], "conversation", embeddings.DEFAULT_MODEL, sizes)
    at.session_state["clusters_computed"] = {}
    at.session_state["clusters_chosen"] = None
    at.session_state["clusters_stopped"] = key
    at.run()
    assert not at.exception, at.exception
    assert at.button(key="clusters_go") and not at.get("plotly_chart")
    at.button(key="clusters_go").click().run()
    assert any("12 conversations · projection" in c.value for c in at.caption)
