"""Prompt rendering: StrictUndefined errors, level ownership of prompt text, template hashes."""

from __future__ import annotations

import itertools

import pytest

from workbench.domain.axes import Axis
from workbench.domain.persona import Persona
from workbench.domain.profile import EDProfile
from workbench.domain.prompts import (
    PromptError,
    ResolvedPersona,
    render_prompts,
    template_hash,
)
from workbench.domain.scenario import Scenario


def make_axis(axis_id: str, levels: dict[str, int | None], priority: int = 0) -> Axis:
    return Axis.model_validate(
        {
            "id": axis_id,
            "label": axis_id.title(),
            "description": axis_id,
            "priority": priority,
            "levels": [
                {
                    "id": lid,
                    "label": f"{axis_id} {lid} label",
                    "description": lid,
                    "prompt": f"{axis_id.upper()}-{lid.upper()}: speak the {lid} way.",
                    "max_sentences": cap,
                }
                for lid, cap in levels.items()
            ],
        }
    )


AXES = {
    "personality": make_axis("personality", {"plain": 3, "verbose": 8, "impatient": 3}, 10),
    "language": make_axis("language", {"a": None, "b": None, "c": None}),
    "confusion": make_axis("confusion", {"normal": None, "high": 2}, 20),
}
SCENARIO = Scenario(
    id="ed_consult",
    label="ED",
    description="history taking",
    profile_kind="ed",
    axes=("personality", "language", "confusion"),
    patient_template="patient.j2",
    clinician_template="doctor.j2",
    end_marker="[END]",
)
PROFILE = EDProfile.model_validate(
    {
        "id": "chest_pain",
        "name": "Sam Example",
        "age": 61,
        "gender": "male",
        "race": "White",
        "tobacco": "20 a day",
        "alcohol": "weekends",
        "illicit_drugs": "none",
        "exercise": "none",
        "marital_status": "married",
        "children": "two",
        "living_situation": "with wife",
        "occupation": "bus driver",
        "insurance": "public",
        "allergies": "none known",
        "family_history": "father MI at 60",
        "medical_devices": "none",
        "medical_history": "hypertension",
        "present_illness_positive": "crushing chest pain",
        "present_illness_negative": "no fever",
        "chief_complaint": "my chest hurts",
        "pain": 8,
        "medications": "amlodipine",
        "arrival_transport": "ambulance",
        "disposition": "admitted",
        "diagnosis": "myocardial infarction",
    }
)
PATIENT = """You are {{ profile.name }}, {{ profile.age }}.
Complaint: {{ profile.chief_complaint }}.
{% for axis_id in scenario.axes %}
[{{ axes[axis_id].label }}] {{ axes[axis_id].prompt }}
{% endfor %}
Never say you are an AI.
{% if sentence_cap %}
Keep every reply to {{ sentence_cap }} sentences or fewer.
{% endif %}
"""
DOCTOR = (
    "You are the {{ scenario.clinician_role }} for a {{ profile.age }}-year-old. "
    "End: {{ end_marker }}"
)
TEMPLATES = {"patient.j2": PATIENT, "doctor.j2": DOCTOR}
BASE_LEVELS = {"personality": "plain", "language": "b", "confusion": "normal"}


def resolved(levels: dict[str, str] | None = None) -> ResolvedPersona:
    persona = Persona(
        id="p1", scenario="ed_consult", profile="chest_pain", levels=levels or BASE_LEVELS
    )
    return ResolvedPersona(
        persona=persona,
        scenario=SCENARIO,
        profile=PROFILE,
        axes=AXES,
        source="personas/ed_consult/p1.yaml",
    )


def test_renders_both_sides_from_the_context() -> None:
    out = render_prompts(resolved(), TEMPLATES)
    assert out.patient.startswith("You are Sam Example, 61.\nComplaint: my chest hurts.")
    assert "PERSONALITY-PLAIN: speak the plain way." in out.patient
    assert "Keep every reply to 3 sentences or fewer." in out.patient
    assert out.clinician == "You are the doctor for a 61-year-old. End: [END]"
    assert out.sentence_cap == 3
    assert "undefined" not in (out.patient + out.clinician).lower()


def test_a_missing_field_names_the_persona_file_template_line_and_field() -> None:
    source = "Hello {{ profile.name }}.\nCall me {{ profile.nickname }}.\n"
    templates = {**TEMPLATES, "patient.j2": source}
    with pytest.raises(PromptError) as info:
        render_prompts(resolved(), templates)
    message = str(info.value)
    assert "personas/ed_consult/p1.yaml" in message
    assert "nickname" in message
    assert "patient.j2:2" in message  # the template line of the missing field


def test_a_missing_top_level_name_is_an_error_not_text() -> None:
    templates = {**TEMPLATES, "doctor.j2": "Hi {{ trainee_name }}"}
    with pytest.raises(PromptError, match="trainee_name"):
        render_prompts(resolved(), templates)


def test_a_missing_template_names_the_scenario_field() -> None:
    with pytest.raises(PromptError, match=r"clinician_template: no template named 'doctor\.j2'"):
        render_prompts(resolved(), {"patient.j2": PATIENT})


def test_an_unknown_level_lists_the_valid_ones() -> None:
    with pytest.raises(PromptError, match=r"levels\.language: unknown level 'z'.*valid: a, b, c"):
        render_prompts(resolved({**BASE_LEVELS, "language": "z"}), TEMPLATES)


def _without(text: str, *owned: str) -> str:
    """The prompt with the level-owned parts removed (prompt text, label, cap line)."""
    lines = [line for line in text.splitlines() if "sentences or fewer" not in line]
    text = "\n".join(lines)
    for part in owned:
        text = text.replace(part, "<LEVEL>")
    return text


LEVEL_PAIRS = [
    (axis_id, first, other)
    for axis_id, axis in AXES.items()
    for first, other in itertools.permutations(axis.level_ids, 2)
]


@pytest.mark.parametrize(("axis_id", "first", "other"), LEVEL_PAIRS)
def test_changing_one_level_changes_only_the_text_that_level_owns(
    axis_id: str, first: str, other: str
) -> None:
    axis = AXES[axis_id]
    one = render_prompts(resolved({**BASE_LEVELS, axis_id: first}), TEMPLATES)
    two = render_prompts(resolved({**BASE_LEVELS, axis_id: other}), TEMPLATES)
    assert one.patient != two.patient
    assert _without(one.patient, axis.level(first).prompt) == _without(
        two.patient, axis.level(other).prompt
    )
    assert one.clinician == two.clinician  # the doctor's template reads no level


def test_overrides_change_the_active_level_and_the_cap() -> None:
    base = render_prompts(resolved({**BASE_LEVELS, "confusion": "high"}), TEMPLATES)
    eased = render_prompts(
        resolved({**BASE_LEVELS, "confusion": "high"}), TEMPLATES, overrides={"confusion": "normal"}
    )
    assert "CONFUSION-HIGH" in base.patient and base.sentence_cap == 2  # confusion outranks
    assert "CONFUSION-NORMAL" in eased.patient and eased.sentence_cap == 3


def test_template_hashes_are_stable_and_track_the_source() -> None:
    one = render_prompts(resolved(), TEMPLATES)
    two = render_prompts(resolved({**BASE_LEVELS, "personality": "verbose"}), TEMPLATES)
    assert one.patient_template_hash == two.patient_template_hash == template_hash(PATIENT)
    assert one.clinician_template_hash == template_hash(DOCTOR)
    assert template_hash("Hello {{ persona.id }}") == "caa80063384da6a0"  # pinned across versions
    changed = render_prompts(resolved(), {**TEMPLATES, "doctor.j2": DOCTOR + " "})
    assert changed.clinician_template_hash != one.clinician_template_hash
    assert changed.patient_template_hash == one.patient_template_hash
