"""The shipped library under personas/: valid, the PatientSim grid, and every persona renders.

These tests read the project's own content, so they fail (with the issue lines) when a shipped
file breaks; the other library tests use fixture_library/ and do not depend on it.
"""

from __future__ import annotations

import difflib
from collections import Counter

import pytest

from workbench.library import Library
from workbench.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "personas"


@pytest.fixture(scope="module")
def shipped() -> Library:
    return Library(SHIPPED)


def test_the_shipped_library_validates(shipped: Library) -> None:
    issues = shipped.validate()
    assert not issues, "\n".join(str(i) for i in issues)


def test_the_shipped_library_has_both_scenarios(shipped: Library) -> None:
    assert {"ed_consult", "cbt_session"} <= set(shipped.scenarios())
    kinds = Counter(p.kind for p in shipped.profiles().values())
    assert kinds["ed"] >= 1 and kinds["cbt"] >= 1


def test_patientsim_grid_has_37_personas_per_ed_profile(shipped: Library) -> None:
    personas = shipped.grid("patientsim", scenario="ed_consult")
    ed_profiles = sorted(k for k, p in shipped.profiles().items() if p.kind == "ed")
    assert Counter(p.profile for p in personas) == {profile: 37 for profile in ed_profiles}
    assert len({p.id for p in personas}) == len(personas)
    confused = [p.levels for p in personas if p.levels["confusion"] != "normal"]
    assert confused == [
        {"personality": "plain", "language": "B", "recall": "high", "confusion": "high"}
    ] * len(ed_profiles)


def test_every_shipped_persona_renders_without_undefined(shipped: Library) -> None:
    personas = shipped.personas()
    assert personas, "the shipped library has no personas yet"
    for persona_id in personas:
        prompts = shipped.render(persona_id)
        for text in (prompts.patient, prompts.clinician):
            assert text.strip(), persona_id
            assert "undefined" not in text.lower(), persona_id


def test_every_grid_persona_renders(shipped: Library) -> None:
    for persona in shipped.grid("patientsim", scenario="ed_consult"):
        prompts = shipped.render(persona)
        assert "undefined" not in (prompts.patient + prompts.clinician).lower(), persona.id


def _level_cases(library: Library) -> list[tuple[str, str, str, str]]:
    """(persona, axis, level, other level) for one persona per scenario and every level."""
    cases = []
    seen: set[str] = set()
    for persona in library.personas().values():
        if persona.scenario in seen:
            continue
        seen.add(persona.scenario)
        for axis_id in library.scenarios()[persona.scenario].axes:
            for other in library.axes()[axis_id].level_ids:
                if other != persona.levels[axis_id]:
                    cases.append((persona.id, axis_id, persona.levels[axis_id], other))
    return cases


def test_a_level_changes_only_the_prompt_text_it_owns(shipped: Library) -> None:
    """Swapping one axis level changes only lines holding that level's prompt, label or cap."""
    for persona_id, axis_id, level_id, other in _level_cases(shipped):
        axis = shipped.axes()[axis_id]
        persona = shipped.personas()[persona_id]
        one = shipped.render(persona)
        two = shipped.render(persona.with_level(axis_id, other))
        owned = {
            "-": (
                axis.level(level_id).prompt.strip(),
                axis.level(level_id).label,
                f"{one.sentence_cap} sentence",
            ),
            "+": (
                axis.level(other).prompt.strip(),
                axis.level(other).label,
                f"{two.sentence_cap} sentence",
            ),
        }
        diff = difflib.ndiff(one.patient.splitlines(), two.patient.splitlines())
        foreign = [
            line
            for line in diff
            if line[:1] in owned and not any(part in line for part in owned[line[0]])
        ]
        assert not foreign, f"{persona_id}: {axis_id} {level_id} → {other} also changes {foreign}"
        assert one.clinician == two.clinician, f"{persona_id}: {axis_id} leaks to the clinician"
