"""Annotate: work through a queue of conversations with a rubric, turn by turn and as a whole.

Model text is shown inert. Blind mode hides the model, run and persona, turn captions and other
annotators' answers; fidelity items always show the intended level's description. The annotator
is chosen here and kept for this browser session only (``st.session_state``).
"""

import streamlit as st

from workbench.annotation.adjudication import FLAG_ITEM, SKIP_ITEM, mark, marks_of
from workbench.annotation.drafts import default_rubric, form_items, other_answers, save_values, \
    status_of, stored_values
from workbench.annotation.queue import order_queue, progress
from workbench.library.rubrics import load_rubrics
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import browse_filter, chat_bubbles, conversation_facts, \
    facet_label, facts_markdown, inert_markdown
from workbench.views.annotation import KEYS_HELP, ask, guidelines, highlighted_turn, keyed_items, \
    nothing_stored, position_line, pressed, queue_facets, start_at, value_from, widget_key

st.title("Annotate")
if flash := st.session_state.pop("annotate_flash", None):
    st.success(flash)
settings = load_settings()
annotator = st.text_input(
    "Your name (recorded on every annotation; kept for this browser session only)",
    value=st.session_state.get("annotator", settings.annotator), key="annotate_name").strip()
st.session_state["annotator"] = annotator
if not annotator:
    st.info("Enter your name to start annotating.")
    st.stop()
rubrics = load_rubrics(settings.personas_dir)  # a LibraryError is framed by app.py


with Store(settings.store_path) as store:
    facets = store.facets()
    if not facets["status"]:
        st.info("No conversations yet: run a simulation or import transcripts first.")
        st.stop()
    blind = st.toggle("Blind mode (hide model, run, persona and other annotators)",
                      value=True, key="annotate_blind")
    with st.expander("Queue", expanded=False):
        cols = st.columns(4)
        chosen = {k: cols[i % 4].multiselect(inert_markdown(facet_label(k)), facets[k],
                                             key=f"annotate_f_{k}")
                  for i, k in enumerate(queue_facets(facets, blind))}
        order = st.radio("Order", ["random", "balanced"], horizontal=True, key="annotate_order",
                         format_func={"random": "Random", "balanced": "Balanced by level"}.get)
        axes = [k.removeprefix("axis:") for k in facets if k.startswith("axis:")]
        axis = st.selectbox("Balance on axis", axes, key="annotate_axis") if axes else None
        seed = st.number_input("Seed", min_value=0, value=0, step=1, key="annotate_seed")
    queue = order_queue(store.list_conversations(browse_filter({**chosen, "status": ["done"]}),
                                                 limit=5000).items, order, seed=int(seed),
                        axis=axis)
    if not queue:
        st.warning("No finished conversation matches the queue filters.")
        st.stop()
    mine = store.annotations(annotator=annotator)
    done, total = progress(queue, mine, annotator)
    st.progress(done / total,
                text=f"{inert_markdown(annotator)}: {done} of {total} conversations submitted")
    st.session_state["annotate_pos"] = pos = min(max(st.session_state.get("annotate_pos", 0), 0),
                                                  total - 1)
    cid = queue[pos]
    transcript = store.get_transcript(cid)
    persona = store.get_persona(transcript.persona_hash) if transcript.persona_hash else None
    ids = list(rubrics)
    rubric_id = st.selectbox("Rubric", ids, index=ids.index(default_rubric(persona, ids)),
                             format_func=lambda r: rubrics[r].label, key=f"annotate_rubric_{cid}")
    rubric = rubrics[rubric_id]
    marks = marks_of(mine, annotator, rubric_id).get(cid, {})
    back, where_text, skip, forward = st.columns([1, 3, 1, 1])
    back.button("Previous", on_click=st.session_state.update, args=({"annotate_pos": pos - 1},),
                disabled=pos == 0, key="annotate_prev")
    where_text.write(position_line(pos, total, status_of(mine, cid, rubric_id, annotator), marks))
    if skip.button("Skip", key="annotate_skip", help="Record that you skipped it; go on"):
        mark(store, cid, rubric_id, annotator, SKIP_ITEM, True)
        st.session_state["annotate_flash"] = "Skipped; here is the next conversation."
        st.session_state["annotate_pos"] = pos + 1
        st.rerun()
    forward.button("Next", on_click=st.session_state.update, args=({"annotate_pos": pos + 1},),
                   disabled=pos >= total - 1, key="annotate_next")
    with st.popover("Flag for review" if FLAG_ITEM not in marks else "Flagged ✓"):
        note = st.text_input("What needs attention?", value=marks.get(FLAG_ITEM, ""),
                             key=f"annotate_flag_note_{cid}")
        if st.button("Flag", key=f"annotate_flag_{cid}"):
            mark(store, cid, rubric_id, annotator, FLAG_ITEM, note.strip() or "flagged")
            st.session_state["annotate_flash"] = "Flagged for review."
            st.rerun()
    if not blind:
        with st.expander("About this conversation"):
            st.markdown(facts_markdown(conversation_facts(transcript, persona)))
    items = form_items(rubric, transcript, persona, blind=blind)
    saved = stored_values(mine, cid, rubric_id, annotator)
    keyed_now = st.session_state.pop("annotate_keyed", None)  # answered by a key in this run
    if keyed := keyed_items(items, cid, rubric_id):  # digits answer one item at a time
        pointer = f"annotate_keys_{cid}_{rubric_id}"
        st.session_state.setdefault(pointer, start_at(keyed, saved))
        with st.sidebar.container(border=True):
            at = st.selectbox("The digit keys answer", range(len(keyed)), key=pointer,
                              format_func=lambda n: keyed[n].title, help=KEYS_HELP)
            for answer in keyed[at].keys:
                st.button(answer.label, shortcut=answer.key, key=f"annotate_key_{answer.key}",
                          on_click=st.session_state.update, args=(pressed(keyed, at, answer,
                                                                         pointer),))
    with st.sidebar.expander("Guidelines", expanded=True):
        st.markdown(guidelines(rubric, [*items.conversation, *items.by_key().values()]))
    texts = {turn.index: turn.text for turn in transcript.turns}
    values, found = {}, []
    with st.form(f"annotate_form_{cid}_{rubric_id}"):
        for turn, bubble in zip(transcript.turns, chat_bubbles(transcript, persona)):
            asked = items.turns.get(turn.index, [])
            chat, side = st.columns([3, 2]) if asked else (st.container(), None)
            spans = [i for i in asked if i.type == "span" and saved.get((turn.index, i.id))]
            with chat.chat_message(bubble.name, avatar=bubble.avatar):
                st.markdown(bubble.speaker)
                if spans:
                    st.markdown(highlighted_turn(turn.text, saved[(turn.index, spans[0].id)],
                                                 spans[0]))
                else:
                    st.text(bubble.text)
                if not blind:
                    st.caption(bubble.caption)
            for item in asked:
                answers = ask(side, item, saved.get((turn.index, item.id)),
                              widget_key(cid, rubric_id, turn.index, item.id), keyed_now)
                values[(turn.index, item.id)], why = value_from(item, answers, turn.text)
                found += why
        st.subheader(inert_markdown(rubric.label), anchor=False)
        for item in items.conversation:
            values[(None, item.id)] = ask(st, item, saved.get((None, item.id)),
                                          widget_key(cid, rubric_id, None, item.id), keyed_now)[0]
        left, right = st.columns(2)
        draft = left.form_submit_button("Save draft")
        submit = right.form_submit_button("Submit", type="primary", shortcut="Ctrl+Enter")
    if draft or submit:
        found = found or save_values(store, cid, rubric_id, annotator, values, items.by_key(),
                                     submit=submit, texts=texts)
        if found:
            st.error(nothing_stored(found))
        else:
            st.session_state["annotate_flash"] = ("Submitted; here is the next conversation."
                                                  if submit else "Draft saved; submit when done.")
            st.session_state["annotate_pos"] = pos + int(submit)
            st.rerun()
    if not blind:
        with st.expander("Other annotators' answers"):
            st.dataframe(other_answers(store.annotations(cid), cid, rubric_id, annotator),
                         hide_index=True)
