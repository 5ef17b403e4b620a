"""What the Clusters page computes for a chosen set of runs, keyed so the page can cache it.

A ``MapKey`` names the units (store, runs, unit, model, and the runs' sizes, so a run that grows
gets a new key). Functions that take the loaded units as ``_units`` leave them out of a cache
key (Streamlit skips parameters named with a leading underscore). Heavy modules are imported
inside the functions: the page's first run imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from workbench.analysis import corpus, embeddings
from workbench.store import Store

if TYPE_CHECKING:
    import numpy as np

    from workbench.analysis.steps import StepProgress


class MapKey(NamedTuple):
    """The units to map, and the sizes that make a grown run a new map."""

    store: str
    runs: tuple[str, ...]
    unit: str
    model: str
    conversations: int
    turns: int


def map_key(store: str, run_ids: Iterable[str], unit: str, model: str,
            sizes: Mapping[str, Any]) -> MapKey:
    """The key of the units of ``run_ids`` (``sizes``: run id → ``corpus.run_sizes`` row)."""
    runs = tuple(run_ids)
    return MapKey(store, runs, unit, embeddings.canonical_model_name(model),
                  sum(sizes[r].conversations for r in runs), sum(sizes[r].turns for r in runs))


def units(key: MapKey) -> Any:
    """The units' texts and labels (a polars frame, see ``corpus.load_units``)."""
    with Store(key.store) as store:
        return corpus.load_units(store, key.runs, key.unit)


def coverage(key: MapKey, _units: Any) -> float:
    """Share of the units' texts that already have an embedding in the store."""
    with Store(key.store) as store:
        return embeddings.cached_fraction(store, _units["text"].to_list(), key.model)


def vectors(key: MapKey, _units: Any,
            on_progress: embeddings.ProgressCallback | None = None) -> np.ndarray:
    """The units' embeddings (from the store cache; missing ones are encoded and cached, telling
    ``on_progress(done, total)`` after each batch)."""
    with Store(key.store) as store:
        return embeddings.embed_texts(store, _units["text"].to_list(), key.model,
                                      on_progress=on_progress).vectors


def build(key: MapKey, _units: Any, projection: str, clustering: str, k: int,
          min_size: int, on_progress: StepProgress | None = None) -> Any:
    """Projection, clusters, keywords and axis separation (``clusters.build_map``), seed 0;
    ``on_progress`` is told its steps."""
    from workbench.analysis import clusters

    return clusters.build_map(_units, vectors(key, _units), projection=projection,
                              clustering=clustering, k=k, min_cluster_size=min_size, seed=0,
                              on_progress=on_progress)


def recover(key: MapKey, _units: Any, permutations: int,
            on_progress: StepProgress | None = None) -> Any:
    """Cross-validated recoverability of every axis, on embeddings and on TF-IDF;
    ``on_progress`` is told one step per axis and feature set."""
    from workbench.analysis import recoverability

    return recoverability.recoverability(
        corpus.levels_by_axis(_units), embeddings=vectors(key, _units),
        texts=_units["text"].to_list(), permutations=permutations,
        on_progress=on_progress, **corpus.fold_labels(_units))
