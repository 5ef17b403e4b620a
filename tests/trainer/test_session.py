"""Trainer sessions against the Ollama-API test server: storage, streaming, errors, end rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import OllamaTestServer
from workbench.backends import BackendUnreachable, ModelNotFound
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.simulate.conversation import ConversationPlan
from workbench.store import Store
from workbench.trainer import (
    TRAINER_MAX_TURNS,
    finish_session,
    reply_stream,
    session_state,
    sessions_of,
    start_session,
)

MODEL = "ollama/llama3.2:1b"
PERSONA = "cbt_kofi-plain"


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(stream_chunk_words=1) as srv:
        yield srv


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "s.db") as s:
        yield s


@pytest.fixture(scope="module")
def library() -> Library:
    return Library(PROJECT_ROOT / "personas")


def start(store: Store, library: Library, server: OllamaTestServer, **levels: str) -> str:
    return start_session(store, library, PERSONA, levels, MODEL, " ana ", hosts=[server.url])


def test_start_stores_a_running_conversation_without_a_run(store, library, server) -> None:
    cid = start(store, library, server, conversational_style="tangent")
    t = store.get_transcript(cid)
    assert (t.clinician, t.run_id, t.status, t.source) == ("human:ana", None, "running",
                                                           "simulated")
    assert t.levels == {"conversational_style": "tangent"} and t.persona_id == PERSONA
    assert t.patient_prompt and t.patient_template_hash and t.clinician_prompt is None
    assert store.get_persona(t.persona_hash).levels == {"conversational_style": "tangent"}
    plan = ConversationPlan.model_validate(t.metadata["plan"])
    assert plan.opening_line is None and plan.max_turns == TRAINER_MAX_TURNS
    assert session_state(t) == ("clinician", None)
    assert [s.id for s in sessions_of(store, "ana")] == [cid] and not sessions_of(store, "bo")


def test_missing_model_writes_nothing(store, library, server) -> None:
    with pytest.raises(ModelNotFound, match="ollama pull absent:1b"):
        start_session(store, library, PERSONA, {}, "ollama/absent:1b", "ana", hosts=[server.url])
    assert (store.stats().conversations, store.stats().personas) == (0, 0)


def test_unreachable_server_writes_nothing(store, library, server) -> None:
    url = server.url
    server.stop()
    with pytest.raises(BackendUnreachable, match="ollama serve"):
        start_session(store, library, PERSONA, {}, MODEL, "ana", hosts=[url])
    assert store.stats().conversations == 0


def test_reply_streams_in_pieces_and_both_turns_are_stored(store, library, server) -> None:
    cid = start(store, library, server)
    pieces = list(reply_stream(store, cid, "  What brings you here?  ", hosts=[server.url]))
    assert len(pieces) > 1
    clinician, patient = store.get_transcript(cid).turns
    assert clinician.text == "What brings you here?" and clinician.latency_s is None
    assert patient.text == "".join(pieces) and patient.latency_s > 0
    assert patient.state["levels"] == {"conversational_style": "plain"}
    assert patient.state["sentences"] >= 1 and patient.state["sentence_cap"] == 4
    sent = server.last_request()["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[1]["content"] == "What brings you here?"


def test_leaving_mid_reply_keeps_the_message_and_the_reply_can_be_asked_again(
        store, library, server) -> None:
    cid = start(store, library, server)
    server.configure(latency=2.0)  # spread over the pieces, so the reply is still coming
    stream = reply_stream(store, cid, "Hello", hosts=[server.url])
    next(stream)
    stream.close()  # the reader left: the model call is cancelled
    t = store.get_transcript(cid)
    assert [turn.role for turn in t.turns] == ["clinician"]
    assert session_state(t).next_role == "patient"
    server.configure(latency=0.0)
    text = "".join(reply_stream(store, cid, None, hosts=[server.url]))
    t = store.get_transcript(cid)
    assert [turn.role for turn in t.turns] == ["clinician", "patient"] and t.turns[1].text == text


def test_model_error_surfaces_from_the_stream(store, library, server) -> None:
    cid = start(store, library, server)
    server.fail_next("not_found")
    with pytest.raises(ModelNotFound):
        list(reply_stream(store, cid, "Hello", hosts=[server.url]))
    assert len(store.get_transcript(cid).turns) == 1


def test_closing_marker_ends_the_session_without_a_reply(store, library, server) -> None:
    cid = start(store, library, server)
    chats = server.stats().chat_requests
    assert list(reply_stream(store, cid, "Let's stop here. [END]", hosts=[server.url])) == []
    t = store.get_transcript(cid)
    assert t.status == "done" and t.turns[0].text == "Let's stop here."
    assert session_state(t) == (None, "marker")
    assert server.stats().chat_requests == chats


def test_finished_session_takes_no_more_turns(store, library, server) -> None:
    cid = start(store, library, server)
    finish_session(store, cid)
    assert session_state(store.get_transcript(cid)) == (None, None)
