"""The Annotate/Adjudicate page helpers: widgets per item, values from answers, highlighted
turns (inert), guidelines and dispute rows."""

from __future__ import annotations

from tests.app.conftest import shown as seen
from workbench.annotation.adjudication import Dispute
from workbench.domain.rubric import RatingItem, Rubric, SpanItem
from workbench.views.annotation import (
    answer_text,
    dispute_rows,
    dispute_title,
    guidelines,
    highlighted_turn,
    value_from,
    widgets_for,
)

SPAN = SpanItem(id="phrases", label="Phrases", choices=[
    {"id": "llm_tell", "label": "LLM tell", "description": "Stock helper wording."},
    {"id": "contradicts_profile", "label": "Contradicts the profile"}])
RATING = RatingItem(id="warmth", label="Warmth", question="How warm?", scale=(1, 3),
                    anchors={1: "cold", 2: "neutral", 3: "warm"}, help="Judge the tone.")
TEXT = "<b>Hi</b> I hope this helps! **bold** [x](http://127.0.0.1:9/leak)"


def test_span_items_ask_one_text_box_per_label_prefilled_from_the_stored_spans() -> None:
    stored = [{"start": 10, "end": 27, "text": "I hope this helps", "label": "llm_tell"}]
    widgets = widgets_for(SPAN, stored, "k")
    assert [(w.kind, w.kwargs["key"]) for w in widgets] == [
        ("text_area", "k__llm_tell"), ("text_area", "k__contradicts_profile")]
    assert [w.kwargs["value"] for w in widgets] == ["I hope this helps", ""]
    value, missing = value_from(SPAN, ["I hope this helps\n", "I am 90"], TEXT)
    assert value == stored and len(missing) == 1 and "“I am 90”" in missing[0]


def test_other_items_ask_one_widget_and_keep_the_answer() -> None:
    (widget,) = widgets_for(RATING, 2, "k")
    assert widget.kind == "radio" and widget.kwargs["index"] == 1
    assert widget.kwargs["format_func"](3) == "3 · warm"
    assert value_from(RATING, [3], None) == (3, [])


def test_highlighted_turn_marks_the_phrase_and_keeps_model_text_inert() -> None:
    stored = [{"start": 10, "end": 27, "text": "I hope this helps", "label": "llm_tell"}]
    shown = highlighted_turn(TEXT, stored, SPAN)
    assert ":orange-background[I hope this helps]" in shown and "LLM tell" in shown
    assert "<b>" not in shown and "**bold**" not in shown and "](" not in shown


def test_guidelines_list_questions_anchors_and_labels() -> None:
    rubric = Rubric(id="r", label="R", description="Rate *carefully*.", items=[RATING, SPAN])
    text = guidelines(rubric, [RATING, SPAN])
    assert "Rate \\*carefully\\*" in text  # inert
    for words in ("How warm?", "1: cold", "3: warm", "LLM tell", "Stock helper wording"):
        assert words in seen(text)


def test_answers_and_disputes_in_words() -> None:
    spans = [{"start": 10, "end": 27, "text": "I hope this helps", "label": "llm_tell"}]
    assert answer_text(SPAN, spans) == "“I hope this helps” → LLM tell"
    assert answer_text(RATING, 1) == "1 · cold"
    dispute = Dispute("c1", 2, "phrases", {"ana": [], "ben": spans}, None)
    assert dispute_rows([dispute], {"phrases": SPAN}) == [
        {"conversation": "c1", "turn": 2, "item": "Phrases", "annotators": 2,
         "different answers": 2, "resolved": "no"}]
    assert dispute_title(dispute, {"phrases": SPAN}) == "c1, turn 2 · Phrases · 2 answers"
