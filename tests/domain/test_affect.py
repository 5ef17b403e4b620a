"""Per-turn emotional state: act classification and the arc rules, by hand on small inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workbench.domain.affect import (
    ActChoice,
    AffectPlan,
    AffectRule,
    AffectStart,
    AffectState,
    classify_act,
    profile_value,
)
from workbench.library import Library

PERSONAS = Path(__file__).resolve().parents[2] / "personas"


@pytest.fixture(scope="module")
def arc_axis():  # type: ignore[no-untyped-def]
    return Library(PERSONAS).axes()["arc"]


@pytest.mark.parametrize(("text", "act"), [
    ("Hello, thanks for coming in. What brings you here today?", "open_question"),
    ("That sounds really hard. How have you been sleeping?", "empathy"),
    ("But you said it was fine before. Are you sure that's true?", "confrontation"),
    ("Take your time. How did that feel?", "reassurance"),
    ("Do you drink?", "closed_question"),
    ("Many people feel this way; the way we think shapes how we feel.", "psychoeducation"),
    ("We'll stop here for today.", "closing"),
    ("Okay.", "statement"),
    ("Tell me more about that morning.", "statement"),  # no question mark: not a question
    ("Tell me more about that morning?", "open_question"),
])
def test_the_shipped_act_rules_classify_clinician_turns(arc_axis, text: str, act: str) -> None:  # type: ignore[no-untyped-def]
    choice = classify_act(text, arc_axis.acts)
    assert choice.act == act and choice.by == "rules"
    if act != "statement":
        assert choice.rule is not None and arc_axis.acts.rules[choice.rule].act == act


def _plan(rules: list[AffectRule], intensity: int = 2, **kw: object) -> AffectPlan:
    from workbench.domain.affect import ActPattern, ActRules
    acts = ActRules(rules=[ActPattern(act="empathy", phrases=("sounds",))])
    return AffectPlan(arc="t", emotion="sad/down", intensity=intensity, rules=tuple(rules),
                      acts=acts, texts={}, **kw)  # type: ignore[arg-type]


def _walk(plan: AffectPlan, acts: list[str]) -> list[tuple[str, int]]:
    state, out = AffectState.start(plan), []
    for act in acts:
        state = state.after(act, plan)
        out.append((str(state.record()["emotion"]), state.intensity))
    return out


def test_every_n_counts_only_qualifying_turns_and_intensity_is_clamped() -> None:
    plan = _plan([AffectRule(acts=("empathy",), every=2, change=-1)], intensity=1)
    walked = _walk(plan, ["empathy", "statement", "empathy", "empathy", "empathy"])
    assert walked == [("sad/down", 1), ("sad/down", 1), ("neutral", 0), ("neutral", 0),
                      ("neutral", 0)]


def test_a_confrontation_sets_intensity_and_switches_emotion_and_turn_windows_apply() -> None:
    plan = _plan([AffectRule(acts=("confrontation",), set_intensity=3, emotion="hurt"),
                  AffectRule(from_turn=2, until_turn=3, change=-1)])
    assert _walk(plan, ["statement", "statement", "confrontation", "statement"]) == [
        ("sad/down", 2), ("sad/down", 1), ("hurt", 2), ("hurt", 2)]


def test_the_complaint_chain_advances_only_when_earned_and_stops_at_its_end() -> None:
    plan = _plan([], chain_advance_on=("empathy",), chain_every=2, chain_length=2)
    state, steps = AffectState.start(plan), []
    for act in ["empathy", "closed_question", "empathy", "empathy", "empathy"]:
        state = state.after(act, plan)
        steps.append(state.chain_step)
    assert steps == [0, 0, 1, 1, 1]


def test_unknown_emotions_and_acts_are_refused_with_the_valid_list() -> None:
    with pytest.raises(ValidationError, match="not in the closed list"):
        AffectStart(emotion="happy")
    with pytest.raises(ValidationError, match="unknown act 'praise'"):
        AffectRule(acts=("praise",))


def test_profile_paths_reach_lists_and_miss_quietly() -> None:
    profile = {"a": {"b": [{"c": "x"}]}}
    assert profile_value(profile, "a.b.0.c") == "x"
    assert profile_value(profile, "a.b.1.c") is None and profile_value(profile, "z") is None


def test_a_marker_choice_is_recorded_as_such() -> None:
    assert ActChoice(act="closing", by="marker").model_dump(exclude_none=True) == {
        "act": "closing", "by": "marker"}
