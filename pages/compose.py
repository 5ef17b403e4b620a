"""Compose: choose a scenario, a profile and one level per axis; see both prompts re-render; save.

Or make a twin of a real conversation: extract its facts with a model (or start empty), review
and edit them, save. Corpus and model text is shown inert (st.text, st.code, widget values).
"""

import asyncio

import streamlit as st

from workbench.library import Library, LibraryError, default_persona_id
from workbench.settings import load_settings
from workbench.views.tables import profile_summary
from workbench.views.transcript_view import inert_markdown

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

TWIN = "Twin of a real conversation"
if st.segmented_control("Make", ["Persona", TWIN], default="Persona", key="compose_mode") == TWIN:
    from workbench.analysis.samples import corpus_conversations, corpus_names
    from workbench.backends import get_backend
    from workbench.store import Store
    from workbench.twins import extract_twin, hand_twin, save_twin
    from workbench.views.twins import TWIN_ERRORS, conversation_label, edited_twin, twin_form

    with Store(settings.store_path) as store:
        corpora = corpus_names(store)
        corpus = st.selectbox("Corpus", corpora, key="compose_twin_corpus")
        if corpus is None:
            st.info("No real conversations yet: import a corpus with `workbench import reference "
                    "FILE --name NAME`.")
            st.stop()
        real = {t.id: t for t in corpus_conversations(store, corpus).transcripts}
    chosen = st.selectbox("Conversation", list(real), key="compose_twin_conversation",
                          format_func=lambda c: conversation_label(real[c]))
    with st.expander("The real conversation"):
        st.text("\n".join(f"{turn.role}: {turn.text}" for turn in real[chosen].turns))
    model = st.text_input("Extraction model", settings.default_patient_model or "",
                          key="compose_twin_model")
    extract, by_hand = st.columns(2)
    if extract.button("Extract facts", key="compose_twin_extract", type="primary"):
        try:
            backend = get_backend(model, hosts=settings.ollama_hosts,
                                  allow_remote=settings.allow_remote)
            st.session_state["compose_twin_draft"] = asyncio.run(
                extract_twin(library, real[chosen], backend))
        except TWIN_ERRORS as exc:
            st.error("No twin extracted:")
            st.code(str(exc), language=None, wrap_lines=True)
    if by_hand.button("Write by hand", key="compose_twin_hand"):
        st.session_state["compose_twin_draft"] = hand_twin(library, real[chosen])
    draft = st.session_state.get("compose_twin_draft")
    if draft is None or draft.profile.twin.conversation_id != chosen:
        st.stop()
    source = draft.profile.twin
    st.caption(f"Twin `{draft.persona.id}` of {source.conversation_id} · extracted by "
               f"{source.extraction_model or 'hand'} · empty facts stay unknown")
    for note in draft.notes:
        st.code(note, language=None, wrap_lines=True)
    data = {}
    with st.form("compose_twin_form"):
        cols = st.columns(2)
        for i, (field, value) in enumerate(twin_form(draft.profile)):
            key, col = f"compose_twin_{field.name}_{id(draft)}", cols[i % 2]
            data[field.name] = (col.number_input(field.label, 0, 120, value, key=key)
                                if field.kind == "int" else col.text_input(field.label, value,
                                                                           key=key))
        overwrite = st.checkbox("Overwrite a twin with this id", key="compose_twin_overwrite")
        saved = st.form_submit_button("Save twin", type="primary")
    if saved:
        try:
            paths = save_twin(library, edited_twin(draft, data), draft.persona, overwrite)
        except LibraryError as exc:
            st.error("Not saved:")
            st.code(str(exc), language=None, wrap_lines=True)
        else:
            st.success(f"Saved {len(paths)} files; run the twin on the Runs page with the "
                       f"clinician replay/{source.corpus}.")
    st.stop()

scenario_id = st.selectbox("Scenario", list(scenarios), key="compose_scenario",
                           format_func=lambda s: f"{s} · {scenarios[s].label}")
scenario = scenarios[scenario_id]
st.caption(inert_markdown(scenario.description))  # a shared library's text: inert

kind_profiles = sorted(p for p, prof in profiles.items() if prof.kind == scenario.profile_kind)
if not kind_profiles:
    st.warning("This scenario has no profile yet: write one on the **New profile** page.")
    st.stop()
profile_id = st.selectbox("Profile", kind_profiles, key="compose_profile",
                          format_func=lambda p: f"{p} · {profile_summary(profiles[p])}")
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
