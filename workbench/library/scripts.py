"""Scripted interviewers: a fixed list of clinician questions that holds the clinician constant."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Script(BaseModel):
    """A scripted interviewer, as stored in ``personas/scripts/<id>.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    """Script id, used in clinician specs such as ``scripted/<id>``."""
    label: str
    """Human label."""
    description: str = ""
    """What the script is for (e.g. a standardized intake)."""
    scenario: str
    """Scenario id the questions are written for."""
    questions: tuple[str, ...] = Field(min_length=1)
    """The clinician's lines, asked in order, one per turn."""

    @field_validator("questions")
    @classmethod
    def _no_blank_questions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        blank = [str(i) for i, q in enumerate(value, start=1) if not q.strip()]
        if blank:
            raise ValueError(f"question(s) {', '.join(blank)} are empty")
        return value
