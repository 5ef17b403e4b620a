"""Clusters: a map of a run's patients in embedding space, coloured by any axis, level, model, run,
scenario or cluster; a lasso or box selection lists the conversations to open."""

from functools import partial

import streamlit as st

from workbench.analysis import corpus, embeddings, mapping
from workbench.backends import BackendError
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views import clusters as view
from workbench.views.progress import bar_counts, once_per_session
from workbench.views.tables import run_label
from workbench.views.transcript_view import inert_markdown

settings = load_settings()
STORE = str(settings.store_path)
st.title("Clusters")

# Reading is one query each; the long jobs (embedding, map, titles, recoverability) get a bar.
cached_units = st.cache_data(show_spinner="Reading the patient text…", max_entries=4)(
    mapping.units)
cached_coverage = st.cache_data(show_spinner="Looking up cached embeddings…", max_entries=4)(
    mapping.coverage)


job = partial(once_per_session, st, "clusters_computed")  # a long job: bar, Stop, kept
with Store(STORE) as store:
    sizes = {r.id: r for r in corpus.run_sizes(store)}
if not sizes:
    st.info("No runs yet: start one on the **Runs** page, then come back to map it.")
    st.stop()

c1, c2, c3 = st.columns([3, 1, 2])
run_ids = c1.multiselect("Runs", list(sizes), default=corpus.default_runs(list(sizes.values())),
                         key="clusters_runs", format_func=lambda r: run_label(sizes[r]))
unit = c2.radio("Unit", corpus.UNITS, key="clusters_unit",
                help="conversation: a conversation's patient side; turn: each patient turn.")
model = c3.text_input("Embedding model", embeddings.DEFAULT_MODEL, key="clusters_model")
if not run_ids:
    st.info("Pick the runs to map (newest first).")
    st.stop()

key = mapping.map_key(STORE, run_ids, unit, model, sizes)
most = sum(sizes[r].units(unit) for r in run_ids)
if view.must_ask(most, corpus.SMALL_MAP_UNITS, key, st.session_state):
    st.info(f"Up to {most:,} {unit}s: reading and mapping them takes a while.")
    if not st.button(f"Map these {unit}s", key="clusters_go",
                     on_click=lambda: st.session_state.update(clusters_chosen=key)):
        st.stop()

# Imported once there is something to map: the first visit stays light.
from workbench.analysis import clusters as cl, figures, recoverability as rec, titles  # noqa: E402
from workbench.analysis.projection import available_methods  # noqa: E402

units = cached_units(key)
n_texts = len(units)
if not n_texts:
    st.info("These runs have no patient text yet.")
    st.stop()
if (cached := cached_coverage(key, units)) < 1:
    st.warning(view.missing_embeddings(cached, n_texts, model, run_ids[0], unit))
    if not st.button("Embed them now", key="clusters_embed"):
        st.stop()
    # A click on Stop reruns the page, which interrupts the job; vectors so far stay cached.
    st.button("Stop", key="clusters_stop", icon=":material/stop_circle:")
    bar = st.progress(0.0, text="Embedding…")
    mapping.vectors(key, units, on_progress=bar_counts(bar, "new texts embedded"))
    cached_coverage.clear()
    st.rerun()

c1, c2, c3, c4 = st.columns(4)
projection = c1.selectbox("Projection", available_methods(), key="clusters_projection")
clustering = c2.selectbox("Clustering", ["kmeans", "hdbscan"], key="clusters_clustering")
k = c3.number_input("k (k-means)", 2, 50, min(8, max(2, n_texts // 5)), key="clusters_k")
min_size = c4.number_input("Min cluster size (HDBSCAN)", 2, 500, 5, key="clusters_min_size")
map_id = (key, projection, clustering, int(k), int(min_size))
result = job("map", map_id, lambda tell: mapping.build(key, units, *map_id[1:], tell),
             stop={"clusters_chosen": None, "clusters_stopped": key})
frame, axes = result.frame, corpus.axis_columns(result.frame)
spec = settings.default_patient_model
named = st.session_state.get("clusters_computed", {}).get(("titles", (map_id, spec)))
color_by = st.selectbox("Colour by", corpus.colour_choices(frame), index=1 if axes else 0,
                        format_func=lambda c: c.replace("axis:", "axis · "), key="clusters_color")

left, right = st.columns([3, 2])
with left:
    names = titles.legend_names(named) if named and color_by == "cluster" else None
    event = st.plotly_chart(figures.map_figure(frame, color_by, names=names), on_select="rerun",
                            selection_mode=("lasso", "box"), key="clusters_map")
    st.caption(f"{len(frame)} {unit}s · projection {result.projection} · lasso or box to select.")
with right:
    st.subheader("How well each axis separates")
    if result.separation:
        st.plotly_chart(figures.separation_figure(result.separation), key="clusters_separation")
        st.dataframe(cl.separation_rows(result.separation), hide_index=True)
        st.caption(view.separation_caption(cl.DEFINITIONS))
    else:
        st.caption("These conversations have no persona axes.")

if selected := view.selected_conversations(event):
    st.subheader(f"Selected: {len(selected)} conversations")
    chosen = corpus.conversations_among(frame, selected)
    for row in chosen.head(30).iter_rows(named=True):
        st.page_link("../pages/transcripts.py", icon=":material/forum:", label=view.link_label(row),
                     query_params={"conversation": row["conversation_id"]})
    if len(chosen) > 30:
        st.caption(f"…and {len(chosen) - 30} more; narrow the selection.")

with st.expander("Cluster keywords (c-TF-IDF) and titles", expanded=named is not None):
    st.caption(cl.DEFINITIONS["c_tf_idf"])
    if spec and st.button(inert_markdown(f"Name clusters with {spec}"), key="clusters_name"):
        try:
            job("titles", (map_id, spec), lambda tell: titles.name_clusters(
                spec, result, hosts=settings.ollama_hosts, allow_remote=settings.allow_remote,
                on_progress=tell))
            st.rerun()  # the map's legend above takes the titles
        except BackendError as exc:
            st.error(inert_markdown(exc.message))
    elif not spec:
        st.caption("Set a default model on the **Settings** page to have it title the clusters.")
    st.dataframe(cl.keyword_rows(result, named), hide_index=True)

st.subheader("Recoverability: can the intended level be read back?")
st.caption(rec.DEFINITIONS["recoverability"] + " " + rec.DEFINITIONS["pair_confusion"])
permutations = st.number_input("Permutations (0: none; 19 is the fewest that can reach "
                               "p ≤ 0.05)", 0, 999, 19, key="clusters_permutations")
if axes and st.toggle("Compute (seconds, times the permutations)", key="clusters_recover"):
    results = job("recover", (key, int(permutations)), lambda tell: mapping.recover(
        key, units, int(permutations), tell), stop={"clusters_recover": False})
    st.plotly_chart(figures.recoverability_figure(results), key="clusters_recoverability")
    for r in results:
        st.text(rec.describe(r))
        for pair in r.collapsed:
            st.warning(view.collapse_warning(r.axis, r.features, pair.a, pair.b, pair.confusion))
    with st.expander("Confusion matrices (rows: intended level)"):
        for r in (r for r in results if r.confusion):
            st.plotly_chart(figures.confusion_figure(r), key=f"clusters_cm_{r.axis}_{r.features}")
