"""Export → import → export is byte-identical in every format, and the imported rows are equal."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from workbench.io import FORMATS, export_transcripts, import_transcripts
from workbench.store import ConversationFilter, Store, StoreError, UnknownRun


def _rows(store: Store) -> dict[str, object]:
    """Everything a store holds about its conversations, without row ids."""
    summaries = store.list_conversations(ConversationFilter(), limit=1000).items
    return {
        s.id: (
            s,
            store.get_transcript(s.id),
            [a.model_dump(exclude={"id"}) for a in store.annotations(conversation_id=s.id)],
            store.get_persona(s.persona_id and store.get_transcript(s.id).persona_hash or ""),
            store.get_run(s.run_id) if s.run_id else None,
        )
        for s in summaries
    } | {"corpora": store.list_corpora()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_export_is_byte_identical(filled, tmp_path: Path, fmt: str) -> None:
    source_path, _ = filled
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    with Store(source_path) as store:
        assert export_transcripts(store, first, fmt) == 4
        before = _rows(store)
    with Store(tmp_path / "target.db") as target:
        summary = import_transcripts(target, first)
        assert (summary.conversations, summary.turns, summary.annotations) == (4, 7, 5)
        export_transcripts(target, second, fmt)
        after = _rows(target)
    assert first.read_bytes() == second.read_bytes()
    assert after == before


def test_jsonl_is_chat_shaped_from_the_patients_point_of_view(filled, tmp_path: Path) -> None:
    source_path, ids = filled
    out = tmp_path / "out.jsonl"
    with Store(source_path) as store:
        export_transcripts(store, out, "jsonl")
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    done = records[ids["done"]]
    assert done["format"] == "workbench.transcript/1"
    assert [(m["role"], m["speaker"], m["turn"]) for m in done["messages"]] == [
        ("system", "system", None),
        ("user", "clinician", 0),
        ("assistant", "patient", 1),
        ("user", "clinician", 2),
        ("assistant", "patient", 3),
    ]
    assert done["messages"][0]["content"].startswith("You are a patient")
    assert done["prompts"]["clinician"] == "You are the doctor."
    assert done["persona"]["levels"]["personality"] == "distrust"
    assert done["persona"]["stored"]["body"]["persona"]["id"] == done["persona"]["id"]
    assert done["run"]["name"] == "pilot"
    assert [(a["turn"], a["item"]) for a in done["annotations"]] == [
        (None, "axis_personality"), (None, "fidelity_note"), (None, "realism"),
        (1, "tells"), (2, "ed_act"),
    ]
    assert records[ids["failed"]]["failure_reason"] == "backend timed out after 3 retries"
    assert records[ids["reference"]]["corpus"]["name"] == "tiny"
    assert "system" not in {m["role"] for m in records[ids["reference"]]["messages"]}


def test_csv_has_one_row_per_turn_and_conversation_fields_on_the_first(
    filled, tmp_path: Path
) -> None:
    source_path, ids = filled
    out = tmp_path / "out.csv"
    with Store(source_path) as store:
        export_transcripts(store, out, "csv")
    frame = pl.read_csv(out, infer_schema=False)
    done = frame.filter(pl.col("conversation_id") == ids["done"])
    assert done["turn"].to_list() == ["0", "1", "2", "3"]
    assert done["patient_prompt"].is_null().to_list() == [False, True, True, True]
    assert json.loads(done["annotations"][1]) == [
        {"rubric": "llm_tells", "item": "tells", "value": ["em_dash", "too_long"],
         "annotator": "ana", "status": "draft", "created_at": json.loads(
             done["annotations"][1])[0]["created_at"],
         "updated_at": json.loads(done["annotations"][1])[0]["updated_at"]},
    ]
    empty = frame.filter(pl.col("conversation_id") == ids["empty"])
    assert empty.height == 1 and empty["turn"][0] is None
    assert frame.height == 4 + 1 + 1 + 2


def test_export_of_one_run_leaves_out_the_reference_corpus(filled, tmp_path: Path) -> None:
    source_path, ids = filled
    out = tmp_path / "run.jsonl"
    with Store(source_path) as store:
        assert export_transcripts(store, out, "jsonl", runs=[ids["run"]]) == 3
        assert export_transcripts(store, out, "jsonl", sources=["reference:tiny"]) == 1
        with pytest.raises(UnknownRun, match="no run 'r-nope'"):
            export_transcripts(store, tmp_path / "none.jsonl", "jsonl", runs=["r-nope"])
    assert not (tmp_path / "none.jsonl").exists()


def test_importing_twice_fails_and_changes_nothing(filled, tmp_path: Path) -> None:
    source_path, _ = filled
    out = tmp_path / "out.jsonl"
    with Store(source_path) as store:
        export_transcripts(store, out, "jsonl")
    with Store(tmp_path / "target.db") as target:
        import_transcripts(target, out)
        stats = target.stats()
        with pytest.raises(StoreError, match="already exists.*nothing was written"):
            import_transcripts(target, out)
        assert target.stats() == stats
