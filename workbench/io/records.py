"""The exchange format of exported transcripts (``workbench.transcript/1``).

One :class:`ExportedConversation` per conversation, written as one JSONL line in the OpenAI chat
shape, **from the patient's point of view**: the patient's system prompt is the ``system``
message, the clinician speaks as ``user`` and the patient as ``assistant``, so the file can train
or evaluate a patient model as it is. Every message also carries an explicit ``speaker``
(``patient`` / ``clinician`` / ``system``) and its turn index, so nobody has to decode the roles.
The clinician's system prompt is in ``prompts.clinician``. The CSV and Parquet exports hold the
same fields, one row per turn (see :mod:`workbench.io.tables`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from workbench.domain.transcript import ConversationStatus, Role
from workbench.store.records import SOURCE_PATTERN, PersonaRecord, RunRecord

FORMAT: Final = "workbench.transcript/1"
"""Value of every record's ``format`` field; a later layout gets a new number."""

ChatRole = Literal["system", "user", "assistant"]
CHAT_ROLE: dict[Role, ChatRole] = {"patient": "assistant", "clinician": "user"}
"""Speaker → OpenAI role, from the patient's point of view."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ExportedMessage(_Record):
    """One message: the patient's system prompt, or one turn."""

    role: ChatRole
    """OpenAI role from the patient's point of view: clinician = ``user``, patient =
    ``assistant``."""
    content: str
    """The text."""
    speaker: Literal["system", "patient", "clinician"]
    """Who it is, plainly."""
    turn: int | None = Field(default=None, ge=0)
    """Turn index (None for the system message)."""
    state: dict[str, Any] = Field(default_factory=dict)
    """Per-turn state (active levels, sentence count, original speaker label...)."""
    latency_s: float | None = None
    """Seconds the backend took."""
    prompt_tokens: int | None = None
    """Prompt tokens reported by the backend."""
    completion_tokens: int | None = None
    """Generated tokens reported by the backend."""
    created_at: datetime | None = None
    """When the turn was stored (UTC)."""


class ExportedAnnotation(_Record):
    """One annotation value."""

    turn: int | None = Field(default=None, ge=0)
    """Turn index, or None for a conversation-level item."""
    rubric: str
    """Rubric id."""
    item: str
    """Item id."""
    value: Any = None
    """The value (rating, label, list of labels, text)."""
    annotator: str
    """Person, or ``judge:<model>``."""
    status: Literal["draft", "submitted"] = "submitted"
    """Draft or submitted."""
    created_at: datetime | None = None
    """First stored (UTC)."""
    updated_at: datetime | None = None
    """Last changed (UTC)."""


class ExportedPersona(_Record):
    """The persona behind a simulated conversation."""

    id: str | None = None
    """Persona id."""
    hash: str | None = None
    """Content hash."""
    scenario: str | None = None
    """Scenario id."""
    profile: str | None = None
    """Profile id."""
    levels: dict[str, str] = Field(default_factory=dict)
    """Axis id → level id."""
    stored: PersonaRecord | None = None
    """The whole stored persona (resolved scenario, profile and axes), so a fresh store can take
    the conversation."""


class ExportedCorpus(_Record):
    """The reference corpus of an imported real conversation."""

    name: str
    """Corpus name (the conversation's source is ``reference:<name>``)."""
    description: str = ""
    """What the corpus is."""
    licence: str = ""
    """Licence and attribution."""
    source_path: str = ""
    """Where it was imported from."""
    imported_at: datetime
    """When it was registered (UTC)."""


class ExportedPrompts(_Record):
    """What the prompts were made from (the patient prompt itself is the system message)."""

    clinician: str | None = None
    """The clinician agent's system prompt."""
    patient_template_hash: str | None = None
    """Hash of the patient template's source."""
    clinician_template_hash: str | None = None
    """Hash of the clinician template's source."""


class ExportedConversation(_Record):
    """One conversation with its turns, annotations, persona and provenance."""

    format: Literal["workbench.transcript/1"] = FORMAT
    """Format and version of this record."""
    id: str
    """Conversation id."""
    source: str = Field(default="simulated", pattern=SOURCE_PATTERN)
    """``simulated`` or ``reference:<corpus>``."""
    status: ConversationStatus
    """Status when exported."""
    failure_reason: str | None = None
    """Why it failed, when it did."""
    created_at: datetime
    """When it was created (UTC)."""
    run: RunRecord | None = None
    """The run that produced it."""
    corpus: ExportedCorpus | None = None
    """The reference corpus it belongs to."""
    persona: ExportedPersona = Field(default_factory=ExportedPersona)
    """The persona."""
    patient_model: str | None = None
    """Patient backend spec."""
    clinician: str | None = None
    """Clinician spec."""
    seed: int | None = None
    """Sampling seed."""
    sample: int | None = None
    """Sample number within the run."""
    prompts: ExportedPrompts = Field(default_factory=ExportedPrompts)
    """Clinician prompt and template hashes."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Provenance and options."""
    messages: list[ExportedMessage] = Field(default_factory=list)
    """System message (when there is a patient prompt), then every turn in order."""
    annotations: list[ExportedAnnotation] = Field(default_factory=list)
    """Every annotation value, conversation-level first, then by turn, rubric, item, annotator."""

    @property
    def patient_prompt(self) -> str | None:
        """The patient's system prompt (the system message), if any."""
        system = [m for m in self.messages if m.speaker == "system"]
        return system[0].content if system else None

    @property
    def turn_messages(self) -> list[ExportedMessage]:
        """The messages that are turns."""
        return [m for m in self.messages if m.speaker != "system"]


def dump_record(record: ExportedConversation) -> dict[str, Any]:
    """The record as JSON-ready data (every field, in a fixed order)."""
    return record.model_dump(mode="json")
