"""The experiment matrix: cells by two dimensions over real stored runs, each figure with its n,
the heatmap and its table."""

from __future__ import annotations

import pytest

from tests.app.conftest import FilledStore
from workbench.analysis.diversity import distinct_n
from workbench.analysis.matrix import build_matrix, cell_text, dimensions, score_figures
from workbench.store import Annotation, Store
from workbench.views.matrix import cell_options, cell_title, clicked_cell, matrix_figure, \
    matrix_rows


def load(filled: FilledStore):
    with Store(filled.path) as store:
        runs = {r.id: r for r in store.list_runs()}
        transcripts = [t for r in runs for t in store.conversations_of_run(r, with_turns=True)]
    return runs, transcripts


def test_mean_turns_by_model_and_template(filled_store: FilledStore) -> None:
    runs, transcripts = load(filled_store)
    matrix = build_matrix(transcripts, runs, "model", "template", "mean_turns")
    done = [t for t in transcripts if t.status == "done"]
    assert sum(c.n for c in matrix.cells.values()) == len(done)  # failed ones are left out
    assert set(matrix.rows) == {t.patient_model for t in done}
    assert len(matrix.cols) == len({t.patient_template_hash for t in done})
    for (row, col), cell in matrix.cells.items():
        mine = [t for t in done if t.patient_model == row and t.patient_template_hash[:8] == col]
        assert cell.n == len(mine) and set(cell.conversation_ids) == {t.id for t in mine}
        assert cell.value == pytest.approx(sum(len(t.turns) for t in mine) / len(mine))


def test_distinct_2_is_measured_at_one_size(filled_store: FilledStore) -> None:
    runs, transcripts = load(filled_store)
    matrix = build_matrix(transcripts, runs, "run", "scenario", "distinct_2")
    turns = {key: [x.text for t in transcripts if t.id in cell.conversation_ids
                   for x in t.turns if x.role == "patient" and x.text.strip()]
             for key, cell in matrix.cells.items()}
    assert matrix.size == min(len(v) for v in turns.values())
    assert {c.n for c in matrix.cells.values()} == {matrix.size}
    smallest = min(turns, key=lambda k: len(turns[k]))  # sampled to all of its own turns
    assert matrix.cells[smallest].value == pytest.approx(distinct_n(turns[smallest], 2))


def test_scores_use_humans_or_judges_and_never_resolved_answers(filled_store) -> None:
    runs, transcripts = load(filled_store)
    done = sorted(t.id for t in transcripts if t.status == "done")
    rows = [Annotation(conversation_id=done[0], rubric="clinician_quality",
                       item="clinical_accuracy", value=v, annotator=who, status="submitted")
            for who, v in (("ana", 2), ("ben", 4), ("judge:m", 6), ("adjudicated:chief", 5))]
    rows.append(Annotation(conversation_id=done[1], rubric="clinician_quality",
                           item="clinical_accuracy", value=1, annotator="ana", status="draft"))
    figures = score_figures(rows)
    assert set(figures) == {"human:clinician_quality/clinical_accuracy",
                            "judge:clinician_quality/clinical_accuracy"}
    human = build_matrix(transcripts, runs, "scenario", "run",
                         "human:clinician_quality/clinical_accuracy", rows)
    judge = build_matrix(transcripts, runs, "scenario", "run",
                         "judge:clinician_quality/clinical_accuracy", rows)
    rated = [c for c in human.cells.values() if c.n]
    assert [(c.value, c.n) for c in rated] == [(3.0, 1)]  # mean of ana and ben; draft left out
    assert [(c.value, c.n) for c in judge.cells.values() if c.n] == [(6.0, 1)]
    assert any(cell_text(c) == "– (n=0)" for c in human.cells.values())


def test_level_dimensions_and_bad_names(filled_store: FilledStore) -> None:
    runs, transcripts = load(filled_store)
    dims = dimensions(transcripts)
    axis = next(d for d in dims if d.startswith("level:"))
    matrix = build_matrix(transcripts, runs, axis, "temperature", "mean_turns")
    assert matrix.rows and matrix.cols
    with pytest.raises(ValueError, match="unknown dimension 'colour'"):
        build_matrix(transcripts, runs, "colour", "model", "mean_turns")
    with pytest.raises(ValueError, match="unknown figure"):
        build_matrix(transcripts, runs, "model", "run", "vibes")


def test_heatmap_and_table_show_the_same_cells(filled_store: FilledStore) -> None:
    runs, transcripts = load(filled_store)
    matrix = build_matrix(transcripts, runs, "model", "template", "mean_turns")
    figure = matrix_figure(matrix, "Mean turns")
    heat, points = figure.data
    assert list(heat.y) == matrix.rows and list(heat.x) == matrix.cols
    table = matrix_rows(matrix)
    for row, z_row, text_row in zip(table, heat.z, heat.text):
        for col, z, text in zip(matrix.cols, z_row, text_row):
            cell = matrix.cells.get((row["model"], col))
            assert row[col] == text == cell_text(cell)
            assert z == (None if cell is None else cell.value)
    assert "Mean number of turns" in points.hovertext[0]  # definition one hover away
    key = cell_options(matrix)[0]
    assert cell_title(matrix, key).startswith(f"{key[0]} × {key[1]} · ")


def test_every_cell_is_a_clickable_point_naming_its_cell(filled_store: FilledStore) -> None:
    runs, transcripts = load(filled_store)
    matrix = build_matrix(transcripts, runs, "model", "template", "mean_turns")
    assert len(matrix.cells) < len(matrix.rows) * len(matrix.cols)  # an empty cell, too
    heat, points = matrix_figure(matrix, "Mean turns").data
    assert heat.hoverinfo == "skip"  # the points carry the hover, and report clicks
    grid = [(r, c) for r in matrix.rows for c in matrix.cols]
    assert [tuple(d) for d in points.customdata] == grid
    assert list(zip(points.y, points.x)) == grid  # each point at its own cell's centre
    # What st.plotly_chart returns for a click: the clicked point with its customdata.
    for index, key in enumerate(grid):
        selection = {"points": [{"point_index": index, "customdata": list(key)}]}
        assert clicked_cell(matrix, selection) == (key if key in matrix.cells else None)


def test_a_selection_names_a_cell_only_when_it_points_at_one(filled_store) -> None:
    runs, transcripts = load(filled_store)
    matrix = build_matrix(transcripts, runs, "model", "template", "mean_turns")
    first, *_, last = cell_options(matrix)
    assert clicked_cell(matrix, None) is None
    assert clicked_cell(matrix, {"points": []}) is None
    assert clicked_cell(matrix, {"points": [{"x": 1}]}) is None  # the heatmap's own point
    assert clicked_cell(matrix, {"points": [{"customdata": ["nobody", "nothing"]}]}) is None
    both = {"points": [{"customdata": list(first)}, {"customdata": list(last)}]}
    assert clicked_cell(matrix, both) == last  # shift-click adds points: the latest one


def test_the_chosen_cell_is_framed(filled_store: FilledStore) -> None:
    runs, transcripts = load(filled_store)
    matrix = build_matrix(transcripts, runs, "model", "template", "mean_turns")
    assert not matrix_figure(matrix, "Mean turns").layout.shapes
    row, col = cell_options(matrix)[-1]
    (frame,) = matrix_figure(matrix, "Mean turns", (row, col)).layout.shapes
    x, y = matrix.cols.index(col), matrix.rows.index(row)
    assert frame.x0 < x < frame.x1 and frame.y0 < y < frame.y1
    assert frame.x1 - frame.x0 < 1 and frame.y1 - frame.y0 < 1  # inside its cell
    assert not matrix_figure(matrix, "Mean turns", ("nobody", col)).layout.shapes
