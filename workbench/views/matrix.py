"""What the Experiment matrix page shows: the heatmap, its table, and the cells to open.

Dimension values come from the store (model names, persona ids, run ids): they reach plotly only
through :func:`~workbench.analysis.figures.hover_text` (escaped).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from workbench.analysis.figures import hover_text
from workbench.analysis.matrix import Matrix, cell_text, definition


def matrix_figure(matrix: Matrix, title: str) -> go.Figure:
    """A heatmap: one cell per (row, column) value, coloured by the figure, with its n written
    in the cell and the definition in the hover."""
    z, text, hover = [], [], []
    about = hover_text(definition(matrix.figure), 70)
    for row in matrix.rows:
        cells = [matrix.cells.get((row, col)) for col in matrix.cols]
        z.append([None if c is None else c.value for c in cells])
        text.append([hover_text(cell_text(c)) for c in cells])
        hover.append([f"{hover_text(row)} × {hover_text(col)}<br>{hover_text(cell_text(c))}"
                      f"<br><br>{about}" for col, c in zip(matrix.cols, cells)])
    figure = go.Figure(go.Heatmap(
        z=z, x=[hover_text(c) for c in matrix.cols], y=[hover_text(r) for r in matrix.rows],
        text=text, texttemplate="%{text}", customdata=hover, hovertemplate="%{customdata}"
        "<extra></extra>", colorscale="Viridis", colorbar={"title": hover_text(title, 20)}))
    figure.update_layout(xaxis={"type": "category", "title": matrix.cols_by},
                         yaxis={"type": "category", "title": matrix.rows_by, "autorange":
                                "reversed"},
                         height=max(260, 60 * len(matrix.rows) + 140),
                         margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def matrix_rows(matrix: Matrix) -> list[dict[str, Any]]:
    """The heatmap as a table: one row per row value, ``value (n=…)`` per column."""
    return [{matrix.rows_by: row, **{col: cell_text(matrix.cells.get((row, col)))
                                     for col in matrix.cols}} for row in matrix.rows]


def cell_options(matrix: Matrix) -> list[tuple[str, str]]:
    """The cells that hold conversations, in table order."""
    return [(row, col) for row in matrix.rows for col in matrix.cols
            if (row, col) in matrix.cells]


def cell_title(matrix: Matrix, key: tuple[str, str]) -> str:
    """A one-line name of a cell (plain text): ``row × col · 3.2 (n=5) · 5 conversations``."""
    cell = matrix.cells[key]
    return (f"{key[0]} × {key[1]} · {cell_text(cell)} · "
            f"{len(cell.conversation_ids)} conversation(s)")
