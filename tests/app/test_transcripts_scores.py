"""Transcripts: a score column and a score range for any rubric item, human or judge; the
important columns come first."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import FilledStore, page
from workbench.store import Annotation, ConversationFilter, ScoreFilter, Store

ITEM = ("clinician_quality", "clinical_accuracy")


def rate(filled: FilledStore) -> list[str]:
    with Store(filled.path) as store:
        done = sorted(c.id for c in store.list_conversations().items if c.status == "done")
        store.put_annotations([
            Annotation(conversation_id=cid, rubric=ITEM[0], item=ITEM[1], value=value,
                       annotator=who, status=status)
            for cid, value, who, status in [
                (done[0], 2, "ana", "submitted"), (done[0], 4, "ben", "submitted"),
                (done[1], 5, "ana", "submitted"), (done[2], 6, "judge:m", "submitted"),
                (done[2], 1, "ana", "draft"), (done[1], 1, "adjudicated:chief", "submitted")]])
    return done


def test_store_filters_and_averages_scores_by_humans_or_judges(filled_store) -> None:
    done = rate(filled_store)
    with Store(filled_store.path) as store:
        assert store.score_items() == [(*ITEM, False), (*ITEM, True)]
        human = ScoreFilter(rubric=ITEM[0], item=ITEM[1])
        assert store.mean_scores(done, human) == {done[0]: 3.0, done[1]: 5.0}
        assert store.mean_scores(done, human.model_copy(update={"judge": True})) == {
            done[2]: 6.0}
        high = ConversationFilter(score=human.model_copy(update={"low": 4}))
        assert [c.id for c in store.list_conversations(high).items] == [done[1]]
        low = ConversationFilter(score=human.model_copy(update={"high": 3.5}))
        assert [c.id for c in store.list_conversations(low).items] == [done[0]]


def test_transcripts_page_shows_and_filters_a_score(app_env, filled_store) -> None:
    done = rate(filled_store)
    app_env(filled_store.path)
    at = AppTest.from_file(page("transcripts"), default_timeout=60).run()
    columns = list(at.dataframe[0].value.columns)
    assert columns[:4] == ["conversation", "status", "turns", "patient model"]
    at.selectbox(key="transcripts_score").set_value((*ITEM, False)).run()
    table = at.dataframe[0].value
    column = "Human · clinician_quality · clinical_accuracy"
    assert list(table.columns)[:2] == ["conversation", column]
    scores = dict(zip(table["conversation"], table[column]))
    assert scores[done[0]] == 3.0 and scores[done[1]] == 5.0
    at.number_input(key="transcripts_score_least").set_value(4).run()
    table = at.dataframe[0].value
    assert list(table["conversation"]) == [done[1]]
