"""Clusters of embedding vectors, their keywords, and how well each persona axis separates.

- k-means (fixed seed) and HDBSCAN (``sklearn.cluster.HDBSCAN``; label -1 is noise).
- Keywords per cluster by class-based TF-IDF (c-TF-IDF, as in BERTopic): each cluster's texts are
  concatenated into one document and a term ``t`` of cluster ``c`` weighs
  ``tf(t, c) × log(1 + A / f(t))``, with ``f(t)`` its count over all clusters and ``A`` the mean
  number of words per cluster: frequent in this cluster, rare in the others.
- Separation per axis: the silhouette of the vectors grouped by the axis's levels (cosine; 1 =
  tight, well apart groups, 0 = overlapping, < 0 = mixed up) and the normalised mutual
  information between the clusters and the levels (1 = the clusters are the levels, 0 =
  unrelated).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from workbench.analysis.steps import StepProgress

ClusterMethod = Literal["kmeans", "hdbscan"]
NOISE = -1
"""HDBSCAN's label for points in no cluster."""
MAP_STEPS = 3
"""Steps :func:`build_map` tells: projecting, clustering, keywords and separation (each one
library call or a few; no step reports a share of itself)."""
DEFINITIONS = {
    "silhouette": "Silhouette of the units grouped by an axis's levels (cosine): mean over units "
    "of (b − a) / max(a, b), a = mean distance to its own level, b = to the nearest "
    "other level. 1 = well apart, 0 = overlapping, below 0 = mixed up.",
    "nmi": "Normalised mutual information between the clusters and an axis's levels: 1 = the "
    "clusters are the levels, 0 = unrelated.",
    "c_tf_idf": "Class-based TF-IDF: a term's count in the cluster × log(1 + mean words per "
    "cluster / its count over all clusters).",
}


class AxisSeparation(BaseModel):
    """How well one axis's levels separate in embedding space and in the clusters."""

    model_config = ConfigDict(frozen=True)

    axis: str
    """Axis id."""
    n: int
    """Units that have a level on this axis."""
    n_levels: int
    """Distinct levels among them."""
    silhouette: float | None
    """Silhouette with the levels as groups (None with fewer than 2 levels or 3 units)."""
    silhouette_by_level: dict[str, float]
    """Level → mean silhouette of its units."""
    nmi: float | None
    """NMI between clusters and levels (None without clusters or with one level)."""


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def kmeans_clusters(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels (0..k-1) of the L2-normalised vectors (k is capped at the unit count)."""
    from sklearn.cluster import KMeans

    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=int)
    k = max(1, min(k, n))
    return KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(_unit_rows(vectors))


def hdbscan_clusters(vectors: np.ndarray, min_cluster_size: int = 5) -> np.ndarray:
    """HDBSCAN labels of the L2-normalised vectors; :data:`NOISE` (-1) for unclustered units."""
    from sklearn.cluster import HDBSCAN

    n = len(vectors)
    if n < 2:
        return np.full(n, NOISE, dtype=int)
    size = max(2, min(min_cluster_size, n))
    return HDBSCAN(min_cluster_size=size, copy=True).fit_predict(_unit_rows(vectors))


def cluster(
    vectors: np.ndarray,
    method: ClusterMethod = "kmeans",
    *,
    k: int = 8,
    min_cluster_size: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Cluster labels by ``kmeans`` (k clusters) or ``hdbscan`` (min cluster size)."""
    if method == "kmeans":
        return kmeans_clusters(vectors, k, seed)
    if method == "hdbscan":
        return hdbscan_clusters(vectors, min_cluster_size)
    raise ValueError(f"unknown clustering {method!r}; expected kmeans or hdbscan")


def cluster_keywords(
    texts: Sequence[str],
    labels: Sequence[Hashable],
    top_n: int = 8,
    stop_words: str | None = "english",
) -> dict[Hashable, list[tuple[str, float]]]:
    """The ``top_n`` c-TF-IDF terms of each cluster, best first, with their weights.

    Noise (-1) is treated as a cluster of its own: it takes part in the term counts, and gets
    keywords like any other.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    classes = sorted(set(labels), key=lambda c: (str(type(c)), c))
    if not classes:
        return {}
    documents = [
        " ".join(t for t, lab in zip(texts, labels, strict=True) if lab == c) for c in classes
    ]
    vectorizer = CountVectorizer(stop_words=stop_words, token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # every word was a stop word, or no text at all
        return {c: [] for c in classes}
    terms = vectorizer.get_feature_names_out()
    words_per_class = counts.sum(axis=1).mean()
    across = counts.sum(axis=0)
    weights = counts * np.log1p(words_per_class / np.where(across == 0, 1.0, across))
    result: dict[Hashable, list[tuple[str, float]]] = {}
    for row, c in enumerate(classes):
        order = np.argsort(-weights[row], kind="stable")[:top_n]
        result[c] = [(str(terms[i]), float(weights[row, i])) for i in order if weights[row, i] > 0]
    return result


def axis_separation(
    vectors: np.ndarray,
    levels_by_axis: Mapping[str, Sequence[str | None]],
    clusters: Sequence[int] | np.ndarray | None = None,
) -> list[AxisSeparation]:
    """Silhouette by level and NMI with the clusters, for each axis (units without a level on
    an axis are left out of that axis)."""
    from sklearn.metrics import normalized_mutual_info_score, silhouette_samples

    x = np.asarray(vectors, dtype=np.float64)
    result = []
    for axis, levels in sorted(levels_by_axis.items()):
        keep = np.array([lev is not None for lev in levels], dtype=bool)
        labels = np.array([str(lev) for lev in levels], dtype=object)[keep]
        distinct = sorted(set(labels))
        silhouette, by_level, nmi = None, {}, None
        if len(distinct) >= 2 and 2 < len(labels) and len(distinct) < len(labels):
            samples = silhouette_samples(x[keep], labels, metric="cosine")
            silhouette = float(samples.mean())
            by_level = {lev: float(samples[labels == lev].mean()) for lev in distinct}
        if clusters is not None and len(distinct) >= 2:
            nmi = float(normalized_mutual_info_score(labels, np.asarray(clusters)[keep]))
        result.append(
            AxisSeparation(
                axis=axis,
                n=int(keep.sum()),
                n_levels=len(distinct),
                silhouette=silhouette,
                silhouette_by_level=by_level,
                nmi=nmi,
            )
        )
    return result


class ClusterMap(BaseModel):
    """A map of units: their 2-D positions, clusters, cluster keywords and axis separation."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    frame: Any
    """The units frame (polars) with columns ``x``, ``y`` and ``cluster`` added."""
    projection: str
    """Projection used (``auto`` resolved)."""
    keywords: dict[int, list[tuple[str, float]]]
    """Cluster → its c-TF-IDF keywords, best first."""
    separation: list[AxisSeparation]
    """Per-axis silhouette and NMI with the clusters."""


def build_map(
    units: Any,
    vectors: np.ndarray,
    *,
    projection: str = "auto",
    clustering: ClusterMethod = "kmeans",
    k: int = 8,
    min_cluster_size: int = 5,
    seed: int = 0,
    on_progress: StepProgress | None = None,
) -> ClusterMap:
    """Project, cluster, find keywords and measure axis separation for a units frame.

    Args:
        units: a frame from :func:`workbench.analysis.corpus.load_units`.
        vectors: one row per unit, in the frame's order.
        projection: ``auto``, ``umap``, ``pca`` or ``tsne``.
        clustering: ``kmeans`` or ``hdbscan``.
        k: clusters for k-means.
        min_cluster_size: smallest cluster for HDBSCAN.
        seed: seed of the projection and of k-means.
        on_progress: told before each of the :data:`MAP_STEPS` steps, with its counts.
    """
    import polars as pl

    from workbench.analysis.corpus import levels_by_axis
    from workbench.analysis.projection import NAMES, project, resolve

    if len(units) != len(vectors):
        raise ValueError(f"{len(units)} units but {len(vectors)} vectors")
    tell = on_progress or (lambda done, total, what: None)
    n = len(units)
    method = resolve(projection)
    tell(0, MAP_STEPS, f"projecting {n:,} points with {NAMES.get(method, method)}")
    placed = project(vectors, projection, seed)  # type: ignore[arg-type]
    tell(1, MAP_STEPS, f"clustering {n:,} points with " + (
        f"k-means (k = {min(k, n)})" if clustering == "kmeans"
        else f"HDBSCAN (smallest cluster {min_cluster_size})"))
    labels = cluster(vectors, clustering, k=k, min_cluster_size=min_cluster_size, seed=seed)
    axes = levels_by_axis(units)
    tell(2, MAP_STEPS, f"keywords of {len(set(labels.tolist())):,} clusters and the separation "
         f"of {len(axes)} axes")
    frame = units.with_columns(
        pl.Series("x", placed.xy[:, 0]),
        pl.Series("y", placed.xy[:, 1]),
        pl.Series("cluster", labels.astype(np.int64)),
    )
    texts = units["text"].to_list()
    found = cluster_keywords(texts, labels.tolist())
    keywords = {int(c): words for c, words in found.items()}  # type: ignore[call-overload]
    return ClusterMap(
        frame=frame,
        projection=placed.method,
        keywords=keywords,
        separation=axis_separation(vectors, axes, labels),
    )


def separation_rows(separation: Sequence[AxisSeparation]) -> list[dict[str, Any]]:
    """Table rows (axis, levels, silhouette, NMI) for display."""
    return [
        {"axis": s.axis, "levels": s.n_levels, "silhouette": s.silhouette, "NMI": s.nmi}
        for s in separation
    ]


def keyword_rows(
    cluster_map: ClusterMap, titles: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """Table rows (cluster, units, keywords; and title, when ``titles`` are given) for display."""
    counts = cluster_map.frame["cluster"].value_counts()
    size = dict(zip(counts["cluster"].to_list(), counts["count"].to_list(), strict=True))
    rows = []
    for c, words in sorted(cluster_map.keywords.items()):
        row: dict[str, Any] = {"cluster": c}
        if titles is not None:
            row["title"] = titles.get(c, "")
        rows.append(row | {"units": size.get(c, 0), "keywords": ", ".join(w for w, _ in words)})
    return rows
