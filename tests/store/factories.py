"""Builders of domain objects and store rows for the store tests (no SQL here)."""

from __future__ import annotations

from typing import Any

from workbench.domain.axes import Axis, Level
from workbench.domain.persona import Persona
from workbench.domain.profile import EDProfile
from workbench.domain.prompts import ResolvedPersona
from workbench.domain.scenario import Scenario
from workbench.domain.transcript import Role, Turn
from workbench.store import NewConversation, Store

AXIS_LEVELS = {"personality": ("plain", "verbose", "distrust"), "language": ("A", "B", "C")}


def make_axis(axis_id: str, levels: tuple[str, ...]) -> Axis:
    return Axis(
        id=axis_id,
        label=axis_id.title(),
        description=f"How the patient's {axis_id} varies.",
        levels=tuple(
            Level(id=lv, label=lv, description=f"{axis_id} {lv}", prompt=f"Be {lv}.")
            for lv in levels
        ),
    )


def make_profile(profile_id: str = "ed_pneumonia_01") -> EDProfile:
    return EDProfile(
        id=profile_id, name="Ada Byron", age=36, gender="female", race="white",
        tobacco="never", alcohol="socially", illicit_drugs="none", exercise="walks daily",
        marital_status="married", children="two", living_situation="with family",
        occupation="mathematician", insurance="private", allergies="penicillin",
        family_history="father: heart disease", medical_devices="none",
        medical_history="asthma", present_illness_positive="cough, fever for five days",
        present_illness_negative="no chest pain", chief_complaint="cough and fever", pain=3,
        medications="salbutamol inhaler", arrival_transport="walk-in", disposition="home",
        diagnosis="pneumonia",
    )


def make_resolved_persona(
    persona_id: str = "ada", levels: dict[str, str] | None = None, profile_id: str = "ed_pn_01"
) -> ResolvedPersona:
    levels = levels or {"personality": "plain", "language": "A"}
    scenario = Scenario(
        id="ed_consult", label="ED consult", description="History taking in the ED.",
        profile_kind="ed", axes=tuple(AXIS_LEVELS), patient_template="ed_patient.j2",
        clinician_template="ed_doctor.j2",
    )
    return ResolvedPersona(
        persona=Persona(id=persona_id, scenario="ed_consult", profile=profile_id, levels=levels),
        scenario=scenario,
        profile=make_profile(profile_id),
        axes={axis: make_axis(axis, lv) for axis, lv in AXIS_LEVELS.items()},
        source=f"personas/personas/ed_consult/{persona_id}.yaml",
    )


def turns(texts: list[str], start: int = 0) -> list[Turn]:
    """Turns alternating clinician/patient (the clinician opens at even indexes)."""
    return [Turn(index=start + i, role=role_of(start + i), text=t) for i, t in enumerate(texts)]


def role_of(index: int) -> Role:
    """The clinician opens: even indexes are the clinician's."""
    return "clinician" if index % 2 == 0 else "patient"


def add_conversation_with_turns(store: Store, texts: list[str], **fields: Any) -> str:
    """Add a conversation and append its turns one by one."""
    conversation_id = store.add_conversation(NewConversation(**fields))
    for turn in turns(texts):
        store.append_turn(conversation_id, turn)
    return conversation_id
