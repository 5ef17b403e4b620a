"""Runs: choose personas, models and options; launch a detached run; follow, cancel, resume.
(The engine and the model SDKs are imported on launch only, to keep the first run light.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from workbench.jobs import launch
from workbench.views.hosts_status import DEMO_OFFER, model_offer, probe_hosts
from workbench.library import Library
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views import runs as view
from workbench.views.messages import left_out
from workbench.views.tables import ALL_SCENARIOS, scenario_choice
from workbench.views.transcript_view import inert_markdown

if TYPE_CHECKING:
    from workbench.simulate import RunConfig

probe = st.cache_data(ttl=15, show_spinner="Asking the model hosts…")(probe_hosts)

st.title("Runs")
settings = load_settings()
library = Library(settings.personas_dir, lenient=True)  # a broken file: listed, not fatal
statuses = probe(tuple(settings.ollama_hosts), allow_remote=settings.allow_remote)
offer = model_offer(statuses)
if offer.banner:
    st.warning(inert_markdown(offer.banner), icon=":material/power_off:")
    if st.button("Check again", key="runs_recheck"):
        probe.clear()
        st.rerun()
if offer.note:
    st.info(offer.note, icon=":material/science:")
# A library or store fault is framed by app.py, as on every page.
personas, scenarios, axes, scripts = (library.personas(), library.scenarios(), library.axes(),
                                      library.scripts())
with Store(settings.store_path) as store:
    runs = store.list_runs()  # progress is read once, by the fragment below
if library.problems:
    st.warning(left_out(len(library.problems)), icon=":material/warning:")
if flash := st.session_state.pop("runs_flash", None):
    st.success(flash, icon=":material/rocket_launch:")


def start(config: RunConfig, name: str | None, what: str) -> None:
    """Plan and launch detached; report a user's mistake without a traceback."""
    try:
        with st.spinner("Checking the models and planning the run…"):
            launched = launch.plan_and_launch(settings.store_path, library, config, name=name)
    except view.launch_errors() as exc:
        st.error(view.launch_problem(exc), icon=":material/error:")
        return
    st.session_state.setdefault("runs_watched", []).append(launched.run_id)
    st.session_state["runs_flash"] = view.launched_message(what, launched)
    st.rerun()


if not runs:
    st.info(DEMO_OFFER, icon=":material/waving_hand:")
    if st.button("Run the demo", key="runs_demo", type="primary", disabled=not offer.specs):
        from workbench.demo import DemoUnavailable, demo_config
        try:
            demo = demo_config(personas, statuses, allow_remote=settings.allow_remote)
            start(demo.config, demo.name, f"Demo run with {demo.model_reason} —")
        except DemoUnavailable as exc:  # start() reports its own errors
            st.error(inert_markdown(str(exc)))

st.subheader("New run")
choice = st.selectbox("Scenario", [ALL_SCENARIOS, *scenarios], key="runs_scenario")
scenario, axis_ids = scenario_choice(scenarios, choice)
levels = {axis_id: col.multiselect(inert_markdown(axes[axis_id].label), axes[axis_id].level_ids,
                                   key=f"runs_level_{axis_id}",
                                   help=inert_markdown(axes[axis_id].description))
          for col, axis_id in zip(st.columns(max(len(axis_ids), 1)), axis_ids)}
matches = [p.id for p in library.filter_personas(levels, scenario=scenario)]
picked = st.multiselect(f"Personas ({len(matches)} match the filters)", matches,
                        key="runs_personas", placeholder=f"All {len(matches)} matching personas")
persona_ids = picked or matches

left, right = st.columns(2)
choices = view.model_choices(offer.specs, settings.default_patient_model, scripts)
patient = left.selectbox("Patient model", choices.patient, key="runs_patient",
                         accept_new_options=True, index=choices.patient_index,
                         placeholder=view.PATIENT_PLACEHOLDER, help=view.PATIENT_HELP)
clinician = right.selectbox("Clinician", choices.clinician, key="runs_clinician",
                            accept_new_options=True, index=choices.clinician_index,
                            format_func=choices.label, help=view.CLINICIAN_HELP)
cols = st.columns(6)
samples = cols[0].number_input("Samples", 1, 1000, 1, key="runs_samples")
max_turns = cols[1].number_input("Max turns", 1, 500, None, key="runs_max_turns",
                                 placeholder="scenario's")
concurrency = cols[2].number_input("Concurrency", 1, 64, 4, key="runs_concurrency",
                                   help="Model calls in flight per host.")
temperature = cols[3].number_input("Temperature", 0.0, 2.0, 0.7, 0.1, key="runs_temperature")
seed = cols[4].number_input("Seed", 0, None, 0, key="runs_seed", help="Sample i uses seed + i.")
name = cols[5].text_input("Name", key="runs_name", placeholder="automatic")
st.caption(view.run_size(len(persona_ids), samples, settings.ollama_hosts))
if st.button("Launch", key="runs_launch", type="primary",
             disabled=not (persona_ids and patient and clinician)) and patient and clinician:
    start(view.run_config(settings, persona_ids, patient, clinician, samples=samples,
                          max_turns=max_turns, concurrency=concurrency, seed=seed,
                          temperature=temperature), name, "Run")

had_active = any(r.status in launch.ACTIVE_STATUSES for r in runs)


def resume_button(v: launch.RunView) -> None:
    """Resume a stalled or cancelled run in a new detached process."""
    if st.button("Resume", key=f"runs_resume_{v.id}", help=view.resume_help(v)):
        launch.launch_run(settings.store_path, v.id, resume=True, hosts=settings.ollama_hosts)
        st.session_state.setdefault("runs_watched", []).append(v.id)
        st.rerun()


@st.fragment(run_every=1.0 if had_active else None)
def live_runs() -> None:
    """Progress read from the store; refreshes itself while a run is active."""
    with Store(settings.store_path) as store:
        current = launch.run_views(store)
    shown = view.runs_overview(current, st.session_state.get("runs_watched", []))
    if had_active and not shown.active:
        st.rerun()  # the last run finished: redraw the page once, without auto-refresh
    if shown.active:
        st.subheader("Active runs")
    for v in shown.active:
        st.progress(v.fraction, text=inert_markdown(v.label))
        if v.stalled:
            st.warning(view.stalled_message(v))
            st.code(launch.read_log_tail(settings.store_path, v.id) or "", language=None)
            resume_button(v)
        elif st.button("Cancel", key=f"runs_cancel_{v.id}", disabled=v.cancel_requested):
            with Store(settings.store_path) as store:
                store.request_cancel(v.id)
    for v in shown.finished:
        st.info(inert_markdown(f"Run finished — {v.status}: {v.label}"), icon=":material/flag:")
    if current:
        st.subheader("Runs")
        st.dataframe(launch.run_rows(current), hide_index=True, key="runs_table")
    for v in shown.cancelled:
        st.caption(inert_markdown(f"Run {v.id} was cancelled: {v.label}"))
        resume_button(v)
    for v in shown.failed:
        with st.expander(inert_markdown(f"Why run {v.id} failed")):
            st.code(view.failure_log(settings.store_path, v), language=None, wrap_lines=True)


live_runs()
