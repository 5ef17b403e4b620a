"""Faults of the store file in plain words: missing, empty, read-only, damaged, full, odd schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.store import (
    Store,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    connection,
)

runner = CliRunner()


def make_store(path: Path) -> str:
    with Store(path) as store:
        return store.create_run(name="pilot", config={}, patient_model="m", clinician="c").id


@pytest.mark.parametrize("command", [["runs", "list"], ["export", "--format", "jsonl", "--out",
                                                         "{tmp}/out.jsonl"]])
@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_a_read_command_never_creates_a_store(tmp_path: Path, command: list[str],
                                              kind: str) -> None:
    path = tmp_path / "typo.db"
    if kind == "empty":
        path.touch()
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = runner.invoke(app, [*args, "--store", str(path)])
    assert result.exit_code == 2
    assert f"no store at {path.resolve()}" in result.stderr and "typo" in result.stderr
    assert "Traceback" not in result.output
    assert (path.exists(), path.stat().st_size if path.exists() else 0) == (kind == "empty", 0)


def test_a_writing_command_says_it_creates_a_store(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()  # a zero-byte file is no store: it is created, and that is said
    corpus = tmp_path / "real.jsonl"
    corpus.write_text('{"id": "1", "utterances": [{"speaker": "doctor", "text": "Hi."}, '
                      '{"speaker": "patient", "text": "Hello."}]}\n')
    result = runner.invoke(app, ["import", "reference", str(corpus), "--name", "tiny",
                                 "--store", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Creating a new store at {path.resolve()}" in result.stderr
    with Store(path, create=False) as store:
        assert store.stats().conversations == 1


def test_a_read_only_store_is_read_and_refuses_writes_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    run_id = make_store(path)
    with Store(path, read_only=True) as store:
        assert store.read_only and store.get_run(run_id).name == "pilot"
        with pytest.raises(StoreReadOnly, match="read-only here"):
            store.request_cancel(run_id)
    with Store(path) as store:
        assert not store.get_run(run_id).cancel_requested


def test_an_unwritable_store_opens_read_only_for_read_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "store.db"
    run_id = make_store(path)
    monkeypatch.setattr("workbench.store.store.writable", lambda p: False)
    result = runner.invoke(app, ["runs", "list", "--store", str(path)])
    assert result.exit_code == 0, result.output
    assert run_id in result.stdout
    cancel = runner.invoke(app, ["runs", "cancel", run_id, "--store", str(path)])
    assert cancel.exit_code == 1 and "read-only here" in cancel.stderr


def test_a_damaged_store_names_sqlite3_recover(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    make_store(path)
    with Store(path) as store:  # enough rows that the damage hits table pages, not the header
        store.add_prompts(f"prompt {i} " + "x" * 2000 for i in range(200))
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        f.write(b"\xff" * (size // 4))
    with pytest.raises(StoreCorrupt) as caught, Store(path) as store:
        store.prompt_texts(["nope"])
        list(store.list_runs())
        store.stats()
        store._conn.execute("PRAGMA integrity_check").fetchall()
    assert "is damaged" in str(caught.value) and ".recover" in str(caught.value)
    result = runner.invoke(app, ["runs", "list", "--store", str(path)])
    assert "Traceback" not in result.output


def test_a_full_disk_is_named_with_what_to_do(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "store.db"
    run_id = make_store(path)
    with Store(path) as store:
        (pages,) = store._conn.execute("PRAGMA page_count").fetchone()
    # SQLite's own size cap stands in for a full disk: the same SQLITE_FULL error.
    monkeypatch.setattr(connection, "_PRAGMAS",
                        (*connection._PRAGMAS, f"PRAGMA max_page_count = {pages}"))
    with Store(path) as store, pytest.raises(StoreFull) as caught:
        store.add_prompts("x" * 100_000 for _ in range(3))
    assert "is full" in str(caught.value) and "--resume" in str(caught.value)
    monkeypatch.undo()
    with Store(path) as store:  # nothing already stored was lost
        assert store.get_run(run_id).name == "pilot"


@pytest.mark.parametrize("version", ["two", "", "2.5"])
def test_a_schema_version_that_is_not_a_number_is_explained(tmp_path: Path,
                                                            version: str) -> None:
    path = tmp_path / "store.db"
    make_store(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="unreadable schema version") as caught:
        Store(path)
    assert repr(version) in str(caught.value)


def test_a_missing_store_is_not_created_by_opening_it_to_read(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing):
        Store(tmp_path / "nope.db", create=False)
    with pytest.raises(StoreMissing):
        Store(tmp_path / "nope.db", read_only=True)
    assert not (tmp_path / "nope.db").exists()
