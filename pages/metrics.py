"""Metrics: diversity of runs' or corpora's patient turns per group at one sample size, and their
realism against a reference corpus, every figure with its interval, its n and its yardsticks.
Every figure is defined in docs/METRICS.md."""

import streamlit as st

from workbench.analysis import corpus, reports, roles
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views import arcs, metrics as view, progress
from workbench.views.plots import diversity_figure, realism_figure, turn_length_figure
from workbench.views.tables import axis_ids_of_facets, run_label
from workbench.views.transcript_view import inert_markdown

settings = load_settings()
STORE = str(settings.store_path)
st.title("Metrics")


def computed(name: str, args: tuple, compute):
    """``compute(store, on_progress)`` once per ``args`` in this session, behind a progress bar and
    a Stop button (which forgets the request, so the job does not start again)."""
    with Store(STORE) as store:
        return progress.once_per_session(st, "metrics_computed", name, args,
                                         lambda tell: compute(store, tell),
                                         stop={f"metrics_{name}_args": None})


with Store(STORE) as store:
    sizes = {r.id: r for r in corpus.run_sizes(store)}
    corpora = [c.name for c in store.list_corpora() if c.n_conversations]
    groupings = [*reports.GROUPINGS, *(f"level:{a}" for a in axis_ids_of_facets(store.facets()))]
if not sizes and not corpora:
    st.info("No runs yet: start one on the **Runs** page (or import a corpus), then come back.")
    st.stop()

c1, c2, c3 = st.columns([3, 2, 2])
run_ids = c1.multiselect("Runs", list(sizes), default=list(sizes)[:1], key="metrics_runs",
                         format_func=lambda r: run_label(sizes[r]))
measured = c2.multiselect("Corpora measured", corpora, key="metrics_corpora",
                          help="Imported corpora on the measured side (real, or another "
                          "simulator's dataset), mixed freely with runs.")
embed = c3.toggle("Embedding metrics (Vendi, Fréchet)", True, key="metrics_embed",
                  help="Uses cached vectors or the offline embedding model; skipped with the "
                  "reason when neither is available.")
if not run_ids and not measured:
    st.info("Pick the runs or corpora to measure.")
    st.stop()
key = (STORE, tuple(run_ids), tuple(measured), tuple(sizes[r].turns for r in run_ids))

diversity_tab, realism_tab, roles_tab, arcs_tab = st.tabs(
    ["Diversity", "Realism", "Role adherence", "Arcs"])
with roles_tab:  # regular expressions: at once on small runs, on a button on large ones
    turns = sum(sizes[r].turns for r in run_ids)
    if turns <= view.ROLES_AT_ONCE or st.button(f"Check role adherence ({turns:,} turns)",
                                                key="metrics_roles_go", type="primary"):
        st.session_state["metrics_roles_args"] = (key,)
    if (args := st.session_state.get("metrics_roles_args")) and args[0] == key:
        st.dataframe(roles.role_rows(computed("roles", args, lambda store, tell: (
            roles.runs_role_adherence(store, list(key[1]), on_progress=tell)))), hide_index=True)
    st.caption(view.ROLES_NOTE + "\n\n" + view.role_definitions())
with arcs_tab:  # before Realism, whose st.stop() ends the script
    a1, a2 = st.columns(2)
    arc_by = a1.selectbox("Arcs per", ["run", "level:arc", "persona"], key="metrics_arcs_by")
    arc_refs = a2.multiselect("Real corpora (yardstick)", corpora, key="metrics_arcs_refs")
    if st.button("Compute arcs", key="metrics_arcs_go", type="primary"):
        st.session_state["metrics_arcs_args"] = (key, arc_by, tuple(arc_refs))
    if (args := st.session_state.get("metrics_arcs_args")) and args[0] == key:
        try:
            arc_view = computed("arcs", args, lambda store, tell: arcs.arc_results(
                store, list(args[0][1]), list(args[0][2]), by=args[1], references=list(args[2]),
                on_progress=tell))
        except ValueError as exc:  # an axis no conversation has
            st.error(inert_markdown(str(exc)))
        else:
            st.plotly_chart(arcs.arc_figure(arc_view), key="metrics_arcs_figure")
            st.dataframe(arcs.arc_rows(arc_view), hide_index=True)
            st.caption(arcs.ARC_CAPTION)
with diversity_tab:
    d1, d2 = st.columns(2)
    by = d1.selectbox("Group by", groupings, key="metrics_by", format_func=view.grouping_label)
    real = d2.selectbox("Real corpus beside (same size)", [None, *corpora], key="metrics_real",
                        format_func=lambda c: "none" if c is None else c)
    if st.button("Compute diversity", key="metrics_diversity_go", type="primary"):
        st.session_state["metrics_diversity_args"] = (key, by, real, embed)
    args = st.session_state.get("metrics_diversity_args")
    if args is None or args[0] != key:
        st.caption(view.DIVERSITY_WAITS)
    else:
        try:
            result = computed("diversity", args, lambda store, tell: reports.diversity_report(
                store, list(args[0][1]), corpora=list(args[0][2]), by=args[1],
                reference=args[2], embed=args[3], on_progress=tell))
        except ValueError as exc:  # unknown grouping or axis, too few turns
            st.error(inert_markdown(str(exc)))
        else:
            st.caption(view.diversity_sample(result))
            metric = st.selectbox("Plot", list(result.definitions), key="metrics_div_plot")
            chart, table = st.tabs(["Chart", "Table"])
            chart.plotly_chart(diversity_figure(result, metric), key="metrics_div_chart")
            table.dataframe(reports.diversity_rows(result), hide_index=True)
            st.caption(inert_markdown(view.DIVERSITY_NOTE) + "\n\n"
                       + view.definitions(result.definitions.items()))
            for label, n in result.too_small.items():
                st.warning(inert_markdown(f"{label} left out: {n} patient turns (fewer than "
                                          f"{result.size})."))
            for reason in result.skipped.values():
                st.info(inert_markdown(reason))

with realism_tab:
    if not corpora:
        st.info("No reference corpus yet: import real conversations with "
                "`workbench import reference FILE --name NAME`.")
        st.stop()
    r1, r2 = st.columns(2)
    reference = r1.selectbox("Reference corpus", corpora, key="metrics_reference")
    second = r2.selectbox("Second real corpus (yardstick)", [None, *corpora], key="metrics_second",
                          format_func=lambda c: "none" if c is None else c,
                          help="Real against real: what two real corpora collected differently "
                          "score.")
    if st.button("Compute realism", key="metrics_realism_go", type="primary"):
        st.session_state["metrics_realism_args"] = (key, reference, second if second != reference
                                                    else None, embed)
    args = st.session_state.get("metrics_realism_args")
    if args is None or args[0] != key:
        st.caption(view.REALISM_WAITS)
        st.stop()
    try:
        result = computed("realism", args, lambda store, tell: reports.realism_report(
            store, list(args[0][1]), args[1], corpora=list(args[0][2]), second_reference=args[2],
            embed=args[3], on_progress=tell))
    except ValueError as exc:  # unknown corpus, too few turns
        st.error(inert_markdown(str(exc)))
        st.stop()
    st.caption(view.realism_sample(result))
    rows = reports.realism_rows(result)
    chart, lengths, table = st.tabs(["Chart", "Turn lengths", "Table"])
    chart.plotly_chart(realism_figure(result), key="metrics_realism_chart")
    lengths.plotly_chart(turn_length_figure(result.turn_words), key="metrics_lengths_chart")
    table.dataframe(view.without_definitions(rows), hide_index=True)
    st.caption(view.definitions((row["metric"], row["definition"]) for row in rows))
    for reason in result.skipped.values():
        st.info(inert_markdown(reason))
    st.subheader("Telling n-grams")
    for metric, table in reports.telling_ngrams(result).items():
        st.caption(f"{metric}: n-grams that give each side away (logistic-regression weight)")
        st.dataframe(table, hide_index=True)
    st.subheader("LLM tells")
    st.caption(view.TELLS_NOTE)
    st.dataframe(reports.tell_rows(result), hide_index=True)
