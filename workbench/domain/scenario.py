"""Scenarios: a clinical setting with a patient side and a clinician side."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Scenario(BaseModel):
    """A setting such as ED history taking or a CBT session."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Scenario id, referenced by personas."""
    label: str
    description: str
    profile_kind: Literal["ed", "cbt"]
    """Which profile kind the scenario takes."""
    axes: tuple[str, ...] = Field(min_length=1)
    """Axis ids a persona of this scenario sets, one level each."""
    optional_axes: tuple[str, ...] = ()
    """Axis ids a persona (or a run's ``--level``) may set but need not, e.g. ``arc``; a persona
    without one is as if the axis did not exist."""
    patient_template: str
    """Template file name under ``personas/templates/`` for the patient's system prompt."""
    clinician_template: str
    """Template file name under ``personas/templates/`` for the clinician agent's system prompt."""
    opener: Literal["patient", "clinician"] = "clinician"
    """Who speaks first."""
    opening_line: str | None = None
    """Optional fixed first clinician line (used when the clinician opens)."""
    max_turns: int = Field(default=30, ge=2)
    """Turn limit (both sides counted)."""
    end_marker: str | None = None
    """A marker the clinician writes to close the conversation (e.g. ``[END]``)."""
    patient_role: str = "patient"
    """Name of the patient side (``patient`` / ``client``)."""
    clinician_role: str = "doctor"
    """Name of the clinician side (``doctor`` / ``therapist``)."""
    default_rubric: str | None = None
    """Rubric id used by default when annotating."""
    twin_levels: dict[str, str] = Field(default_factory=dict)
    """Axis id → level a twin of a real conversation starts from (the most neutral levels, so
    the twin adds as little as possible to what the real patient showed); axes not listed take
    their first level."""
