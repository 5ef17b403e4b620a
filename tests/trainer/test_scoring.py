"""Scoring a trainee's cognitive model: every expected value below is computed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workbench.domain.ccd import CognitiveModel, Situation
from workbench.domain.profile import CBTProfile
from workbench.store import NewConversation, Store
from workbench.trainer import (
    RUBRIC,
    CCDAttempt,
    jaccard,
    load_attempt,
    save_attempt,
    score_attempt,
    score_rows,
    token_f1,
)

PROFILE = CBTProfile(
    id="cbt_test", name="Sam", age=30, gender="female", occupation="analyst",
    presenting_problem="Low mood.", life_history="Grew up moving schools every year.",
    cognitive_model=CognitiveModel(
        core_beliefs=("unlovable", "helpless"),
        intermediate_beliefs="If I ask for help, people will see I am weak.",
        coping_strategies="Works late and avoids friends.",
        situations=(
            Situation(situation="Boss criticised the report in a meeting",
                      automatic_thoughts="I am useless at this job",
                      emotions=("anxious/worried", "sad/down"),
                      behavior="Stayed late rewriting the report"),
            Situation(situation="Friend cancelled dinner plans",
                      automatic_thoughts="Nobody wants to spend time with me",
                      emotions=("hurt", "sad/down"),
                      behavior="Stayed home alone watching TV"),
        ),
    ),
)
ATTEMPT = CCDAttempt(
    core_beliefs=("a failure", "helpless"),
    emotions=("guilty", "sad/down", "hurt"),
    coping_strategies="avoids friends and works late",
    situation="A friend cancelled dinner",
    automatic_thoughts="nobody wants me",
    behavior="stayed home",
)


def test_jaccard() -> None:
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(["a", "a"], ["a"]) == 1.0
    assert jaccard([], []) == 1.0 and jaccard(["a"], []) == 0.0


def test_token_f1() -> None:
    # pred: patient feels sad tired (4); gold: feels tired hopeless (3); common 2.
    # P = 2/4, R = 2/3, F1 = 2PR / (P + R) = 4/7.
    assert token_f1("The patient feels sad and tired", "feels tired and hopeless") == \
        pytest.approx(4 / 7)
    assert token_f1("sad sad sad", "sad") == pytest.approx(1 / 2)  # P = 1/3, R = 1
    assert token_f1("I’M Worried!", "i'm worried") == 1.0
    assert token_f1("", "something") == 0.0 and token_f1("the a", "") == 1.0
    assert token_f1("cats", "dogs") == 0.0


def test_score_attempt_by_hand() -> None:
    score = score_attempt(ATTEMPT, PROFILE)
    by_field = {f.field: f.score for f in score.fields}
    assert by_field == pytest.approx({
        "life_history": 0.0,
        "core_beliefs": 1 / 3,  # {helpless} of {a failure, helpless, unlovable}
        "belief_groups": 1 / 2,  # {helpless} of {helpless, unlovable}
        "intermediate_beliefs": 0.0,
        "coping_strategies": 1.0,  # the same four content words
        "situation": 6 / 7,  # P = 3/3, R = 3/4 against situation 2
        "automatic_thoughts": 2 / 3,  # P = 2/2, R = 2/4
        "behavior": 4 / 7,  # P = 2/2, R = 2/5
        "emotions": 1 / 2,  # {sad, hurt} of {anxious, sad, hurt, guilty}
    })
    assert score.situation_index == 1  # the friend's dinner, not the boss's report
    assert score.overall == pytest.approx(31 / 63)  # (3 + 10/7) / 9
    rows = score_rows(score)
    beliefs = next(r for r in rows if r["field"] == "Core beliefs")
    assert beliefs["your answer"] == "helpless, a failure"  # canonical order
    assert beliefs["ground truth"] == "helpless, unlovable"
    assert beliefs["method"] == "Jaccard"
    assert list(beliefs)[:2] == ["field", "score"]  # the score next to its field, on-screen


def test_attempt_takes_only_the_closed_vocabularies() -> None:
    with pytest.raises(ValidationError, match="unknown core belief"):
        CCDAttempt(core_beliefs=("sad",))
    with pytest.raises(ValidationError, match="unknown emotion"):
        CCDAttempt(emotions=("bored",))


def test_attempt_is_stored_as_annotations_and_read_back(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        cid = store.add_conversation(NewConversation(clinician="human:ana"))
        assert load_attempt(store, cid, "human:ana") is None
        score = score_attempt(ATTEMPT, PROFILE)
        save_attempt(store, cid, "human:ana", ATTEMPT, score)
        save_attempt(store, cid, "human:ana", ATTEMPT, score)  # again: replaced, not doubled
        annotations = store.annotations(cid)
        assert len(annotations) == 9  # eight fields and the scores
        assert {(a.rubric, a.annotator, a.status) for a in annotations} == \
            {(RUBRIC, "human:ana", "submitted")}
        values = {a.item: a.value for a in annotations}
        assert values["emotions"] == ["sad/down", "guilty", "hurt"]
        assert values["scores"]["overall"] == pytest.approx(31 / 63)
        assert load_attempt(store, cid, "human:ana") == ATTEMPT
        assert load_attempt(store, cid, "human:bo") is None
