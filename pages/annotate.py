"""Annotate: work through a queue of conversations with a rubric, turn by turn and as a whole.

Model text is shown inert (``st.text``). Blind mode hides the model, run and persona, turn captions
and other annotators' answers; fidelity items always show the intended level's description.
"""

import streamlit as st

from workbench.annotation.drafts import (
    default_rubric,
    form_items,
    other_answers,
    save_values,
    status_of,
    stored_values,
)
from workbench.annotation.queue import order_queue, progress
from workbench.library import LibraryError
from workbench.library.rubrics import load_rubrics
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import (
    browse_filter,
    chat_bubbles,
    conversation_facts,
    facet_label,
    inert_markdown,
)

st.title("Annotate")
if flash := st.session_state.pop("annotate_flash", None):
    st.success(flash)
settings = load_settings()
annotator = settings.annotator or st.text_input(
    "Your name (recorded on every annotation; set it for good on the Settings page)",
    key="annotate_name").strip()
if not annotator:
    st.info("Enter your name to start annotating.")
    st.stop()
try:
    rubrics = load_rubrics(settings.personas_dir)
except LibraryError as exc:
    st.error("The rubric files have problems; fix them and reload:\n\n" + inert_markdown(str(exc)))
    st.stop()


def ask(where, item, key: str, value):
    # Rubrics come from shared libraries: labels, help and radio options are Markdown, so inert.
    label = inert_markdown(f"{item.label}: {item.question}" if item.question else item.label)
    options = {"help": inert_markdown(item.help) if item.help else None, "key": key}
    if item.type == "rating":
        points = list(item.points)
        return where.radio(label, points, index=points.index(value) if value in points else None,
                           format_func=lambda p: inert_markdown(f"{p} · {item.anchors[p]}"),
                           **options)
    if item.type in ("label", "multi_label"):
        names = {c.id: c.label for c in item.choices}
        if item.type == "multi_label":
            return where.multiselect(label, list(names), default=value or [],
                                     format_func=names.get, **options)
        ids = list(names)
        return where.radio(label, ids, index=ids.index(value) if value in ids else None,
                           format_func=lambda c: inert_markdown(names[c]), horizontal=True,
                           **options)
    return where.text_area(label, value=value or "", max_chars=item.max_chars, **options)


def move(step: int) -> None:
    st.session_state["annotate_pos"] = st.session_state.get("annotate_pos", 0) + step


with Store(settings.store_path) as store:
    facets = store.facets()
    if not facets["status"]:
        st.info("No conversations yet: run a simulation or import transcripts first.")
        st.stop()
    blind = st.toggle("Blind mode (hide model, run, persona and other annotators)",
                      value=True, key="annotate_blind")
    st.caption("Each fidelity item shows the intended level's description (in blind mode too: "
               "faithfulness to a level cannot be judged without it); blind mode hides which "
               "model, run and persona produced the conversation.")
    with st.expander("Queue", expanded=False):
        keys = ["scenario"] if blind else ["scenario", "patient_model", "run_id",
                                           *(k for k in facets if k.startswith("axis:"))]
        cols = st.columns(4)
        chosen = {k: cols[i % 4].multiselect(inert_markdown(facet_label(k)), facets[k],
                                             key=f"annotate_f_{k}")
                  for i, k in enumerate(keys) if facets.get(k)}
        order = st.radio("Order", ["random", "balanced"], horizontal=True, key="annotate_order",
                         format_func={"random": "Random", "balanced": "Balanced by level"}.get)
        axes = [k.removeprefix("axis:") for k in facets if k.startswith("axis:")]
        axis = st.selectbox("Balance on axis", axes, key="annotate_axis") if axes else None
        seed = st.number_input("Seed", min_value=0, value=0, step=1, key="annotate_seed")
    filters = browse_filter({**chosen, "status": ["done"]})
    queue = order_queue(store.list_conversations(filters, limit=5000).items, order,
                        seed=int(seed), axis=axis)
    if not queue:
        st.warning("No finished conversation matches the queue filters.")
        st.stop()
    mine = store.annotations(annotator=annotator)
    done, total = progress(queue, mine, annotator)
    st.progress(done / total,
                text=f"{inert_markdown(annotator)}: {done} of {total} conversations submitted")
    pos = min(max(st.session_state.get("annotate_pos", 0), 0), total - 1)
    st.session_state["annotate_pos"] = pos
    back, where_text, forward = st.columns([1, 3, 1])
    back.button("Previous", on_click=move, args=(-1,), disabled=pos == 0, key="annotate_prev")
    forward.button("Next", on_click=move, args=(1,), disabled=pos >= total - 1,
                   key="annotate_next")
    cid = queue[pos]
    transcript = store.get_transcript(cid)
    persona = store.get_persona(transcript.persona_hash) if transcript.persona_hash else None
    ids = list(rubrics)
    rubric_id = st.selectbox("Rubric", ids, index=ids.index(default_rubric(persona, ids)),
                             format_func=lambda r: rubrics[r].label, key=f"annotate_rubric_{cid}")
    rubric = rubrics[rubric_id]
    where_text.write(f"Conversation **{pos + 1}** of {total} · "
                     f"{status_of(mine, cid, rubric_id, annotator)}")
    if not blind:
        with st.expander("About this conversation"):
            st.dataframe(conversation_facts(transcript, persona), hide_index=True)
    items = form_items(rubric, transcript, persona, blind=blind)
    saved = stored_values(mine, cid, rubric_id, annotator)
    values = {}
    with st.form(f"annotate_form_{cid}_{rubric_id}"):
        for turn, bubble in zip(transcript.turns, chat_bubbles(transcript, persona)):
            chat, side = st.columns([3, 2]) if turn.index in items.turns else (st.container(), None)
            with chat.chat_message(bubble.name, avatar=bubble.avatar):
                st.text(bubble.text)
                if not blind:
                    st.caption(bubble.caption)
            for item in items.turns.get(turn.index, []):
                key = f"annotate_{cid}_{rubric_id}_{turn.index}_{item.id}"
                values[(turn.index, item.id)] = ask(side, item, key, saved.get((turn.index,
                                                                                  item.id)))
        st.subheader(inert_markdown(rubric.label), anchor=False)
        for item in items.conversation:
            key = f"annotate_{cid}_{rubric_id}_c_{item.id}"
            values[(None, item.id)] = ask(st, item, key, saved.get((None, item.id)))
        left, right = st.columns(2)
        draft = left.form_submit_button("Save draft")
        submit = right.form_submit_button("Submit", type="primary")
    if draft or submit:
        found = save_values(store, cid, rubric_id, annotator, values, items.by_key(),
                            submit=submit)
        if found:
            st.error("Nothing was stored:\n\n" + "\n".join(f"- {inert_markdown(p)}"
                                                            for p in found))
        else:
            st.session_state["annotate_flash"] = ("Submitted; here is the next conversation."
                                                  if submit else "Draft saved; submit when done.")
            if submit:
                move(1)
            st.rerun()
    if not blind:
        with st.expander("Other annotators' answers"):
            st.dataframe(other_answers(store.annotations(cid), cid, rubric_id, annotator),
                         hide_index=True)
