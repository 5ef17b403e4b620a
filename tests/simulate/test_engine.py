"""The run engine through the official client against the Ollama-API test server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.simulate.conftest import MODEL, assert_well_formed, six_personas, transcripts
from tests.support import OllamaTestServer
from workbench.library import Library
from workbench.simulate import RetryPolicy, RunAborted, execute_run, resume_run
from workbench.store import Store

FAST_RETRY = RetryPolicy(attempts=8, base_s=0.005, cap_s=0.05)
CONFUSED = "ed_uti_02-plain-B-high-high"



def _texts(store_path: Path, run_id: str) -> dict[tuple[str | None, int | None], list[str]]:
    return {(c.persona_id, c.seed): [t.text for t in c.turns]
            for c in transcripts(store_path, run_id)}


async def test_six_personas_two_samples_complete_with_every_turn_stored(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server(parallel=8)
    run_id = plan(personas=six_personas(library), samples=2, max_turns=10, concurrency=4,
                  hosts=[server.url])
    seen: list[tuple[int, int]] = []
    summary = await execute_run(store_path, run_id,
                                on_progress=lambda p: seen.append((p.finished, p.turns)))

    assert summary.status == "done" and summary.progress.done == 12
    convs = transcripts(store_path, run_id)
    assert len(convs) == 12 and {c.status for c in convs} == {"done"}
    for conv in convs:
        assert_well_formed(conv)
        model_turns = [t for t in conv.turns if t.latency_s is not None]
        assert all(t.completion_tokens and t.prompt_tokens for t in model_turns)
    # Every model turn is one chat call: nothing generated twice, nothing lost.
    assert server.stats().chat_requests == sum(
        1 for c in convs for t in c.turns if t.latency_s is not None)
    first_answers = {c.turns[1].text for c in convs if c.seed == 0}
    assert len(first_answers) == 6  # the persona's prompt shapes the text
    assert seen[-1] == (12, sum(len(c.turns) for c in convs))
    with Store(store_path) as store:
        assert store.get_run(run_id).status == "done"


async def test_transient_faults_are_retried_without_duplicating_or_losing_turns(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server(parallel=8, hang_s=0.2, seed=7, fault_rates={
        "http_500": 0.08, "drop": 0.05, "malformed": 0.05, "hang": 0.02})
    config: dict[str, Any] = {"personas": six_personas(library), "samples": 2, "max_turns": 10,
                              "concurrency": 4, "hosts": [server.url]}
    faulty = plan(**config)
    summary = await execute_run(store_path, faulty, retry=FAST_RETRY)
    assert summary.status == "done" and summary.progress.done == 12
    assert sum(server.stats().faults.values()) >= 10

    server.clear_faults()
    clean = plan(**config)
    await execute_run(store_path, clean)
    # The server's replies depend only on prompt, seed and turn: same texts, turn for turn.
    assert _texts(store_path, faulty) == _texts(store_path, clean)
    for conv in transcripts(store_path, faulty):
        assert_well_formed(conv)


def _failing_prompt(doomed: list[str]) -> Callable[[dict[str, Any]], str | None]:
    """A fault hook: HTTP 500 for every chat call whose system prompt is in ``doomed``."""
    def fault(body: dict[str, Any]) -> str | None:
        system = (body.get("messages") or [{}])[0].get("content")
        return "http_500" if system in doomed else None

    return fault


async def test_a_conversation_that_keeps_failing_is_marked_failed_and_the_rest_complete(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    doomed: list[str] = []
    server = make_server(parallel=8, fault_fn=_failing_prompt(doomed))
    run_id = plan(personas=six_personas(library), samples=1, max_turns=8, hosts=[server.url])
    victim = transcripts(store_path, run_id)[2]
    doomed.append(victim.patient_prompt or "")

    summary = await execute_run(store_path, run_id, retry=FAST_RETRY)
    assert summary.status == "done"
    assert (summary.progress.done, summary.progress.failed) == (5, 1)
    assert server.stats().faults == {"http_500": 8}  # every attempt of the victim's only call
    for conv in transcripts(store_path, run_id):
        if conv.id == victim.id:
            assert conv.status == "failed"
            assert "HTTP 500" in conv.failure_reason and "after 8 attempts" in conv.failure_reason
            assert [t.role for t in conv.turns] == ["clinician"]  # the opening line only
        else:
            assert conv.status == "done"
            assert_well_formed(conv)

    # Failed conversations get another go only when asked.
    server.configure(fault_fn=None)
    await resume_run(store_path, run_id)
    assert transcripts(store_path, run_id)[2].status == "failed"
    await resume_run(store_path, run_id, retry_failed=True)
    conv = transcripts(store_path, run_id)[2]
    assert conv.status == "done" and conv.failure_reason is None
    assert_well_formed(conv)


async def test_the_cancel_flag_stops_the_run_and_resume_finishes_it(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server(parallel=2, latency=0.1)
    run_id = plan(personas=six_personas(library), samples=2, max_turns=10, concurrency=1,
                  hosts=[server.url])
    task = asyncio.create_task(execute_run(store_path, run_id, poll_s=0.05))
    with Store(store_path) as store:
        while store.run_progress(run_id).total_turns < 4:
            await asyncio.sleep(0.02)
        store.request_cancel(run_id)
    summary = await asyncio.wait_for(task, 5)

    assert summary.status == "cancelled"
    convs = transcripts(store_path, run_id)
    assert {c.status for c in convs} <= {"cancelled", "done"}
    assert sum(c.status == "cancelled" for c in convs) >= 10
    with Store(store_path) as store:
        assert store.get_run(run_id).status == "cancelled"

    server.configure(latency=0.0)
    summary = await resume_run(store_path, run_id, poll_s=0.05)
    assert summary.status == "done"
    for conv in transcripts(store_path, run_id):
        assert conv.status == "done"
        assert_well_formed(conv)


async def test_model_calls_in_flight_stay_within_the_limit_of_each_host(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    servers = [make_server(parallel=8, latency=0.02) for _ in range(2)]
    run_id = plan(personas=six_personas(library), samples=2, max_turns=8, concurrency=2,
                  hosts=[s.url for s in servers])
    assert (await execute_run(store_path, run_id)).status == "done"
    for server in servers:
        stats = server.stats()
        assert stats.max_concurrent == 2  # the limit, and reached
        assert stats.chat_requests >= 20  # conversations were spread over both hosts


async def test_a_confused_patient_settles_as_a_scripted_clinician_reassures(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], store_path: Path,
) -> None:
    server = make_server()
    run_id = plan(personas=[CONFUSED], clinician="scripted/reassure", hosts=[server.url])
    await execute_run(store_path, run_id)

    (conv,) = transcripts(store_path, run_id)
    assert conv.status == "done" and conv.clinician_prompt is None
    assert_well_formed(conv)
    assert len(conv.turns) == 12 and conv.turns[-1].state["ended_by"] == "script"
    levels = [t.state["levels"]["confusion"] for t in conv.turns if t.role == "patient"]
    assert levels == ["high", "moderate", "moderate", "normal", "normal", "normal"]
    systems = [r["messages"][0]["content"] for r in server.requests("/api/chat")]
    # The plan names each state's prompt by hash; the text is stored once, in the prompts table.
    plan = conv.metadata["plan"]
    assert plan["patient_prompts"] == {} and len(plan["patient_prompt_hashes"]) == 3
    with Store(store_path) as store:
        texts = store.prompt_texts(plan["patient_prompt_hashes"].values())
    prompts = {key: texts[h] for key, h in plan["patient_prompt_hashes"].items()}
    assert systems == [prompts[f"confusion={level}"] for level in levels]
    assert systems[0] == conv.patient_prompt and len(set(systems)) == 3


async def test_the_scripted_intake_ends_with_its_closing_line(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server()
    run_id = plan(personas=six_personas(library)[:2], clinician="scripted/ed_intake",
                  hosts=[server.url])
    await execute_run(store_path, run_id)
    questions = library.load_script("ed_intake")
    for conv in transcripts(store_path, run_id):
        assert_well_formed(conv)
        asked = [t.text for t in conv.turns if t.role == "clinician"]
        assert asked[:-1] == questions[:-1] and "[END]" not in asked[-1]
        assert conv.turns[-1].state["ended_by"] == "marker"


@pytest.mark.parametrize("case", ["unreachable", "not_pulled", "remote"])
async def test_permanent_problems_abort_with_what_to_do(
    case: str, make_server: Callable[..., OllamaTestServer], plan: Callable[..., str],
    library: Library, store_path: Path, dead_url: str,
) -> None:
    host, model, expected = {
        "unreachable": (dead_url, MODEL, "ollama serve"),
        "not_pulled": (None, "ollama/mistral:7b", "ollama pull mistral:7b"),
        "remote": ("http://192.0.2.10:11434", MODEL, "WORKBENCH_ALLOW_REMOTE=1"),
    }[case]
    host = host or make_server().url
    run_id = plan(personas=six_personas(library)[:1], patient_model=model, hosts=[host])
    with pytest.raises(RunAborted, match=expected):
        await execute_run(store_path, run_id)
    with Store(store_path) as store:
        assert store.get_run(run_id).status == "failed"
        assert store.run_progress(run_id).counts["pending"] == 1  # nothing lost: resumable


async def test_a_model_removed_mid_run_aborts_and_the_run_resumes_later(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server(parallel=4)
    run_id = plan(personas=six_personas(library), max_turns=8, hosts=[server.url])
    server.fail_next("not_found")  # the preflight passes; the first chat call gets a 404
    with pytest.raises(RunAborted, match="ollama pull llama3.2:1b"):
        await execute_run(store_path, run_id)
    assert {c.status for c in transcripts(store_path, run_id)} == {"pending"}

    assert (await resume_run(store_path, run_id)).status == "done"
    for conv in transcripts(store_path, run_id):
        assert_well_formed(conv)


async def test_conversations_stream_from_the_store_as_slots_free(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workbench.simulate import engine

    server = make_server(parallel=4)
    run_id = plan(personas=six_personas(library), samples=25, max_turns=4, concurrency=1,
                  hosts=[server.url])  # 150 conversations, admitted two at a time
    pages: list[int] = []
    original = engine.read_batch

    def recorded(*args: Any, **kwargs: Any) -> Any:
        batch = original(*args, **kwargs)
        pages.append(len(batch))
        return batch

    monkeypatch.setattr(engine, "read_batch", recorded)
    monkeypatch.setattr(Store, "conversations_of_run", None)  # the whole run is never loaded
    summary = await execute_run(store_path, run_id)
    monkeypatch.undo()
    assert summary.status == "done" and summary.progress.done == 150
    assert pages == [64, 64, 22, 0]  # a page at a time, never the whole run
    with Store(store_path) as store:
        assert store.run_progress(run_id).counts["done"] == 150
