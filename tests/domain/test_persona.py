"""Personas: the content hash that ties every transcript to the exact persona."""

from __future__ import annotations

import pytest

from workbench.domain.persona import Persona
from workbench.domain.questionnaires import PHQ9, Questionnaires

LEVELS = {"personality": "plain", "language": "B", "recall": "high", "confusion": "normal"}


def persona(**changes: object) -> Persona:
    base: dict[str, object] = {
        "id": "p1",
        "scenario": "ed_consult",
        "profile": "chest_pain",
        "levels": dict(LEVELS),
    }
    return Persona.model_validate({**base, **changes})


def test_hash_is_stable_and_short() -> None:
    first = persona().content_hash()
    assert first == persona().content_hash()
    assert len(first) == 16 and int(first, 16) >= 0
    # Pinned: the hash is stored with every transcript, so it must not drift between versions.
    assert first == "f11a960c3ff73dc3"


def test_hash_ignores_level_order_and_notes() -> None:
    reordered = persona(levels=dict(reversed(list(LEVELS.items()))))
    assert reordered.content_hash() == persona().content_hash()
    assert persona(notes="for the pilot").content_hash() == persona().content_hash()


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "p2"},
        {"scenario": "ed_other"},
        {"profile": "cough_fever"},
        {"levels": {**LEVELS, "recall": "low"}},
        {"levels": {**LEVELS, "extra": "x"}},
        {"questionnaires": Questionnaires(phq9=PHQ9(items=(0,) * 9))},
    ],
)
def test_hash_changes_with_anything_that_shapes_the_prompt(changes: dict[str, object]) -> None:
    assert persona(**changes).content_hash() != persona().content_hash()


def test_hash_covers_the_resolved_profile() -> None:
    p = persona()
    assert p.content_hash(profile_json='{"age": 61}') != p.content_hash(profile_json='{"age": 62}')
    assert p.content_hash(profile_json='{"age": 61}') == p.content_hash(profile_json='{"age": 61}')


def test_with_level_returns_a_copy() -> None:
    p = persona()
    q = p.with_level("confusion", "high")
    assert q.levels["confusion"] == "high" and q.id == p.id
    assert p.levels["confusion"] == "normal"
    assert q.content_hash() != p.content_hash()
