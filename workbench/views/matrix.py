"""What the Experiment matrix page shows: the heatmap, its table, and the cells to open.

Dimension values come from the store (model names, persona ids, run ids): everything plotly shows
goes through :func:`~workbench.analysis.figures.hover_text` (escaped); the raw values travel only
as ``customdata``, which no label or hover shows, to name the clicked cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from workbench.analysis.figures import hover_text
from workbench.analysis.matrix import Matrix, cell_text, definition


def matrix_figure(matrix: Matrix, title: str,
                  chosen: tuple[str, str] | None = None) -> go.Figure:
    """A heatmap: one cell per (row, column) value, coloured by the figure, with its n written
    in the cell and the definition in the hover; a click on a cell selects it, and the
    ``chosen`` cell is framed.

    Plotly heatmaps report no click selection, so the cells are drawn twice: the heatmap paints
    them (its own hover off), and a transparent scatter point at each cell's centre carries the
    hover and ``[row, col]`` in ``customdata`` (:func:`clicked_cell` reads it back). Every
    position of the grid is a point, an empty one included, and hover picks the nearest point
    at any distance, so a click anywhere in a cell selects that cell.
    """
    z, text, points = [], [], []
    about = hover_text(definition(matrix.figure), 70)
    for row in matrix.rows:
        cells = [matrix.cells.get((row, col)) for col in matrix.cols]
        z.append([None if c is None else c.value for c in cells])
        text.append([hover_text(cell_text(c)) for c in cells])
        points += [(row, col, f"{hover_text(row)} × {hover_text(col)}<br>"
                    f"{hover_text(cell_text(c))}<br><br>{about}")
                   for col, c in zip(matrix.cols, cells)]
    x, y = [hover_text(c) for c in matrix.cols], [hover_text(r) for r in matrix.rows]
    heat = go.Heatmap(z=z, x=x, y=y, text=text, texttemplate="%{text}", hoverinfo="skip",
                      colorscale="Viridis", colorbar={"title": hover_text(title, 20)})
    cells = go.Scatter(
        x=[hover_text(col) for _, col, _ in points], y=[hover_text(row) for row, _, _ in points],
        mode="markers", customdata=[[row, col] for row, col, _ in points],
        hovertext=[hover for *_, hover in points], hovertemplate="%{hovertext}<extra></extra>",
        marker={"size": 20, "opacity": 0}, selected={"marker": {"opacity": 0}},
        unselected={"marker": {"opacity": 0}}, showlegend=False)
    figure = go.Figure([heat, cells])
    if chosen in matrix.cells:  # framed, whether clicked or picked with the keyboard
        x, y = matrix.cols.index(chosen[1]), matrix.rows.index(chosen[0])
        # inset, so the frame is not clipped where the cell meets the plot's edge
        figure.add_shape(type="rect", x0=x - 0.46, x1=x + 0.46, y0=y - 0.44, y1=y + 0.44,
                         line={"color": "white", "width": 4})
    figure.update_layout(xaxis={"type": "category", "title": matrix.cols_by},
                         yaxis={"type": "category", "title": matrix.rows_by, "autorange":
                                "reversed"},
                         hovermode="closest", hoverdistance=-1, clickmode="event+select",
                         height=max(260, 60 * len(matrix.rows) + 140),
                         margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def clicked_cell(matrix: Matrix, selection: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """The cell a chart selection points at (the last point that names a cell holding
    conversations), else None.

    Args:
        matrix: The matrix the chart was drawn from.
        selection: The ``selection`` of ``st.plotly_chart``'s event (``points`` with the
            ``customdata`` of :func:`matrix_figure`), or None.
    """
    for point in reversed((selection or {}).get("points") or []):
        data = point.get("customdata")
        if isinstance(data, (list, tuple)) and len(data) == 2:
            key = (str(data[0]), str(data[1]))
            if key in matrix.cells:
                return key
    return None


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
