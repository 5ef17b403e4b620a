"""Transcripts: conversations and their turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["patient", "clinician"]


class Turn(BaseModel):
    """One utterance of a conversation."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    index: int = Field(ge=0)
    """Position in the conversation, from 0, without gaps."""
    role: Role
    """Which side spoke."""
    text: str
    """What was said (model output is untrusted text)."""
    state: dict[str, Any] = Field(default_factory=dict)
    """Per-turn state: active axis levels (e.g. confusion), sentence count and cap, flags."""
    latency_s: float | None = None
    """Seconds the backend took to produce this turn (None for imported or human turns)."""
    prompt_tokens: int | None = None
    """Tokens in the prompt, as reported by the backend."""
    completion_tokens: int | None = None
    """Tokens generated, as reported by the backend."""
    created_at: datetime | None = None
    """When the turn was stored (UTC)."""


ConversationStatus = Literal["pending", "running", "done", "failed", "cancelled"]


class Transcript(BaseModel):
    """A conversation with its turns and provenance."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    id: str
    """Conversation id."""
    run_id: str | None = None
    """Run that produced it (None for imported reference conversations)."""
    source: str = "simulated"
    """``simulated`` or ``reference:<corpus>`` for imported real conversations."""
    persona_id: str | None = None
    persona_hash: str | None = None
    scenario: str | None = None
    profile: str | None = None
    levels: dict[str, str] = Field(default_factory=dict)
    """Axis id → level id of the persona."""
    patient_model: str | None = None
    clinician: str | None = None
    """Clinician spec: a model (``ollama/...``), a script (``scripted/...``) or ``human:<name>``."""
    seed: int | None = None
    sample: int | None = None
    """Sample index within the run (seed = run seed + sample)."""
    status: ConversationStatus = "pending"
    failure_reason: str | None = None
    patient_prompt: str | None = None
    """Rendered patient system prompt."""
    clinician_prompt: str | None = None
    """Rendered clinician system prompt."""
    patient_template_hash: str | None = None
    clinician_template_hash: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    """When the conversation was planned or imported (UTC)."""
    turns: list[Turn] = Field(default_factory=list)
