"""Projection: PCA by default (UMAP only when installed), t-SNE on request, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.projection import available_methods, project, umap_available

X = np.random.default_rng(0).normal(size=(40, 12))


def test_auto_is_umap_when_installed_else_pca() -> None:
    assert project(X).method == ("umap" if umap_available() else "pca")
    assert "pca" in available_methods() and "tsne" in available_methods()


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_same_seed_same_map(method: str) -> None:
    a, b = project(X, method, seed=3), project(X, method, seed=3)
    assert a.xy.shape == (40, 2)
    np.testing.assert_allclose(a.xy, b.xy)


def test_tiny_and_empty_inputs() -> None:
    assert project(np.zeros((0, 5))).xy.shape == (0, 2)
    assert project(X[:2], "tsne").xy.shape == (2, 2)
    assert project(X[:5], "tsne").xy.shape == (5, 2)


def test_unknown_or_missing_method() -> None:
    with pytest.raises(ValueError, match="unknown projection"):
        project(X, "mds")  # type: ignore[arg-type]
    if not umap_available():
        with pytest.raises(ValueError, match="UMAP is not installed"):
            project(X, "umap")
