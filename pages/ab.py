"""Blind A/B: two conversations of the same persona under two configurations, side by side and
unlabelled; the annotator picks the more realistic patient. Win rates per configuration below.

Model text is shown inert (``st.text``); nothing on a pair says which model, template or
temperature produced it.
"""

import streamlit as st

from workbench.annotation.ab import choice_annotation, find_pairs, judged, win_rates
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import chat_bubbles, inert_markdown

st.title("Blind A/B")
st.caption("Which patient is more realistic and truer to the persona? Sides are shuffled and "
           "unlabelled; the configurations are revealed only in the win rates.")
settings = load_settings()
annotator = settings.annotator or st.text_input(
    "Your name (recorded on every choice; set it for good on the Settings page)",
    key="ab_name").strip()
if not annotator:
    st.info("Enter your name to start comparing.")
    st.stop()


def show(where, transcript, persona) -> None:
    with where:
        for bubble in chat_bubbles(transcript, persona):
            with st.chat_message(bubble.name, avatar=bubble.avatar):
                st.markdown(bubble.speaker)
                st.text(bubble.text)


with Store(settings.store_path) as store:
    seed = st.number_input("Seed (order of pairs and sides)", min_value=0, value=0, step=1,
                           key="ab_seed")
    pairs = find_pairs(store, seed=int(seed))
    if not pairs:
        st.info("No pairs yet: A/B needs finished conversations of the same persona from runs "
                "that differ in patient model, prompt template or temperature.")
        st.stop()
    done = judged(store.annotations(annotator=annotator), annotator)
    todo = [p for p in pairs if p.anchor not in done]
    st.progress(1 - len(todo) / len(pairs),
                text=f"{inert_markdown(annotator)}: {len(pairs) - len(todo)} of {len(pairs)} "
                     "pairs judged")
    if todo:
        pair = todo[0]
        left, right = st.columns(2)
        for where, name, cid in ((left, "A", pair.a), (right, "B", pair.b)):
            transcript = store.get_transcript(cid)
            persona = store.get_persona(transcript.persona_hash) if transcript.persona_hash \
                else None
            where.subheader(f"Conversation {name}", anchor=False)
            show(where, transcript, persona)
        with st.form(f"ab_form_{pair.a}_{pair.b}"):
            choice = st.radio("Which is better?", ["a", "b", "tie"], index=None, horizontal=True,
                              format_func={"a": "A", "b": "B", "tie": "Tie"}.get,
                              key=f"ab_choice_{pair.a}_{pair.b}")
            reason = st.text_area("Why (optional)", key=f"ab_reason_{pair.a}_{pair.b}")
            sent = st.form_submit_button("Submit choice", type="primary", shortcut="Ctrl+Enter")
        if sent and choice is None:
            st.error("Pick A, B or Tie first.")
        elif sent:
            store.put_annotation(choice_annotation(pair, choice, reason, annotator))
            st.rerun()
    else:
        st.success("You have judged every pair.")
    rates = win_rates(store.annotations())

st.subheader("Win rates", anchor=False)
if rates:
    st.dataframe([r.row() for r in rates], hide_index=True, column_config={
        "win rate": st.column_config.NumberColumn(format="percent"),
        "low": st.column_config.NumberColumn("95% low", format="percent"),
        "high": st.column_config.NumberColumn("95% high", format="percent"),
    })
    st.caption("Win rate = wins / (wins + losses), ties left out; Wilson 95% intervals.")
else:
    st.info("No choices yet.")
