"""Span labels (offsets + quoted text checked against the turn), skip/flag marks, disputes and
resolved answers (kept out of agreement figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import FilledStore
from workbench.annotation.adjudication import (
    FLAG_ITEM,
    SKIP_ITEM,
    disputes,
    mark,
    marks_of,
    resolve,
)
from workbench.annotation.agreement_report import agreement_report
from workbench.annotation.drafts import problems, save_values, status_of
from workbench.annotation.queue import progress
from workbench.domain.rubric import SpanItem
from workbench.domain.spans import check_spans, phrases_by_label, spans_from_phrases
from workbench.library.rubrics import check_rubric_text, load_rubrics
from workbench.settings import PROJECT_ROOT
from workbench.store import Annotation, Store

TEXT = "I'm sure. I'm 45 and I take no medicines — I hope this helps!"
ITEM = SpanItem(id="phrases", label="Phrases", choices=[
    {"id": "contradicts_profile", "label": "Contradicts the profile"},
    {"id": "llm_tell", "label": "LLM tell"}])


def test_phrases_become_offsets_that_quote_the_turn() -> None:
    spans, missing = spans_from_phrases(TEXT, {"llm_tell": ["I hope this helps", " — "],
                                              "contradicts_profile": ["I'm 45"]})
    assert missing == []
    assert [(s["label"], TEXT[s["start"]:s["end"]]) for s in spans] == [
        ("contradicts_profile", "I'm 45"), ("llm_tell", "—"), ("llm_tell", "I hope this helps")]
    assert check_spans(spans, TEXT, ITEM.choice_ids) is None
    assert ITEM.check_value(spans) is None
    assert phrases_by_label(spans) == {"contradicts_profile": ["I'm 45"],
                                       "llm_tell": ["—", "I hope this helps"]}


def test_a_repeated_phrase_tags_its_next_occurrence() -> None:
    spans, _ = spans_from_phrases(TEXT, {"llm_tell": ["I'm", "I'm"]})
    assert [s["start"] for s in spans] == [0, 10]


def test_phrase_not_in_the_turn_is_named_in_plain_words() -> None:
    spans, missing = spans_from_phrases(TEXT, {"llm_tell": ["I am 45"]})
    assert spans == [] and len(missing) == 1
    assert "“I am 45” is not in this turn" in missing[0] and "copy it exactly" in missing[0]


def test_spans_that_do_not_quote_the_turn_are_refused() -> None:
    moved = [{"start": 1, "end": 7, "text": "I'm 45", "label": "llm_tell"}]
    assert "does not say “I'm 45” at characters 1–7" in check_spans(moved, TEXT, ITEM.choice_ids)
    wrong_label = [{"start": 10, "end": 16, "text": "I'm 45", "label": "rude"}]
    assert "unknown label(s) 'rude'" in ITEM.check_value(wrong_label)
    assert "takes a list of spans" in ITEM.check_value("I'm 45")
    bad_length = [{"start": 10, "end": 12, "text": "I'm 45", "label": "llm_tell"}]
    assert "covers 10–12" in ITEM.check_value(bad_length)


def test_span_items_must_be_turn_items_in_rubric_files(tmp_path: Path) -> None:
    text = ("id: r\nlabel: R\nitems:\n  - id: p\n    type: span\n    label: P\n"
            "    scope: conversation\n    choices:\n      - {id: a, label: A}\n")
    rubric, issues = check_rubric_text(text, tmp_path / "r.yaml")
    assert rubric is None and "scope: turn" in issues[0].message
    rubric, issues = check_rubric_text(text.replace("    scope: conversation\n", ""),
                                       tmp_path / "r.yaml")
    assert issues == [] and rubric.items[0].scope == "turn"


def test_shipped_span_rubric_loads() -> None:
    rubric = load_rubrics(PROJECT_ROOT / "personas")["span_labels"]
    (item,) = rubric.items
    assert isinstance(item, SpanItem) and item.speaker == "patient"
    assert {"contradicts_profile", "llm_tell"} <= set(item.choice_ids)


def test_span_values_are_checked_against_the_stored_turn(filled_store: FilledStore) -> None:
    cid = filled_store.ids["verbose_llama"]
    with Store(filled_store.path) as store:
        transcript = store.get_transcript(cid)
        turn = next(t for t in transcript.turns if t.role == "patient")
        texts = {t.index: t.text for t in transcript.turns}
        good, _ = spans_from_phrases(turn.text, {"llm_tell": [turn.text[:12]]})
        items = {(turn.index, "phrases"): ITEM}
        forged = [{**good[0], "text": "not what was said"[:12]}]
        assert problems({(turn.index, "phrases"): forged}, items, submit=True, texts=texts)
        assert problems({(turn.index, "phrases"): good}, items, submit=True) == [
            "Phrases (turn %d): span labels need the turn's text" % turn.index]
        assert save_values(store, cid, "span_labels", "ana", {(turn.index, "phrases"): good},
                           items, submit=True, texts=texts) == []
        (stored,) = store.annotations(cid, annotator="ana")
    assert stored.value == good and stored.turn_idx == turn.index
    assert turn.text[good[0]["start"]:good[0]["end"]] == good[0]["text"]


@pytest.fixture
def two_annotators(filled_store: FilledStore) -> tuple[Store, list[str]]:
    with Store(filled_store.path) as store:
        cids = sorted(c.id for c in store.list_conversations().items if c.status == "done")[:3]
        rows = []
        for n, cid in enumerate(cids):
            rows += [Annotation(conversation_id=cid, rubric="clinician_quality", item="clinical_accuracy",
                                value=2, annotator="ana", status="submitted"),
                     Annotation(conversation_id=cid, rubric="clinician_quality", item="clinical_accuracy",
                                value=2 if n == 0 else 4, annotator="ben", status="submitted"),
                     Annotation(conversation_id=cid, rubric="clinician_quality", item="clinical_accuracy",
                                value=1, annotator="judge:llama3.2", status="submitted")]
        store.put_annotations(rows)
        yield store, cids


def test_disputes_list_differing_human_answers_and_resolution(two_annotators) -> None:
    store, cids = two_annotators
    found = disputes(store.annotations(), "clinician_quality")
    assert [(d.conversation_id, d.answers) for d in found] == [
        (cid, {"ana": 2, "ben": 4}) for cid in sorted(cids[1:])]  # the judge is not a party
    resolve(store, found[0], "clinician_quality", "chief", 3)
    again = disputes(store.annotations(), "clinician_quality")
    assert [d.resolved for d in again] == [3, None]
    (stored,) = store.annotations(found[0].conversation_id, annotator="adjudicated:chief")
    assert (stored.value, stored.status, stored.item) == (3, "submitted", "clinical_accuracy")


def test_agreement_leaves_resolved_answers_out(two_annotators) -> None:
    store, cids = two_annotators
    rubric = load_rubrics(PROJECT_ROOT / "personas")["clinician_quality"]
    before = agreement_report(store.annotations(), rubric)
    for dispute in disputes(store.annotations(), "clinician_quality"):
        resolve(store, dispute, "clinician_quality", "chief", 3)
    after = agreement_report(store.annotations(), rubric)
    (item_before,) = [i for i in before.items if i.item == "clinical_accuracy"]
    (item_after,) = [i for i in after.items if i.item == "clinical_accuracy"]
    assert item_after.annotators == ["ana", "ben"] == item_before.annotators
    assert item_after.alpha == item_before.alpha and after.pairs == before.pairs


def test_skip_and_flag_marks_are_kept_apart_from_answers(two_annotators) -> None:
    store, cids = two_annotators
    mark(store, cids[0], "clinician_quality", "cleo", SKIP_ITEM, True)
    mark(store, cids[1], "clinician_quality", "cleo", FLAG_ITEM, "patient speaks for the doctor")
    mine = store.annotations(annotator="cleo")
    assert marks_of(mine, "cleo") == {cids[0]: {SKIP_ITEM: True},
                                      cids[1]: {FLAG_ITEM: "patient speaks for the doctor"}}
    assert progress(cids, mine, "cleo") == (0, 3)  # marks are not submissions
    assert status_of(mine, cids[0], "clinician_quality", "cleo") == "new"
    with pytest.raises(ValueError, match="not a mark"):
        mark(store, cids[0], "clinician_quality", "cleo", "clinical_accuracy", 3)
