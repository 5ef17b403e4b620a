"""Cancelling a run at any moment: before it starts, before its launcher exists, mid-call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.simulate.conftest import assert_well_formed, six_personas, transcripts
from tests.support import OllamaTestServer
from workbench.library import Library
from workbench.simulate import engine, execute_run, resume_run
from workbench.simulate.writer import StoreWriter
from workbench.store import Store


def _request_cancel(store_path: Path, run_id: str) -> None:
    with Store(store_path) as store:
        store.request_cancel(run_id)


def _assert_all_cancelled_untouched(store_path: Path, run_id: str) -> None:
    convs = transcripts(store_path, run_id)
    assert {c.status for c in convs} == {"cancelled"}
    assert all(not c.turns for c in convs)
    with Store(store_path) as store:
        assert store.get_run(run_id).status == "cancelled"


async def test_a_run_cancelled_before_it_starts_calls_nothing_and_resumes_later(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server()
    run_id = plan(personas=six_personas(library), max_turns=6, hosts=[server.url])
    _request_cancel(store_path, run_id)  # e.g. Cancel clicked while the process was loading

    summary = await execute_run(store_path, run_id, poll_s=0.05)
    assert summary.status == "cancelled" and summary.progress.cancelled == 6
    _assert_all_cancelled_untouched(store_path, run_id)
    assert server.stats().total_requests == 0  # not even a preflight

    assert (await resume_run(store_path, run_id)).status == "done"
    for conv in transcripts(store_path, run_id):
        assert_well_formed(conv)


async def test_a_cancel_seen_before_the_launcher_exists_starts_no_conversation(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server()
    run_id = plan(personas=six_personas(library), max_turns=6, hosts=[server.url])
    seen: list[bool] = []  # per cancel() call: whether the launcher existed yet
    cancelled = asyncio.Event()

    def load_then_cancel(*args: Any, **kwargs: Any) -> Any:
        loaded = original_load(*args, **kwargs)  # the flag is not set yet when the run loads...
        _request_cancel(store_path, run_id)  # ...and is set before the writer's first poll
        return loaded

    original_load, original_start = engine.open_run, StoreWriter.start
    original_cancel = engine._Execution.cancel

    def cancel(self: Any) -> None:
        seen.append(self.launcher is not None)
        cancelled.set()
        original_cancel(self)

    async def start_until_cancelled(self: StoreWriter) -> None:
        await original_start(self)
        await asyncio.wait_for(cancelled.wait(), 10)  # the writer polls at once

    monkeypatch.setattr(engine, "open_run", load_then_cancel)
    monkeypatch.setattr(engine._Execution, "cancel", cancel)
    monkeypatch.setattr(StoreWriter, "start", start_until_cancelled)
    summary = await execute_run(store_path, run_id, poll_s=0.05)

    assert seen == [False]  # the case under test: cancel() before the launcher task existed
    assert summary.status == "cancelled" and summary.progress.cancelled == 6
    _assert_all_cancelled_untouched(store_path, run_id)
    assert server.stats().chat_requests == 0


async def test_a_mid_run_cancel_interrupts_calls_in_flight_without_half_turns(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    # Every model call hangs for a minute: a cancel that awaited the calls in flight would too.
    server = make_server(parallel=8, hang_s=60, fault_fn=lambda body: "hang")
    run_id = plan(personas=six_personas(library), max_turns=6, concurrency=2, hosts=[server.url])
    task = asyncio.create_task(execute_run(store_path, run_id, poll_s=0.05))
    with Store(store_path) as store:
        while server.stats().chat_requests < 2:  # both slots of the host are waiting
            await asyncio.sleep(0.02)
        store.request_cancel(run_id)
    summary = await asyncio.wait_for(task, 10)

    assert summary.status == "cancelled" and summary.progress.cancelled == 6
    for conv in transcripts(store_path, run_id):
        assert conv.status == "cancelled"
        # The fixed opening line, if the conversation started; never a reply cut short.
        assert [t.role for t in conv.turns] in ([], ["clinician"])

    server.configure(fault_fn=None)
    assert (await resume_run(store_path, run_id)).status == "done"
    for conv in transcripts(store_path, run_id):
        assert conv.status == "done"
        assert_well_formed(conv)


async def test_a_resume_withdraws_the_old_cancel_and_a_new_cancel_stops_it_again(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server(latency=0.2)
    run_id = plan(personas=six_personas(library), max_turns=12, concurrency=2,
                  hosts=[server.url])
    _request_cancel(store_path, run_id)
    assert (await execute_run(store_path, run_id, poll_s=0.05)).status == "cancelled"

    resumed = asyncio.create_task(resume_run(store_path, run_id, poll_s=0.05))
    while not any(c.turns for c in transcripts(store_path, run_id)):  # the resume is under way
        await asyncio.sleep(0.05)
    with Store(store_path) as store:
        assert not store.cancel_requested(run_id)  # the resume withdrew the old request
    _request_cancel(store_path, run_id)
    summary = await asyncio.wait_for(resumed, timeout=30)

    assert summary.status == "cancelled"
    assert {c.status for c in transcripts(store_path, run_id)} >= {"cancelled"}
    assert (await resume_run(store_path, run_id)).status == "done"
    for conv in transcripts(store_path, run_id):
        assert_well_formed(conv)
