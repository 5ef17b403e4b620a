"""Experiment matrix: the chosen runs laid out by two dimensions (model, prompt template,
temperature, persona, any axis...), a figure per cell with its n, as a heatmap with its table one
click away; a click on a cell (or the Cell box) lists its conversations, each opening in
Transcripts."""

import streamlit as st

from workbench.analysis.matrix import BASE_FIGURES, build_matrix, definition, dimensions, \
    score_figures
from workbench.domain.transcript import Transcript
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import inert_markdown
from workbench.views.matrix import cell_options, cell_title, clicked_cell, matrix_figure, \
    matrix_rows


@st.cache_resource(max_entries=1, ttl=900, show_spinner=False)
def finished(store_path: str, run_ids: tuple[str, ...], sizes: str) -> list[Transcript]:
    """The runs' finished conversations with their turns, read once and shared (read-only) by
    every rerun: another row, column, figure or cell does not read a large run again."""
    with Store(store_path) as store:
        return [t for r in run_ids for t in store.conversations_of_run(
            r, statuses=["done"], with_turns=True)]


st.title("Experiment matrix")
st.caption("A grid of runs by model, prompt version, temperature or any persona axis, one "
           "figure per cell with the number it rests on. Choose the runs to compare.")
settings = load_settings()
with Store(settings.store_path) as store:
    runs = {run.id: run for run in store.list_runs()}
    if not runs:
        st.info("No runs yet: start one on the Runs page (or `workbench demo`), then come back.")
        st.stop()
    chosen = st.multiselect("Runs", list(runs), key="matrix_runs",
                            format_func=lambda r: f"{runs[r].name} · {r}")
    if not chosen:
        st.info("Choose one or more runs to lay out.")
        st.stop()
    sizes = repr([store.run_progress(r) for r in chosen])  # a run that grows is read again
    with st.spinner("Reading the runs' conversations…"):
        transcripts = finished(str(settings.store_path), tuple(chosen), sizes)
        annotations = store.annotations()
if not transcripts:
    st.warning("The chosen runs have no finished conversation yet.")
    st.stop()
dims = dimensions(transcripts)
figures = {**BASE_FIGURES, **score_figures(annotations)}
left, middle, right = st.columns(3)
rows_by = left.selectbox("Rows", list(dims), index=list(dims).index("model"),
                         format_func=dims.get, key="matrix_rows")
cols_by = middle.selectbox("Columns", list(dims), index=list(dims).index("template"),
                           format_func=dims.get, key="matrix_cols")
figure = right.selectbox("Figure", list(figures), format_func=figures.get, key="matrix_figure",
                         help=definition("mean_turns") + " " + definition("distinct_2") + " "
                         + definition("score"))
matrix = build_matrix(transcripts, runs, rows_by, cols_by, figure, annotations)
label = figures[figure]
st.caption(inert_markdown(f"{label}: {definition(figure)}")
           + (f" Sample size: {matrix.size} patient turns per cell." if matrix.size else ""))


def open_clicked() -> None:
    """A click on a cell picks it in the "Cell" box below (the keyboard's way to the same)."""
    key = clicked_cell(matrix, st.session_state["matrix_chart"].get("selection"))
    if key is not None:
        st.session_state["matrix_cell"] = key


chart, table = st.tabs(["Heatmap", "Table"])
chart.plotly_chart(matrix_figure(matrix, label, st.session_state.get("matrix_cell")),
                   key="matrix_chart", on_select=open_clicked, selection_mode="points")
chart.caption("Click a cell to list its conversations below.")
table.dataframe(matrix_rows(matrix), hide_index=True)

st.subheader("Open a cell", anchor=False)
options = cell_options(matrix)
picked = st.selectbox("Cell", options, index=None, key="matrix_cell",
                      format_func=lambda key: cell_title(matrix, key),
                      placeholder="choose a cell to list its conversations")
if picked is not None:
    ids = matrix.cells[picked].conversation_ids
    st.write(f"**{len(ids)}** conversation(s); each opens in Transcripts.")
    for cid in ids[:200]:
        st.page_link("../pages/transcripts.py", label=inert_markdown(cid),
                     icon=":material/forum:", query_params={"conversation": cid})
    if len(ids) > 200:
        st.caption(f"The first 200 of {len(ids)} are listed.")
