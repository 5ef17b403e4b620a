"""Questionnaire fidelity: a simulated patient answers PHQ-9 / GAD-7 / Mini-IPIP items in
character through
the real Ollama client against the Ollama-API test server; answers parsed and compared."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support import OllamaTestServer
from workbench.analysis import questionnaire_fidelity as qf
from workbench.backends import OllamaBackend
from workbench.domain.questionnaires import LIKERT_OPTIONS, MINI_IPIP_ITEMS, PHQ9_ITEMS
from workbench.domain.transcript import Turn
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.store import NewConversation, Store

PERSONA = "cbt_priya-verbose"
INTENDED_PHQ9 = [1, 1, 2, 1, 1, 1, 1, 0, 0]  # personas/profiles/cbt/cbt_priya.yaml
INTENDED_MINI_IPIP = [2, 4, 5, 3, 4, 3, 2, 1, 1, 2, 3, 4, 5, 5, 1, 3, 2, 1, 1, 2]  # same file


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("2", 2), ("I'd say 1.", 1), ("2 - more than half the days", 2),
        ("Nearly every day, honestly.", 3), ("Not at all, no.", 0), ("Several days. 1", 1),
        ("three", 3), ("1 or 2", None), ("my pain is 2/10", None), ("about 3 out of 10", None),
        ("1.5", None), ("I'd rather not say.", None), ("one or two days", None),
    ],
)
def test_parse_answer(reply: str, answer: int | None) -> None:
    assert qf.parse_answer(reply) == answer


def test_compare_answers_errors_and_bands() -> None:
    replies = ["0", "3", "2", "1", "1", "1", "1", "0", "pass"]
    result = qf.compare_answers("c1", "phq9", replies, INTENDED_PHQ9)
    assert result.answers == [0, 3, 2, 1, 1, 1, 1, 0, None]
    assert result.abs_errors == [1, 2, 0, 0, 0, 0, 0, 0, None]
    assert result.mean_abs_error == pytest.approx(3 / 8)
    assert result.intended_band == "mild"  # total 8
    assert result.answered_band is None and result.band_agrees is None  # item 9 unparsed
    full = qf.compare_answers("c1", "phq9", ["3", "3", "3", "1", "1", "1", "1", "0", "0"],
                              INTENDED_PHQ9)
    assert full.answered_band == "moderate" and full.band_agrees is False  # total 13 vs 8
    with pytest.raises(ValueError, match="phq9 has 9 items"):
        qf.compare_answers("c1", "phq9", ["1"], INTENDED_PHQ9)


def stored_conversation(path: Path, persona: str | None = PERSONA) -> str:
    """A finished conversation of a shipped persona (or of none)."""
    resolved = Library(PROJECT_ROOT / "personas").resolve(persona) if persona else None
    prompt = "You are Priya, a client in a CBT session. Stay in character."
    with Store(path) as store:
        persona_hash = store.upsert_persona(resolved) if resolved else None
        (conv_id,) = store.add_conversations([NewConversation(
            persona_hash=persona_hash, persona_id=persona, scenario="cbt_session",
            patient_model="ollama/llama3.2:1b", status="done", patient_prompt=prompt)])
        store.append_turns_bulk([
            (conv_id, Turn(index=0, role="clinician", text="How has your week been?")),
            (conv_id, Turn(index=1, role="patient", text="Tiring. I keep worrying about work.")),
        ])
    return conv_id


def test_the_patient_answers_each_item_in_character(tmp_path: Path) -> None:
    answers = {item: f"I'd say {a}, honestly." for item, a in zip(PHQ9_ITEMS, INTENDED_PHQ9)}
    answers[PHQ9_ITEMS[2]] = "Nearly every day."  # intended 2: error 1, total 9 still mild (5-9)

    def reply(body: dict) -> str:
        question = body["messages"][-1]["content"]
        return next(text for item, text in answers.items() if item in question)

    path = tmp_path / "store.db"
    conv_id = stored_conversation(path)
    with OllamaTestServer(reply_fn=reply) as server, Store(path) as store:
        backend = OllamaBackend("llama3.2:1b", host=server.url)
        result = asyncio.run(qf.questionnaire_fidelity(store, conv_id, backend, "phq9"))
        sent = server.requests("/api/chat")
    assert result.answers == [1, 1, 3, 1, 1, 1, 1, 0, 0]
    assert result.abs_errors == [0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert result.mean_abs_error == pytest.approx(1 / 9)
    assert result.intended_band == result.answered_band == "mild" and result.band_agrees
    # Same persona and context: the stored prompt first, the conversation, then one item.
    first = sent[0]["messages"]
    assert first[0] == {"role": "system", "content": "You are Priya, a client in a CBT session. "
                        "Stay in character."}
    assert [m["role"] for m in first[1:]] == ["user", "assistant", "user"]
    assert PHQ9_ITEMS[0] in first[-1]["content"] and len(sent) == 9


def test_missing_persona_or_intended_answers_are_named(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    no_persona = stored_conversation(path, None)
    ed = stored_conversation(path, "ed_pneumonia_01-verbose-B-high-normal")
    backend = OllamaBackend("llama3.2:1b", host="http://127.0.0.1:9")  # never called
    with Store(path) as store:
        with pytest.raises(ValueError, match="has no stored persona"):
            asyncio.run(qf.questionnaire_fidelity(store, no_persona, backend))
        with pytest.raises(ValueError, match="has no intended gad7 answers: add "
                           "questionnaires.gad7.items"):
            asyncio.run(qf.questionnaire_fidelity(store, ed, backend, "gad7"))


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("4", 4), ("5 - very accurate", 5), ("Moderately accurate, I suppose.", 4),
        ("Very inaccurate. That's not me.", 1), ("Moderately inaccurate", 2),
        ("Neither accurate nor inaccurate, really.", 3), ("I'd say a 2.", 2), ("four", 4),
        ("4 out of 5", 4), ("4/5", 4), ("3 or 4", None), ("0", None), ("6", None), ("3/10", None),
        ("2.5", None), ("Not very accurate, no.", None), ("Hard to say.", None),
    ],
)
def test_parse_likert(reply: str, answer: int | None) -> None:
    assert qf.parse_likert(reply) == answer


def test_mini_ipip_question_names_the_item_and_the_five_options() -> None:
    question = qf.item_question("mini_ipip", 5)
    assert MINI_IPIP_ITEMS[5][0] in question and "how accurately does this describe you" in question
    assert "1 = Very inaccurate" in question and "5 = Very accurate" in question


def test_the_patient_answers_the_mini_ipip_in_character(tmp_path: Path) -> None:
    # Priya's intended factor scores (reverse-keyed items 6 7 8 9 10 15 16 17 18 19 20 as 6 - a):
    # extraversion 2+(6-3)+3+(6-3) = 11 medium; agreeableness 4+4+4+4 = 16 high;
    # conscientiousness 5+5+5+5 = 20 high; neuroticism 3+5+5+5 = 18 high; intellect 4+4+5+4 = 17.
    replies = [f"{LIKERT_OPTIONS[a - 1]}, I think." if n % 2 else f"I'd say {a}."
               for n, a in enumerate(INTENDED_MINI_IPIP)]
    replies[4] = "I'd rather not say."  # intellect, intended 4: unparsed
    replies[5] = "5 - very accurate."  # "Don't talk a lot", reversed, intended 3: scores 1
    replies[7] = "Very accurate, honestly."  # conscientiousness reversed, intended 1: scores 1
    answers = {text: reply for (text, _, _), reply in zip(MINI_IPIP_ITEMS, replies)}

    def reply(body: dict) -> str:
        question = body["messages"][-1]["content"]
        return next(text for item, text in answers.items() if item in question)

    path = tmp_path / "store.db"
    conv_id = stored_conversation(path)
    with OllamaTestServer(reply_fn=reply) as server, Store(path) as store:
        backend = OllamaBackend("llama3.2:1b", host=server.url)
        result = asyncio.run(qf.questionnaire_fidelity(store, conv_id, backend, "mini_ipip"))
        assert len(server.requests("/api/chat")) == 20
    expected = [*INTENDED_MINI_IPIP]
    expected[4], expected[5], expected[7] = None, 5, 5
    assert result.answers == expected and result.intended == INTENDED_MINI_IPIP
    assert result.abs_errors == [0, 0, 0, 0, None, 2, 0, 4, *[0] * 12]
    assert result.mean_abs_error == pytest.approx(6 / 19)
    assert result.intended_band is result.answered_band is result.band_agrees is None
    factors = {f.factor: f for f in result.factors}
    # Extraversion: 2 + (6-5) + 3 + (6-3) = 9, low: reverse keying moved it down by 2 (unflipped,
    # 5 would have raised it to 13 and kept it medium).
    e = factors["extraversion"]
    assert (e.intended_score, e.answered_score, e.score_error) == (11, 9, 2)
    assert (e.intended_level, e.answered_level, e.level_agrees) == ("medium", "low", False)
    # Conscientiousness: 5 + (6-5) + 5 + 5 = 16, still high.
    c = factors["conscientiousness"]
    assert (c.intended_score, c.answered_score, c.score_error, c.level_agrees) == (20, 16, 4, True)
    for name, score in (("agreeableness", 16), ("neuroticism", 18)):
        f = factors[name]
        assert (f.intended_score, f.answered_score, f.score_error) == (score, score, 0)
        assert f.intended_level == f.answered_level == "high" and f.level_agrees
    i = factors["intellect"]  # item 5 unanswered: no answered score or level
    assert (i.intended_score, i.intended_level) == (17, "high")
    assert i.answered_score is i.score_error is i.answered_level is i.level_agrees is None


def test_missing_intended_mini_ipip_names_the_persona(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    ed = stored_conversation(path, "ed_pneumonia_01-verbose-B-high-normal")
    backend = OllamaBackend("llama3.2:1b", host="http://127.0.0.1:9")  # never called
    with Store(path) as store, pytest.raises(
            ValueError, match="persona ed_pneumonia_01-verbose-B-high-normal has no intended "
            "mini_ipip answers: add questionnaires.mini_ipip.items"):
        asyncio.run(qf.questionnaire_fidelity(store, ed, backend, "mini_ipip"))
