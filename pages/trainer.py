"""Trainer (PATIENT-Ψ): chat as the clinician with a simulated patient, replies streamed; for a
CBT client, then fill the cognitive model and see it scored against the ground truth.

Every turn is stored as it happens (clinician ``human:<name>``); a model error loses nothing.
"""

import streamlit as st

from workbench import trainer
from workbench.views import transcript_view as view
from workbench.backends import BackendError
from workbench.domain.ccd import CORE_BELIEFS, EMOTIONS
from workbench.domain.profile import CBTProfile
from workbench.views.messages import left_out
from workbench.views.hosts_status import SMALL_MODEL, model_offer, probe_hosts
from workbench.library import Library, LibraryError
from workbench.settings import load_settings
from workbench.store import Store, UnknownConversation

probe = st.cache_data(ttl=15, show_spinner="Asking the model hosts…")(probe_hosts)
st.title("Trainer")
settings = load_settings()
library = Library(settings.personas_dir, lenient=True)  # a broken file: left out, not fatal
hosts, remote = settings.ollama_hosts, settings.allow_remote
name = settings.annotator or st.text_input("Your name (set it for good on the Settings page)",
                                           key="trainer_name")
if not name.strip():
    st.info("Enter your name: your sessions and attempts are stored under it.")
    st.stop()
annotator = trainer.trainee_spec(name)

with Store(settings.store_path) as store:
    conversation_id = st.session_state.get("trainer_conversation")
    if conversation_id is None:
        scenarios, axes, personas = library.scenarios(), library.axes(), library.personas()
        if library.problems:  # a LibraryError that leaves nothing usable is framed by app.py
            st.warning(left_out(len(library.problems)), icon=":material/warning:")
        scenario = scenarios[st.selectbox("Scenario", list(scenarios), key="trainer_scenario",
                                          format_func=lambda s: scenarios[s].label)]
        persona_id = st.selectbox("Persona", sorted(p for p, x in personas.items()
                                                    if x.scenario == scenario.id),
                                  key="trainer_persona")
        levels = {}
        for col, axis_id in zip(st.columns(len(scenario.axes)), scenario.axes):
            axis = axes[axis_id]
            levels[axis_id] = col.selectbox(
                view.inert_markdown(axis.label), axis.level_ids,
                key=f"trainer_level_{persona_id}_{axis_id}",
                index=axis.level_ids.index(personas[persona_id].levels[axis_id]),
                format_func=lambda lid, a=axis: a.level(lid).label,
                help=view.inert_markdown(axis.description))
        offer = model_offer(probe(tuple(hosts), allow_remote=remote))
        model = st.text_input("Patient model", key="trainer_model", value=(
            settings.default_patient_model or next(iter(offer.specs), f"ollama/{SMALL_MODEL}")))
        if offer.note and model == offer.specs[-1]:
            st.info(view.inert_markdown(offer.note), icon=":material/science:")
        if st.button("Start session", type="primary", key="trainer_start"):
            try:
                conversation_id = trainer.start_session(
                    store, library, persona_id, levels, model, name, hosts=hosts,
                    allow_remote=remote)
            except (BackendError, LibraryError) as exc:  # no server or model; a broken persona
                st.error("The session cannot start:")
                st.code(str(exc), language=None, wrap_lines=True)
                st.stop()
            st.session_state["trainer_conversation"] = conversation_id
            st.rerun()
        earlier = {s.id: f"{s.persona_id} · {s.status} · {s.n_turns} turns · {s.id}"
                   for s in trainer.sessions_of(store, name)}
        again = st.selectbox("Or open one of your sessions", list(earlier), index=None,
                             format_func=earlier.get, key="trainer_earlier")
        if again and st.button("Open", key="trainer_open"):
            st.session_state["trainer_conversation"] = again
            st.rerun()
        st.stop()

    try:
        transcript = store.get_transcript(conversation_id)
    except UnknownConversation:  # the store was switched on the Settings page
        del st.session_state["trainer_conversation"]
        st.rerun()
    persona = store.get_persona(transcript.persona_hash or "")
    profile = persona.resolved().profile if persona else None
    names, state = view.role_names(persona), trainer.session_state(transcript)
    st.caption(view.inert_markdown(
        f"{transcript.persona_id} · {', '.join(transcript.levels.values())} · patient model "
        f"{transcript.patient_model} · you are {annotator} · {transcript.id}"))
    for bubble in view.chat_bubbles(transcript, persona):
        with st.chat_message(bubble.name, avatar=bubble.avatar):
            st.markdown(bubble.speaker)
            st.text(bubble.text)
            st.caption(bubble.caption)
    message = st.chat_input(f"Your message as the {names['clinician']}", key="trainer_input",
                            disabled=state.next_role != "clinician")
    retry = state.next_role == "patient" and st.button("Get the patient's reply")
    if message or retry:
        if message:
            with st.chat_message(names["clinician"], avatar=view.HUMAN_AVATAR):
                st.text(message)
        with st.chat_message(names["patient"], avatar=view.AVATARS["patient"]):
            try:
                st.write_stream(view.inert_stream(trainer.reply_stream(
                    store, transcript.id, message or None, hosts=hosts, allow_remote=remote)))
            except BackendError as exc:
                st.error(f"{view.inert_markdown(exc.message)} Your messages so far are "
                         "stored; once this is fixed, ask for the patient's reply again.")
                st.stop()
        st.rerun()
    if state.ended_by:
        st.info(view.inert_markdown(f"The session ended ({state.ended_by})."))

    cbt = isinstance(profile, CBTProfile)
    done, new = st.columns(2)
    if transcript.status != "done" and done.button(
            "I'm done — fill the cognitive model" if cbt else "End the session"):
        trainer.finish_session(store, transcript.id)
        st.rerun()
    if new.button("New session"):
        del st.session_state["trainer_conversation"]
        st.rerun()
    if transcript.status != "done" or not isinstance(profile, CBTProfile):
        st.stop()

    attempt = trainer.load_attempt(store, transcript.id, annotator)
    if attempt is None:
        st.subheader("Your cognitive model of this client", anchor=False)
        with st.form("trainer_ccd"):
            texts = {field: st.text_area(label, key=f"trainer_ccd_{field}")
                     for field, label in trainer.FREE_TEXT_FIELDS.items()}
            st.markdown("**Core beliefs**")
            beliefs = []
            for col, (group, items) in zip(st.columns(3), CORE_BELIEFS.items()):
                col.caption(group)
                beliefs += [b for b in items if col.checkbox(b, key=f"trainer_belief_{b}")]
            emotions = st.multiselect("Emotions", EMOTIONS, key="trainer_emotions")
            if st.form_submit_button("Score my cognitive model", type="primary",
                                     key="trainer_score"):
                attempt = trainer.CCDAttempt(core_beliefs=beliefs, emotions=emotions, **texts)
                trainer.save_attempt(store, transcript.id, annotator, attempt,
                                     trainer.score_attempt(attempt, profile))
                st.rerun()
        st.stop()
    score = trainer.score_attempt(attempt, profile)

st.subheader("Your cognitive model beside the ground truth", anchor=False)
st.metric("Overall overlap", f"{score.overall:.0%}")
st.dataframe(trainer.score_rows(score), hide_index=True, column_config={
    "score": st.column_config.ProgressColumn("score", min_value=0, max_value=1, format="percent")})
st.caption("Beliefs, belief groups and emotions: Jaccard overlap. Text fields: word-overlap F1 "
           f"(situation fields against true situation {score.situation_index + 1}, the closest).")
