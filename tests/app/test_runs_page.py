"""The Runs page: models listed from the server, launching a detached run, progress, cancel,
the newcomer's banner and demo, and clear errors that leave the store unchanged."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown
from tests.support import OllamaTestServer
from workbench.jobs.launch import log_path, runs_dir
from workbench.store import Store

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "runs.py")


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp store and settings file; run processes the page started are killed at teardown."""
    store = tmp_path / "store.db"
    monkeypatch.setenv("WORKBENCH_STORE", str(store))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.json"))
    monkeypatch.delenv("WORKBENCH_ALLOW_REMOTE", raising=False)
    st.cache_data.clear()
    yield store
    for pid_file in runs_dir(store).glob("*.pid"):
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., OllamaTestServer]]:
    """Start a test server and point OLLAMA_HOST at it."""
    servers: list[OllamaTestServer] = []

    def start(**kwargs: object) -> OllamaTestServer:
        server = OllamaTestServer(**kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        return server

    yield start
    for server in servers:
        server.stop()


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=30).run()


def wait_for_run(store_path: Path, statuses: tuple[str, ...] = ("done",),
                 timeout_s: float = 60) -> str:
    """Poll the store until the only run reaches one of ``statuses``; return its status."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Store(store_path) as store:
            (run,) = store.list_runs()
        if run.status in statuses:
            return run.status
        time.sleep(0.2)
    raise AssertionError(f"run still {run.status} after {timeout_s} s")


def choose_ed_confused(at: AppTest) -> AppTest:
    at.selectbox(key="runs_scenario").select("ed_consult").run()
    return at.multiselect(key="runs_level_confusion").select("high").select("moderate").run()


def test_models_come_from_the_server_and_scripts_from_the_library(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    serve(models=["llama3.2:1b", "qwen2.5:0.5b", "nomic-embed-text"])
    at = page()
    assert not at.exception
    assert at.selectbox(key="runs_patient").options == ["ollama/llama3.2:1b",
                                                        "ollama/qwen2.5:0.5b"]
    clinicians = at.selectbox(key="runs_clinician").options
    assert "ollama/qwen2.5:0.5b" in clinicians
    assert any(c.startswith("scripted/ed_intake — ") for c in clinicians)
    assert not at.warning  # no banner: the server answers


def test_filters_narrow_the_personas(store_path: Path, serve: Callable[..., OllamaTestServer],
                                     ) -> None:
    serve()
    at = choose_ed_confused(page())
    assert at.multiselect(key="runs_personas").options == [
        "ed_pneumonia_01-plain-C-low-moderate", "ed_stroke_01-plain-C-high-moderate",
        "ed_uti_02-plain-B-high-high"]
    assert "3 personas × 1 samples = 3 conversations" in at.caption[-1].value


def test_launch_plans_the_run_and_a_detached_process_completes_it(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    server = serve(latency=0.15)
    at = choose_ed_confused(page())
    at.selectbox(key="runs_clinician").select("scripted/ed_intake")
    at.number_input(key="runs_max_turns").set_value(4)
    at.number_input(key="runs_samples").set_value(2)
    at.text_input(key="runs_name").input("pilot")
    at.button(key="runs_launch").click().run()
    assert not at.exception and not at.error
    with Store(store_path) as store:
        (run,) = store.list_runs()
        assert run.name == "pilot" and run.clinician == "scripted/ed_intake"
        assert store.run_progress(run.id).total_conversations == 6
    assert run.id in shown(at.success[0].value)
    pid = int((runs_dir(store_path) / f"{run.id}.pid").read_text())
    assert os.getsid(pid) == pid != os.getsid(0)  # its own session: survives the app
    at.run()
    assert at.get("progress") and run.id in shown(at.get("progress")[0].proto.text)

    assert wait_for_run(store_path) == "done"
    at.run()
    assert not at.get("progress")
    table = at.dataframe[0].value
    assert list(table["status"]) == ["done"] and list(table["turns"]) == [24]
    assert server.stats().chat_requests == 12  # the patient's 2 replies × 6 conversations
    assert "done: 6 done" in log_path(store_path, run.id).read_text()


def test_cancel_stops_the_run(store_path: Path, serve: Callable[..., OllamaTestServer]) -> None:
    serve(latency=0.4, parallel=1)
    at = page()
    at.multiselect(key="runs_personas").select("cbt_kofi-plain").select("cbt_ruth-tangent")
    at.number_input(key="runs_concurrency").set_value(1)
    at.button(key="runs_launch").click().run()
    with Store(store_path) as store:
        (run,) = store.list_runs()
    deadline = time.monotonic() + 30
    while turns_stored(store_path, run.id) < 2:  # the conversations are under way
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.1)
    at.run()
    at.button(key=f"runs_cancel_{run.id}").click().run()
    assert not at.exception
    with Store(store_path) as store:
        assert store.get_run(run.id).cancel_requested
    assert wait_for_run(store_path, ("cancelled",)) == "cancelled"
    with Store(store_path) as store:
        counts = store.run_progress(run.id).counts
    assert counts["cancelled"] >= 1 and counts["done"] < 2
    at.run()
    assert "cancelled" in list(at.dataframe[0].value["status"])


def turns_stored(store_path: Path, run_id: str) -> int:
    with Store(store_path) as store:
        return store.run_progress(run_id).total_turns


def test_an_unreachable_host_shows_the_howto_banner(
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{sock.getsockname()[1]}")
    at = page()
    assert not at.exception
    (banner,) = at.warning
    for words in ("No model server is reachable", "ollama serve", "https://ollama.com",
                  "ollama pull llama3.2:1b"):
        assert words in shown(banner.value)
    assert at.button(key="runs_demo").disabled
    assert at.selectbox(key="runs_patient").options == []  # typed specs still possible


def test_without_ollama_the_embedded_model_is_offered_with_its_caveat(
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("workbench.backends.local.embedded_missing", lambda: None)
    at = page()
    assert not at.exception
    assert "No model server is reachable" in at.warning[0].value  # Ollama's how-to stays
    (note,) = [i.value for i in at.info if "not to study patients" in i.value]
    assert "tiny" in note and "ollama pull" in note
    assert at.selectbox(key="runs_patient").options == ["local/smollm2"]
    assert not at.button(key="runs_demo").disabled


def test_an_empty_store_offers_the_demo_which_runs_detached(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    serve()
    at = page()
    assert "Run the demo" in at.info[0].value
    at.button(key="runs_demo").click().run()
    assert not at.exception and not at.error
    assert "qwen2.5:0.5b" in shown(at.success[0].value)
    assert wait_for_run(store_path) == "done"
    with Store(store_path) as store:
        (run,) = store.list_runs()
        assert run.name == "demo" and run.patient_model == "ollama/qwen2.5:0.5b"
        assert store.run_progress(run.id).counts["done"] == 6
    assert "runs_demo" not in [b.key for b in page().button]


@pytest.mark.parametrize(("patient", "clinician", "message"), [
    ("ollama/mistral:7b", "scripted/ed_intake", "ollama pull mistral:7b"),
    ("ollama/llama3.2:1b", "scripted/cbt_intake",  # the page's own widget, not a CLI flag
     "Clinician: scripted/cbt_intake — the script is written for scenario 'cbt_session'"),
    ("llama3.2:1b", "scripted/ed_intake", "Did you mean 'ollama/llama3.2:1b'?"),
])
def test_mistakes_get_a_clear_message_and_leave_the_store_empty(
    store_path: Path, serve: Callable[..., OllamaTestServer], tmp_path: Path,
    patient: str, clinician: str, message: str,
) -> None:
    serve()
    # A default patient model from the settings is offered even when the server lacks it (AppTest
    # cannot type a new option into a selectbox).
    (tmp_path / "settings.json").write_text(json.dumps({"default_patient_model": patient}))
    at = choose_ed_confused(page())
    assert at.selectbox(key="runs_patient").value == patient
    at.selectbox(key="runs_clinician").select(clinician)
    at.button(key="runs_launch").click().run()
    assert not at.exception
    assert message in shown(at.error[0].value)
    assert " --" not in shown(at.error[0].value)  # no command-line option on a page
    with Store(store_path) as store:
        assert store.list_runs() == []
    assert not runs_dir(store_path).exists()


def test_a_run_whose_process_died_can_be_resumed(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    serve(latency=0.3, parallel=1)
    at = page()
    at.multiselect(key="runs_personas").select("cbt_kofi-plain")
    at.number_input(key="runs_max_turns").set_value(6)
    at.button(key="runs_launch").click().run()
    with Store(store_path) as store:
        (run,) = store.list_runs()
    pid = int((runs_dir(store_path) / f"{run.id}.pid").read_text())
    time.sleep(1.0)
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while f"runs_resume_{run.id}" not in [b.key for b in at.button]:
        assert time.monotonic() < deadline, "no Resume button after the process died"
        time.sleep(0.2)
        at.run()
    assert "stopped before the run finished" in shown(at.warning[0].value)
    at.button(key=f"runs_resume_{run.id}").click().run()
    assert wait_for_run(store_path) == "done"


FIRST_RUN_PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
before = set(sys.modules)
at = AppTest.from_file(sys.argv[1], default_timeout=60).run()
print(json.dumps({"exceptions": [e.value for e in at.exception],
                  "models": at.selectbox(key="runs_patient").options,
                  "loaded": sorted(set(sys.modules) - before)}))
"""


def test_the_first_run_loads_neither_the_engine_nor_a_model_sdk(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    # In a fresh interpreter: this one has imported everything already. Those modules cost the
    # page's first run about half a second and are needed only to launch a run.
    serve()
    out = subprocess.run([sys.executable, "-c", FIRST_RUN_PROBE, PAGE], capture_output=True,
                         text=True, check=True, env=os.environ.copy(), timeout=120).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["exceptions"] == []
    # Probed all the same; then the embedded model where it is installed (no patch in a subprocess).
    assert result["models"][:2] == ["ollama/llama3.2:1b", "ollama/qwen2.5:0.5b"]
    assert result["models"][2:] in ([], ["local/smollm2"])
    heavy = {"ollama", "openai", "httpx", "workbench.simulate", "workbench.simulate.engine",
             "workbench.demo", "llama_cpp"}
    assert heavy.isdisjoint(result["loaded"])


def plan_small_run(store_path: Path, server: OllamaTestServer) -> str:
    """A planned, never executed run of one short conversation (no process started)."""
    from workbench.library import Library
    from workbench.simulate import RunConfig, plan_run

    config = RunConfig(personas=["cbt_kofi-plain"], patient_model="ollama/llama3.2:1b",
                       clinician="scripted/cbt_intake", max_turns=4, hosts=[server.url])
    with Store(store_path) as store:
        return plan_run(store, Library(), config).id


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_killed_with_its_pid_file_gone_is_stalled_and_resumable(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    run_id = plan_small_run(store_path, serve())
    with Store(store_path) as store:  # as a killed executor left it: running, claimed, no pid file
        store.set_run_status(run_id, "running")
        store.claim_run(run_id, f"{socket.gethostname()}:{dead_pid()}:abcdef")
        store.request_cancel(run_id)  # even a cancel request does not make it "stopping…" forever
    assert not (runs_dir(store_path) / f"{run_id}.pid").exists()
    at = page()
    assert not at.exception
    assert "stalled" in at.get("progress")[0].proto.text
    assert "stopping" not in at.get("progress")[0].proto.text
    at.button(key=f"runs_resume_{run_id}").click().run()
    assert wait_for_run(store_path) == "done"


def test_a_cancelled_run_can_be_resumed_from_the_page(
    store_path: Path, serve: Callable[..., OllamaTestServer],
) -> None:
    run_id = plan_small_run(store_path, serve())
    with Store(store_path) as store:
        store.set_run_status(run_id, "cancelled")
        (conv,) = store.conversations_of_run(run_id)
        store.set_conversation_status(conv.id, "cancelled")
    at = page()
    assert not at.exception
    at.button(key=f"runs_resume_{run_id}").click().run()
    assert wait_for_run(store_path) == "done"
    with Store(store_path) as store:
        assert store.run_progress(run_id).counts["done"] == 1


def test_progress_moves_with_turns_not_only_whole_conversations() -> None:
    from datetime import UTC, datetime

    from workbench.jobs.launch import RunView

    view = RunView(id="r", name="n", status="running", patient_model="p", clinician="c",
                   created_at=datetime.now(UTC), total=4, done=1, failed=0, cancelled=0,
                   turns=30, cancel_requested=False, process="alive", unfinished_turns=10,
                   expected_turns=20.0, heartbeat_age_s=1.0)
    assert view.fraction == (1 + 10 / 20) / 4
    assert not view.stalled
    assert view.model_copy(update={"heartbeat_age_s": 3600.0}).stalled  # whatever the pid says
