"""The Trainer page against the Ollama-API test server: chat, streamed replies, storage, scoring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import INJECTION, page
from tests.support import OllamaTestServer
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.store import Store
from workbench.trainer import RUBRIC, CCDAttempt, score_attempt

MODEL = "ollama/llama3.2:1b"
CBT_PERSONA = "cbt_daniel-pleasing"


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer() as srv:
        yield srv


def start(app_env, store_path, server_url: str | None, *, persona: str = CBT_PERSONA,
          scenario: str = "cbt_session", model: str = MODEL, style: str | None = None) -> AppTest:
    """Open the page as trainee alice, choose a persona and press Start."""
    app_env(store_path, ollama=server_url, annotator="alice")
    at = AppTest.from_file(page("trainer"), default_timeout=30).run()
    at.selectbox(key="trainer_scenario").set_value(scenario).run()
    at.selectbox(key="trainer_persona").set_value(persona).run()
    if style:
        at.selectbox(key=f"trainer_level_{persona}_conversational_style").set_value(style).run()
    at.text_input(key="trainer_model").set_value(model).run()
    return at.button(key="trainer_start").click().run()


def stored(store_path, at: AppTest):
    with Store(store_path) as store:
        return store.get_transcript(at.session_state["trainer_conversation"])


def test_chat_streams_the_reply_and_stores_both_turns(app_env, empty_store, server) -> None:
    at = start(app_env, empty_store, server.url, style="upset")
    assert not at.exception
    at.chat_input(key="trainer_input").set_value("Hello Daniel, what brings you in today?").run()
    assert not at.exception
    transcript = stored(empty_store, at)
    assert transcript.clinician == "human:alice" and transcript.run_id is None
    assert transcript.status == "running" and transcript.levels == {"conversational_style": "upset"}
    clinician, patient = transcript.turns
    assert clinician.role == "clinician"
    assert clinician.text == "Hello Daniel, what brings you in today?"
    assert clinician.latency_s is None
    assert patient.role == "patient" and patient.latency_s is not None
    assert patient.state["levels"] == {"conversational_style": "upset"}
    assert patient.state["sentence_cap"] == 2
    # Both turns are shown, as the persona's role names, and the reply is the model's text.
    assert [t.value for t in at.text] == [clinician.text, patient.text]
    assert [c.name for c in at.chat_message] == ["therapist", "client"]
    system = server.last_request()["messages"][0]
    assert system["role"] == "system" and "Daniel" in system["content"]


def test_cbt_attempt_is_scored_beside_the_truth_and_stored(app_env, empty_store, server) -> None:
    at = start(app_env, empty_store, server.url)
    at.chat_input(key="trainer_input").set_value("What happened this week?").run()
    at.button[0].click().run()  # "I'm done — fill the cognitive model"
    assert not at.exception and stored(empty_store, at).status == "done"
    at.checkbox(key="trainer_belief_bad/dangerous/toxic").check()
    at.checkbox(key="trainer_belief_a failure").check()
    at.multiselect(key="trainer_emotions").set_value(["guilty", "ashamed/embarrassed"])
    at.text_area(key="trainer_ccd_automatic_thoughts").set_value("She is building a case to leave.")
    at.button(key="trainer_score").click().run()
    assert not at.exception

    profile = Library(PROJECT_ROOT / "personas").resolve(CBT_PERSONA).profile
    expected = score_attempt(CCDAttempt(
        core_beliefs=("bad/dangerous/toxic", "a failure"),
        emotions=("guilty", "ashamed/embarrassed"),
        automatic_thoughts="She is building a case to leave."), profile)
    assert at.metric[0].value == f"{expected.overall:.0%}"
    rows = at.dataframe[0].value
    beliefs = rows[rows["field"] == "Core beliefs"].iloc[0]
    assert beliefs["ground truth"] == "bound to be abandoned, bad/dangerous/toxic"
    # {bad} of {a failure, bad, abandoned}
    assert beliefs["score"] == pytest.approx(1 / 3, abs=1e-3)
    with Store(empty_store) as store:
        annotations = store.annotations(stored(empty_store, at).id)
    assert {a.rubric for a in annotations} == {RUBRIC}
    assert {a.annotator for a in annotations} == {"human:alice"}
    values = {a.item: a.value for a in annotations}
    assert values["core_beliefs"] == ["a failure", "bad/dangerous/toxic"]
    assert values["scores"]["overall"] == pytest.approx(expected.overall)


def test_unreachable_server_says_how_to_fix_and_stores_nothing(app_env, empty_store) -> None:
    at = start(app_env, empty_store, None)  # OLLAMA_HOST: a port nobody listens on
    assert not at.exception
    assert "ollama serve" in at.code[0].value
    assert "trainer_conversation" not in at.session_state
    with Store(empty_store) as store:
        assert store.stats().conversations == 0


def test_model_not_pulled_says_how_to_pull(app_env, empty_store, server) -> None:
    at = start(app_env, empty_store, server.url, model="ollama/mistral:7b")
    assert "ollama pull mistral:7b" in at.code[0].value
    assert "trainer_conversation" not in at.session_state


def test_failed_reply_keeps_the_message_and_can_be_asked_again(
        app_env, empty_store, server) -> None:
    at = start(app_env, empty_store, server.url)
    server.fail_next("not_found")
    at.chat_input(key="trainer_input").set_value("How are you feeling?").run()
    assert not at.exception
    assert "ollama pull" in at.error[0].value and "stored" in at.error[0].value
    assert [t.role for t in stored(empty_store, at).turns] == ["clinician"]
    at.run()
    assert at.chat_input(key="trainer_input").disabled
    at.button[0].click().run()  # "Get the patient's reply"
    assert not at.exception
    assert [t.role for t in stored(empty_store, at).turns] == ["clinician", "patient"]
    assert not at.chat_input(key="trainer_input").disabled


def test_reassurance_eases_confusion_like_the_engine(app_env, empty_store, server) -> None:
    at = start(app_env, empty_store, server.url, scenario="ed_consult",
               persona="ed_uti_02-plain-B-high-high")
    for line in ("Don't worry, you're safe here.", "Take your time, what happened?"):
        at.chat_input(key="trainer_input").set_value(line).run()
    turns = stored(empty_store, at).turns
    assert turns[2].state["level_changes"] == {"confusion": ["high", "moderate"]}
    assert turns[3].state["levels"]["confusion"] == "moderate"
    assert [c.name for c in at.chat_message][:2] == ["doctor", "patient"]


def test_injected_reply_is_shown_as_text(app_env, empty_store, server) -> None:
    server.configure(inject=INJECTION)
    at = start(app_env, empty_store, server.url)
    at.chat_input(key="trainer_input").set_value("Hello").run()
    reply = stored(empty_store, at).turns[1].text
    assert INJECTION in reply and reply in [t.value for t in at.text]
    assert not any("<img" in m.value or "![x](" in m.value for m in at.markdown)


def test_asks_for_a_name_when_none_is_set(app_env, empty_store) -> None:
    app_env(empty_store)
    at = AppTest.from_file(page("trainer"), default_timeout=30).run()
    assert "Enter your name" in at.info[0].value
    at.text_input(key="trainer_name").set_value("Bo").run()
    assert not at.info and at.button(key="trainer_start")


def test_without_ollama_the_embedded_model_is_the_default_with_its_caveat(
    app_env, empty_store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("workbench.backends.local.embedded_missing", lambda: None)
    app_env(empty_store, ollama=None, annotator="alice")
    at = AppTest.from_file(page("trainer"), default_timeout=30).run()
    assert not at.exception
    assert at.text_input(key="trainer_model").value == "local/smollm2"
    assert any("tiny" in i.value and "ollama pull" in i.value for i in at.info)
