"""Annotations, embeddings and reference corpora."""

from __future__ import annotations

import numpy as np
import pytest

from tests.store.factories import add_conversation_with_turns
from workbench.store import Annotation, NewConversation, Store, StoreError, UnknownConversation


@pytest.fixture
def conversation(store: Store) -> str:
    return add_conversation_with_turns(store, ["Hello?", "Hi, I have a cough.", "Since when?"])


def test_annotations_are_put_revised_and_listed(store: Store, conversation: str) -> None:
    draft = Annotation(conversation_id=conversation, rubric="realism", item="overall",
                       value=3, annotator="ana")
    first = store.put_annotation(draft)
    # The same annotator, item and target: the value is revised in place.
    assert store.put_annotation(draft.model_copy(update={"value": 4,
                                                         "status": "submitted"})) == first
    turn_level = store.put_annotation(Annotation(
        conversation_id=conversation, turn_idx=1, rubric="realism", item="tells",
        value=["markdown", "em dash"], annotator="ana"))
    judge = store.put_annotation(Annotation(
        conversation_id=conversation, rubric="realism", item="overall", value=2,
        annotator="judge:ollama/llama3.1:8b", status="submitted"))
    assert len({first, turn_level, judge}) == 3

    stored = store.annotations(conversation)
    assert [(a.id, a.turn_idx, a.value, a.status) for a in stored] == [
        (first, None, 4, "submitted"), (turn_level, 1, ["markdown", "em dash"], "draft"),
        (judge, None, 2, "submitted"),
    ]
    created, updated = stored[0].created_at, stored[0].updated_at
    assert created is not None and updated is not None and updated >= created
    assert [a.id for a in store.annotations(annotator="ana")] == [first, turn_level]
    assert store.annotations(conversation, annotator="bob") == []
    assert store.stats().annotations == 3

    by_id = stored[1].model_copy(update={"value": ["markdown"]})
    assert store.put_annotation(by_id) == turn_level
    assert store.annotations(annotator="ana")[1].value == ["markdown"]


def test_bad_annotations_are_refused(store: Store, conversation: str) -> None:
    with pytest.raises(UnknownConversation):
        store.put_annotation(Annotation(conversation_id="c-nope", rubric="r", item="i",
                                        annotator="ana"))
    with pytest.raises(StoreError, match="has no turn 3 \\(it has 3 turns\\)"):
        store.put_annotation(Annotation(conversation_id=conversation, turn_idx=3, rubric="r",
                                        item="i", annotator="ana"))
    with pytest.raises(StoreError, match="no annotation 99"):
        store.put_annotation(Annotation(id=99, conversation_id=conversation, rubric="r",
                                        item="i", annotator="ana"))
    assert store.annotations() == []


def test_embeddings_round_trip_float32_exactly(store: Store) -> None:
    rng = np.random.default_rng(0)
    vectors = {f"hash{i}": rng.standard_normal(384).astype(np.float32) for i in range(50)}
    vectors["tiny"] = np.array([np.float32(1e-45), np.float32(-0.0), np.float32(3.4e38)])
    store.put_embeddings("all-MiniLM-L6-v2", vectors)
    back = store.get_embeddings("all-MiniLM-L6-v2", [*vectors, "missing"])
    assert set(back) == set(vectors)
    for key, vector in vectors.items():
        assert back[key].dtype == np.float32 and back[key].flags.writeable
        assert back[key].tobytes() == vector.tobytes()
    assert store.get_embeddings("other-model", list(vectors)) == {}
    assert store.stats().embeddings == 51


def test_embeddings_are_replaced_and_checked(store: Store) -> None:
    store.put_embeddings("m", {"h": np.ones(4, dtype=np.float64)})
    store.put_embeddings("m", {"h": np.full(3, 0.5)})
    assert store.get_embeddings("m", ["h"])["h"].tolist() == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="'h2'.*shape \\(2, 2\\)"):
        store.put_embeddings("m", {"h2": np.ones((2, 2))})
    assert store.get_embeddings("m", ["h2"]) == {}


def test_many_embeddings_are_fetched_in_chunks(store: Store) -> None:
    vectors = {f"h{i}": np.full(2, i, dtype=np.float32) for i in range(12_000)}
    store.put_embeddings("m", vectors)
    back = store.get_embeddings("m", list(vectors))
    assert len(back) == 12_000 and back["h11999"].tolist() == [11999.0, 11999.0]


def test_corpora_are_registered_and_counted(store: Store) -> None:
    store.register_corpus("mts", description="MTS-Dialog", licence="CC BY 4.0",
                          source_path="../shared/reference/mts_dialog")
    store.register_corpus("primock57", licence="Apache-2.0")
    store.add_conversations([NewConversation(source="reference:mts", status="done")] * 2)
    corpora = store.list_corpora()
    assert [(c.name, c.licence, c.n_conversations) for c in corpora] == [
        ("mts", "CC BY 4.0", 2), ("primock57", "Apache-2.0", 0)]
    store.register_corpus("mts", description="MTS-Dialog v2", licence="CC BY 4.0")
    assert store.list_corpora()[0].description == "MTS-Dialog v2"
    assert store.stats().corpora == 2
    with pytest.raises(ValueError, match="corpus name 'a b'"):
        store.register_corpus("a b")
