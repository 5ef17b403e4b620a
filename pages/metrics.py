"""Metrics: diversity of runs' patient turns per group, and their realism against a reference
corpus of real conversations, every figure with its interval and beside its yardsticks."""

import streamlit as st

from workbench.analysis import corpus, reports, roles
from workbench.settings import load_settings
from workbench.store import Store

settings = load_settings()
STORE = str(settings.store_path)
st.title("Metrics")


@st.cache_data(show_spinner="Measuring diversity…", max_entries=8)
def cached_diversity(key: tuple, by: str, embed: bool) -> reports.DiversityResults:
    """``key`` = (store, runs, their turn counts): a run that grows gets a new entry."""
    with Store(key[0]) as store:
        return reports.diversity_report(store, list(key[1]), by=by, embed=embed)


@st.cache_data(show_spinner="Measuring realism (refits a classifier per replicate)…",
               max_entries=8)
def cached_realism(key: tuple, reference: str, second: str | None, style_only: bool,
                   embed: bool) -> reports.RealismResults:
    with Store(key[0]) as store:
        return reports.realism_report(store, list(key[1]), reference, second_reference=second,
                                      style_only=style_only, embed=embed)


@st.cache_data(show_spinner="Checking role adherence…", max_entries=8)
def cached_roles(key: tuple) -> list[roles.RoleAdherence]:
    with Store(key[0]) as store:
        return roles.runs_role_adherence(store, list(key[1]))


with Store(STORE) as store:
    sizes = {r.id: r for r in corpus.run_sizes(store)}
    corpora = [c.name for c in store.list_corpora() if c.n_conversations]
if not sizes:
    st.info("No runs yet: start one on the **Runs** page, then come back to measure it.")
    st.stop()

c1, c2 = st.columns([3, 2])
run_ids = c1.multiselect("Runs", list(sizes), default=list(sizes)[:1], key="metrics_runs",
                         format_func=lambda r: f"{r} · {sizes[r].name} · "
                         f"{sizes[r].conversations:,} conversations")
embed = c2.toggle("Embedding metrics (Vendi, Fréchet)", True, key="metrics_embed",
                  help="Uses cached vectors or the offline embedding model; skipped with the "
                  "reason when neither is available.")
if not run_ids:
    st.info("Pick the runs to measure.")
    st.stop()
key = (STORE, tuple(run_ids), tuple(sizes[r].turns for r in run_ids))

diversity_tab, realism_tab, roles_tab = st.tabs(["Diversity", "Realism", "Role adherence"])
with roles_tab:  # cheap (regular expressions), so computed without a button
    st.dataframe(roles.role_rows(cached_roles(key)), hide_index=True)
    st.caption("Patient turns failing each check: count (share [95% bootstrap interval over "
               "conversations]). A model that stays in role scores 0 everywhere.")
    for check in roles.CHECKS:
        st.caption(f"**{roles.LABELS[check.name]}** — {check.description}.")
with diversity_tab:
    by = st.text_input("Group by", "run", key="metrics_by",
                       help="run, persona, model or level:<axis> (e.g. level:mood).")
    if st.button("Compute diversity", key="metrics_diversity_go", type="primary"):
        st.session_state["metrics_diversity_args"] = (key, by.strip(), embed)
    args = st.session_state.get("metrics_diversity_args")
    if args is None or args[0] != key:
        st.caption("Diversity takes seconds to minutes on a large run: press the button.")
    else:
        try:
            result = cached_diversity(*args)
        except ValueError as exc:  # unknown grouping or axis, too few turns
            st.error(str(exc))
        else:
            st.dataframe(reports.diversity_rows(result), hide_index=True)
            st.caption("Each cell: value [95% half-sample interval]. first_turn_*: over each "
                       "conversation's first patient turn.")
            for metric, definition in result.definitions.items():
                st.caption(f"**{metric}** — {definition}")
            for label, n in result.too_small.items():
                st.warning(f"{label} left out: {n} patient turns (needs "
                           f"{reports.MIN_DIVERSITY_TURNS}).")
            for reason in result.skipped.values():
                st.info(reason)

with realism_tab:
    if not corpora:
        st.info("No reference corpus yet: import real conversations with "
                "`workbench import reference FILE --name NAME`.")
        st.stop()
    r1, r2, r3 = st.columns([2, 2, 1])
    reference = r1.selectbox("Reference corpus", corpora, key="metrics_reference")
    second = r2.selectbox("Second real corpus (yardstick)", [None, *corpora], key="metrics_second",
                          format_func=lambda c: "none" if c is None else c,
                          help="Real against real: what two real corpora collected differently "
                          "score.")
    style_only = r3.checkbox("Style only", key="metrics_style",
                             help="Mask content words in the two-sample test: how patients "
                             "talk, not what they talk about.")
    if second == reference:
        second = None
    if st.button("Compute realism", key="metrics_realism_go", type="primary"):
        st.session_state["metrics_realism_args"] = (key, reference, second, style_only, embed)
    args = st.session_state.get("metrics_realism_args")
    if args is None or args[0] != key:
        st.caption("The two-sample test refits a classifier per bootstrap replicate: press the "
                   "button.")
        st.stop()
    try:
        result = cached_realism(*args)
    except ValueError as exc:  # unknown corpus, too few turns
        st.error(str(exc))
        st.stop()
    st.caption(f"{result.n_simulated_turns:,} simulated patient turns against "
               f"{result.n_reference_turns:,} of {result.reference}. Each figure: value [95% "
               "interval]; the yardsticks are the same metric between two random halves of the "
               "reference and between the two real corpora — compare against those, not 0.")
    rows = reports.realism_rows(result)
    st.dataframe([{k: v for k, v in row.items() if k != "definition"} for row in rows],
                 hide_index=True)
    for row in rows:
        st.caption(f"**{row['metric']}** — {row['definition']}")
    for reason in result.skipped.values():
        st.info(reason)
    st.subheader("LLM tells")
    st.dataframe(reports.tell_rows(result), hide_index=True)
    c2st = result.results[0]
    if getattr(c2st, "simulated_ngrams", None):
        g1, g2 = st.columns(2)
        g1.caption("N-grams that give the simulated side away")
        g1.dataframe([n.model_dump() for n in c2st.simulated_ngrams], hide_index=True)
        g2.caption("N-grams that give the real side away")
        g2.dataframe([n.model_dump() for n in c2st.reference_ngrams], hide_index=True)
