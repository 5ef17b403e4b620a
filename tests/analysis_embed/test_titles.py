"""Cluster titles written by a model: the reply is cleaned as untrusted text, and the real
``ollama`` client talks to the Ollama-API test server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.analysis_embed.conftest import fake_vector
from tests.support import OllamaTestServer
from workbench.analysis import clusters, corpus, titles
from workbench.backends import BackendUnreachable, ModelNotFound
from workbench.cli import app
from workbench.store import Store

MODEL = "llama3.2:1b"


def toy_map(path: Path, run_id: str) -> clusters.ClusterMap:
    with Store(path) as store:
        units = corpus.load_units(store, run_id)
    vectors = np.stack([fake_vector(t) for t in units["text"].to_list()])
    return clusters.build_map(units, vectors, projection="pca", k=3)


def numbered_titles(body: dict[str, Any]) -> str:
    """A chatty, markup-laden reply naming the first keyword it was given."""
    prompt = body["messages"][-1]["content"]
    first = prompt.split("Keywords: ", 1)[1].split(",")[0].split("\n")[0]
    return f'**Title: "{first} talk"**\nThis cluster is about {first}.'


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Memory and confusion", "Memory and confusion"),
        ('  "Low mood, tiredness."  \nBecause the patients say...', "Low mood, tiredness"),
        ("**Title:** `Daily routine`", "Daily routine"),
        ("<think>keywords say memory</think>\n\nForgetful mornings", "Forgetful mornings"),
        ("<img src=x onerror=alert(1)> Pain <script>x</script>", "Pain x"),
        ("![x](http://127.0.0.1:9/leak) Leak", "!x(http://127.0.0.1:9/leak) Leak"),
        ("one two three four five six seven", "one two three four five"),
        ("Tab\tand\x1b[31mescape", "Tab and31mescape"),
        ("\n\n", ""),
    ],
)
def test_a_reply_becomes_one_short_plain_line(reply: str, expected: str) -> None:
    assert titles.clean_title(reply) == expected


def test_a_long_title_is_cut_with_an_ellipsis() -> None:
    title = titles.clean_title("Supercalifragilisticexpialidocious" * 3)
    assert len(title) == titles.MAX_CHARS and title.endswith("…")


def test_briefs_carry_keywords_and_snippets_nearest_the_centre(filled) -> None:
    cluster_map = toy_map(*filled)
    briefs = titles.cluster_briefs(cluster_map)
    assert [b.cluster for b in briefs] == sorted(cluster_map.keywords)
    for brief in briefs:
        assert brief.keywords == [w for w, _ in cluster_map.keywords[brief.cluster]]
        members = cluster_map.frame.filter(cluster_map.frame["cluster"] == brief.cluster)
        assert 1 <= len(brief.snippets) <= titles.SNIPPETS_PER_CLUSTER
        assert set(brief.snippets) <= set(members["snippet"].to_list())


def test_the_real_client_names_every_cluster(filled) -> None:
    cluster_map = toy_map(*filled)
    with OllamaTestServer(models=[MODEL], reply_fn=numbered_titles) as srv:
        named = titles.name_clusters(f"ollama/{MODEL}", cluster_map, hosts=[srv.url])
        chats = srv.requests("/api/chat")
    assert sorted(named) == sorted(cluster_map.keywords)
    for c, title in named.items():
        assert title == f"{cluster_map.keywords[c][0][0]} talk"
    assert len(chats) == len(named)
    assert all(r["messages"][0]["content"] == titles.SYSTEM_PROMPT for r in chats)
    assert all(r["model"] == MODEL for r in chats)


def test_an_unreachable_server_and_a_missing_model_say_what_to_do(filled) -> None:
    cluster_map = toy_map(*filled)
    with OllamaTestServer(models=["qwen2.5:0.5b"]) as srv:
        with pytest.raises(ModelNotFound, match=f"ollama pull {MODEL}"):
            titles.name_clusters(f"ollama/{MODEL}", cluster_map, hosts=[srv.url])
        url = srv.url
    with pytest.raises(BackendUnreachable, match="ollama serve"):
        titles.name_clusters(f"ollama/{MODEL}", cluster_map, hosts=[url])


def test_legend_names_key_clusters_like_the_map() -> None:
    assert titles.legend_names({0: "Memory", 3: "Mood"}) == {"0": "0 · Memory", "3": "3 · Mood"}


def test_cli_titles_clusters_as_json(filled, monkeypatch) -> None:
    path, run_id = filled
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(path.with_name("settings.json")))
    with OllamaTestServer(models=[MODEL], reply_fn=lambda body: "Muddled <b>mornings</b>") as srv:
        monkeypatch.setenv("OLLAMA_HOST", srv.url)
        result = CliRunner().invoke(
            app,
            [
                *f"analyze clusters --k 3 --projection pca --titles {MODEL} --json".split(),
                *["--run", run_id, "--store", str(path)],
            ],
        )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["units"] == 12 and len(shown["clusters"]) == 3
    assert {c["title"] for c in shown["clusters"]} == {"Muddled mornings"}
    assert {s["axis"] for s in shown["separation"]} == {"confusion", "mood"}


def test_cli_clusters_without_a_server_fails_with_the_advice(filled, monkeypatch) -> None:
    path, run_id = filled
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(path.with_name("settings.json")))
    with OllamaTestServer() as srv:
        url = srv.url
    monkeypatch.setenv("OLLAMA_HOST", url)
    args = ["analyze", "clusters", "--run", run_id, "--store", str(path), "--k", "3"]
    plain = CliRunner().invoke(app, [*args, "--projection", "pca"])
    assert plain.exit_code == 0, plain.output
    assert "12 conversations in 3 clusters" in plain.output
    failed = CliRunner().invoke(app, [*args, "--titles", f"ollama/{MODEL}"])
    assert failed.exit_code == 1
    assert f"Cannot connect to the model server at {url}" in failed.output
    bad = CliRunner().invoke(app, [*args, "--titles", "nosuch/x"])
    assert bad.exit_code == 2 and "Unknown backend" in bad.output
