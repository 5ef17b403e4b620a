"""The Judge page: a detached judge job per run with progress and Cancel, then judge against
humans. The job is the real `workbench judge` process, talking to the Ollama-API test server."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from tests.app.conftest import page
from tests.judge.conftest import JudgeStore, judge_store  # noqa: F401 - fixture
from tests.judge.test_judge import QUALITY_ITEMS, by_patient_turns
from tests.support.fixtures import make_server  # noqa: F401 - fixture
from workbench.jobs.judge import judge_progress
from workbench.store import Annotation, Store

MODEL = "ollama/llama3.2:1b"


def wait_for(condition, what: str, limit_s: float = 120.0) -> None:
    """Poll (the machine may be busy: the limit is only there to end a broken test)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def progress(store: JudgeStore) -> tuple[int, int]:
    with Store(store.path) as db:
        return judge_progress(db, store.run_id, "clinician_quality", MODEL)


def start(app_env, store: JudgeStore, url: str) -> AppTest:
    app_env(store.path, ollama=url)
    at = AppTest.from_file(page("judge"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="judge_runs").set_value([store.run_id])
    at.selectbox(key="judge_rubric").set_value("clinician_quality")
    at.text_input(key="judge_model").set_value(MODEL)
    at.button(key="FormSubmitter:judge_start-Start judging").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_judging_runs_detached_and_shows_progress_then_agreement(app_env, judge_store,
                                                                 make_server) -> None:
    server = make_server(reply_fn=by_patient_turns)
    at = start(app_env, judge_store, server.url)
    wait_for(lambda: progress(judge_store) == (4, 4), "the judge job")
    with Store(judge_store.path) as db:  # a human rates three of the same conversations
        db.put_annotations([Annotation(conversation_id=cid, rubric="clinician_quality",
                                       item=QUALITY_ITEMS[0], value=min(6, n + 1),
                                       annotator="ana", status="submitted")
                            for cid, n in list(judge_store.done.items())[:3]])
    at.run()
    bars = [p.proto.text for p in at.get("progress")]
    assert any("4 of 4 conversations" in b and "finished" in b for b in bars), bars
    table = at.dataframe[0].value
    assert QUALITY_ITEMS[0] in set(table.iloc[:, 0]) or QUALITY_ITEMS[0] in table.to_string()


def test_a_judge_job_can_be_cancelled(app_env, judge_store, make_server) -> None:
    server = make_server(reply_fn=by_patient_turns, latency=3.0, parallel=1)
    at = start(app_env, judge_store, server.url)
    wait_for(lambda: len(server.requests("/api/chat")) >= 1, "the first judge request")
    at.run()
    at.button(key="judge_cancel_0").click().run()
    at.run()
    wait_for(lambda: not any(b.key == "judge_cancel_0" for b in at.run().button), "the stop")
    assert progress(judge_store)[0] < 4
    assert any("stopped" in p.proto.text for p in at.get("progress"))


def test_start_without_a_run_says_what_to_do(app_env, judge_store) -> None:
    app_env(judge_store.path)
    at = AppTest.from_file(page("judge"), default_timeout=60).run()
    at.button(key="FormSubmitter:judge_start-Start judging").click().run()
    assert "Choose at least one run" in at.error[0].value
