"""Axes and levels: validation, level lookup and the reply-length cap in force."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workbench.domain.axes import Axis, Level, effective_sentence_cap


def level(level_id: str, cap: int | None = None, **extra: object) -> dict[str, object]:
    return {
        "id": level_id,
        "label": level_id.title(),
        "description": f"{level_id} level",
        "prompt": f"PROMPT-{level_id}",
        "max_sentences": cap,
        **extra,
    }


def axis(axis_id: str, levels: list[dict[str, object]], priority: int = 0) -> Axis:
    return Axis.model_validate(
        {
            "id": axis_id,
            "label": axis_id.title(),
            "description": f"{axis_id} axis",
            "levels": levels,
            "priority": priority,
        }
    )


def test_unknown_level_lists_the_valid_ones() -> None:
    personality = axis("personality", [level("plain"), level("verbose")])
    with pytest.raises(KeyError) as info:
        personality.level("grumpy")
    assert info.value.args[0] == (
        "unknown level 'grumpy' for axis 'personality'; valid: plain, verbose"
    )
    assert personality.level("verbose").prompt == "PROMPT-verbose"
    assert personality.level_ids == ("plain", "verbose")


def test_schedule_pointing_to_an_unknown_level_is_rejected() -> None:
    with pytest.raises(ValidationError, match="schedule points to unknown level 'calm'"):
        axis(
            "confusion",
            [level("normal"), level("high", schedule={"next": "calm", "after_turns": 2})],
        )


def test_schedule_chain_is_data() -> None:
    confusion = axis(
        "confusion",
        [
            level("normal"),
            level("moderate", schedule={"next": "normal", "after_turns": 2}),
            level("high", schedule={"next": "moderate", "after_turns": 1, "triggers": ["safe"]}),
        ],
    )
    high = confusion.level("high")
    assert high.schedule is not None and high.schedule.next == "moderate"
    assert high.schedule.triggers == ("safe",)


def test_duplicate_level_ids_are_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate level ids: calm"):
        axis("mood", [level("calm"), level("tense"), level("calm")])


@pytest.mark.parametrize("bad", [{"max_sentences": 0}, {"id": "with space"}, {"colour": "red"}])
def test_level_fields_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Level.model_validate({**level("plain"), **bad})


def test_an_axis_needs_a_level() -> None:
    with pytest.raises(ValidationError):
        axis("empty", [])


PERSONALITY = axis("personality", [level("plain", 3), level("verbose", 8)], priority=10)
CONFUSION = axis("confusion", [level("normal"), level("high", 2), level("odd", 5)], priority=20)
LANGUAGE = axis("language", [level("A", 4), level("B")], priority=10)


def active(*pairs: tuple[Axis, str]) -> list[tuple[Axis, Level]]:
    return [(a, a.level(level_id)) for a, level_id in pairs]


@pytest.mark.parametrize(
    ("pairs", "cap"),
    [
        ([], None),
        ([(LANGUAGE, "B")], None),  # no level caps the reply
        ([(PERSONALITY, "verbose")], 8),
        ([(PERSONALITY, "verbose"), (CONFUSION, "normal")], 8),  # a cap-less level never blocks
        ([(PERSONALITY, "verbose"), (CONFUSION, "high")], 2),  # higher priority wins...
        ([(PERSONALITY, "plain"), (CONFUSION, "odd")], 5),  # ...even with the larger cap
        ([(PERSONALITY, "verbose"), (LANGUAGE, "A")], 4),  # equal priority: the smallest cap
    ],
)
def test_effective_sentence_cap_priority(pairs: list[tuple[Axis, str]], cap: int | None) -> None:
    assert effective_sentence_cap(active(*pairs)) == cap
