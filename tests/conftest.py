"""Suite-wide guards: no test touches the user's store, settings file or model server."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_workbench(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point the store and the settings file at a temp folder and Ollama at a closed port.

    Tests that need a store, settings or a server set their own; anything that forgets gets an
    empty temp one instead of the project's ``store.db``, and never a real Ollama on 11434.
    """
    home = tmp_path_factory.mktemp("workbench-home")
    monkeypatch.setenv("WORKBENCH_STORE", str(home / "store.db"))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(home / "settings.json"))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("WORKBENCH_ALLOW_REMOTE", raising=False)
    monkeypatch.delenv("WORKBENCH_ANNOTATOR", raising=False)
    monkeypatch.delenv("WORKBENCH_PERSONAS", raising=False)
