"""One executor per run: the claim, its heartbeat, and what a second executor may not do."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.simulate.conftest import assert_well_formed, six_personas, transcripts
from tests.support import OllamaTestServer
from workbench.cli import app
from workbench.library import Library
from workbench.simulate import RunAborted, execute_run, resume_run, writer
from workbench.store import RunClaimed, Store


async def _wait_for_turns(store_path: Path, run_id: str, n: int) -> None:
    with Store(store_path) as store:
        while store.run_progress(run_id).total_turns < n:
            await asyncio.sleep(0.02)


def _backdate_heartbeat(store_path: Path, run_id: str, owner: str) -> None:
    """As if ``owner``'s process froze ten minutes ago (only a test writes this directly)."""
    conn = sqlite3.connect(store_path)
    conn.execute("UPDATE runs SET owner = ?, heartbeat_at = '2026-01-01T00:00:00.000000+00:00' "
                 "WHERE id = ?", (owner, run_id))
    conn.commit()
    conn.close()


async def test_a_second_executor_is_refused_and_changes_nothing(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server(parallel=4, latency=0.02)
    run_id = plan(personas=six_personas(library), max_turns=10, concurrency=2,
                  hosts=[server.url])
    first = asyncio.create_task(execute_run(store_path, run_id))
    await _wait_for_turns(store_path, run_id, 4)
    with pytest.raises(RunClaimed, match="being executed by another process") as refused:
        await execute_run(store_path, run_id)
    assert f"workbench runs cancel {run_id}" in str(refused.value)
    with pytest.raises(RunClaimed):
        await resume_run(store_path, run_id, retry_failed=True)
    shown = CliRunner().invoke(app, ["runs", "show", run_id, "--store", str(store_path)])
    assert f"executed by   {socket.gethostname()}:{os.getpid()}:" in shown.stdout
    summary = await first

    # The refused executors' abort paths never ran: the first one's run is whole.
    assert summary.status == "done"
    convs = transcripts(store_path, run_id)
    assert {c.status for c in convs} == {"done"}
    for conv in convs:
        assert_well_formed(conv)
    patient_turns = sum(1 for c in convs for t in c.turns if t.role == "patient")
    clinician_calls = sum(1 for c in convs for t in c.turns if t.role == "clinician") - len(convs)
    assert server.stats().chat_requests == patient_turns + clinician_calls  # no duplicate call
    with Store(store_path) as store:
        run = store.get_run(run_id)
    assert run.status == "done" and run.owner is None  # released at the end


async def test_a_finished_run_executed_again_stays_done(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server()
    run_id = plan(personas=six_personas(library)[:2], max_turns=4, hosts=[server.url])
    assert (await execute_run(store_path, run_id)).status == "done"
    requests = server.stats().chat_requests
    assert (await execute_run(store_path, run_id)).status == "done"
    assert {c.status for c in transcripts(store_path, run_id)} == {"done"}
    assert server.stats().chat_requests == requests


async def test_a_stale_claim_is_taken_over(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server()
    run_id = plan(personas=six_personas(library)[:2], max_turns=4, hosts=[server.url])
    with Store(store_path) as store:
        store.claim_run(run_id, "elsewhere:4242:abcdef")
    with pytest.raises(RunClaimed):  # a fresh heartbeat from another machine: refused
        await execute_run(store_path, run_id)
    assert server.stats().total_requests == 0
    _backdate_heartbeat(store_path, run_id, "elsewhere:4242:abcdef")
    assert (await execute_run(store_path, run_id)).status == "done"


async def test_an_executor_that_lost_its_claim_stops_writing(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(writer, "HEARTBEAT_S", 0.1)
    server = make_server(parallel=4, latency=0.1)
    run_id = plan(personas=six_personas(library), max_turns=20, concurrency=2,
                  hosts=[server.url])
    task = asyncio.create_task(execute_run(store_path, run_id))
    await _wait_for_turns(store_path, run_id, 2)
    with Store(store_path) as store:  # as if this process had stalled past the stale limit
        store.claim_run(run_id, "thief:1:000000", stale_after_s=0)
    with pytest.raises(RunAborted, match="taken over by another process"):
        await asyncio.wait_for(task, 60)
    with Store(store_path) as store:
        run = store.get_run(run_id)
        turns = store.run_progress(run_id).total_turns
    assert run.owner == "thief:1:000000" and run.status == "running"  # untouched by the loser
    await asyncio.sleep(0.3)
    with Store(store_path) as store:
        assert store.run_progress(run_id).total_turns == turns
