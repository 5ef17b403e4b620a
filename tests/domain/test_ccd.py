"""The cognitive conceptualization diagram and its closed vocabularies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workbench.domain.ccd import (
    ALL_CORE_BELIEFS,
    CORE_BELIEFS,
    EMOTIONS,
    CognitiveModel,
    Situation,
    belief_group,
)


def situation(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "situation": "A friend cancelled dinner.",
        "automatic_thoughts": "Nobody wants to spend time with me.",
        "emotions": ["sad/down"],
        "behavior": "Stayed in bed.",
    }
    return {**base, **changes}


def test_vocabularies_have_the_published_sizes() -> None:
    assert {g: len(b) for g, b in CORE_BELIEFS.items()} == {
        "helpless": 9,
        "unlovable": 6,
        "worthless": 4,
    }
    assert len(ALL_CORE_BELIEFS) == len(set(ALL_CORE_BELIEFS)) == 19
    assert len(EMOTIONS) == 9


def test_belief_group() -> None:
    assert belief_group("trapped") == "helpless"
    assert belief_group("bound to be alone") == "unlovable"
    assert belief_group("immoral") == "worthless"
    with pytest.raises(KeyError, match="stupid"):
        belief_group("stupid")


def test_emotion_outside_the_vocabulary_is_named_with_the_valid_list() -> None:
    with pytest.raises(ValidationError) as info:
        Situation.model_validate(situation(emotions=["sad/down", "lonely"]))
    message = str(info.value)
    assert "'lonely' not in the closed list" in message
    assert "anxious/worried" in message


@pytest.mark.parametrize("emotions", [[], ["sad/down", "hurt", "guilty", "jealous"]])
def test_a_situation_names_one_to_three_emotions(emotions: list[str]) -> None:
    with pytest.raises(ValidationError):
        Situation.model_validate(situation(emotions=emotions))


def test_three_emotions_are_fine() -> None:
    ok = Situation.model_validate(situation(emotions=["sad/down", "hurt", "guilty"]))
    assert ok.emotions == ("sad/down", "hurt", "guilty")


def model(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "core_beliefs": ["unlovable"],
        "intermediate_beliefs": "If people see the real me, they leave.",
        "coping_strategies": "Keeps people at arm's length.",
        "situations": [situation()],
    }
    return {**base, **changes}


def test_core_belief_outside_the_vocabulary() -> None:
    with pytest.raises(ValidationError, match="'stupid' not in the closed list of 19"):
        CognitiveModel.model_validate(model(core_beliefs=["helpless", "stupid"]))


def test_belief_groups_and_emotions_in_canonical_order() -> None:
    cm = CognitiveModel.model_validate(
        model(
            core_beliefs=["immoral", "unlovable", "trapped"],
            situations=[situation(emotions=["hurt", "sad/down"]), situation(emotions=["guilty"])],
        )
    )
    assert cm.belief_groups == ("helpless", "unlovable", "worthless")
    assert cm.emotions == ("sad/down", "guilty", "hurt")


def test_extra_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        CognitiveModel.model_validate(model(mood="low"))
