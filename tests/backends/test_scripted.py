"""The scripted interviewer: question i at turn i, then ScriptExhausted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workbench.backends import (
    BackendError,
    ScriptedBackend,
    ScriptExhausted,
    get_backend,
    is_transient,
)

QUESTIONS = ["What brings you in today?", "When did it start?", "Anything else?"]


def conversation(turns: int) -> list[dict[str, str]]:
    """System prompt, then ``turns`` clinician (assistant) / patient (user) exchanges."""
    messages = [{"role": "system", "content": "You are the clinician."}]
    for i in range(turns):
        messages += [{"role": "assistant", "content": QUESTIONS[i]},
                     {"role": "user", "content": f"answer {i}"}]
    return messages


async def test_asks_the_questions_in_order_then_is_exhausted():
    backend = ScriptedBackend("intake", QUESTIONS)
    asked = [(await backend.chat(conversation(i))).text for i in range(len(QUESTIONS))]
    assert asked == QUESTIONS
    with pytest.raises(ScriptExhausted) as caught:
        await backend.chat(conversation(len(QUESTIONS)))
    assert caught.value.asked == 3
    assert "intake" in str(caught.value)
    assert not is_transient(caught.value)


async def test_is_stateless_across_conversations():
    backend = ScriptedBackend("intake", QUESTIONS)
    assert (await backend.chat(conversation(2))).text == QUESTIONS[2]
    assert (await backend.chat(conversation(0))).text == QUESTIONS[0]
    assert backend.remaining(conversation(1)) == 2
    assert backend.remaining(conversation(3)) == 0


async def test_reply_fields_and_default_stream():
    backend = ScriptedBackend("intake", QUESTIONS)
    reply = await backend.chat(conversation(1))
    assert (reply.model, reply.host, reply.prompt_tokens) == ("intake", None, None)
    assert [p async for p in backend.stream(conversation(1))] == [QUESTIONS[1]]
    assert backend.name == "scripted/intake"
    await backend.check()


def test_factory_uses_the_script_loader():
    seen = []

    def loader(name: str) -> list[str]:
        seen.append(name)
        return QUESTIONS

    backend = get_backend("scripted/ed_intake", script_loader=loader)
    assert seen == ["ed_intake"]
    assert isinstance(backend, ScriptedBackend) and backend.questions == tuple(QUESTIONS)


def test_factory_accepts_a_loader_returning_a_script_object():
    backend = get_backend("scripted/x", script_loader=lambda name: SimpleNamespace(
        id=name, questions=QUESTIONS[:1]))
    assert backend.questions == (QUESTIONS[0],)


def test_an_empty_script_names_its_file():
    with pytest.raises(BackendError, match=r"personas/scripts/blank\.yaml"):
        get_backend("scripted/blank", script_loader=lambda name: [])


def test_default_loader_reads_personas_scripts(tmp_path, monkeypatch):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "intake.yaml").write_text(
        "id: intake\nlabel: Intake\nscenario: ed_consult\nquestions:\n"
        "  - What brings you in today?\n  - When did it start?\n")
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(tmp_path))
    assert get_backend("scripted/intake").questions == (
        "What brings you in today?", "When did it start?")
