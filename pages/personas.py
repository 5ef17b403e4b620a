"""Personas: the library with filters by any axis level, and one persona's two prompts."""

import streamlit as st

from workbench.library import Library, LibraryError
from workbench.settings import load_settings
from workbench.views.tables import ALL_SCENARIOS, persona_rows, scenario_choice
from workbench.views.transcript_view import inert_markdown

st.title("Personas")
settings = load_settings()
library = Library(settings.personas_dir, lenient=True)  # a broken file is listed, not fatal
try:
    scenarios = library.scenarios()
    axes = library.axes()
    profiles = library.profiles()
    personas = library.personas()
except LibraryError as exc:
    st.error(
        f"The persona library at `{settings.personas_dir}` has errors. Fix them (or run "
        "`workbench personas validate`) and reload:"
    )
    st.code(str(exc), language=None, wrap_lines=True)
    st.stop()

if library.problems:
    with st.expander(f"{len(library.problems)} problem(s) in the library: those files are left "
                     "out; every other persona is usable", icon=":material/warning:"):
        st.code("\n".join(map(str, library.problems)), language=None, wrap_lines=True)
st.caption(
    f"{len(personas)} personas over {len(profiles)} profiles in `{settings.personas_dir}`. "
    "Compose new ones on the **Compose** page or write a factorial design with "
    "`workbench personas grid`."
)

choice = st.selectbox("Scenario", [ALL_SCENARIOS, *scenarios], key="personas_scenario")
scenario, axis_ids = scenario_choice(scenarios, choice)

levels: dict[str, list[str]] = {}
filter_cols = st.columns(max(len(axis_ids), 1))
for col, axis_id in zip(filter_cols, axis_ids):
    axis = axes[axis_id]
    levels[axis_id] = col.multiselect(
        inert_markdown(axis.label),  # a shared library's text: inert wherever Markdown renders
        axis.level_ids,
        format_func=lambda lid, a=axis: f"{lid} · {a.level(lid).label}",
        key=f"personas_level_{axis_id}",
        help=inert_markdown(axis.description),
    )
profile_choice = st.multiselect("Profile", sorted(profiles), key="personas_profiles")

matches = library.filter_personas(levels, scenario=scenario)  # an empty list: any level
if profile_choice:
    matches = [p for p in matches if p.profile in profile_choice]
rows = persona_rows(matches, profiles, axis_ids)
st.write(f"**{len(rows)}** personas match.")
table = st.dataframe(
    rows,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="personas_table",
)

selected = table.selection.rows if table and table.selection else []
if not rows:
    st.info("No persona matches these filters.")
    st.stop()
persona_id = rows[selected[0]]["persona"] if selected else rows[0]["persona"]
if not selected:
    st.caption("Select a row to show its prompts; showing the first.")

st.subheader(inert_markdown(persona_id))
try:
    resolved = library.resolve(persona_id)
    prompts = library.render(resolved)
except LibraryError as exc:
    st.error("This persona cannot be rendered:")
    st.code(str(exc), language=None, wrap_lines=True)
    st.stop()

st.caption(
    f"Scenario `{resolved.scenario.id}` · profile `{resolved.profile.id}` · content hash "
    f"`{resolved.content_hash()}` · file `{library.persona_path(persona_id)}`"
)
left, right = st.columns(2)
with left:
    st.markdown(f"**Patient system prompt** · template `{prompts.patient_template_hash}`")
    st.code(prompts.patient, language=None, wrap_lines=True)
with right:
    st.markdown(f"**Clinician system prompt** · template `{prompts.clinician_template_hash}`")
    st.code(prompts.clinician, language=None, wrap_lines=True)
with st.expander("Profile facts"):
    st.json(resolved.profile.model_dump(mode="json"))
