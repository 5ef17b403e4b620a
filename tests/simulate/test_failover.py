"""Several hosts: one that stops answering leaves the run, its conversations go on elsewhere.
And the model timeout: a call that times out keeps its slot while the server still works on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.simulate.conftest import assert_well_formed, six_personas, transcripts
from tests.support import OllamaTestServer
from workbench.backends import ChatOptions, normalize_host
from workbench.library import Library
from workbench.simulate import RetryPolicy, RunAborted, execute_run, resume_run

FAST_RETRY = RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.02)


async def test_a_host_that_dies_mid_run_hands_its_conversations_to_the_other(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    healthy, dying = make_server(parallel=4, latency=0.02), make_server(parallel=4, latency=0.02)
    config = {"personas": six_personas(library), "samples": 2, "max_turns": 10,
              "concurrency": 2}
    run_id = plan(**config, hosts=[healthy.url, dying.url])
    task = asyncio.create_task(execute_run(store_path, run_id, retry=FAST_RETRY))
    await _until(lambda: dying.stats().chat_requests >= 4)
    dying.stop()
    summary = await asyncio.wait_for(task, 120)

    assert summary.status == "done" and summary.progress.done == 12
    assert [host for host, _ in summary.dropped_hosts] == [normalize_host(dying.url)]
    # Each moved conversation went on from where it was: the same transcript, text for text, as
    # the same run on the healthy host alone (replies depend on prompt, seed and turn only).
    reference = plan(**config, hosts=[healthy.url])
    await execute_run(store_path, reference)
    expected = {(c.persona_id, c.seed): c for c in transcripts(store_path, reference)}
    for conv in transcripts(store_path, run_id):
        assert conv.status == "done"
        assert_well_formed(conv)
        assert [(t.role, t.text) for t in conv.turns] == [
            (t.role, t.text) for t in expected[(conv.persona_id, conv.seed)].turns]


async def test_the_run_starts_and_resumes_while_one_host_answers(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, dead_url: str,
) -> None:
    server = make_server()
    run_id = plan(personas=six_personas(library)[:3], max_turns=4, hosts=[dead_url, server.url])
    summary = await execute_run(store_path, run_id)
    assert summary.status == "done"
    assert [host for host, _ in summary.dropped_hosts] == [normalize_host(dead_url)]
    assert (await resume_run(store_path, run_id)).status == "done"  # the preflight passes too


async def test_the_run_fails_only_when_no_host_is_left(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    first, second = make_server(latency=0.02), make_server(latency=0.02)
    run_id = plan(personas=six_personas(library), max_turns=20, concurrency=2,
                  hosts=[first.url, second.url])
    task = asyncio.create_task(execute_run(store_path, run_id, retry=FAST_RETRY))
    await _until(lambda: first.stats().chat_requests + second.stats().chat_requests >= 4)
    first.stop()
    second.stop()
    with pytest.raises(RunAborted, match="workbench run --resume"):
        await asyncio.wait_for(task, 120)
    assert {c.status for c in transcripts(store_path, run_id)} <= {"pending", "done"}


async def test_a_timed_out_call_keeps_its_slot_until_the_server_is_done(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    # Each generation takes 1 s and the run waits 0.5 s: every call times out (the timeout is
    # what is tested here). The server must never see more calls at once than the concurrency.
    server = make_server(parallel=16, latency=1.0)
    run_id = plan(personas=six_personas(library)[:4], max_turns=2, concurrency=2,
                  hosts=[server.url], options=ChatOptions(timeout_s=0.5))
    summary = await execute_run(store_path, run_id,
                                retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.01))
    assert summary.progress.failed == 4
    reasons = {c.failure_reason for c in transcripts(store_path, run_id)}
    assert all("no answer within 0.5 s" in (r or "") for r in reasons), reasons
    assert server.stats().chat_requests == 8
    assert server.stats().max_concurrent <= 2
