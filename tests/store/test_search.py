"""Full-text search: exact hits, marked snippets, filters, and user input that is not FTS5."""

from __future__ import annotations

from typing import Any

import pytest

from tests.store.factories import add_conversation_with_turns
from workbench.store import ConversationFilter, Store
from workbench.store import search as search_module


@pytest.fixture
def corpus(store: Store) -> dict[str, str]:
    store.register_corpus("mts")
    return {
        "chest": add_conversation_with_turns(
            store, ["What brings you in?", "Chest pain since this morning, it hurts a lot.",
                    "Does the pain spread?", "Painful down my left arm."],
            levels={"personality": "plain"}, patient_model="m1"),
        "cough": add_conversation_with_turns(
            store, ["Any pain?", "No pain, just a cough and an x-ray last week.",
                    "It's been how long?", "It's been a week."],
            levels={"personality": "verbose"}, patient_model="m2"),
        "reference": add_conversation_with_turns(
            store, ["Where is the pain?", "My chest, doctor."],
            source="reference:mts", levels={}, patient_model=None),
    }


def _found(store: Store, query: str, **kwargs: Any) -> set[tuple[str, int]]:
    return {(h.conversation_id, h.idx) for h in store.search_turns(query, **kwargs)}


def test_hits_are_exact_and_marked(store: Store, corpus: dict[str, str]) -> None:
    # Stemmed: pain, Painful; case-insensitive.
    assert _found(store, "pain") == {
        (corpus["chest"], 1), (corpus["chest"], 2), (corpus["chest"], 3),
        (corpus["cough"], 0), (corpus["cough"], 1), (corpus["reference"], 0),
    }
    hits = store.search_turns('"chest pain"')
    assert [(h.conversation_id, h.idx, h.role) for h in hits] == [(corpus["chest"], 1, "patient")]
    assert hits[0].snippet == "«Chest pain» since this morning, it hurts a lot."
    assert hits[0].rank < 0
    assert _found(store, "cough OR arm") == {(corpus["cough"], 1), (corpus["chest"], 3)}
    assert _found(store, "week NOT cough") == {(corpus["cough"], 3)}
    assert _found(store, "spr*") == {(corpus["chest"], 2)}
    assert _found(store, "zebra") == set()


def test_hits_are_ranked_best_first(store: Store) -> None:
    a = add_conversation_with_turns(store, ["pain " + "and other words " * 10])
    b = add_conversation_with_turns(store, ["pain pain"])
    hits = store.search_turns("pain")
    assert [h.conversation_id for h in hits] == [b, a]
    assert hits[0].rank < hits[1].rank


def test_limit(store: Store, corpus: dict[str, str]) -> None:
    assert len(store.search_turns("pain", limit=2)) == 2
    assert store.search_turns("pain", limit=0) == []


def test_search_within_filters(store: Store, corpus: dict[str, str]) -> None:
    verbose = ConversationFilter(levels={"personality": ["verbose"]})
    assert _found(store, "pain", filters=verbose) == {(corpus["cough"], 0), (corpus["cough"], 1)}
    references = ConversationFilter(source=["reference:mts"])
    assert _found(store, "chest", filters=references) == {(corpus["reference"], 1)}
    model = ConversationFilter(patient_model=["m1"], min_turns=4)
    assert _found(store, "arm OR cough", filters=model) == {(corpus["chest"], 3)}
    nothing = ConversationFilter(levels={"personality": ["shy"]})
    assert store.search_turns("pain", filters=nothing) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', set()),
        ("pain\"", {"chest:1", "chest:2", "chest:3", "cough:0", "cough:1", "reference:0"}),
        ("x-ray", {"cough:1"}),
        ("it's been", {"cough:2", "cough:3"}),
        ("foo:bar", set()),
        ("AND", {"cough:1"}),  # the word "and", quoted
        ("(pain", {"chest:1", "chest:2", "chest:3", "cough:0", "cough:1", "reference:0"}),
        ("*", set()),
        ("   ", set()),
        ("", set()),
    ],
)
def test_input_that_is_not_fts5_syntax_does_not_crash(
    store: Store, corpus: dict[str, str], query: str, expected: set[str]
) -> None:
    found = _found(store, query)
    assert found == {(corpus[k.split(":")[0]], int(k.split(":")[1])) for k in expected}
    if query.strip():  # the browser's text filter falls back the same way
        page = store.list_conversations(ConversationFilter(text=query))
        assert {c.id for c in page.items} == {cid for cid, _ in found}


def test_rank_window_keeps_the_newest_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "RANK_WINDOW", 2)
    ids = [add_conversation_with_turns(store, ["pain " + "filler " * n]) for n in range(4)]
    # Only the two newest matches are ranked; the best of all (ids[0]) is outside the window.
    assert [h.conversation_id for h in store.search_turns("pain")] == [ids[2], ids[3]]
