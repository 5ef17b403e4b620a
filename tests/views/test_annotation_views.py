"""The Annotate/Adjudicate page helpers: widgets per item, values from answers, highlighted
turns (inert), guidelines and dispute rows."""

from __future__ import annotations

from tests.app.conftest import shown as seen
from workbench.annotation.adjudication import FLAG_ITEM, SKIP_ITEM, Dispute
from workbench.annotation.drafts import FormItems
from workbench.domain.rubric import AnyItem, LabelItem, RatingItem, Rubric, SpanItem, TextItem
from workbench.views.annotation import (
    answer_text,
    dispute_rows,
    dispute_title,
    guidelines,
    highlighted_turn,
    keyed_items,
    nothing_stored,
    position_line,
    pressed,
    start_at,
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


def _form(turn_items: dict[int, list[AnyItem]], conversation: list[AnyItem]) -> FormItems:
    return FormItems(conversation, turn_items)


LABEL = LabelItem(id="tone", label="Tone", choices=[
    {"id": "flat", "label": "Flat"}, {"id": "warm", "label": "Warm"}])
ZERO_BASED = RatingItem(id="distress", label="Distress", scale=(0, 4),
                        anchors={0: "none", 1: "a little", 2: "some", 3: "much", 4: "extreme"})
TEXT_ITEM = TextItem(id="notes", label="Notes")
WIDE = RatingItem(id="score", label="Score", scale=(1, 10),
                  anchors={p: f"p{p}" for p in range(1, 11)})


def test_answer_keys_follow_the_form_order_and_skip_what_digits_cannot_answer() -> None:
    keyed = keyed_items(_form({3: [RATING, SPAN], 1: [LABEL]}, [ZERO_BASED, WIDE, TEXT_ITEM]),
                        "c1", "r")
    # Turn items by turn (turn 1 before turn 3), then the conversation's; the span, free-text
    # and ten-point items have no keys.
    assert [(k.where, k.title) for k in keyed] == [
        ((1, "tone"), "Tone (turn 2)"), ((3, "warmth"), "Warmth (turn 4)"),
        ((None, "distress"), "Distress")]
    assert [k.widget for k in keyed] == ["annotate_c1_r_1_tone", "annotate_c1_r_3_warmth",
                                         "annotate_c1_r_c_distress"]
    tone, warmth, distress = keyed
    assert [(a.key, a.value) for a in tone.keys] == [("1", "flat"), ("2", "warm")]
    assert [(a.key, a.value) for a in warmth.keys] == [("1", 1), ("2", 2), ("3", 3)]
    # A 0–4 scale is answered by the point itself: 0 chooses 0, not the first key.
    assert [(a.key, a.value) for a in distress.keys][:2] == [("0", 0), ("1", 1)]
    assert distress.keys[4].label == "4 · extreme"


def test_answer_keys_start_at_the_first_unanswered_item_and_move_on_when_pressed() -> None:
    keyed = keyed_items(_form({0: [RATING]}, [LABEL, ZERO_BASED]), "c1", "r")
    assert start_at(keyed, {}) == 0
    assert start_at(keyed, {(0, "warmth"): 2}) == 1
    assert start_at(keyed, {(0, "warmth"): 2, (None, "tone"): "warm", (None, "distress"): 0}) == 2
    changes = pressed(keyed, 1, keyed[1].keys[1], "ptr")
    assert changes == {"annotate_c1_r_c_tone": "warm", "annotate_keyed": "annotate_c1_r_c_tone",
                       "ptr": 2}
    assert pressed(keyed, 2, keyed[2].keys[0], "ptr")["ptr"] == 2  # stays on the last item


def test_a_widget_filled_by_a_key_gets_no_default() -> None:
    (widget,) = widgets_for(RATING, 2, "k", preset=True)
    assert "index" not in widget.kwargs and widget.kwargs["key"] == "k"
    (widget,) = widgets_for(RATING, 2, "k")
    assert widget.kwargs["index"] == 1


def test_answer_key_labels_and_the_position_line_are_inert() -> None:
    hostile = LabelItem(id="x", label="[x](http://127.0.0.1:9/a)", choices=[
        {"id": "a", "label": "![i](http://127.0.0.1:9/i.png)"}, {"id": "b", "label": "<b>b</b>"}])
    (keyed,) = keyed_items(_form({}, [hostile]), "c", "r")
    assert [seen(a.label) for a in keyed.keys] == ["1 · ![i](http://127.0.0.1:9/i.png)",
                                                   "2 · <b>b</b>"]
    assert position_line(2, 9, "draft", {FLAG_ITEM: "look", SKIP_ITEM: True}) == \
        "Conversation **3** of 9 · draft · skipped · flagged"
    assert position_line(0, 1, "new", {}) == "Conversation **1** of 1 · new"
    assert seen(nothing_stored(["[a](http://127.0.0.1:9/)"])) == \
        "Nothing was stored:\n\n- [a](http://127.0.0.1:9/)"
