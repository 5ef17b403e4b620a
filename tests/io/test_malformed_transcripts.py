"""A malformed transcript file names the line, row or column and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from workbench.io import ImportFileError, export_transcripts, import_transcripts
from workbench.store import Store


@pytest.fixture
def exported(filled, tmp_path: Path) -> Path:
    source_path, _ = filled
    out = tmp_path / "out.jsonl"
    with Store(source_path) as store:
        export_transcripts(store, out, "jsonl")
    return out


def _import_fails(tmp_path: Path, path: Path, *fragments: str) -> str:
    with Store(tmp_path / "target.db") as target:
        with pytest.raises(ImportFileError) as info:
            import_transcripts(target, path)
        assert target.stats().conversations == 0
        assert target.list_corpora() == []
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert message.endswith("nothing was imported")
    return message


def test_a_bad_json_line_is_named(exported: Path, tmp_path: Path) -> None:
    lines = exported.read_text().splitlines()
    lines[2] = lines[2][:40]
    exported.write_text("\n".join(lines) + "\n")
    _import_fails(tmp_path, exported, f"{exported}:3: not valid JSON")


def test_a_wrong_role_is_named_with_its_line_and_message(exported: Path, tmp_path: Path) -> None:
    lines = exported.read_text().splitlines()
    record = json.loads(lines[0])
    record["messages"][2]["role"] = "user"
    lines[0] = json.dumps(record)
    exported.write_text("\n".join(lines) + "\n")
    _import_fails(tmp_path, exported,
                  f"{exported}:1: messages.2.role: a patient message has role 'assistant'")


def test_a_bad_field_names_its_path(exported: Path, tmp_path: Path) -> None:
    lines = exported.read_text().splitlines()
    record = json.loads(lines[1])
    record["status"] = "finished"
    lines[1] = json.dumps(record)
    exported.write_text("\n".join(lines) + "\n")
    _import_fails(tmp_path, exported, f"{exported}:2: status: ", "(got 'finished')")


def test_real_conversations_are_sent_to_the_reference_importer(tmp_path: Path) -> None:
    path = tmp_path / "real.jsonl"
    path.write_text(json.dumps({"id": "1", "utterances": []}) + "\n")
    _import_fails(tmp_path, path, f"{path}:1: format: ", "workbench import reference")


def test_a_missing_csv_column_is_named(filled, tmp_path: Path) -> None:
    source_path, _ = filled
    out = tmp_path / "out.csv"
    with Store(source_path) as store:
        export_transcripts(store, out, "csv")
    pl.read_csv(out, infer_schema=False).drop("speaker").write_csv(out)
    _import_fails(tmp_path, out, f"{out}:1: missing column(s) speaker")


def test_an_unknown_suffix_asks_for_a_format(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("")
    with Store(tmp_path / "target.db") as target, pytest.raises(ValueError, match="--format"):
        import_transcripts(target, path)


def test_a_bad_source_is_a_named_problem_not_a_crash(exported: Path, tmp_path: Path) -> None:
    lines = exported.read_text().splitlines()
    record = json.loads(lines[0])
    record["source"] = "reference:has space"
    lines[0] = json.dumps(record)
    exported.write_text("\n".join(lines) + "\n")
    _import_fails(tmp_path, exported, f"{exported}:1: source: ")
