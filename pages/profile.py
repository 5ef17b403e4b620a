"""New profile: write an ED patient or a CBT client (with a cognitive model) as a validated file."""

import streamlit as st

from workbench.domain.ccd import CORE_BELIEFS, EMOTIONS
from workbench.domain.questionnaires import FREQUENCY_OPTIONS, GAD7_ITEMS, PHQ9_ITEMS
from workbench.views.forms import build_profile, profile_form_fields
from workbench.library import Library, LibraryError
from workbench.settings import load_settings
from workbench.views.messages import field_problems

st.title("New profile")
st.caption(
    "Profiles are the facts of a synthetic patient. Write original, fictional material only — "
    "never a real patient's record. Fields marked * are required ('none' is a valid answer)."
)
library = Library(load_settings().personas_dir)
kind = st.segmented_control(
    "Kind", ["ed", "cbt"], default="ed", key="profile_kind",
    format_func=lambda k: {"ed": "Emergency department", "cbt": "CBT client"}[k],
) or "ed"

data: dict = {}
with st.form("profile_form"):
    cols = st.columns(2)
    for i, field in enumerate(profile_form_fields(kind)):
        col = cols[i % 2]
        key = f"profile_{kind}_{field.name}"
        label = field.label + (" \\*" if field.required else "")  # a Markdown label: escape *
        if field.kind == "int":  # no silent 0: empty until typed
            data[field.name] = col.number_input(label, 0, 120, None, key=key, help=field.help,
                                                placeholder="required: type a number")
        elif field.kind == "long_text":
            data[field.name] = col.text_area(label, key=key, help=field.help)
        else:
            data[field.name] = col.text_input(label, key=key, help=field.help)

    if kind == "cbt":
        st.subheader("Cognitive model")
        beliefs: list[str] = []
        for col, (group, items) in zip(st.columns(3), CORE_BELIEFS.items()):
            col.markdown(f"**{group.capitalize()}**")
            beliefs += [b for b in items if col.checkbox(b, key=f"profile_belief_{b}")]
        intermediate = st.text_area("Intermediate beliefs (rules, attitudes, assumptions)")
        coping = st.text_area("Coping strategies")
        situations = []
        for n in range(2):
            st.markdown(f"**Situation {n + 1}**")
            s_cols = st.columns(2)
            situations.append({
                "situation": s_cols[0].text_area("Situation", key=f"profile_sit_{n}"),
                "automatic_thoughts": s_cols[1].text_area("Automatic thoughts", key=f"profile_at_{n}"),
                "emotions": s_cols[0].multiselect("Emotions (up to 3)", EMOTIONS, max_selections=3, key=f"profile_em_{n}"),
                "behavior": s_cols[1].text_area("Behaviour", key=f"profile_beh_{n}"),
            })
        data["cognitive_model"] = {
            "core_beliefs": beliefs, "intermediate_beliefs": intermediate,
            "coping_strategies": coping, "situations": situations,
        }
        st.subheader("Questionnaires (past two weeks)")
        q_cols = st.columns(2)
        phq9 = [FREQUENCY_OPTIONS.index(q_cols[0].selectbox(f"PHQ-9 · {t}", FREQUENCY_OPTIONS, key=f"profile_phq_{i}")) for i, t in enumerate(PHQ9_ITEMS)]
        gad7 = [FREQUENCY_OPTIONS.index(q_cols[1].selectbox(f"GAD-7 · {t}", FREQUENCY_OPTIONS, key=f"profile_gad_{i}")) for i, t in enumerate(GAD7_ITEMS)]
        data["questionnaires"] = {"phq9": {"items": phq9}, "gad7": {"items": gad7}}
    overwrite = st.checkbox("Overwrite a profile with this id", key="profile_overwrite")
    submitted = st.form_submit_button("Save profile", type="primary")

if submitted:
    try:
        profile = build_profile(kind, data)
        path = library.save_profile(profile, overwrite=overwrite)
    except LibraryError as exc:
        st.error("Not saved — fix these fields:\n\n" + field_problems(exc))
    else:
        st.success(f"Saved `{path}`. Compose personas from it on the **Compose** page.")
        if kind == "cbt" and profile.questionnaires.phq9 and profile.questionnaires.phq9.safety_flag:
            st.warning("PHQ-9 item 9 is non-zero: the therapist prompt will ask about safety.")
