"""`workbench export` and `workbench import ...` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from workbench.cli import app
from workbench.store import Store

runner = CliRunner()


def test_export_then_import_transcripts(filled, tmp_path: Path) -> None:
    source_path, ids = filled
    out = tmp_path / "run.jsonl"
    result = runner.invoke(app, ["export", "--format", "jsonl", "--out", str(out),
                                 "--run", ids["run"], "--store", str(source_path)])
    assert result.exit_code == 0, result.output
    assert "Exported 3 conversations" in result.output
    target = tmp_path / "target.db"
    result = runner.invoke(app, ["import", "transcripts", str(out), "--store", str(target)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 conversations, 5 turns and 5 annotation values" in result.output
    with Store(target) as store:
        assert store.stats().conversations == 3


def test_export_of_an_unknown_run_exits_2(filled, tmp_path: Path) -> None:
    source_path, _ = filled
    result = runner.invoke(app, ["export", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                                 "--run", "r-nope", "--store", str(source_path)])
    assert result.exit_code == 2
    assert "error: no run 'r-nope'" in result.output


def test_import_reference_lists_unmapped_labels_then_takes_a_map(tmp_path: Path) -> None:
    path = tmp_path / "real.jsonl"
    path.write_text(json.dumps({"id": "1", "utterances": [
        {"speaker": "doctor", "text": "Hi."}, {"speaker": "guest_family", "text": "Hello."}]}))
    store = tmp_path / "store.db"
    args = ["import", "reference", str(path), "--name", "real", "--store", str(store)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "unknown speaker label(s): guest_family (1 utterance, first on line 1)" in result.output
    assert "nothing was imported" in result.output
    result = runner.invoke(app, [*args, "--map", "guest_family=patient"])
    assert result.exit_code == 0, result.output
    assert "Imported 1 conversations (2 turns)" in result.output
    result = runner.invoke(app, [*args, "--map", "guest_family"])
    assert result.exit_code == 2
    assert "expected LABEL=patient or LABEL=clinician" in result.output
