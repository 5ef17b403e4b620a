"""PatientSim patient profiles (emergency department) → ED profile + ed_consult persona."""

from __future__ import annotations

from typing import Any

from workbench.library.imports import Draft, RecordReport, record_id, text

FIELDS = {  # PatientSim key → our EDProfile field
    "name": "name", "gender": "gender", "race": "race", "tobacco": "tobacco",
    "alcohol": "alcohol", "illicit_drug": "illicit_drugs", "exercise": "exercise",
    "marital_status": "marital_status", "children": "children",
    "living_situation": "living_situation", "occupation": "occupation",
    "insurance": "insurance", "allergies": "allergies",
    "family_medical_history": "family_history", "medical_device": "medical_devices",
    "medical_history": "medical_history",
    "present_illness_positive": "present_illness_positive",
    "present_illness_negative": "present_illness_negative",
    "chiefcomplaint": "chief_complaint", "medication": "medications",
    "arrival_transport": "arrival_transport", "disposition": "disposition",
    "diagnosis": "diagnosis",
}
LEVELS = {"personality": "personality", "lang_proficiency_level": "language",
          "recall_level": "recall", "confusion_level": "confusion"}
DEFAULT_LEVELS = {"personality": "plain", "language": "C", "recall": "high",
                  "confusion": "normal"}
NO_HOME = {
    "birth_date": "the library keeps age only", "telecom": "contact details are not kept",
    "personal_id": "identifiers are not kept", "address": "addresses are not kept",
    "department": "outpatient departments have no scenario here",
    "visit_type": "only emergency_department visits have a scenario here",
}
MISSING = "not recorded"


def convert(record: dict[str, Any], index: int, prefix: str) -> Draft:
    """One PatientSim record as a draft profile and persona."""
    pid = record_id(prefix, index, record, "hadm_id", "id", "name")
    report = RecordReport(index=index, profile_id=pid, persona_id=f"{pid}-patientsim")
    profile: dict[str, Any] = {"kind": "ed", "id": pid}
    for key, field in FIELDS.items():
        value = text(record.get(key))
        if value and value.upper() != "N/A":
            profile[field] = value
            report.mapped[key] = f"profile.{field}"
        else:
            profile[field] = MISSING if field != "name" else f"Patient {index + 1}"
            report.filled[f"profile.{field}"] = profile[field]
    for key in ("age", "pain"):
        raw = record.get(key)
        try:
            profile[key] = int(float(raw)) if raw not in (None, "", "N/A") else None
            if profile[key] is not None:
                report.mapped[key] = f"profile.{key}"
        except (TypeError, ValueError):
            profile[key] = None
            report.no_home[key] = f"{raw!r} is not a number"
    levels = dict(DEFAULT_LEVELS)
    for key, axis in LEVELS.items():
        raw = text(record.get(key))
        if not raw:
            report.filled[f"levels.{axis}"] = levels[axis]
            continue
        value = raw.upper() if axis == "language" else raw.lower()
        if axis == "recall" and value == "no_history":
            report.no_home[key] = "recall 'no_history' has no level here; recall set to low"
            value = "low"
        elif axis == "language" and value in {"A", "B", "C"}:
            pass
        levels[axis] = value
        report.mapped[key] = f"levels.{axis}"
    for key, why in NO_HOME.items():
        if key in record:
            report.no_home[key] = why
    known = set(FIELDS) | set(LEVELS) | set(NO_HOME) | {"age", "pain", "hadm_id", "id"}
    for key in record:
        if key not in known:
            report.no_home[key] = "not a PatientSim field the library knows"
    if "hadm_id" in record or "id" in record:
        report.mapped["hadm_id" if "hadm_id" in record else "id"] = "profile.id (as part)"
    return Draft(profile=profile, scenario="ed_consult", levels=levels, report=report)
