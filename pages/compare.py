"""Compare: two conversations side by side, their figures, and the diff of their prompts.

Links: ``?a=<conversation id>&b=<conversation id>`` opens a pair directly.
"""

import streamlit as st

from workbench.views.comparison import (
    prompt_diff,
    same_persona_filter,
    suggest_partners,
    summary_rows,
    template_rows,
)
from workbench.domain.identifiers import is_valid_id
from workbench.domain.transcript import Transcript
from workbench.settings import load_settings
from workbench.store import ConversationFilter, Store, UnknownConversation
from workbench.views.transcript_view import chat_bubbles, conversation_label, inert_markdown, \
    inert_table

st.title("Compare")
settings = load_settings()


def pick(label: str, key: str, ids: list[str], labels: dict[str, str]) -> str | None:
    """A conversation picker that also takes its id from the URL (``?a=`` / ``?b=``)."""
    state_key = f"compare_{key}"
    if is_valid_id(st.query_params.get(key)) and state_key not in st.session_state:
        st.session_state[state_key] = st.query_params[key]
    current = st.session_state.get(state_key)
    options = list(dict.fromkeys([*filter(None, [current]), *ids]))
    chooser, paste = st.columns([3, 1])
    chosen = chooser.selectbox(label, options, index=None, key=state_key,
                               format_func=lambda cid: labels.get(cid, cid))
    typed = paste.text_input(f"… or paste the id of {key.upper()}", key=f"{state_key}_id")
    return typed.strip() or chosen


def load(store: Store, conversation_id: str) -> Transcript:
    """The conversation, or a warning and the end of the script when the store lacks it."""
    try:
        return store.get_transcript(conversation_id)
    except UnknownConversation:
        st.warning(f"No conversation {inert_markdown(conversation_id)} in this store.")
        st.stop()


with Store(settings.store_path) as store:
    facets = store.facets()
    if not facets["status"]:  # every conversation has a status: none means an empty store
        from workbench.views.hosts_status import EMPTY_STORE_HINT

        st.info(EMPTY_STORE_HINT)
        st.stop()

    left, right = st.columns(2)
    models = left.multiselect("Patient model", facets["patient_model"], key="compare_models")
    runs = right.multiselect("Run", facets["run_id"], key="compare_runs")
    recent = store.list_conversations(
        ConversationFilter(patient_model=models or None, run_id=runs or None), limit=50
    ).items
    labels = {s.id: conversation_label(s) for s in recent}
    a_id = pick("Conversation A (the 50 newest matching, or from a link)", "a",
                [s.id for s in recent], labels)
    if a_id is None:
        st.info("Choose conversation A; suggestions for B follow from it.")
        st.stop()
    a = load(store, a_id)
    same_persona = store.list_conversations(same_persona_filter(a), limit=50).items
    suggestions = suggest_partners(a, same_persona)
    labels.update({s.id: s.label for s in suggestions})
    b_id = pick("Conversation B (same persona first: other model, clinician, run)", "b",
                [s.id for s in suggestions] + [s.id for s in recent if s.id != a_id], labels)
    if not suggestions:
        st.caption("No other conversation of the same persona (scenario, profile and levels).")
    if b_id is None:
        st.info("Choose conversation B.")
        st.stop()
    b = load(store, b_id)
    personas = {t.id: store.get_persona(t.persona_hash) if t.persona_hash else None for t in (a, b)}

st.query_params.update({"a": a.id, "b": b.id})
for column, tag, transcript in zip(st.columns(2), "AB", (a, b)):
    with column:
        st.markdown(f"**{tag}** · {inert_markdown(conversation_label(transcript))}")
        with st.container(height=600):
            for bubble in chat_bubbles(transcript, personas[transcript.id]):
                with st.chat_message(bubble.name, avatar=bubble.avatar):
                    st.markdown(bubble.speaker)
                    st.text(bubble.text)
                    st.caption(bubble.caption)

st.subheader("Side by side", anchor=False)
st.table(inert_table(summary_rows(a, b)), hide_index=True)  # wrapped: levels read whole

st.subheader("Prompts", anchor=False)
st.dataframe(template_rows(a, b), hide_index=True)
diff = prompt_diff(a, b)
if diff:
    st.code(diff, language="diff", wrap_lines=True)
else:
    st.success("Both conversations were produced with identical system prompts.")
