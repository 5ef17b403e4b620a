"""A conversation's place in a multi-session series (stored in ``metadata["session"]``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from workbench.domain.transcript import Transcript


class SessionSummary(BaseModel):
    """One session's summary for one side."""

    model_config = ConfigDict(frozen=True)

    number: int
    text: str


class SessionInfo(BaseModel):
    """What a conversation of a series stores about its place in it (``metadata["session"]``)."""

    model_config = ConfigDict(frozen=True)

    series: str
    """The series id: the run id of session 1."""
    number: int = Field(ge=1)
    of: int = Field(ge=1)
    """Sessions in the series."""
    summary_model: str
    previous: str | None = None
    """The same persona-sample's conversation in the previous session."""
    patient_summaries: list[SessionSummary] = Field(default_factory=list)
    """Summaries of sessions 1..number−1 as the patient remembers them."""
    clinician_notes: list[SessionSummary] = Field(default_factory=list)
    """The clinician's own notes of sessions 1..number−1."""


def session_of(transcript: Transcript) -> SessionInfo | None:
    """The conversation's place in a series, if it belongs to one."""
    raw = (transcript.metadata or {}).get("session")
    return SessionInfo.model_validate(raw) if raw else None
