"""Emotional arcs end to end: a scripted therapist against the test server, one run per arc
template; the stored per-turn states follow the rules and replay identically on resume."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.simulate.conftest import assert_well_formed, transcripts
from tests.support.ollama_server import OllamaTestServer
from workbench.backends import Reply
from workbench.domain.affect import AffectPlan, AffectState, state_text_key
from workbench.simulate import Conversation, execute_run, resume_run, stored_plan
from workbench.store import Store

PERSONA = "cbt_daniel-pleasing"  # Daniel's first situation starts with anxious/worried
ANX, HURT, ANGRY = "anxious/worried", "hurt", "angry/frustrated"
SCRIPT = """\
id: arc_probe
label: Arc probe (tests)
scenario: cbt_session
questions:
  - "Hello, thanks for coming in. What brings you here today?"
  - "That sounds really hard. How have you been sleeping?"
  - "I can see how much this weighs on you. What went through your mind?"
  - "But you said it was fine before. Are you sure that's true?"
  - "Take your time. How did that feel?"
  - "I understand. What happened next?"
  - "Do you drink?"
  - "Did that help?"
"""
ACTS = ["open_question", "empathy", "empathy", "confrontation", "reassurance", "empathy",
        "closed_question", "closed_question"]
# Worked by hand from personas/axes/arc.yaml: the state each patient turn was written under.
EXPECTED: dict[str, list[tuple[str, int]]] = {
    "steady": [(ANX, 2)] * 8,
    "gradual_opening": [(ANX, 3), (ANX, 2), (ANX, 2), (ANX, 2), (ANX, 1), (ANX, 1), (ANX, 1),
                        (ANX, 1)],
    "relapse": [(ANX, 3), (ANX, 2), (ANX, 2), (HURT, 3), (HURT, 2), (HURT, 2), (HURT, 2),
                (HURT, 2)],
    "escalation": [(ANX, 1), (ANX, 1), (ANX, 1), (ANGRY, 2), (ANGRY, 3), (ANGRY, 3), (ANGRY, 3),
                   (ANGRY, 3)],
    "ambivalent": [(ANX, 1), ("neutral", 0), (ANX, 1), (ANX, 1), (ANX, 1), (ANX, 1), (ANX, 1),
                   (ANX, 1)],
}
CHAIN_STEPS = [0, 1, 1, 1, 2, 2, 2, 2]  # gradual opening: a step per two earning turns


@pytest.fixture
def probe(library_root: Path) -> str:
    (library_root / "scripts" / "arc_probe.yaml").write_text(SCRIPT)
    return "scripted/arc_probe"


async def test_each_arc_template_moves_the_emotion_as_its_rules_say(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], store_path: Path,
    probe: str,
) -> None:
    server = make_server()
    for arc, expected in EXPECTED.items():
        run_id = plan(personas=[PERSONA], clinician=probe, hosts=[server.url],
                      levels={"arc": arc})
        await execute_run(store_path, run_id)
        (conv,) = transcripts(store_path, run_id)
        assert conv.status == "done", arc
        assert_well_formed(conv)
        acts = [t.state["act"]["act"] for t in conv.turns if t.role == "clinician"]
        assert acts == ACTS, arc
        felt = [(t.state["affect"]["emotion"], t.state["affect"]["intensity"])
                for t in conv.turns if t.role == "patient"]
        assert felt == expected, arc
        # The state each patient turn was written under is the one its prompt carried.
        affect = AffectPlan.model_validate(conv.metadata["plan"]["affect"])
        systems = [r["messages"][0]["content"] for r in server.requests("/api/chat")][-8:]
        steps = [t.state["affect"].get("chain_step", 0) for t in conv.turns if t.role == "patient"]
        for system, (emotion, intensity), step in zip(systems, felt, steps, strict=True):
            assert system.startswith(conv.patient_prompt)
            assert system.endswith(affect.texts[state_text_key(emotion, intensity, step)])
        if arc == "gradual_opening":
            assert steps == CHAIN_STEPS
            assert "Keep these for later" in systems[0] and "Keep these" in systems[-1]


def test_an_arc_is_refused_for_an_unknown_level(plan: Callable[..., str], probe: str) -> None:
    with pytest.raises(Exception, match="unknown level 'sideways'"):
        plan(personas=[PERSONA], clinician=probe, levels={"arc": "sideways"})


async def test_stored_states_replay_identically_on_resume(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], store_path: Path,
    probe: str,
) -> None:
    server = make_server(latency=0.05)
    whole = plan(personas=[PERSONA], clinician=probe, hosts=[server.url], levels={"arc": "relapse"})
    await execute_run(store_path, whole)
    cut = plan(personas=[PERSONA], clinician=probe, hosts=[server.url], levels={"arc": "relapse"})
    task = asyncio.create_task(execute_run(store_path, cut, poll_s=0.02))
    with Store(store_path) as store:
        while store.run_progress(cut).total_turns < 7:  # past the confrontation
            await asyncio.sleep(0.01)
        store.request_cancel(cut)
    await asyncio.wait_for(task, 30)
    (interrupted,) = transcripts(store_path, cut)
    assert interrupted.status == "cancelled" and 7 <= len(interrupted.turns) < 16
    await resume_run(store_path, cut)
    (done,) = transcripts(store_path, cut)
    (reference,) = transcripts(store_path, whole)
    assert done.status == "done"
    assert [t.state for t in done.turns] == [t.state for t in reference.turns]
    assert [t.text for t in done.turns] == [t.text for t in reference.turns]


async def test_replaying_stored_turns_rebuilds_the_state_they_record(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], store_path: Path,
    probe: str,
) -> None:
    server = make_server()
    run_id = plan(personas=[PERSONA], clinician=probe, hosts=[server.url],
                  levels={"arc": "escalation"})
    await execute_run(store_path, run_id)
    (conv,) = transcripts(store_path, run_id)
    with Store(store_path) as store:
        conv_plan = stored_plan(store, conv)
    for k in range(1, len(conv.turns) + 1):
        loop = Conversation(conv_plan, "", ask_patient=_never, ask_clinician=_never,
                            emit=lambda t: None)
        loop.replay(conv.turns[:k])
        last_patient = next((t for t in reversed(conv.turns[:k + 1]) if t.role == "patient"
                             and t.index >= k), None)
        if last_patient is not None:  # the next patient turn was written under this state
            assert isinstance(loop.affect, AffectState)
            assert loop.affect.record() == last_patient.state["affect"]


async def _never(messages: list[dict[str, str]]) -> Reply:
    raise AssertionError("replay must not call a model")


async def test_arc_metrics_group_a_run_by_arc_template(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], store_path: Path,
    probe: str,
) -> None:
    from workbench.views.arcs import arc_results

    server = make_server()
    run_ids = []
    for arc in ("steady", "relapse"):
        run_ids.append(plan(personas=[PERSONA], clinician=probe, hosts=[server.url],
                            levels={"arc": arc}))
        await execute_run(store_path, run_ids[-1])
    with Store(store_path) as store:
        results = arc_results(store, run_ids, by="level:arc")
    assert [g.name for g in results.groups] == ["arc=steady", "arc=relapse"]
    assert all(g.n_conversations == 1 and len(g.arcs[0].scores) == 8 for g in results.groups)


async def test_a_configured_model_names_the_acts_and_resume_does_not_ask_it_again(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], store_path: Path,
    probe: str, library_root: Path, tmp_path: Path,
) -> None:
    import shutil

    from tests.support.replies import patient_reply
    from workbench.library import Library
    from workbench.simulate import RunConfig, plan_run

    root = tmp_path / "personas"
    shutil.copytree(library_root, root)
    arc_file = root / "axes" / "arc.yaml"
    arc_file.write_text(arc_file.read_text().replace(
        "acts:\n  fallback: statement", "acts:\n  model: ollama/qwen2.5:0.5b\n  fallback: statement"))

    def reply(body: dict) -> str:
        system = body["messages"][0]["content"]
        if system.startswith("You label what a clinician"):
            return "Empathy."  # the classifier: every turn is empathic
        turn = sum(m["role"] == "assistant" for m in body["messages"])
        return patient_reply(system, body.get("options", {}).get("seed"), turn)

    server = make_server(reply_fn=reply, latency=0.05)
    with Store(store_path) as store:
        run_id = plan_run(store, Library(root), RunConfig(
            personas=[PERSONA], clinician=probe, patient_model="ollama/llama3.2:1b",
            hosts=[server.url], levels={"arc": "gradual_opening"})).id
    task = asyncio.create_task(execute_run(store_path, run_id, poll_s=0.02))
    with Store(store_path) as store:
        while store.run_progress(run_id).total_turns < 6:
            await asyncio.sleep(0.01)
        store.request_cancel(run_id)
    await asyncio.wait_for(task, 30)
    asked = sum(r["messages"][0]["content"].startswith("You label")
                for r in server.requests("/api/chat"))
    stored_before = len(transcripts(store_path, run_id)[0].turns)
    await resume_run(store_path, run_id)
    (conv,) = transcripts(store_path, run_id)
    assert conv.status == "done"
    acts = [t.state["act"] for t in conv.turns if t.role == "clinician"]
    assert {a["act"] for a in acts} == {"empathy"} and {a["by"] for a in acts} == {"model"}
    felt = [t.state["affect"]["intensity"] for t in conv.turns if t.role == "patient"]
    assert felt == [3, 2, 2, 1, 1, 0, 0, 0]  # -1 per two empathic turns, from 3
    asked_after = sum(r["messages"][0]["content"].startswith("You label")
                      for r in server.requests("/api/chat"))
    clinician_stored = (stored_before + 1) // 2
    assert asked_after - asked == 8 - clinician_stored  # stored acts were not asked again
