"""Multi-session personas: three sessions against the test server; session 3's prompts carry the
summaries of sessions 1 and 2; kill -9 during session 2 and resume loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.simulate.conftest import MODEL, assert_well_formed, transcripts
from tests.simulate.test_kill_resume import PROJECT
from tests.support import OllamaTestServer
from workbench.views.comparison import suggest_partners
from workbench.library import Library
from workbench.simulate.sessions import run_series, series_runs, session_of, start_series
from workbench.store import Store
from workbench.views.transcript_view import conversation_facts

PERSONA = "cbt_kofi-plain"


def _workbench(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], cwd=PROJECT, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _start(store_path: Path, plan: Callable[..., str], server: OllamaTestServer,
           **fields: object) -> str:
    run_id = plan(personas=[PERSONA], max_turns=6, hosts=[server.url], **fields)
    with Store(store_path) as store:
        return start_series(store, store.get_run(run_id), 3, MODEL)


def _check_series(store_path: Path, series: str, server: OllamaTestServer) -> None:
    with Store(store_path) as store:
        runs = series_runs(store, series)
    assert [r.status for r in runs] == ["done"] * 3
    convs = [transcripts(store_path, r.id)[0] for r in runs]
    for conv in convs:
        assert conv.status == "done"
        assert_well_formed(conv)
    infos = [session_of(c) for c in convs]
    assert [i.number for i in infos] == [1, 2, 3]
    assert infos[2].previous == convs[1].id and infos[1].previous == convs[0].id
    third = infos[2]
    assert [s.number for s in third.patient_summaries] == [1, 2]
    assert third.patient_summaries[0] == infos[1].patient_summaries[0]
    # Session 3's patient prompt, as stored and as sent, holds both summaries of the patient's
    # memory; its clinician prompt holds the clinician's own notes of both.
    for summary in third.patient_summaries:
        assert summary.text and summary.text in convs[2].patient_prompt
    for note in third.clinician_notes:
        assert note.text and note.text in convs[2].clinician_prompt
    assert "Session 1:" in convs[2].patient_prompt and "Session 2:" in convs[2].patient_prompt
    sent = [r["messages"][0]["content"] for r in server.requests("/api/chat")
            if r["messages"][0]["role"] == "system"]
    assert convs[2].patient_prompt in sent and convs[2].clinician_prompt in sent
    assert convs[0].patient_prompt in convs[2].patient_prompt  # the base prompt, then memory


async def test_a_three_session_run_carries_the_summaries_forward(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path,
) -> None:
    server = make_server()
    series = _start(store_path, plan, server)
    runs = await run_series(store_path, library, series, hosts=[server.url])
    assert len(runs) == 3
    _check_series(store_path, series, server)
    # Compare offers session N−1 first; the Transcripts facts show the summaries.
    second, third = (transcripts(store_path, r.id)[0] for r in runs[1:])
    first_suggestion = suggest_partners(third, [])[0]
    assert first_suggestion.id == second.id and "previous session (2 of 3)" in first_suggestion.label
    facts = {row["field"]: row["value"] for row in conversation_facts(third)}
    assert facts["session"] == f"3 of 3 (series {series})"
    assert facts["patient's memory of session 2"] == session_of(third).patient_summaries[1].text
    assert "clinician's notes of session 1" in facts


async def test_kill_9_during_session_2_then_resume_loses_nothing(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, library_root: Path, tmp_path: Path,
) -> None:
    server = make_server(latency=0.05)
    series = _start(store_path, plan, server)
    env = {**os.environ, "WORKBENCH_STORE": str(store_path),
           "WORKBENCH_PERSONAS": str(library_root),
           "WORKBENCH_SETTINGS": str(tmp_path / "none.json")}
    process = _workbench("sessions", "resume", series, "--host", server.url, env=env)
    deadline = time.monotonic() + 60
    while True:  # until session 2 has committed turns
        with Store(store_path) as store:
            runs = series_runs(store, series)
            if len(runs) == 2 and store.run_progress(runs[1].id).total_turns >= 2:
                break
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "session 2 did not get going"
        await asyncio.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    killed = transcripts(store_path, runs[1].id)[0]
    before = [(t.index, t.role, t.text) for t in killed.turns]
    assert killed.status != "done" and len(before) >= 2
    first_memory = session_of(killed).patient_summaries

    resumed = _workbench("sessions", "resume", series, "--host", server.url, env=env)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert "3 of 3 planned sessions done" in out
    again = transcripts(store_path, runs[1].id)[0]
    assert [(t.index, t.role, t.text) for t in again.turns][:len(before)] == before
    assert session_of(again).patient_summaries == first_memory
    with Store(store_path) as store:
        assert len(series_runs(store, series)) == 3  # no session planned twice
    _check_series(store_path, series, server)
