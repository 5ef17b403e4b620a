"""The Compare page: choosing A, same-persona suggestions for B, both chats, the prompt diff."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import INJECTION, PATIENT_TEXTS, VERBOSE, FilledStore, page, shown
from workbench.store import Store


def open_page(app_env, filled_store: FilledStore, **params: str) -> AppTest:
    app_env(filled_store.path)
    at = AppTest.from_file(page("compare"), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_suggests_same_persona_under_another_model_first(app_env, filled_store) -> None:
    at = open_page(app_env, filled_store)
    assert not at.exception
    at.selectbox(key="compare_a").set_value(filled_store.ids["verbose_llama"]).run()
    options = at.selectbox(key="compare_b").options
    assert options[0].startswith("other model: ollama/qwen2.5:0.5b")
    assert options[0].endswith(filled_store.ids["verbose_qwen"])
    assert options[1].startswith("other run: ")
    assert options[1].endswith(filled_store.ids["verbose_v2"])
    assert not any(o.startswith(filled_store.ids["verbose_llama"]) for o in options)


def test_two_prompt_versions_side_by_side_with_their_diff(app_env, filled_store) -> None:
    at = open_page(app_env, filled_store)
    at.selectbox(key="compare_a").set_value(filled_store.ids["verbose_llama"]).run()
    at.selectbox(key="compare_b").set_value(filled_store.ids["verbose_v2"]).run()
    assert not at.exception
    assert at.query_params["a"] == filled_store.ids["verbose_llama"]
    assert at.query_params["b"] == filled_store.ids["verbose_v2"]
    texts = [t.value for t in at.text]
    assert texts.count(PATIENT_TEXTS[VERBOSE][0]) == 2  # the same script on both sides
    [diff] = at.code
    assert diff.language == "diff"
    lines = diff.value.splitlines()
    with Store(filled_store.path) as store:
        a = store.get_transcript(filled_store.ids["verbose_llama"])
        b = store.get_transcript(filled_store.ids["verbose_v2"])
    assert lines[0] == f"--- A {a.id} patient prompt (template {a.patient_template_hash})"
    assert lines[1] == f"+++ B {b.id} patient prompt (template {b.patient_template_hash})"
    assert "+Never use medical words the doctor has not used first." in lines
    assert not any(line.startswith("-") for line in lines[2:])  # v2 only adds a rule
    templates = at.dataframe[0].value
    assert list(templates["rendered prompts"]) == ["differ", "identical"]
    side_by_side = at.table[0].value  # a table, so that long values wrap instead of being cut
    figures = {shown(k): shown(v).replace("\u200b", "")
               for k, v in zip(side_by_side["measure"], side_by_side["A"])}
    assert figures["turns"] == "10" and figures["patient model"] == "ollama/llama3.2:1b"
    assert figures["levels"] == ", ".join(f"{k}={v}" for k, v in a.levels.items())


def test_pair_from_link_with_identical_prompts(app_env, filled_store) -> None:
    cid = filled_store.ids["injection"]
    at = open_page(app_env, filled_store, a=cid, b=cid)
    assert not at.exception
    assert not at.code
    assert "identical system prompts" in at.success[0].value
    assert [t.value for t in at.text].count(f"Since this morning. {INJECTION}") == 2
    assert not any("<img" in m.value for m in at.markdown)


def test_pasted_ids_win_over_the_pickers(app_env, filled_store) -> None:
    at = open_page(app_env, filled_store)
    at.text_input(key="compare_a_id").set_value(f" {filled_store.ids['cbt_pleasing']} ").run()
    at.text_input(key="compare_b_id").set_value(filled_store.ids["cbt_verbose"]).run()
    assert not at.exception
    assert (at.query_params["a"], at.query_params["b"]) == (filled_store.ids["cbt_pleasing"],
                                                            filled_store.ids["cbt_verbose"])
    assert [c.name for c in at.chat_message][:2] == ["therapist", "client"]
    diff = at.code[0].value.splitlines()
    assert "-Name: Daniel" in diff and "+Name: Priya" in diff  # two clients, one template


def test_unknown_id_in_link_is_reported(app_env, filled_store) -> None:
    at = open_page(app_env, filled_store, a="c-missing")
    assert not at.exception
    assert "No conversation c\\-missing" in at.warning[0].value


def test_empty_store(app_env, empty_store) -> None:
    app_env(empty_store)
    at = AppTest.from_file(page("compare"), default_timeout=30).run()
    assert not at.exception and "workbench demo" in at.info[0].value
