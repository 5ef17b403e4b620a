"""Personas: a scenario, a profile and one level per axis, versioned by a content hash."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field

from workbench.domain.questionnaires import Questionnaires


class Persona(BaseModel):
    """A composed simulated patient, as stored in ``personas/personas/*.yaml``.

    The persona references its scenario and profile by id; the library resolves them. Its
    ``content_hash`` covers everything that shapes the prompts, so every transcript points to the
    exact persona that produced it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_\-.]+$")
    """Persona id (the file stem by convention)."""
    scenario: str
    """Scenario id."""
    profile: str
    """Profile id."""
    levels: dict[str, str]
    """Axis id → level id, one per axis of the scenario."""
    questionnaires: Questionnaires | None = None
    """Optional answers overriding the profile's."""
    notes: str = ""
    """Free notes for researchers (not sent to models)."""

    def content_hash(self, *, profile_json: str = "") -> str:
        """A short stable hash of the persona (and, when given, its resolved profile)."""
        body = self.model_dump(mode="json", exclude={"notes"})
        payload = json.dumps(body, sort_keys=True) + profile_json
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def with_level(self, axis: str, level: str) -> Persona:
        """A copy with one axis set to another level (id unchanged)."""
        return self.model_copy(update={"levels": {**self.levels, axis: level}})
