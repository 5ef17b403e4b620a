"""Per-turn patient state (scheduled levels) and sentence counting."""

from __future__ import annotations

import pytest

from workbench.domain.axes import Axis
from workbench.domain.state import PatientState, count_sentences


def make_confusion(triggers: list[str]) -> Axis:
    schedule = {"after_turns": 2, "triggers": triggers}
    return Axis.model_validate(
        {
            "id": "confusion",
            "label": "Confusion",
            "description": "dazedness",
            "priority": 20,
            "levels": [
                {"id": "normal", "label": "N", "description": "n", "prompt": "n"},
                {
                    "id": "moderate",
                    "label": "M",
                    "description": "m",
                    "prompt": "m",
                    "schedule": {**schedule, "next": "normal"},
                },
                {
                    "id": "high",
                    "label": "H",
                    "description": "h",
                    "prompt": "h",
                    "schedule": {**schedule, "next": "moderate"},
                },
            ],
        }
    )


PERSONALITY = Axis.model_validate(
    {
        "id": "personality",
        "label": "P",
        "description": "p",
        "levels": [{"id": "plain", "label": "Plain", "description": "p", "prompt": "p"}],
    }
)
AXES = {"confusion": make_confusion(["you are safe", "Take your time"]), "personality": PERSONALITY}
REASSURE = "You are safe here; we will look after you."
NEUTRAL = "When did the pain start?"


def test_only_scheduled_axes_are_tracked() -> None:
    state = PatientState.start({"confusion": "high", "personality": "plain"}, AXES)
    assert state.levels == {"confusion": "high"}
    assert state.counts == {"confusion": 0}
    assert PatientState.start({"confusion": "normal", "personality": "plain"}, AXES).levels == {}


def test_confusion_eases_high_moderate_normal_only_on_trigger_phrases() -> None:
    state = PatientState.start({"confusion": "high", "personality": "plain"}, AXES)
    trail = []
    for text in [
        NEUTRAL,
        REASSURE,
        NEUTRAL,
        REASSURE,
        REASSURE,
        NEUTRAL,
        "TAKE YOUR TIME.",
        REASSURE,
        REASSURE,
    ]:
        state = state.after_clinician_turn(text, AXES)
        trail.append((state.levels["confusion"], state.counts["confusion"]))
    assert trail == [
        ("high", 0),  # no reassurance: no progress
        ("high", 1),
        ("high", 1),
        ("moderate", 0),  # second reassuring turn: one step down, counter reset
        ("moderate", 1),
        ("moderate", 1),
        ("normal", 0),  # triggers match case-insensitively
        ("normal", 0),  # normal has no schedule: the end of the chain
        ("normal", 0),
    ]


def test_after_clinician_turn_returns_a_new_state() -> None:
    state = PatientState.start({"confusion": "high"}, AXES)
    later = state.after_clinician_turn(REASSURE, AXES)
    assert state.counts == {"confusion": 0}
    assert later.counts == {"confusion": 1}
    assert later.as_dict() == {"levels": {"confusion": "high"}, "counts": {"confusion": 1}}


def test_without_triggers_every_clinician_turn_counts() -> None:
    axes = {"confusion": make_confusion([])}
    state = PatientState.start({"confusion": "high"}, axes)
    state = state.after_clinician_turn(NEUTRAL, axes).after_clinician_turn(NEUTRAL, axes)
    assert state.levels == {"confusion": "moderate"}


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("   \n ", 0),
        ("Yes.", 1),
        ("no", 1),  # a fragment without punctuation is a sentence
        ("It hurts. Since Monday.", 2),
        ("It hurts!! Really?!", 2),  # runs of punctuation end one sentence
        ("Wait... what? I don't know", 3),
        ("I take 2.5 mg a day.", 1),  # a decimal point is not a sentence end
        ('He said "stop." Then he left.', 2),
        ("Hmm… maybe", 2),
        ("Line one.\nLine two.\n", 2),
    ],
)
def test_count_sentences(text: str, count: int) -> None:
    assert count_sentences(text) == count
