"""Annotate with span labels, skip and flag, the per-session annotator name, and the Adjudicate
page resolving a disagreement between two annotators."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, FilledStore, page, shown
from tests.app.test_annotate_page import first_in_queue, open_annotate, shown_text
from workbench.annotation.adjudication import FLAG_ITEM, SKIP_ITEM
from workbench.annotation.agreement_report import agreement_report
from workbench.library.rubrics import load_rubrics
from workbench.settings import PROJECT_ROOT
from workbench.store import Annotation, Store


def span_form(at: AppTest, cid: str) -> tuple[AppTest, str]:
    at.selectbox(key=f"annotate_rubric_{cid}").set_value("span_labels").run()
    assert not at.exception, [e.value for e in at.exception]
    return at, f"FormSubmitter:annotate_form_{cid}_span_labels-Submit"


def test_a_span_label_is_stored_with_offsets_that_quote_the_turn(app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at, submit = span_form(open_annotate(app_env, filled_store), cid)
    with Store(filled_store.path) as store:
        turn = next(t for t in store.get_transcript(cid).turns if t.role == "patient")
    phrase = turn.text.split()[1] + " " + turn.text.split()[2]
    at.text_area(key=f"annotate_{cid}_span_labels_{turn.index}_phrases__llm_tell") \
        .set_value(phrase)
    at.button(key=submit).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Store(filled_store.path) as store:
        (stored,) = store.annotations(cid, annotator="dr_ana")
    (span,) = stored.value
    assert (stored.item, stored.turn_idx, span["label"]) == ("phrases", turn.index, "llm_tell")
    assert turn.text[span["start"]:span["end"]] == phrase == span["text"]
    # Back on the conversation, the phrase is highlighted in the turn.
    at.button(key="annotate_prev").click().run()
    at.selectbox(key=f"annotate_rubric_{cid}").set_value("span_labels").run()
    assert any(":orange-background[" in m.value for m in at.markdown)


def test_a_phrase_not_in_the_turn_stores_nothing(app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at, submit = span_form(open_annotate(app_env, filled_store), cid)
    key = next(t.key for t in at.text_area if t.key.endswith("__contradicts_profile"))
    at.text_area(key=key).set_value("words nobody said")
    at.button(key=submit).click().run()
    assert at.error and "“words nobody said” is not in this turn" in shown(at.error[0].value)
    with Store(filled_store.path) as store:
        assert store.annotations(cid, annotator="dr_ana") == []


def test_skip_and_flag_are_recorded(app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at = open_annotate(app_env, filled_store)
    at.text_input(key=f"annotate_flag_note_{cid}").set_value("patient answers for the doctor")
    at.button(key=f"annotate_flag_{cid}").click().run()
    assert [s.value for s in at.success] == ["Flagged for review."]
    at.button(key="annotate_skip").click().run()
    assert "Conversation **2** of 8" in shown_text(at)
    with Store(filled_store.path) as store:
        marks = {a.item: a.value for a in store.annotations(cid, annotator="dr_ana")}
    assert marks == {FLAG_ITEM: "patient answers for the doctor", SKIP_ITEM: True}
    assert "0 of 8 conversations submitted" in shown_text(at)


def test_the_annotator_is_chosen_on_the_page_and_kept_for_the_session(app_env,
                                                                      filled_store) -> None:
    app_env(filled_store.path)  # no name in the settings
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("../pages/annotate.py").run()
    assert at.info and "Enter your name" in at.info[0].value
    at.text_input(key="annotate_name").set_value("nurse_kim").run()
    assert not at.exception and at.session_state["annotator"] == "nurse_kim"
    at.switch_page("../pages/adjudicate.py").run()  # another page of the same browser session
    assert at.text_input(key="adjudicate_name").value == "nurse_kim"
    fresh = AppTest.from_file(page("annotate"), default_timeout=60).run()  # another browser
    assert fresh.text_input(key="annotate_name").value == ""


def disagree(filled: FilledStore) -> str:
    cid = first_in_queue(filled)
    with Store(filled.path) as store:
        store.put_annotations([
            Annotation(conversation_id=cid, rubric="clinician_quality",
                       item="clinical_accuracy", value=value, annotator=who,
                       status="submitted")
            for who, value in (("ana", 2), ("ben", 5))])
    return cid


def test_adjudicate_shows_both_answers_and_stores_the_resolution(app_env, filled_store) -> None:
    cid = disagree(filled_store)
    app_env(filled_store.path, annotator="chief")
    at = AppTest.from_file(page("adjudicate"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    answers = [t.value for t in at.text]
    assert any(a.startswith("2 · ") for a in answers) and any(a.startswith("5 · ") for a in answers)
    assert {"ana", "ben"} <= {shown(m.value).strip("*") for m in at.markdown}
    key = f"adjudicate_{cid}_None_clinical_accuracy"
    at.radio(key=key).set_value(4)
    at.button(key="FormSubmitter:adjudicate_form_0-Store resolved answer").click().run()
    assert not at.exception and not at.error
    assert "adjudicated:chief" in shown(at.success[0].value)
    with Store(filled_store.path) as store:
        (resolved,) = store.annotations(cid, annotator="adjudicated:chief")
        annotations = store.annotations()
    assert (resolved.value, resolved.item, resolved.status) == (4, "clinical_accuracy",
                                                                "submitted")
    rubric = load_rubrics(PROJECT_ROOT / "personas")["clinician_quality"]
    (item,) = [i for i in agreement_report(annotations, rubric).items
               if i.item == "clinical_accuracy"]
    assert item.annotators == ["ana", "ben"]
    assert "Resolved: 4" in shown(at.info[0].value)


def test_adjudicate_without_disagreements_says_what_to_do(app_env, filled_store) -> None:
    app_env(filled_store.path)
    at = AppTest.from_file(page("adjudicate"), default_timeout=60).run()
    assert not at.exception and "No disagreements" in at.info[0].value
