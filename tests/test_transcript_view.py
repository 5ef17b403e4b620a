"""Shaping conversations for reading: inert Markdown, highlighted hits, captions, filters, rows."""

from __future__ import annotations

import html
import string
from datetime import UTC, datetime

import pytest

from workbench.domain.transcript import Transcript, Turn
from workbench.store import ConversationSummary, TurnHit
from workbench.views.tables import axis_ids_of_facets, conversation_rows
from workbench.views.transcript_view import (
    browse_filter,
    chat_bubbles,
    conversation_facts,
    facts_markdown,
    facet_label,
    highlight_snippet,
    hit_line,
    inert_markdown,
    inert_stream,
    inert_table,
    page_count,
    turn_caption,
)

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "![x](http://127.0.0.1:9/leak)",
    "[click](javascript:alert(1)) <https://example.org> www.example.org",
    ":red[red] :material/home: :smile: $x^2$ **bold** _it_ `code` ~~gone~~",
    "# Heading\n- item\n1. item\n> quote\n---\n| a | b |\n|---|---|",
    "&lt;b&gt; already escaped &amp; ampersand",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_inert_markdown_renders_as_the_literal_text(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    # Raw HTML on, and GFM tables and strikethrough: still only text comes out.
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    rendered = parser.render(inert_markdown(text))
    assert "<img" not in rendered and "<script" not in rendered and "<a " not in rendered
    for tag in ("<h1", "<li", "<blockquote", "<hr", "<table", "<strong", "<em", "<code", "<s>"):
        assert tag not in rendered
    body = rendered.removeprefix("<p>").removesuffix("</p>\n").replace("<br />\n", "\n")
    assert html.unescape(body).replace("  \n", "\n") == text


def test_every_punctuation_mark_is_escaped() -> None:
    marks = "".join(c for c in string.punctuation if c not in "&;<>")
    assert inert_markdown(marks) == "".join("\\" + c for c in marks)
    assert inert_markdown("a<b>&c;") == "a&lt;b&gt;&amp;c;"


def test_streamed_chunks_escape_like_the_whole_text() -> None:
    text = "<img src=x> ![x](http://h/leak)\nnext"
    chunks = [text[i:i + 3] for i in range(0, len(text), 3)]
    assert "".join(inert_stream(chunks)) == inert_markdown(text)


def test_highlight_marks_hits_and_escapes_the_rest() -> None:
    snippet = "…said «chest» pain <b>[x](y)</b> «here»…"
    assert highlight_snippet(snippet) == (
        "…said :orange-background[chest] pain &lt;b&gt;\\[x\\]\\(y\\)&lt;\\/b&gt; "
        ":orange-background[here]…"
    )
    # A hit that is itself markup stays inert inside the highlight.
    assert highlight_snippet("«<img>»") == ":orange-background[&lt;img&gt;]"


def test_hit_line_names_where_the_hit_is() -> None:
    hit = TurnHit(conversation_id="c-1", idx=3, role="patient", snippet="a «cough»", rank=-1.0)
    assert hit_line(hit) == "c\\-1 · turn 3 · patient\\: a :orange-background[cough]"


def test_browse_filter_maps_facets_to_store_fields() -> None:
    f = browse_filter(
        {"axis:personality": ["verbose"], "axis:recall": [], "patient_model": ["ollama/x"],
         "run_id": [], "status": ["done"]},
        min_turns=2, max_turns=None, text="  cough ",
    )
    assert f.levels == {"personality": ["verbose"]}
    assert f.patient_model == ["ollama/x"] and f.status == ["done"] and f.run_id is None
    assert (f.min_turns, f.max_turns, f.text) == (2, None, "cough")
    assert browse_filter({}, text="   ").text is None


def test_labels_and_pages() -> None:
    assert facet_label("axis:conversational_style") == "Conversational style"
    assert facet_label("run_id") == "Run" and facet_label("patient_model") == "Patient model"
    assert [page_count(n) for n in (0, 1, 50, 51, 100_000)] == [1, 1, 1, 2, 2000]


def test_caption_shows_moving_levels_cap_latency_and_tokens() -> None:
    persona_levels = {"personality": "plain", "confusion": "high"}
    patient = Turn(index=3, role="patient", text="...", latency_s=1.234, prompt_tokens=1200,
                   completion_tokens=40, state={
                       "levels": {"personality": "plain", "confusion": "moderate"},
                       "counts": {"confusion": 1}, "sentences": 4, "sentence_cap": 3,
                       "over_cap": True})
    assert turn_caption(patient, persona_levels) == (
        "turn 3 · confusion: moderate · 4 sentences / cap 3 (over the cap) · 1.23 s · "
        "tokens 1,200 in / 40 out")
    clinician = Turn(index=4, role="clinician", text="...", state={
        "level_changes": {"confusion": ["moderate", "normal"]}, "ended_by": "marker"})
    assert turn_caption(clinician, persona_levels) == (
        "turn 4 · confusion: moderate → normal · ended by marker")


def test_caption_shows_the_clinician_act_and_the_patient_feeling_of_an_arc() -> None:
    clinician = Turn(index=6, role="clinician", text="...", state={
        "act": {"act": "confrontation", "by": "rules", "rule": 1, "matched": "but you said"}})
    assert turn_caption(clinician, {}) == "turn 6 · act: confrontation (rules)"
    patient = Turn(index=7, role="patient", text="...", state={
        "affect": {"emotion": "hurt", "intensity": 3, "chain_step": 1}, "sentences": 2})
    assert turn_caption(patient, {}) == "turn 7 · 2 sentences · feels hurt 3/3, chain step 1"


def test_caption_names_the_role_failures_of_a_patient_turn() -> None:
    patient = Turn(index=1, role="patient", text="*sighs* The patient nods. Doctor: Any pain?",
                   state={"sentences": 3, "sentence_cap": 2, "over_cap": True})
    assert turn_caption(patient, {}) == (
        "turn 1 · 3 sentences / cap 2 (over the cap) · "
        "out of role: clinician voice, third person, stage direction")
    clinician = Turn(index=2, role="clinician", text="The patient nods. *sighs*")
    assert "out of role" not in turn_caption(clinician, {})


def test_bubbles_use_role_names_and_mark_a_human_clinician() -> None:
    transcript = Transcript(id="c-1", clinician="human:ana", turns=[
        Turn(index=0, role="clinician", text="Hi <b>"), Turn(index=1, role="patient", text="Hi")])
    bubbles = chat_bubbles(transcript)
    assert [b.name for b in bubbles] == ["clinician", "patient"]
    assert bubbles[0].text == "Hi <b>" and bubbles[0].avatar == ":material/school:"
    assert bubbles[0].caption == "turn 0"


def test_facts_leave_out_what_is_unknown() -> None:
    facts = conversation_facts(Transcript(id="c-1", persona_id="p", levels={"a": "x", "b": "y"}))
    assert {"field": "levels", "value": "a=x, b=y"} in facts
    assert not any(f["field"] in {"run", "persona hash", "failure reason"} for f in facts)


@pytest.mark.parametrize("text", PAYLOADS)
def test_table_cells_headers_and_facts_render_as_the_literal_text(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    ((header, cell),) = inert_table([{text: text}])[0].items()
    fact = facts_markdown([{"field": "field", "value": text}])
    for markdown in (header, cell, fact):  # st.table renders Markdown in headers and cells too
        rendered = parser.render(markdown)
        assert "<img" not in rendered and "<script" not in rendered and "<a " not in rendered
        for tag in ("<h1", "<li", "<blockquote", "<hr", "<table", "<em", "<code", "<s>"):
            assert tag not in rendered
    body = parser.render(cell).removeprefix("<p>").removesuffix("</p>\n")
    assert html.unescape(body.replace("<br />\n", "\n")).replace("  \n", "\n") == text


def test_facts_are_one_line_each_with_values_as_they_are() -> None:
    path = "/srv/group-drive/studies/2026/personas/ed_consult/ed_uti_02-plain-B-high-high.yaml"
    facts = [{"field": "persona file", "value": path}, {"field": "levels", "value": "a=x, b=y"}]
    lines = facts_markdown(facts).split("  \n")  # hard line breaks
    assert lines == [f"**persona file**: {inert_markdown(path)}",
                     f"**levels**: {inert_markdown('a=x, b=y')}"]


def test_conversation_rows_have_a_column_per_axis() -> None:
    facets = {"scenario": ["ed"], "axis:personality": ["plain"], "axis:recall": ["low"]}
    axes = axis_ids_of_facets(facets)
    assert axes == ["personality", "recall"]
    summary = ConversationSummary(
        id="c-1", run_id=None, source="simulated", persona_id="p", scenario="ed", profile="x",
        levels={"personality": "plain"}, patient_model="ollama/m", clinician=None, seed=None,
        sample=None, status="done", n_turns=4, created_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        first_patient_snippet="I feel <b>bad</b>")
    [row] = conversation_rows([summary], axes)
    assert row["personality"] == "plain" and row["recall"] == ""
    assert row["created"] == "2026-01-02 03:04"
    assert row["first patient words"] == "I feel <b>bad</b>"


def test_speakers_are_named_in_their_role_colour_and_inert() -> None:
    from workbench.views.transcript_view import speaker_label

    assert speaker_label("doctor", "clinician") == ":blue[**doctor**]"
    assert speaker_label("patient", "patient") == ":orange[**patient**]"
    hostile = speaker_label("<b>x</b>](http://e)", "patient")
    assert "<b>" not in hostile and "](" not in hostile
