"""Form items of a conversation, checks, drafts and submissions."""

from __future__ import annotations

from tests.app.conftest import FilledStore
from workbench.annotation.drafts import default_rubric, form_items, save_values, status_of
from workbench.library.rubrics import load_rubrics
from workbench.settings import PROJECT_ROOT
from workbench.store import Store

RUBRICS = load_rubrics(PROJECT_ROOT / "personas")


def test_items_follow_persona_axes_turn_speakers_and_blindness(filled_store: FilledStore) -> None:
    with Store(filled_store.path) as store:
        transcript = store.get_transcript(filled_store.ids["verbose_llama"])
        persona = store.get_persona(transcript.persona_hash)
    assert default_rubric(persona, list(RUBRICS)) == "persona_fidelity"
    seen = form_items(RUBRICS["persona_fidelity"], transcript, persona, blind=False)
    blind = form_items(RUBRICS["persona_fidelity"], transcript, persona, blind=True)
    axis_items = [i for i in seen.conversation if i.id.startswith("axis_")]
    assert {i.id for i in axis_items} == {f"axis_{a}" for a in persona.levels}
    assert all(i.help.startswith("Intended:") for i in axis_items)
    # Blind mode hides who made the conversation, not what it was meant to show: the intended
    # level is what a fidelity item is answered against.
    assert [i.help for i in blind.conversation] == [i.help for i in seen.conversation]
    acts = form_items(RUBRICS["clinician_acts"], transcript, persona, blind=True)
    roles = {t.index: t.role for t in transcript.turns}
    assert acts.turns and {roles[i] for i in acts.turns} == {"clinician"}
    assert {i.id for items in acts.turns.values() for i in items} == {"ed_act"}  # not therapy


def test_drafts_then_submit_and_nothing_stored_on_problems(filled_store: FilledStore) -> None:
    cid = filled_store.ids["confused"]
    with Store(filled_store.path) as store:
        transcript = store.get_transcript(cid)
        persona = store.get_persona(transcript.persona_hash)
        items = form_items(RUBRICS["persona_fidelity"], transcript, persona, blind=True).by_key()
        realism = {(None, "realism"): 3}
        assert save_values(store, cid, "persona_fidelity", "ana", realism, items,
                           submit=False) == []
        assert status_of(store.annotations(), cid, "persona_fidelity", "ana") == "draft"
        missing = save_values(store, cid, "persona_fidelity", "ana", realism, items, submit=True)
        assert missing and all("needs an answer" in m for m in missing)
        bad = save_values(store, cid, "persona_fidelity", "ana", {(None, "realism"): 9}, items,
                          submit=False)
        assert bad == ["item 'realism' takes 1–4, got 9"]
        assert [a.value for a in store.annotations(cid)] == [3]
        full = {key: 2 for key, item in items.items() if item.type == "rating"}
        assert save_values(store, cid, "persona_fidelity", "ana", full, items, submit=True) == []
        assert status_of(store.annotations(), cid, "persona_fidelity", "ana") == "submitted"
        assert save_values(store, cid, "persona_fidelity", " ", full, items, submit=True)


def test_a_cleared_answer_is_deleted_and_a_draft_never_downgrades_a_submission(
        filled_store: FilledStore) -> None:
    cid = filled_store.ids["confused"]
    with Store(filled_store.path) as store:
        transcript = store.get_transcript(cid)
        persona = store.get_persona(transcript.persona_hash)
        items = form_items(RUBRICS["persona_fidelity"], transcript, persona, blind=True).by_key()
        ratings = [key for key, item in items.items() if item.type == "rating"]
        free = next(key for key, item in items.items() if item.type == "text")
        draft = {ratings[0]: 3, free: "too polished"}
        assert save_values(store, cid, "persona_fidelity", "ana", draft, items, submit=False) == []
        cleared = {ratings[0]: None, free: ""}
        assert save_values(store, cid, "persona_fidelity", "ana", cleared, items,
                           submit=False) == []
        assert store.annotations(cid, annotator="ana") == []  # cleared answers are gone

        full = {key: 2 for key in ratings}
        assert save_values(store, cid, "persona_fidelity", "ana", full, items, submit=True) == []
        later = {**full, ratings[0]: 4}
        refused = save_values(store, cid, "persona_fidelity", "ana", later, items, submit=False)
        assert refused and "submitted already" in refused[0]
        stored = store.annotations(cid, annotator="ana")
        assert {a.status for a in stored} == {"submitted"}
        assert {(a.turn_idx, a.item): a.value for a in stored} == full
        assert save_values(store, cid, "persona_fidelity", "ana", later, items, submit=True) == []
        assert {(a.turn_idx, a.item): a.value
                for a in store.annotations(cid, annotator="ana")} == later
