"""The conversation loop on its own: views, end rules, per-turn state, resumption."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from workbench.backends import Reply, ScriptedBackend
from workbench.domain.transcript import Turn
from workbench.library import Library
from workbench.simulate import Conversation, ConversationPlan
from workbench.simulate.conversation import state_key
from workbench.simulate.plan import prepare_persona

CONFUSED = "ed_uti_02-plain-B-high-high"


def _reply(text: str) -> Reply:
    return Reply(text=text, latency_s=0.01, prompt_tokens=10, completion_tokens=5, model="fake")


class Side:
    """A fake model whose reply depends only on what it is shown (like the test server)."""

    def __init__(self, name: str, lines: Sequence[str] | None = None) -> None:
        self.name, self.lines, self.seen = name, lines, []

    async def __call__(self, messages: list[dict[str, str]]) -> Reply:
        self.seen.append([dict(m) for m in messages])
        n = sum(m["role"] == "assistant" for m in messages)
        if self.lines is not None:
            return _reply(self.lines[n % len(self.lines)])
        return _reply(f"{self.name} line {n}. It is a test.")


def _plan(**overrides: Any) -> ConversationPlan:
    fields: dict[str, Any] = {
        "sample": 0, "max_turns": 30, "opener": "clinician",
        "opening_line": "Hello, what brings you in?", "end_marker": "[END]",
        "persona_levels": {"personality": "plain"},
        "patient_prompts": {"": "PATIENT PROMPT"}, "sentence_caps": {"": 3},
    }
    fields.update(overrides)
    return ConversationPlan(**fields)


def _conversation(plan: ConversationPlan, patient: Side, clinician: Side,
                  turns: list[Turn], **kwargs: Any) -> Conversation:
    return Conversation(plan, "CLINICIAN PROMPT", ask_patient=patient, ask_clinician=clinician,
                        emit=turns.append, **kwargs)


async def test_each_side_sees_its_own_turns_as_assistant_and_the_marker_ends() -> None:
    turns: list[Turn] = []
    patient = Side("patient")
    # Indexed by the clinician's own turns so far; the fixed opening line is turn 0.
    clinician = Side("clinician", ["(opening)", "How long?", "Thank you, that is all. [END]"])
    outcome = await _conversation(_plan(), patient, clinician, turns).run()

    assert outcome == ("marker", 5)
    assert [t.role for t in turns] == ["clinician", "patient", "clinician", "patient", "clinician"]
    assert turns[0].text == "Hello, what brings you in?" and turns[0].latency_s is None
    assert turns[-1].text == "Thank you, that is all." and turns[-1].state["ended_by"] == "marker"
    # The patient's model: its system prompt, the clinician as user, itself as assistant.
    assert patient.seen[-1] == [
        {"role": "system", "content": "PATIENT PROMPT"},
        {"role": "user", "content": "Hello, what brings you in?"},
        {"role": "assistant", "content": "patient line 0. It is a test."},
        {"role": "user", "content": "How long?"},
    ]
    # The clinician's model: the mirror image (the fixed opening line counts as its own).
    assert [m["role"] for m in clinician.seen[-1]] == [
        "system", "assistant", "user", "assistant", "user"]
    assert clinician.seen[-1][0]["content"] == "CLINICIAN PROMPT"
    assert turns[1].state == {"levels": {"personality": "plain"}, "sentences": 2,
                              "sentence_cap": 3, "over_cap": False}
    assert turns[1].prompt_tokens == 10 and turns[1].completion_tokens == 5


async def test_the_turn_limit_ends_and_is_recorded_on_the_last_turn() -> None:
    turns: list[Turn] = []
    outcome = await _conversation(_plan(max_turns=5), Side("p"), Side("c"), turns).run()
    assert outcome == ("limit", 5)
    assert turns[-1].state["ended_by"] == "limit"
    assert all("ended_by" not in t.state for t in turns[:-1])


async def test_a_long_reply_is_measured_against_the_cap() -> None:
    turns: list[Turn] = []
    chatty = Side("p", ["One. Two. Three. Four. Five"])
    await _conversation(_plan(max_turns=2), chatty, Side("c"), turns).run()
    assert turns[1].state["sentences"] == 5 and turns[1].state["over_cap"] is True


async def test_a_patient_may_open() -> None:
    turns: list[Turn] = []
    patient = Side("p")
    await _conversation(_plan(opener="patient", max_turns=3), patient, Side("c"), turns).run()
    assert [t.role for t in turns] == ["patient", "clinician", "patient"]
    assert patient.seen[0] == [{"role": "system", "content": "PATIENT PROMPT"}]


@pytest.mark.parametrize("stored", range(9))
async def test_resuming_from_any_turn_gives_the_same_conversation(stored: int) -> None:
    plan = _plan(max_turns=9, opening_line=None)
    full: list[Turn] = []
    await _conversation(plan, Side("p"), Side("c"), full).run()

    resumed: list[Turn] = list(full[:stored])
    loop = _conversation(plan, Side("p"), Side("c"), resumed)
    assert loop.replay(full[:stored]) is None
    await loop.run()
    strip = {"created_at", "latency_s"}
    assert [t.model_dump(exclude=strip) for t in resumed] == [
        t.model_dump(exclude=strip) for t in full]


async def test_replaying_a_finished_conversation_reports_how_it_ended() -> None:
    turns: list[Turn] = []
    plan = _plan()
    await _conversation(plan, Side("p"), Side("c", ["Bye [END]"]), turns).run()
    assert _conversation(plan, Side("p"), Side("c"), []).replay(turns) == "marker"


def test_replay_refuses_turns_that_do_not_continue_the_conversation() -> None:
    loop = _conversation(_plan(), Side("p"), Side("c"), [])
    with pytest.raises(ValueError, match="does not continue"):
        loop.replay([Turn(index=0, role="patient", text="hi")])


async def test_a_script_ends_the_conversation_when_its_questions_run_out() -> None:
    script = ScriptedBackend("three", ["Q1?", "Q2?", "Q3?"])
    turns: list[Turn] = []
    loop = _conversation(_plan(), Side("p"), script.chat, turns,  # type: ignore[arg-type]
                         script_remaining=script.remaining)
    outcome = await loop.run()
    assert outcome == ("script", 6)
    # The script asks its own first question: the scenario's opening line is not used.
    assert [t.text for t in turns if t.role == "clinician"] == ["Q1?", "Q2?", "Q3?"]
    assert turns[-1].role == "patient" and turns[-1].state["ended_by"] == "script"

    # Without a count of what is left, the script's exhaustion still ends it (one call later).
    turns.clear()
    loop = _conversation(_plan(), Side("p"), script.chat, turns)  # type: ignore[arg-type]
    assert await loop.run() == ("script", 6)


async def test_confusion_eases_with_reassurance_and_the_patient_prompt_follows(
    library: Library,
) -> None:
    prepared = prepare_persona(library, CONFUSED, {})
    plan = ConversationPlan(
        sample=0, max_turns=12, opener="clinician", end_marker="[END]",
        persona_levels=dict(prepared.resolved.persona.levels),
        scheduled_axes={"confusion": prepared.resolved.axes["confusion"]},
        patient_prompts=prepared.patient_prompts, sentence_caps=prepared.sentence_caps,
    )
    assert set(plan.patient_prompts) == {
        "confusion=high", "confusion=moderate", "confusion=normal"}
    reassuring = Side("c", ["Don't worry, you're safe. What happened?"])
    patient = Side("p")
    turns: list[Turn] = []
    await _conversation(plan, patient, reassuring, turns).run()

    levels = [t.state["levels"]["confusion"] for t in turns if t.role == "patient"]
    assert levels == ["high", "moderate", "moderate", "normal", "normal", "normal"]
    # Two reassurances per step (after_turns: 2); the turn that moved the level says so.
    assert turns[2].state["level_changes"] == {"confusion": ["high", "moderate"]}
    assert turns[6].state["level_changes"] == {"confusion": ["moderate", "normal"]}
    prompts = [seen[0]["content"] for seen in patient.seen]
    expected = [plan.patient_prompts[state_key({"confusion": lvl})] for lvl in levels]
    assert prompts == expected and len(set(prompts)) == 3
    # A resumed conversation rebuilds the state from the stored clinician turns.
    loop = _conversation(plan, Side("p"), reassuring, [])
    loop.replay(turns[:5])
    assert loop.state.levels == {"confusion": "moderate"}


def test_patient_options_bound_the_reply_by_the_loosest_sentence_cap():
    from workbench.backends import ChatOptions
    from workbench.simulate.conversation import reply_token_limit

    plan = _plan(patient_prompts={"a": "A", "b": "B"}, sentence_caps={"a": 2, "b": 5})
    options = ChatOptions(temperature=0.7, seed=3)
    bounded = plan.patient_options(options)
    assert bounded.num_predict == reply_token_limit(5) > reply_token_limit(2) > 2
    assert bounded.model_copy(update={"num_predict": None}) == options  # nothing else changes
    assert plan.patient_options(ChatOptions(num_predict=16)).num_predict == 16  # smaller wins
    assert plan.patient_options(ChatOptions(num_predict=10_000)).num_predict == bounded.num_predict
    uncapped = _plan(patient_prompts={"a": "A", "b": "B"}, sentence_caps={"a": 2, "b": None})
    assert uncapped.patient_options(options) is options  # a state without a cap: no bound


async def test_the_engine_sends_the_patients_token_limit(tmp_path, make_server):
    from workbench.simulate import RunConfig, execute_run, plan_run
    from workbench.simulate.conversation import reply_token_limit
    from workbench.store import Store

    server = make_server()
    library = Library(Library().root)
    with Store(tmp_path / "s.db") as store:
        run = plan_run(store, library, RunConfig(
            personas=[CONFUSED], patient_model="ollama/llama3.2:1b",
            clinician="scripted/ed_intake", max_turns=4, hosts=[server.url]))
        (conv,) = store.conversations_of_run(run.id)
    await execute_run(tmp_path / "s.db", run.id)
    plan = ConversationPlan.model_validate(conv.metadata["plan"])
    expected = reply_token_limit(max(plan.sentence_caps.values()))
    sent = [r["options"].get("num_predict") for r in server.requests("/api/chat")]
    assert sent and set(sent) == {expected}
