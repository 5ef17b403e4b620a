"""Runs: choose personas, models and options; launch a detached run; follow, cancel, resume.
(The engine and the model SDKs are imported on launch only, to keep the first run light.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from workbench.jobs import launch
from workbench.backends import BackendError, ChatOptions
from workbench.views.hosts_status import DEMO_OFFER, model_offer, probe_hosts
from workbench.library import Library, LibraryError
from workbench.settings import load_settings
from workbench.store import Store, StoreError
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
models = offer.specs
try:
    personas, scenarios, axes, scripts = (library.personas(), library.scenarios(),
                                          library.axes(), library.scripts())
    with Store(settings.store_path) as store:
        runs = store.list_runs()  # progress is read once, by the fragment below
except (LibraryError, StoreError) as exc:
    st.error("Cannot show runs: fix this and reload the page.")
    st.code(str(exc), language=None, wrap_lines=True)
    st.stop()
if library.problems:
    st.warning(f"{len(library.problems)} file(s) of the persona library have problems and are "
               "left out; the Personas page lists them.", icon=":material/warning:")
if flash := st.session_state.pop("runs_flash", None):
    st.success(inert_markdown(flash), icon=":material/rocket_launch:")


def start(config: RunConfig, name: str | None, what: str) -> None:
    """Plan and launch detached; report a user's mistake without a traceback."""
    from workbench.simulate import PlanError
    try:
        with st.spinner("Checking the models and planning the run…"):
            launched = launch.plan_and_launch(settings.store_path, library, config, name=name)
    except (PlanError, LibraryError, BackendError, StoreError) as exc:
        st.error(inert_markdown(str(exc)), icon=":material/error:")
        return
    st.session_state.setdefault("runs_watched", []).append(launched.run_id)
    st.session_state["runs_flash"] = (f"{what} {launched.run_id} started in the background "
                                      f"(log: {launched.log_path}). It goes on if you close "
                                      "this tab.")
    st.rerun()


if not runs:
    st.info(DEMO_OFFER, icon=":material/waving_hand:")
    if st.button("Run the demo", key="runs_demo", type="primary", disabled=not models):
        from workbench.demo import DemoUnavailable, demo_config
        try:
            demo = demo_config(personas, statuses, allow_remote=settings.allow_remote)
        except DemoUnavailable as exc:
            st.error(inert_markdown(str(exc)))
        else:
            start(demo.config, demo.name, f"Demo run with {demo.model_reason} —")

st.subheader("New run")
choice = st.selectbox("Scenario", [ALL_SCENARIOS, *scenarios], key="runs_scenario")
scenario, axis_ids = scenario_choice(scenarios, choice)
levels: dict[str, list[str]] = {}
for col, axis_id in zip(st.columns(max(len(axis_ids), 1)), axis_ids):
    levels[axis_id] = col.multiselect(inert_markdown(axes[axis_id].label), axes[axis_id].level_ids,
                                      key=f"runs_level_{axis_id}",
                                      help=inert_markdown(axes[axis_id].description))
matches = [p.id for p in library.filter_personas(levels, scenario=scenario)]
picked = st.multiselect(f"Personas ({len(matches)} match the filters)", matches,
                        key="runs_personas", placeholder=f"All {len(matches)} matching personas")
persona_ids = picked or matches

left, right = st.columns(2)
default = settings.default_patient_model
patient_options = models + ([default] if default and default not in models else [])
patient = left.selectbox(
    "Patient model", patient_options, key="runs_patient", accept_new_options=True,
    index=patient_options.index(default) if default in patient_options else (0 if models else None),
    placeholder="Type a model spec, e.g. ollama/llama3.2:1b",
    help="Listed from the configured Ollama host(s), then the embedded local/smollm2; type any "
    "spec such as ollama/<model>, openai/<model>@<base_url> or local/<path>.gguf.")
script_labels = {f"scripted/{sid}": f"scripted/{sid} — {s.label} ({s.scenario})"
                 for sid, s in scripts.items()}
clinician = right.selectbox(
    "Clinician", [*models, *script_labels], key="runs_clinician", accept_new_options=True,
    index=0 if models or script_labels else None, format_func=lambda s: script_labels.get(s, s),
    help="A model, or a scripted interviewer (fixed questions, the same for every patient).")
cols = st.columns(6)
samples = cols[0].number_input("Samples", 1, 1000, 1, key="runs_samples")
max_turns = cols[1].number_input("Max turns", 1, 500, None, key="runs_max_turns",
                                 placeholder="scenario's")
concurrency = cols[2].number_input("Concurrency", 1, 64, 4, key="runs_concurrency",
                                   help="Model calls in flight per host.")
temperature = cols[3].number_input("Temperature", 0.0, 2.0, 0.7, 0.1, key="runs_temperature")
seed = cols[4].number_input("Seed", 0, None, 0, key="runs_seed", help="Sample i uses seed + i.")
name = cols[5].text_input("Name", key="runs_name", placeholder="automatic")
st.caption(f"{len(persona_ids)} personas × {samples} samples = "
           f"{len(persona_ids) * samples} conversations on "
           f"{inert_markdown(', '.join(settings.ollama_hosts))}.")
if st.button("Launch", key="runs_launch", type="primary",
             disabled=not (persona_ids and patient and clinician)) and patient and clinician:
    from workbench.simulate import RunConfig
    start(RunConfig(personas=persona_ids, patient_model=patient, clinician=clinician,
                    samples=samples, max_turns=max_turns, concurrency=concurrency, seed=seed,
                    hosts=settings.ollama_hosts, allow_remote=settings.allow_remote,
                    options=ChatOptions(temperature=temperature,
                                        timeout_s=settings.model_timeout_s)), name, "Run")

had_active = any(r.status in launch.ACTIVE_STATUSES for r in runs)


def resume_button(v: launch.RunView) -> None:
    """Resume a stalled or cancelled run in a new detached process."""
    if st.button("Resume", key=f"runs_resume_{v.id}", help=inert_markdown(
                 f"Continue run {v.id} from the last stored turn of each unfinished conversation.")):
        launch.launch_run(settings.store_path, v.id, resume=True, hosts=settings.ollama_hosts)
        st.session_state.setdefault("runs_watched", []).append(v.id)
        st.rerun()


@st.fragment(run_every=1.0 if had_active else None)
def live_runs() -> None:
    """Progress read from the store; refreshes itself while a run is active."""
    with Store(settings.store_path) as store:
        current = launch.run_views(store)
    active = [v for v in current if v.active]
    if had_active and not active:
        st.rerun()  # the last run finished: redraw the page once, without auto-refresh
    if active:
        st.subheader("Active runs")
    for v in active:
        st.progress(v.fraction, text=inert_markdown(v.label))
        if v.stalled:
            st.warning(inert_markdown(f"Run {v.id} stopped before the run finished: no process is "
                                      "executing it (it stopped or was killed). Its log ends with:"))
            st.code(launch.read_log_tail(settings.store_path, v.id) or "", language=None)
            resume_button(v)
        elif st.button("Cancel", key=f"runs_cancel_{v.id}", disabled=v.cancel_requested):
            with Store(settings.store_path) as store:
                store.request_cancel(v.id)
    watched = st.session_state.get("runs_watched", [])
    for v in (v for v in current if v.id in watched and not v.active):
        st.info(inert_markdown(f"Run finished — {v.status}: {v.label}"), icon=":material/flag:")
    if current:
        st.subheader("Runs")
        st.dataframe(launch.run_rows(current), hide_index=True, key="runs_table")
    for v in [v for v in current if v.status == "cancelled"][:3]:
        st.caption(inert_markdown(f"Run {v.id} was cancelled: {v.label}"))
        resume_button(v)
    for v in [v for v in current if v.status == "failed"][:3]:
        with st.expander(inert_markdown(f"Why run {v.id} failed")):
            st.code(launch.read_log_tail(settings.store_path, v.id) or
                    f"No log: see `workbench runs show {v.id}`.", language=None, wrap_lines=True)


live_runs()
