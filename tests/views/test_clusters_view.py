"""The Clusters page's words and gate: a stopped map waits for its button, selections list each
conversation once, library ids stay inert."""

from __future__ import annotations

from tests.app.conftest import shown
from workbench.views import clusters as view


def test_a_large_or_stopped_map_waits_for_its_button() -> None:
    key, other = ("store", ("r-1",)), ("store", ("r-2",))
    assert not view.must_ask(10, 2_000, key, {})  # small: drawn at once
    assert view.must_ask(5_000, 2_000, key, {})  # large: asked first
    assert not view.must_ask(5_000, 2_000, key, {"clusters_chosen": key})
    assert view.must_ask(5_000, 2_000, other, {"clusters_chosen": key})  # another map
    # Stop: the page sets both keys, and even a small map waits until it is chosen again.
    stopped = {"clusters_chosen": None, "clusters_stopped": key}
    assert view.must_ask(10, 2_000, key, stopped)
    assert not view.must_ask(10, 2_000, other, stopped)
    assert not view.must_ask(10, 2_000, key, {**stopped, "clusters_chosen": key})


def test_a_selection_lists_each_conversation_once_in_order() -> None:
    event = {"selection": {"points": [{"customdata": ["c-2", 1]}, {"customdata": ["c-1", 0]},
                                      {"customdata": ["c-2", 3]}, {"x": 1.0}]}}
    assert view.selected_conversations(event) == ["c-2", "c-1"]
    assert view.selected_conversations(None) == [] == view.selected_conversations({})


def test_library_ids_stay_inert_in_labels_and_warnings() -> None:
    label = view.link_label({"conversation_id": "c-1", "levels": "mood=<b>low</b>"})
    assert "<b>" not in label and shown(label) == "c-1 · mood=<b>low</b>"
    assert shown(view.link_label({"conversation_id": "c-1", "levels": ""})) == "c-1 · no levels"
    warning = view.collapse_warning("mood_*x*", "tfidf", "low", "[a](http://x)", 0.45)
    assert "(pair confusion 45%)" in warning and "[a](http" not in warning
    assert shown(view.missing_embeddings(0.25, 12, "m", "r-1", "turn")) == (
        "75% of the 12 texts have no m embedding yet. From a terminal: workbench embed --run r-1 "
        "--unit turn")
