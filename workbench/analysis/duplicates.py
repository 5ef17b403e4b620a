"""Exact and near duplicates among units' texts.

A sampled simulator repeats itself: byte-identical samples in both the training and the test part
of a cross-validation make a classifier look better than it is. Duplicates are counted, flagged,
and kept in one fold. *Exact*: the same text byte for byte. *Near*: not exact, but the same after
the content normalisation of :func:`workbench.analysis.c2st.content_text` (case, punctuation,
transcription marks), or a TF-IDF (words, 1–2-grams) cosine similarity of at least
:data:`NEAR_COSINE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

NEAR_COSINE = 0.9
"""TF-IDF cosine similarity from which two texts are near duplicates."""
MAX_COSINE_UNITS = 20_000
"""Above this many texts only exact and normalised-equal duplicates are sought (the pairwise
cosine grows with the square)."""


class Duplicates(NamedTuple):
    """Duplicate clusters of a list of texts."""

    clusters: np.ndarray
    """Cluster id of each text (-1: no duplicate)."""
    exact: int
    """Texts byte-identical to another text."""
    near: int
    """Further texts near-identical to another text."""


def duplicate_groups(texts: Sequence[str], near_cosine: float = NEAR_COSINE) -> Duplicates:
    """Exact and near-duplicate clusters of ``texts`` (see the module docs)."""
    from workbench.analysis.c2st import content_text

    n = len(texts)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    def join_equal(keys: Sequence[str]) -> None:
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key in first:
                join(i, first[key])
            else:
                first[key] = i

    join_equal(list(texts))
    exact_roots = [root(i) for i in range(n)]
    normalised = [content_text(t) for t in texts]
    join_equal(normalised)
    if 1 < n <= MAX_COSINE_UNITS and any(normalised):
        from sklearn.feature_extraction.text import TfidfVectorizer

        x = TfidfVectorizer(ngram_range=(1, 2)).fit_transform(
            [t or "_" for t in normalised])
        for start in range(0, n, 1000):  # chunks keep the similarity block small
            block = (x[start:start + 1000] @ x.T).tocoo()
            keep = (block.data >= near_cosine) & (block.row + start < block.col)
            for i, j in zip(block.row[keep] + start, block.col[keep]):
                join(int(i), int(j))
    roots = np.array([root(i) for i in range(n)])
    sizes = np.bincount(roots, minlength=n) if n else np.array([], int)
    exact_sizes = np.bincount(exact_roots, minlength=n) if n else np.array([], int)
    exact = int(sum(1 for i in range(n) if exact_sizes[exact_roots[i]] > 1))
    in_cluster = sizes[roots] > 1 if n else np.array([], bool)
    clusters = np.where(in_cluster, roots, -1)
    return Duplicates(clusters, exact, int(in_cluster.sum()) - exact)
