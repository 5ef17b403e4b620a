"""Compose: choose a scenario, a profile and one level per axis; see both prompts re-render; save."""

import streamlit as st

from workbench.library import Library, LibraryError, default_persona_id
from workbench.settings import load_settings
from workbench.tables import profile_summary
from workbench.transcript_view import inert_markdown

st.title("Compose a persona")
settings = load_settings()
library = Library(settings.personas_dir)
try:
    scenarios = library.scenarios()
    axes = library.axes()
    profiles = library.profiles()
except LibraryError as exc:
    st.error("The persona library has errors; fix them and reload:")
    st.code(str(exc), language=None, wrap_lines=True)
    st.stop()

scenario_id = st.selectbox(
    "Scenario",
    list(scenarios),
    format_func=lambda s: f"{s} · {scenarios[s].label}",
    key="compose_scenario",
)
scenario = scenarios[scenario_id]
st.caption(inert_markdown(scenario.description))  # a shared library's text: inert

kind_profiles = sorted(p for p, prof in profiles.items() if prof.kind == scenario.profile_kind)
if not kind_profiles:
    st.warning("This scenario has no profile yet: write one on the **New profile** page.")
    st.stop()
profile_id = st.selectbox(
    "Profile",
    kind_profiles,
    format_func=lambda p: f"{p} · {profile_summary(profiles[p])}",
    key="compose_profile",
)
st.caption("Need another patient? Write one on the **New profile** page; it appears here once saved.")

levels: dict[str, str] = {}
cols = st.columns(len(scenario.axes))
for col, axis_id in zip(cols, scenario.axes):
    axis = axes[axis_id]
    levels[axis_id] = col.radio(
        inert_markdown(axis.label),
        axis.level_ids,
        format_func=lambda lid, a=axis: inert_markdown(a.level(lid).label),
        key=f"compose_level_{axis_id}",
        help=inert_markdown(axis.description),
    )
    col.caption(inert_markdown(axis.level(levels[axis_id]).description))

default_id = default_persona_id(profile_id, scenario, levels)
persona_id = st.text_input(
    "Persona id (the file name)", value=default_id, key=f"compose_id_{default_id}"
)

try:
    persona = library.compose_persona(scenario_id, profile_id, levels, id=persona_id.strip())
    prompts = library.render(persona)
except LibraryError as exc:
    st.error("This persona is not valid yet:")
    st.code(str(exc), language=None, wrap_lines=True)
    st.stop()

cap = f"at most {prompts.sentence_cap} sentences per reply" if prompts.sentence_cap else "no cap"
st.caption(f"Reply length: {cap} · content hash `{persona.content_hash()}`")
left, right = st.columns(2)
with left:
    st.markdown("**Patient system prompt**")
    st.code(prompts.patient, language=None, wrap_lines=True)
with right:
    st.markdown("**Clinician system prompt**")
    st.code(prompts.clinician, language=None, wrap_lines=True)

overwrite = st.checkbox("Overwrite a persona file with this id", key="compose_overwrite")
if st.button("Save persona", type="primary", key="compose_save"):
    try:
        path = library.save_persona(persona, overwrite=overwrite)
    except LibraryError as exc:
        st.error("Not saved:")
        st.code(str(exc), language=None, wrap_lines=True)
    else:
        st.success(f"Saved `{path}`. It is listed on the Personas page and available to runs.")
