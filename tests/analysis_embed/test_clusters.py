"""Clusters, c-TF-IDF keywords, per-axis separation and the whole map (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.analysis_embed.conftest import fake_vector
from workbench.analysis.clusters import (
    NOISE,
    axis_separation,
    build_map,
    cluster,
    cluster_keywords,
    keyword_rows,
    separation_rows,
)
from workbench.analysis.corpus import load_units
from workbench.store import Store


def blobs(n_per: int = 20, k: int = 3, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, 32)) * 5
    x = np.vstack([c + 0.2 * rng.normal(size=(n_per, 32)) for c in centres])
    return x, [f"level{i}" for i in range(k) for _ in range(n_per)]


def test_c_tf_idf_finds_each_clusters_own_words() -> None:
    texts = [
        "my cat purrs and the cat sleeps",
        "the cat scratched me, a kitten too",
        "the dog barks at night",
        "my dog needs a walk, the puppy chews",
        "the doctor asked about pain",
        "pain in my back, the doctor said rest",
    ]
    labels = [0, 0, 1, 1, 2, 2]
    keywords = cluster_keywords(texts, labels, top_n=3)
    assert keywords[0][0][0] == "cat"
    assert keywords[1][0][0] == "dog"
    assert {w for w, _ in keywords[2][:2]} == {"doctor", "pain"}
    assert all(w not in {"the", "my", "and"} for words in keywords.values() for w, _ in words)
    weights = [s for _, s in keywords[0]]
    assert weights == sorted(weights, reverse=True)


def test_c_tf_idf_weighs_shared_words_below_own_words() -> None:
    texts = ["tired tired pain", "tired anxious anxious"]
    keywords = dict(cluster_keywords(texts, ["a", "b"], top_n=5, stop_words=None))
    a = dict(keywords["a"])
    assert a["pain"] > 0 and a["tired"] > 0
    # tf(tired, a) = 2 but tired is common across clusters; pain is a's alone
    assert a["tired"] / 2 < a["pain"]


def test_c_tf_idf_edge_cases() -> None:
    assert cluster_keywords([], []) == {}
    assert cluster_keywords(["the and"], [NOISE]) == {NOISE: []}
    with pytest.raises(ValueError, match="labels"):
        cluster_keywords(["a"], [])


def test_kmeans_and_hdbscan_find_separated_blobs() -> None:
    x, levels = blobs()
    for method in ("kmeans", "hdbscan"):
        labels = cluster(x, method, k=3, min_cluster_size=5)
        (sep,) = axis_separation(x, {"axis": levels}, labels)
        assert sep.nmi == pytest.approx(1.0), method
    assert np.array_equal(cluster(x, "kmeans", k=3, seed=1), cluster(x, "kmeans", k=3, seed=1))
    with pytest.raises(ValueError, match="unknown clustering"):
        cluster(x, "spectral")  # type: ignore[arg-type]


def test_separation_is_high_for_separated_levels_and_low_for_mixed_ones() -> None:
    x, levels = blobs()
    mixed = list(np.random.default_rng(0).permutation(levels))
    good, bad = axis_separation(x, {"a_good": levels, "b_mixed": mixed})
    assert good.silhouette > 0.8 and set(good.silhouette_by_level) == set(levels)
    assert bad.silhouette < 0.05
    assert good.nmi is None  # no clusters given
    assert separation_rows([good])[0]["silhouette"] == good.silhouette


def test_separation_leaves_out_units_without_a_level() -> None:
    x, levels = blobs(n_per=5)
    partial = [lev if i % 2 else None for i, lev in enumerate(levels)]
    (sep,) = axis_separation(x, {"axis": partial})
    assert sep.n == len(levels) // 2
    (single,) = axis_separation(x, {"axis": ["only"] * len(levels)})
    assert single.silhouette is None and single.nmi is None


def test_build_map_on_a_stored_run(filled: tuple[Path, str]) -> None:
    path, run_id = filled
    with Store(path) as store:
        units = load_units(store, run_id)
    vectors = np.stack([fake_vector(t) for t in units["text"]])
    result = build_map(units, vectors, projection="pca", k=4)
    assert result.projection == "pca"
    assert {"x", "y", "cluster"} <= set(result.frame.columns)
    assert len(result.frame) == 12
    assert [s.axis for s in result.separation] == ["confusion", "mood"]
    rows = keyword_rows(result)
    assert sum(r["units"] for r in rows) == 12
    with pytest.raises(ValueError, match="vectors"):
        build_map(units, vectors[:3])
