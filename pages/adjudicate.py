"""Adjudicate: the items human annotators answered differently, each annotator's answer side by
side with the conversation, and the resolved answer, stored as annotator ``adjudicated:<name>``
(left out of every agreement figure)."""

import streamlit as st

from workbench.annotation.adjudication import adjudicator_name, disputes, resolve
from workbench.annotation.drafts import form_items
from workbench.library.rubrics import load_rubrics
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import chat_bubbles, inert_markdown
from workbench.views.annotation import answer_text, ask, dispute_rows, dispute_title, \
    highlighted_turn, value_from

st.title("Adjudicate")
if flash := st.session_state.pop("adjudicate_flash", None):
    st.success(flash)
settings = load_settings()
name = st.text_input("Your name (the resolved answer is stored as adjudicated:<name>; kept for "
                     "this browser session only)",
                     value=st.session_state.get("annotator", settings.annotator),
                     key="adjudicate_name").strip()
st.session_state["annotator"] = name
rubrics = load_rubrics(settings.personas_dir)  # a LibraryError is framed by app.py

with Store(settings.store_path) as store:
    annotations = store.annotations()
    per_rubric = {r: disputes(annotations, r) for r in rubrics}
    used = [r for r, found in per_rubric.items() if found]
    if not used:
        st.info("No disagreements: no item has different submitted answers from two annotators. "
                "Annotate the same conversations under two names on the Annotate page first.")
        st.stop()
    rubric_id = st.selectbox("Rubric", used, format_func=lambda r: rubrics[r].label,
                             key="adjudicate_rubric")
    found = per_rubric[rubric_id]
    open_only = st.toggle("Only unresolved", value=False, key="adjudicate_open")
    shown = [d for d in found if d.resolved is None] if open_only else found
    st.caption(f"{len(found)} disputed item(s), {sum(d.resolved is None for d in found)} "
               "unresolved; most divided first.")
    if not shown:
        st.success("Every disputed item of this rubric is resolved.")
        st.stop()
    transcripts = {d.conversation_id: store.get_transcript(d.conversation_id) for d in shown}
    personas = {cid: store.get_persona(t.persona_hash) if t.persona_hash else None
                for cid, t in transcripts.items()}
    items = {}
    for cid, transcript in transcripts.items():
        asked = form_items(rubrics[rubric_id], transcript, personas[cid], blind=True)
        items.update({item_id: item for (_, item_id), item in asked.by_key().items()})
    with st.expander("All disputed items", expanded=False):
        st.dataframe(dispute_rows(shown, items), hide_index=True)
    index = st.selectbox("Disputed item", range(len(shown)), key="adjudicate_pick",
                         format_func=lambda i: dispute_title(shown[i], items))
    dispute = shown[index]
    item = items.get(dispute.item)
    transcript = transcripts[dispute.conversation_id]
    talk, answers = st.columns([3, 2])
    with talk:
        st.subheader("Conversation", anchor=False)
        for turn, bubble in zip(transcript.turns, chat_bubbles(transcript,
                                                               personas[dispute.conversation_id])):
            if dispute.turn_idx is not None and abs(turn.index - dispute.turn_idx) > 1:
                continue  # a turn item: the turn and its neighbours only
            with st.chat_message(bubble.name, avatar=bubble.avatar):
                st.markdown(f"{bubble.speaker} · turn {turn.index}")
                st.text(bubble.text)
    with answers:
        st.subheader(inert_markdown(item.label if item else dispute.item), anchor=False)
        for annotator, value in dispute.answers.items():
            with st.container(border=True):
                st.markdown(f"**{inert_markdown(annotator)}**")
                if item is not None and item.type == "span" and dispute.turn_idx is not None:
                    st.markdown(highlighted_turn(transcript.turns[dispute.turn_idx].text,
                                                 value, item))
                st.text(answer_text(item, value))
        if dispute.resolved is not None:
            st.info("Resolved: " + inert_markdown(answer_text(item, dispute.resolved)))
        if item is None:
            st.warning("This item is no longer in the rubric; it cannot be resolved here.")
            st.stop()
        with st.form(f"adjudicate_form_{index}"):
            key = f"adjudicate_{dispute.conversation_id}_{dispute.turn_idx}_{dispute.item}"
            start = dispute.resolved if dispute.resolved is not None else None
            given = ask(st, item, start, key, None)
            resolve_now = st.form_submit_button("Store resolved answer", type="primary",
                                                 shortcut="Ctrl+Enter")
        if resolve_now:
            turn_text = (transcript.turns[dispute.turn_idx].text
                         if dispute.turn_idx is not None else None)
            value, found_problems = value_from(item, given, turn_text)
            why = found_problems or ([] if value not in (None, "") else ["choose an answer"])
            why = why or ([] if name else ["type your name at the top of the page"])
            why = why or ([] if (err := item.check_value(value)) is None else [err])
            if why:
                st.error("Nothing was stored: " + inert_markdown("; ".join(why)))
            else:
                resolve(store, dispute, rubric_id, name, value)
                st.session_state["adjudicate_flash"] = (
                    f"Resolved answer stored as {inert_markdown(adjudicator_name(name))}.")
                st.rerun()
