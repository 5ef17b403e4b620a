"""Exports under concurrent writes and into folders that cannot take the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.io import ExportPathError, export_records, import_transcripts, write_export
from workbench.io import export as export_module
from workbench.store import NewConversation, Store

runner = CliRunner()


def test_an_export_reads_one_snapshot_while_another_process_writes(
        filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, ids = filled
    monkeypatch.setattr(export_module, "_PAGE", 1)  # one conversation per page of the listing
    writer = Store(path)  # another connection, as a run or an import in another process
    template = writer.get_transcript(ids["done"])
    original = Store.list_conversations
    added: list[str] = []

    def list_then_someone_writes(self: Store, *args: object, **kwargs: object) -> object:
        page = original(self, *args, **kwargs)
        if len(added) < 3:  # between the pages, new conversations arrive
            added.extend(writer.add_conversations([NewConversation(
                run_id=template.run_id, persona_hash=template.persona_hash,
                persona_id=template.persona_id, scenario=template.scenario,
                profile=template.profile, levels=template.levels, seed=100 + len(added),
                patient_model=template.patient_model, clinician=template.clinician)]))
        return page

    monkeypatch.setattr(Store, "list_conversations", list_then_someone_writes)
    with Store(path) as store:
        before = store.stats().conversations
        exported = [r.id for r in export_records(store)]
    writer.close()
    assert len(exported) == len(set(exported)) == before  # as it was when the export began
    assert not set(added) & set(exported)

    monkeypatch.setattr(Store, "list_conversations", original)
    out = tmp_path / "out.jsonl"
    with Store(path) as store:
        write_export(export_records(store), out, "jsonl")
    with Store(tmp_path / "copy.db") as copy:
        assert import_transcripts(copy, out).conversations == before + len(added)


def test_export_into_a_missing_folder_says_so_and_writes_nothing(filled, tmp_path: Path) -> None:
    path, _ = filled
    out = tmp_path / "no" / "such" / "folder" / "out.jsonl"
    result = runner.invoke(app, ["export", "--format", "jsonl", "--out", str(out),
                                 "--store", str(path)])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr and "mkdir -p" in result.stderr
    assert "Traceback" not in result.output and not out.parent.exists()


def test_an_unwritable_folder_is_named(filled, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = filled

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)  # root may write anywhere: refuse as a folder would
    with Store(path) as store, pytest.raises(ExportPathError, match="read-only"):
        write_export(export_records(store), tmp_path / "out.jsonl", "jsonl")
