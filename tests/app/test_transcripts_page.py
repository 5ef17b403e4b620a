"""The Transcripts page: filters, full-text search, paging, opening a conversation, inert text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import INJECTION, SEARCH_WORD, FilledStore, page, shown
from workbench.store import NewConversation, Store


@pytest.fixture
def at(app_env, filled_store: FilledStore) -> AppTest:
    app_env(filled_store.path)
    return AppTest.from_file(page("transcripts"), default_timeout=30).run()


def table(at: AppTest):
    return at.dataframe[0].value


def summary_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "conversations match" in m.value)


def test_empty_store_points_to_runs_and_demo(app_env, empty_store) -> None:
    app_env(empty_store)
    at = AppTest.from_file(page("transcripts"), default_timeout=30).run()
    assert not at.exception
    [info] = at.info
    assert "Runs" in info.value and "workbench demo" in info.value


def test_lists_every_conversation_newest_first(at: AppTest, filled_store: FilledStore) -> None:
    assert not at.exception
    rows = table(at)
    assert set(rows["conversation"]) == set(filled_store.ids.values())
    assert summary_line(at).startswith("**9** conversations match")
    assert rows["created"].iloc[-1].startswith("2024-05-01")  # the imported one is oldest


def test_filter_by_axis_level_shows_only_that_level(at: AppTest, filled_store: FilledStore) -> None:
    at.multiselect(key="transcripts_f_axis:personality").set_value(["verbose"]).run()
    rows = table(at)
    assert list(rows["personality"]) == ["verbose"] * 3
    assert set(rows["conversation"]) == {filled_store.ids[k] for k in
                                         ("verbose_llama", "verbose_qwen", "verbose_v2")}
    at.multiselect(key="transcripts_f_patient_model").set_value(["ollama/qwen2.5:0.5b"]).run()
    assert list(table(at)["conversation"]) == [filled_store.ids["verbose_qwen"]]


def test_filter_by_status_source_and_length(at: AppTest, filled_store: FilledStore) -> None:
    at.multiselect(key="transcripts_f_status").set_value(["failed"]).run()
    assert list(table(at)["conversation"]) == [filled_store.ids["failed"]]
    at.multiselect(key="transcripts_f_status").set_value([]).run()
    at.number_input(key="transcripts_max_turns").set_value(2).run()
    assert set(table(at)["conversation"]) == {filled_store.ids["failed"],
                                              filled_store.ids["reference"]}
    at.multiselect(key="transcripts_f_source").set_value(["reference:clinic_sample"]).run()
    assert list(table(at)["conversation"]) == [filled_store.ids["reference"]]


def test_search_highlights_hits_and_narrows_the_table(at: AppTest,
                                                      filled_store: FilledStore) -> None:
    at.text_input(key="transcripts_search").set_value(SEARCH_WORD).run()
    hits = [m.value for m in at.markdown if f"[{SEARCH_WORD}]" in m.value]
    assert len(hits) == 3
    assert all(f":orange-background[{SEARCH_WORD}]" in h and "turn 3" in h for h in hits)
    assert list(table(at)["personality"]) == ["verbose"] * 3
    # Hit conversations can be opened from the picker.
    options = at.selectbox(key="transcripts_open").options  # as labelled: "<id> · persona ..."
    assert any(o.startswith(filled_store.ids["verbose_v2"]) for o in options)


def test_search_snippet_of_injected_html_is_escaped(at: AppTest) -> None:
    at.text_input(key="transcripts_search").set_value("onerror").run()
    [hit] = [m.value for m in at.markdown if "orange-background" in m.value]
    assert "&lt;img src" in hit and "<img" not in hit and "<script" not in hit
    assert "<img src=x :orange-background[onerror]=alert(1)>" in shown(hit)


def test_paging_fifty_per_page(at: AppTest, filled_store: FilledStore) -> None:
    with Store(filled_store.path) as store:
        store.add_conversations([NewConversation(persona_id=f"bulk_{i:03d}", status="done")
                                 for i in range(100)])
    at.run()
    assert summary_line(at) == "**109** conversations match · page 1 of 3"
    assert len(table(at)) == 50
    at.number_input(key="transcripts_page").set_value(3).run()
    assert summary_line(at).endswith("page 3 of 3") and len(table(at)) == 9
    # A filter that shrinks the set brings the reader back to page 1.
    at.multiselect(key="transcripts_f_axis:personality").set_value(["verbose"]).run()
    assert summary_line(at) == "**3** conversations match · page 1 of 1"


def test_open_shows_chat_state_persona_and_prompts(at: AppTest, filled_store: FilledStore) -> None:
    cid = filled_store.ids["confused"]
    at.selectbox(key="transcripts_open").set_value(cid).run()
    assert not at.exception
    assert at.query_params["conversation"] == cid
    assert [c.name for c in at.chat_message][:2] == ["doctor", "patient"]
    texts = [t.value for t in at.text]
    assert "Where is my daughter? She was here a minute ago." in texts
    captions = [shown(c.value) for c in at.caption]
    assert any("confusion: high" in c and "cap 3" in c for c in captions)
    assert any("confusion: high → moderate" in c for c in captions)  # reassured twice
    assert any("tokens" in c and " s " in c for c in captions)
    (box,) = [m.value for m in at.markdown if m.value.startswith("**conversation**")]
    facts = dict(shown(line).removeprefix("**").split("**: ", 1) for line in box.split("  \n"))
    assert facts["persona"] == "ed_uti_02-plain-B-high-high"
    assert "confusion=high" in facts["levels"] and len(facts["persona hash"]) == 16
    assert facts["profile"] == "ed_uti_02"
    with Store(filled_store.path) as store:
        stored = store.get_transcript(cid)
        persona = store.get_persona(stored.persona_hash)
    assert facts["levels"] == ", ".join(f"{k}={v}" for k, v in stored.levels.items())
    assert facts["persona file"] == persona.source_path  # whole
    assert [c.value for c in at.code] == [stored.patient_prompt]  # a script has no prompt
    expected = f"Patient system prompt · template {stored.patient_template_hash}"
    assert at.expander[-1].label == expected


def test_query_param_opens_a_conversation_and_shows_injection_as_text(
        app_env, filled_store: FilledStore) -> None:
    app_env(filled_store.path)
    at = AppTest.from_file(page("transcripts"), default_timeout=30)
    at.query_params["conversation"] = filled_store.ids["injection"]
    at.run()
    assert not at.exception
    assert f"Since this morning. {INJECTION}" in [t.value for t in at.text]
    # No Markdown element carries the payload in a form that could render.
    for element in [*at.markdown, *at.caption, *at.subheader]:
        assert "<img" not in element.value and "<script" not in element.value
        assert "![x](" not in element.value


def test_unknown_conversation_in_link_is_reported(app_env, filled_store: FilledStore) -> None:
    app_env(filled_store.path)
    at = AppTest.from_file(page("transcripts"), default_timeout=30)
    at.query_params["conversation"] = "c-<b>nope</b>"
    at.run()
    assert not at.exception
    [warning] = at.warning
    assert "&lt;b&gt;nope" in warning.value and "<b>" not in warning.value
