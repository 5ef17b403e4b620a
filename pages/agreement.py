"""Agreement: how far human annotators agree on a rubric, per persona axis, per item and per pair,
the conversations they disagree on most (each one click from its transcript), and LLM judges
against the humans."""

import streamlit as st

from workbench.analysis.agreement import DEFINITIONS
from workbench.analysis.bootstrap import Resampling
from workbench.annotation.agreement_report import (
    agreement_report,
    item_rows,
    judge_rows,
    pair_rows,
)
from workbench.library.rubrics import load_rubrics
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import inert_markdown
from workbench.views.plots import agreement_figure

st.title("Agreement")
settings = load_settings()
rubrics = load_rubrics(settings.personas_dir)  # a LibraryError is framed by app.py

with Store(settings.store_path) as store:
    annotations = store.annotations()
used = [r for r in rubrics if any(a.rubric == r and a.status == "submitted" for a in annotations)]
if not used:
    st.info("No submitted annotations yet: annotate conversations on the Annotate page first.")
    st.stop()
left, right = st.columns([3, 1])
rubric_id = left.selectbox("Rubric", used, format_func=lambda r: rubrics[r].label,
                           key="agreement_rubric")
n_resamples = right.number_input("Bootstrap resamples", min_value=50, max_value=5000, value=200,
                                 step=50, key="agreement_resamples")
report = agreement_report(annotations, rubrics[rubric_id],
                          resampling=Resampling(n_resamples=int(n_resamples)))
if not report.items:
    st.info("No item of this rubric has submitted ratings or labels from two human annotators.")
    st.stop()

axes, others = item_rows(report, axes=True), item_rows(report, axes=False)
chart, table = st.tabs(["Chart", "Table"])
chart.plotly_chart(agreement_figure(report, DEFINITIONS), key="agreement_chart")
with table:
    if axes:
        st.subheader("Per persona axis", anchor=False)
        st.dataframe(axes, hide_index=True)
    if others:
        st.subheader("Per item", anchor=False)
        st.dataframe(others, hide_index=True)
st.caption(DEFINITIONS["krippendorff_alpha"] + " Ratings use ordinal alpha, labels nominal. "
           + DEFINITIONS["gwet_ac1"])

st.subheader("Annotator pairs", anchor=False)
st.dataframe(pair_rows(report), hide_index=True)
st.caption(DEFINITIONS["cohen_kappa"] + " Ratings: quadratic weights; labels: unweighted.")

st.subheader("Most disputed conversations", anchor=False)
if not report.disagreements:
    st.write("No conversation has two or more ratings on a conversation item.")
for d in report.disagreements:
    st.page_link("../pages/transcripts.py", icon=":material/forum:",
                 label=f"{inert_markdown(d.conversation_id)} · disagreement "
                       f"{d.disagreement:.2f} over {len(d.items)} item(s)",
                 query_params={"conversation": d.conversation_id})
st.caption(DEFINITIONS["disagreement"])

if report.judges:
    st.subheader("LLM judges against humans", anchor=False)
    st.dataframe(judge_rows(report), hide_index=True)
    st.caption(DEFINITIONS["judge_spearman"] + " " + DEFINITIONS["judge_kendall"])
