"""`workbench demo --yes` with no Ollama anywhere: transcripts written by the embedded model."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from tests.local_model.conftest import MODEL
from workbench.cli import app
from workbench.library import Library
from workbench.store import Store


def test_the_demo_without_ollama_runs_on_the_embedded_model(tmp_path: Path, monkeypatch) -> None:
    with socket.socket() as sock:  # a loopback port where nothing listens
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("WORKBENCH_STORE", str(tmp_path / "store.db"))
    result = CliRunner(env={"OLLAMA_HOST": dead}).invoke(
        app, ["demo", "--yes", "--max-turns", "2"])
    assert result.exit_code == 0, result.output
    assert f"{MODEL}: the embedded model" in result.stdout
    assert "tiny" in result.stdout and "ollama pull" in result.stdout  # the caveat, the way out
    with Store(tmp_path / "store.db") as store:
        (run,) = store.list_runs()
        conversations = store.conversations_of_run(run.id, with_turns=True)
    assert run.status == "done" and len(conversations) == 6
    openings = {s.id: s.opening_line for s in Library().scenarios().values()}
    for conversation in conversations:
        assert conversation.patient_model == MODEL and conversation.status == "done"
        opening, reply = conversation.turns
        assert opening.text == openings[conversation.scenario or ""]
        assert reply.role == "patient" and reply.completion_tokens and reply.latency_s
