"""Transcripts: find any conversation (filters, full-text search, paging) and read it.

Model text is shown inert: turns through ``st.text``, search snippets as escaped Markdown.
"""

from urllib.parse import quote

import streamlit as st

from workbench.domain.identifiers import is_valid_id
from workbench.settings import load_settings
from workbench.store import Store, UnknownConversation
from workbench.views.tables import axis_ids_of_facets, conversation_rows
from workbench.views.transcript_view import (
    PAGE_SIZE,
    browse_filter,
    chat_bubbles,
    conversation_facts,
    conversation_label,
    facts_markdown,
    facet_label,
    hit_line,
    inert_markdown,
    page_count,
)
from workbench.views.scores import score_filter, score_label, with_scores

st.title("Transcripts")
settings = load_settings()


def open_selected_row() -> None:
    """Table selection → the conversation to open (the ids are those of the page shown)."""
    rows = st.session_state["transcripts_table"].selection.rows
    ids = st.session_state.get("transcripts_page_ids", [])
    if rows and rows[0] < len(ids):
        st.session_state["transcripts_open"] = ids[rows[0]]


def back_to_first_page() -> None:
    st.session_state["transcripts_page"] = 1


with Store(settings.store_path) as store:
    facets = store.facets()
    if not facets["status"]:  # every conversation has a status: none means an empty store
        from workbench.views.hosts_status import EMPTY_STORE_HINT

        st.info(EMPTY_STORE_HINT)
        st.stop()

    with st.expander("Filters", expanded=True):
        cols = st.columns(4)
        keys = [key for key, values in facets.items() if values]
        chosen = {
            key: cols[i % 4].multiselect(inert_markdown(facet_label(key)), facets[key],
                                         key=f"transcripts_f_{key}", on_change=back_to_first_page)
            for i, key in enumerate(keys)
        }
        low, high = st.columns(2)
        min_turns = low.number_input("At least this many turns", min_value=0, value=None, step=1,
                                     key="transcripts_min_turns", on_change=back_to_first_page)
        max_turns = high.number_input("At most this many turns", min_value=0, value=None, step=1,
                                      key="transcripts_max_turns", on_change=back_to_first_page)
        pick, low_at, high_at = st.columns([2, 1, 1])  # any rubric item, human or judge
        score = pick.selectbox("Score column", store.score_items(), index=None,
                               format_func=score_label, key="transcripts_score",
                               on_change=back_to_first_page, placeholder="none")
        score_range = [at.number_input(f"Mean score at {word}", value=None, disabled=not score,
                                       key=f"transcripts_score_{word}",
                                       on_change=back_to_first_page)
                       for at, word in ((low_at, "least"), (high_at, "most"))]
    query = st.text_input("Search", key="transcripts_search", on_change=back_to_first_page,
                          placeholder='words, "a phrase", cough OR fever, breath*')
    filters = browse_filter(chosen, min_turns=min_turns, max_turns=max_turns, text=query)
    filters = filters.model_copy(update={"score": score_filter(score, *score_range)})

    hits = []
    if filters.text:
        # The hits match the text by definition: filtering on it again would only cost time.
        scope = filters.model_copy(update={"text": None})
        hits = store.search_turns(filters.text, filters=scope, limit=20)
        with st.expander(f"{len(hits)} best-matching turns", expanded=True):
            for hit in hits:
                st.markdown(hit_line(hit))

    page_no = st.session_state.get("transcripts_page", 1)
    result = store.list_conversations(filters, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    if not result.items and page_no > 1:  # the set shrank under the page shown
        page_no = st.session_state["transcripts_page"] = 1
        result = store.list_conversations(filters, limit=PAGE_SIZE)
    pages = page_count(result.total)
    st.write(f"**{result.total:,}** conversations match · page {page_no} of {pages:,}")
    ids = [s.id for s in result.items]
    st.session_state["transcripts_page_ids"] = ids
    rows = conversation_rows(result.items, axis_ids_of_facets(facets))
    if filters.score is not None:
        rows = with_scores(rows, store.mean_scores(ids, filters.score), score_label(score))
    st.dataframe(
        rows,
        hide_index=True,
        on_select=open_selected_row,
        selection_mode="single-row",
        key="transcripts_table",
    )
    st.number_input("Page", min_value=1, max_value=pages, step=1, key="transcripts_page")

    wanted = st.query_params.get("conversation")
    if wanted and not is_valid_id(wanted):  # a link is outside input: refuse it, say so
        st.warning(f"The link names {inert_markdown(wanted)}, which is not a conversation id.")
    elif wanted and "transcripts_open" not in st.session_state:
        st.session_state["transcripts_open"] = wanted
    current = st.session_state.get("transcripts_open")
    options = list(dict.fromkeys([*(h.conversation_id for h in hits), *ids,
                                  *filter(None, [current])]))
    labels = {s.id: conversation_label(s) for s in result.items}
    opened = st.selectbox("Open a conversation (or select a row above)", options, index=None,
                          format_func=lambda cid: labels.get(cid, cid), key="transcripts_open")
    if opened is None:
        st.stop()
    st.query_params["conversation"] = opened
    try:
        transcript = store.get_transcript(opened)
    except UnknownConversation:
        st.warning(f"No conversation {inert_markdown(opened)} in this store.")
        st.stop()
    persona = store.get_persona(transcript.persona_hash) if transcript.persona_hash else None

st.subheader(f"Conversation {inert_markdown(transcript.id)}", anchor=False)
chat, side = st.columns([3, 2])
with chat:
    if not transcript.turns:
        st.info("No turn stored yet.")
    for bubble in chat_bubbles(transcript, persona):
        with st.chat_message(bubble.name, avatar=bubble.avatar):
            st.markdown(bubble.speaker)
            st.text(bubble.text)
            st.caption(bubble.caption)
with side:
    with st.container(border=True):  # lines, not a table: a long path breaks, never cut
        st.markdown(facts_markdown(conversation_facts(transcript, persona)))
    st.markdown(f"[Compare with another conversation](compare?a={quote(transcript.id, safe='')})")
    for side_name in ("patient", "clinician"):
        prompt = getattr(transcript, f"{side_name}_prompt")
        template = getattr(transcript, f"{side_name}_template_hash")
        if prompt:
            with st.expander(f"{side_name.capitalize()} system prompt · template "
                             f"{inert_markdown(template or '')}"):
                st.code(prompt, language=None, wrap_lines=True)
