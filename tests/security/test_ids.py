"""Ids from outside (imports, the command line, page links, the store) cannot name files
elsewhere: one documented rule refuses them at every entry, and every path built from a run id
is resolved and kept inside the runs folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tests.app.conftest import page
from workbench.jobs import launch
from workbench.cli import app
from workbench.domain.identifiers import InvalidIdError, check_id, is_valid_id
from workbench.io import export_transcripts, import_transcripts
from workbench.store import NewConversation, Store, StoreError
from workbench.store.imports import ImportBatch, ImportedConversation
from workbench.store.records import RunRecord

BAD_IDS = [
    "/some/where/secret",
    "../../x",
    "r-1/../../../etc/passwd",
    "..",
    "a..b",
    "x" * 129,
    "r-1\x00.log",
    "run id with spaces",
    "-starts-with-dash",
    ".hidden",
    "",
    "r-1\n",
    "c-<img src=x>",
]
GOOD_IDS = ["r-20261126-021530-ab12", "c-20261126-021530-3f9a0c2be147",
            "primock57:day1_consultation01", "TestSet-1-MEDIQA-Chat-2023:0", "x" * 128, "a.b_c:d-e"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_rule_refuses(bad: str) -> None:
    assert not is_valid_id(bad)
    with pytest.raises(InvalidIdError, match="not a valid id"):
        check_id(bad, "run id")


@pytest.mark.parametrize("good", GOOD_IDS)
def test_the_rule_accepts_every_id_the_workbench_makes(good: str) -> None:
    assert check_id(good) == good


@pytest.mark.parametrize("bad", BAD_IDS)
def test_paths_from_a_run_id_stay_in_the_runs_folder(tmp_path: Path, bad: str) -> None:
    store = tmp_path / "store.db"
    (tmp_path / "secret.log").write_text("not for the page")
    with pytest.raises(InvalidIdError):
        launch.log_path(store, bad)
    with pytest.raises(InvalidIdError):
        launch.run_file(store, bad, ".pid")
    with pytest.raises(InvalidIdError):  # before anything is started or written
        launch.launch_run(store, bad)
    assert launch.read_log_tail(store, bad) is None
    assert launch.process_state(store, bad) == "unknown"
    assert not list(tmp_path.rglob("*.pid"))


def _batch(run_id: str, conversation_id: str) -> ImportBatch:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return ImportBatch(
        runs=[RunRecord(id=run_id, name="x", created_at=now, status="failed", config={},
                        patient_model="ollama/x", clinician="scripted/y")],
        conversations=[ImportedConversation(conversation=NewConversation(
            id=conversation_id, run_id=run_id, status="done", created_at=now))])


@pytest.mark.parametrize("bad", BAD_IDS[:8])
def test_an_import_with_a_bad_id_is_refused_whole(tmp_path: Path, bad: str) -> None:
    with Store(tmp_path / "store.db") as store:
        for batch in (_batch(bad, "c-1"), _batch("r-1", bad)):
            with pytest.raises(StoreError, match="not a valid id"):
                store.import_batch(batch)
        assert store.list_runs() == []
        assert store.list_conversations().total == 0


def test_an_exported_file_with_a_bad_run_id_imports_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    with Store(source) as store:
        store.import_batch(_batch("r-1", "c-1"))
        export_transcripts(store, tmp_path / "out.jsonl", "jsonl")
    record = json.loads((tmp_path / "out.jsonl").read_text())
    record["run"]["id"] = "/some/where/secret"
    (tmp_path / "bad.jsonl").write_text(json.dumps(record) + "\n")
    with Store(tmp_path / "target.db") as store:
        with pytest.raises(StoreError, match="not a valid id"):
            import_transcripts(store, tmp_path / "bad.jsonl")
        assert store.list_runs() == []


@pytest.mark.parametrize("args", [
    ["run", "/some/where/secret"], ["run", "--resume", "../../x"], ["runs", "show", "a..b"],
    ["runs", "cancel", "x" * 200], ["export", "--format", "jsonl", "--out", "o.jsonl",
                                     "--run", "/etc/passwd"],
])
def test_the_command_line_refuses_bad_ids(tmp_path: Path, monkeypatch, args) -> None:
    monkeypatch.setenv("WORKBENCH_STORE", str(tmp_path / "store.db"))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "none.json"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "not a valid id" in " ".join(result.output.replace("│", " ").split())
    assert not (tmp_path / "store.db").exists()  # refused before the store was opened


@pytest.mark.parametrize("bad", ["/some/where/secret", "../../x", "x" * 300])
def test_a_page_link_with_a_bad_id_is_refused(app_env, tmp_path: Path, bad: str) -> None:
    with Store(tmp_path / "store.db") as store:
        store.import_batch(_batch("r-1", "c-1"))
    app_env(tmp_path / "store.db")
    at = AppTest.from_file(page("transcripts"), default_timeout=60)
    at.query_params["conversation"] = bad
    at.run()
    assert not at.exception
    assert any("not a conversation id" in w.value for w in at.warning)
    assert at.selectbox(key="transcripts_open").value is None
