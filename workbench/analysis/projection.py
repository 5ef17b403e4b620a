"""Two-dimensional maps of embedding vectors: UMAP when installed, else PCA or t-SNE.

UMAP (``pip install 'persona-workbench[umap]'``) is an optional extra: it pulls numba and is
slow to import, so it is imported only when asked for. Every method takes a seed and gives the
same map for the same vectors and seed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["auto", "umap", "pca", "tsne"]
METHODS: tuple[Method, ...] = ("auto", "umap", "pca", "tsne")
DEFINITIONS = {
    "pca": "PCA: the plane of the two directions along which the vectors vary most (linear).",
    "tsne": "t-SNE: keeps each unit's nearest neighbours close; distances between far groups "
    "mean little.",
    "umap": "UMAP: keeps local neighbourhoods (cosine) and more of the global layout than t-SNE.",
}
NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
"""How each method is written in words."""


@dataclass(frozen=True)
class Projection:
    """A 2-D map of a set of vectors."""

    xy: np.ndarray
    """Shape ``(n, 2)``, one row per input vector, in input order."""
    method: str
    """The method actually used (``auto`` resolved)."""
    seed: int
    """Seed it was computed with."""


def umap_available() -> bool:
    """Whether umap-learn is installed (without importing it)."""
    return importlib.util.find_spec("umap") is not None


def resolve(method: str) -> str:
    """The method ``auto`` stands for here (UMAP if installed, else PCA); others unchanged."""
    if method == "auto":
        return "umap" if umap_available() else "pca"
    return method


def available_methods() -> list[str]:
    """Methods that can run here, best first."""
    return (["umap"] if umap_available() else []) + ["pca", "tsne"]


def project(vectors: np.ndarray, method: Method = "auto", seed: int = 0) -> Projection:
    """Project vectors to 2-D.

    Args:
        vectors: shape ``(n, dim)``.
        method: ``auto`` (UMAP if installed, else PCA), ``umap``, ``pca`` or ``tsne``.
        seed: random state of the method.

    Raises:
        ValueError: unknown method, or ``umap`` asked for and not installed.
    """
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}; expected one of {', '.join(METHODS)}")
    method = resolve(method)  # type: ignore[assignment]
    x = np.asarray(vectors, dtype=np.float64)
    n = x.shape[0]
    if n == 0:
        return Projection(np.zeros((0, 2)), method, seed)
    if n < 3:
        # Too few points for any method: put them on a line, in order.
        return Projection(np.column_stack([np.arange(n, dtype=float), np.zeros(n)]), method, seed)
    if method == "umap":
        if not umap_available():
            raise ValueError(
                "UMAP is not installed: pip install 'persona-workbench[umap]', "
                "or choose pca or tsne"
            )
        import umap

        reducer = umap.UMAP(
            n_components=2, metric="cosine", random_state=seed, n_neighbors=min(15, n - 1)
        )
        xy = reducer.fit_transform(x)
    elif method == "tsne":
        from sklearn.manifold import TSNE

        xy = TSNE(
            n_components=2,
            metric="cosine",
            init="pca",
            random_state=seed,
            perplexity=min(30.0, (n - 1) / 3),
        ).fit_transform(x)
    else:
        from sklearn.decomposition import PCA

        xy = PCA(n_components=2, random_state=seed).fit_transform(x)
    return Projection(np.asarray(xy, dtype=np.float64), method, seed)
