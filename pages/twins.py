"""Twins: a twin run's simulated conversations beside the real ones, aligned by clinician turn.

Corpus and model text is shown inert: every turn through ``st.text``; markdown carries only
figures, schema field names and URL-quoted links (see ``workbench.views.twins``).
"""

import streamlit as st

from workbench.analysis.embeddings import ModelUnavailable
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.twins import (
    disclosure_figure,
    exchange_label,
    first_disclosures,
    is_twin_run,
    links,
    pair_choices,
    pair_rows,
    run_figure,
    similarity_band,
    similarity_figure,
    summary_rows,
)

st.title("Twins")
st.caption("Each twin's conversation replays the real clinician turn by turn, so the simulated "
           "and the real patient answer the same questions. Figures: docs/METRICS.md, "
           "\"Matched realism (twins)\".")
store_path = load_settings().store_path


@st.cache_data(show_spinner="Comparing the twins with their real conversations…", max_entries=8)
def matched(path: str, run_id: str, turns: int):
    """The run's matched comparison (recomputed when its turn count changes)."""
    from workbench.analysis.matched import compare_run

    with Store(path) as store:
        return compare_run(store, run_id)


with Store(store_path) as store:
    runs = [r for r in store.list_runs() if is_twin_run(r)]
    if not runs:
        st.info("No twin run yet. Make twins on the **Compose** page (Twin of a real "
                "conversation) or with `workbench twins make`, then run them with the clinician "
                "`replay/<corpus>` (Runs page, or `workbench twins run`).")
        st.stop()
    names = {r.id: f"{r.name} · {r.id} · {r.status}" for r in runs}
    run_id = st.selectbox("Twin run", list(names), format_func=names.get, key="twins_run")
    turns = store.run_progress(run_id).total_turns

try:
    report, notes = matched(str(store_path), run_id, turns)
except (ValueError, ModelUnavailable) as exc:
    st.warning("No comparison of this run:")
    st.code(str(exc), language=None, wrap_lines=True)
    st.stop()
for note in notes:
    st.caption("Left out: ")
    st.text(note)

st.subheader("Run summary", anchor=False)
st.dataframe(summary_rows(report), hide_index=True, width="stretch")
st.plotly_chart(run_figure(report), width="stretch", key="twins_run_figure")
st.dataframe(pair_rows(report), hide_index=True, width="stretch")

st.subheader("Side by side", anchor=False)
chosen = st.selectbox("Twin conversation", pair_choices(report), key="twins_pair")
pair = next(p for p in report.pairs if p.simulated_id == chosen)
link = links(pair)
st.markdown(f"[Simulated in Transcripts]({link['simulated']}) · "
            f"[Real in Transcripts]({link['real']}) · [Compare the two]({link['compare']})")
left, right = st.columns(2)
left.plotly_chart(similarity_figure(pair), width="stretch", key="twins_similarity")
right.plotly_chart(disclosure_figure(pair), width="stretch", key="twins_disclosure")
st.caption(f"Shuffled-pairs baseline of this pair: {pair.baseline:.2f}. Green: at least 0.2 "
           "above it; orange: above it; red: below it.")
firsts = first_disclosures(pair)
for match in pair.exchanges:
    band = similarity_band(match.similarity, pair.baseline)
    st.markdown(f":{band}[**{exchange_label(match)}**]")
    st.text(f"Clinician: {match.clinician}")
    real_col, sim_col = st.columns(2)
    for col, side, text, facts in ((real_col, "real", match.real, match.real_facts),
                                   (sim_col, "simulated", match.simulated,
                                    match.simulated_facts)):
        col.caption(f"{side.capitalize()} patient")
        col.text(text or "(no reply)")
        new = firsts.get(match.index, {}).get(side, [])
        if new:
            col.markdown(":blue-background[First mentions: " + ", ".join(new) + "]")
        elif facts:
            col.caption("Mentions: " + ", ".join(facts))
