"""The Settings page: hosts probed with their models, store stats, the opt-in, saving the file,
and the notice when environment variables override it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown
from tests.support import OllamaTestServer
from workbench.store import Store

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "settings.py")


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp store and settings file; no environment overrides but the store's."""
    monkeypatch.setenv("WORKBENCH_STORE", str(tmp_path / "store.db"))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.json"))
    for name in ("OLLAMA_HOST", "WORKBENCH_ALLOW_REMOTE", "WORKBENCH_ANNOTATOR"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    return tmp_path / "settings.json"


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    """A test server with two chat models."""
    with OllamaTestServer() as srv:
        yield srv


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=30).run()


def texts(at: AppTest) -> str:
    return "\n".join(shown(e.value) for e in [*at.markdown, *at.caption])


def test_each_host_shows_whether_it_answers_and_its_models(
    settings_file: Path, server: OllamaTestServer, dead_url: str,
) -> None:
    settings_file.write_text(json.dumps({"ollama_hosts": [server.url, dead_url]}))
    at = page()
    assert not at.exception
    shown = texts(at)
    assert f"**{server.url}** — reachable, 2 model(s)" in shown
    assert f"**{dead_url}** — unreachable" in shown
    assert "ollama serve" in shown
    models = at.dataframe[0].value
    assert list(models["model"]) == ["llama3.2:1b", "qwen2.5:0.5b"]
    assert list(models["parameters"]) == ["1B", "0.5B"]
    assert at.selectbox(key="settings_default_model").options == [
        "(none)", "ollama/llama3.2:1b", "ollama/qwen2.5:0.5b"]


def test_a_remote_host_is_refused_until_opted_in(settings_file: Path) -> None:
    settings_file.write_text(json.dumps({"ollama_hosts": ["http://192.0.2.10:11434"]}))
    at = page()
    shown = texts(at)
    assert "Refusing to send conversations to http://192.0.2.10:11434" in shown
    assert "the switch on the Settings page" in shown
    assert not at.checkbox(key="settings_allow_remote").value


def test_save_writes_the_settings_file(settings_file: Path, server: OllamaTestServer) -> None:
    at = page()
    at.text_input(key="settings_hosts").input(f"{server.url}, localhost")
    at.checkbox(key="settings_allow_remote").check()
    at.text_input(key="settings_annotator").input("Dr. Ada")
    at.number_input(key="settings_timeout").set_value(300.0)
    at.run()
    at.selectbox(key="settings_default_model").select("ollama/qwen2.5:0.5b")
    at.button(key="settings_save").click().run()
    assert not at.exception
    assert str(settings_file) in at.success[0].value
    saved = json.loads(settings_file.read_text())
    assert saved["ollama_hosts"] == [server.url, "http://localhost:11434"]
    assert saved["allow_remote"] is True
    assert saved["annotator"] == "Dr. Ada"
    assert saved["default_patient_model"] == "ollama/qwen2.5:0.5b"
    assert saved["model_timeout_s"] == 300.0
    again = page()  # a new session reads the file back
    assert again.number_input(key="settings_timeout").value == 300.0
    assert again.text_input(key="settings_hosts").value == f"{server.url}, http://localhost:11434"
    assert again.selectbox(key="settings_default_model").value == "ollama/qwen2.5:0.5b"


def test_a_bad_host_is_not_saved(settings_file: Path) -> None:
    at = page()
    at.text_input(key="settings_hosts").input("127.0.0.1:notaport").run()
    assert "invalid port" in at.error[0].value
    assert not [b for b in at.button if b.key == "settings_save"]
    assert not settings_file.exists()


def test_store_path_size_and_row_counts(settings_file: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "store.db") as store:
        store.create_run(name="pilot", config={}, patient_model="ollama/x", clinician="ollama/x")
    at = page()
    assert f"`{(tmp_path / 'store.db').resolve()}`" in texts(at)
    rows = dict(zip(at.dataframe[-1].value["what"], at.dataframe[-1].value["value"]))
    assert rows["runs"] == "1" and rows["conversations"] == "0"
    assert rows["file size (with write-ahead log)"].endswith(("kB", "MB"))


def test_environment_overrides_are_named_and_not_saved(
    settings_file: Path, server: OllamaTestServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    at = page()
    (notice,) = at.info
    assert f"OLLAMA_HOST={server.url} (overrides ollama_hosts)" in shown(notice.value)
    assert "WORKBENCH_STORE=" in shown(notice.value)
    assert f"**{server.url}** — reachable" in texts(at)  # the hosts in effect are probed too
    at.button(key="settings_save").click().run()
    assert json.loads(settings_file.read_text())["ollama_hosts"] == ["http://127.0.0.1:11434"]


def test_a_broken_settings_file_is_named(settings_file: Path) -> None:
    settings_file.write_text("{not json")
    at = page()
    assert not at.exception
    assert str(settings_file) in at.error[0].value
