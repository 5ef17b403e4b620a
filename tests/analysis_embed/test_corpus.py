"""Units read from the store with their labels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.analysis_embed.conftest import fill_store
from workbench.analysis import corpus
from workbench.analysis.corpus import (
    colour_choices,
    conversations_among,
    levels_by_axis,
    load_units,
    snippet,
)
from workbench.domain.transcript import Turn
from workbench.store import NewConversation, Store, UnknownRun


def test_conversation_units_are_the_patient_side(store_path: Path) -> None:
    run_id = fill_store(store_path, per_cell=2)
    with Store(store_path) as store:
        units = load_units(store, run_id)
    assert len(units) == 8
    first = units.row(0, named=True)
    assert first["unit_id"] == first["conversation_id"] and first["turn_idx"] is None
    assert first["text"].startswith("I feel ") and "\nAlso " in first["text"]
    assert "What brings you in" not in first["text"]  # the clinician's turns are left out
    assert first["levels"] == "confusion=high, mood=low"
    assert levels_by_axis(units)["mood"][:2] == ["low", "low"]
    assert colour_choices(units)[:2] == ["axis:confusion", "axis:mood"]
    assert "run_id" not in colour_choices(units)  # one run: nothing to colour by


def test_turn_units_are_single_patient_turns(store_path: Path) -> None:
    run_id = fill_store(store_path, per_cell=1)
    with Store(store_path) as store:
        units = load_units(store, [run_id], "turn")
    assert len(units) == 8
    assert units["turn_idx"].to_list()[:2] == [1, 3]
    assert units["unit_id"][0].endswith("#1")


def test_conversations_without_patient_text_are_left_out(store_path: Path) -> None:
    with Store(store_path) as store:
        run = store.create_run(name="x", config={}, patient_model="m", clinician="c")
        (cid,) = store.add_conversations([NewConversation(run_id=run.id)])
        store.append_turn(cid, Turn(index=0, role="clinician", text="Hello?"))
        assert load_units(store, run.id).is_empty()
        assert "axis:mood" not in load_units(store, run.id).columns


def test_errors_name_the_problem(store_path: Path) -> None:
    run_id = fill_store(store_path, per_cell=1)
    with Store(store_path) as store:
        with pytest.raises(UnknownRun):
            load_units(store, "r-nope")
        with pytest.raises(ValueError, match="unknown unit"):
            load_units(store, run_id, "sentence")  # type: ignore[arg-type]


def test_selection_keeps_one_row_per_conversation_in_order(store_path: Path) -> None:
    run_id = fill_store(store_path, per_cell=1)
    with Store(store_path) as store:
        units = load_units(store, run_id, "turn")
    ids = units["conversation_id"].unique(maintain_order=True).to_list()
    chosen = conversations_among(units, [ids[2], ids[0], ids[2]])
    assert chosen["conversation_id"].to_list() == [ids[2], ids[0]]


def test_snippet_is_one_line_and_bounded() -> None:
    assert snippet("a\n b   c") == "a b c"
    assert len(snippet("word " * 100, 50)) == 50 and snippet("word " * 100, 50).endswith("…")


def test_run_sizes_count_without_loading_and_default_to_a_small_newest_run(store_path) -> None:
    first = fill_store(store_path)
    second = fill_store(store_path, per_cell=1)
    with Store(store_path) as store:
        sizes = corpus.run_sizes(store)
    assert [(s.id, s.conversations, s.turns) for s in sizes] == [(second, 4, 16), (first, 12, 48)]
    assert sizes[1].units("conversation") == 12 and sizes[1].units("turn") == 48
    assert corpus.default_runs(sizes) == [second]
    assert corpus.default_runs(sizes, limit=3) == []
    assert corpus.default_runs([]) == []


def test_picking_runs_imports_no_dataframe_or_array_library() -> None:
    code = (
        "import sys; import workbench.analysis.corpus, workbench.analysis.embeddings, "
        "workbench.analysis.titles; print(sorted(m for m in ('numpy', 'polars', 'sklearn') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"
