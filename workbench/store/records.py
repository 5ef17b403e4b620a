"""Typed records the store takes and returns (pydantic; every field documented)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from workbench.domain.prompts import ResolvedPersona
from workbench.domain.transcript import ConversationStatus, Role

RunStatus = Literal["pending", "running", "done", "failed", "cancelled"]
"""Life cycle of a run (the same words as a conversation's)."""
AnnotationStatus = Literal["draft", "submitted"]
"""An annotation is a draft until the annotator submits it."""

CONVERSATION_STATUSES: tuple[str, ...] = get_args(ConversationStatus)
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
FINISHED_STATUSES: frozenset[str] = frozenset({"done", "failed", "cancelled"})
"""Statuses after which nothing more happens to a run or conversation."""

SOURCE_PATTERN = r"^(simulated|reference:[A-Za-z0-9_.\-]+)$"
"""A conversation's source: ``simulated`` or ``reference:<corpus name>``."""
CORPUS_NAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"


class PersonaRecord(BaseModel):
    """A persona as stored: what it is, plus the resolved scenario, profile and axes."""

    model_config = ConfigDict(frozen=True)

    hash: str
    """Content hash (``ResolvedPersona.content_hash()``): what transcripts point to."""
    persona_id: str
    """Persona id (file stem)."""
    scenario: str
    """Scenario id."""
    profile_id: str
    """Profile id."""
    levels: dict[str, str]
    """Axis id → level id."""
    body: dict[str, Any]
    """The whole ``ResolvedPersona`` as JSON (persona, scenario, resolved profile, axes)."""
    source_path: str
    """Where the persona was read from (file path, or ``<memory>``)."""
    created_at: datetime
    """When the store first saw this exact persona (UTC)."""

    def resolved(self) -> ResolvedPersona:
        """Rebuild the domain object exactly as it was stored."""
        return ResolvedPersona.model_validate(self.body)


class RunRecord(BaseModel):
    """A run: personas × patient model × clinician × samples, and its state."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Run id, e.g. ``r-20261126-021530-ab12`` (sorts by creation time)."""
    name: str
    """Human name given by the researcher."""
    created_at: datetime
    """When the run was created (UTC)."""
    status: RunStatus
    """Where the run is in its life cycle."""
    config: dict[str, Any]
    """The run's options as given (personas, samples, temperature, max turns, concurrency...)."""
    patient_model: str
    """Patient backend spec, e.g. ``ollama/llama3.2:3b``."""
    clinician: str
    """Clinician spec: a model, ``scripted/<script>`` or ``human:<name>``."""
    cancel_requested: bool = False
    """Set by the app or CLI; the run engine stops at the next turn boundary."""
    finished_at: datetime | None = None
    """When the run reached done, failed or cancelled (UTC)."""
    owner: str | None = None
    """The process executing the run (``host:pid:token``), None when nobody claims it."""
    heartbeat_at: datetime | None = None
    """When the executing process last said it was alive (UTC)."""

    @property
    def temperature(self) -> float | None:
        """The patient's sampling temperature (None: the backend's default)."""
        options = self.config.get("options") or {}
        return options.get("temperature", self.config.get("temperature"))


class RunProgress(BaseModel):
    """How far a run has got, read from its conversations."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    """The run."""
    counts: dict[str, int]
    """Conversation status → number of conversations (every status present, zero included)."""
    total_conversations: int
    """Conversations in the run."""
    total_turns: int
    """Turns stored so far across the run's conversations."""
    unfinished_turns: int = 0
    """Turns stored in conversations still pending or running (progress within them)."""
    done_turns: int = 0
    """Turns stored in done conversations (their mean length estimates the others')."""

    @property
    def finished(self) -> int:
        """Conversations that are done, failed or cancelled."""
        return sum(n for status, n in self.counts.items() if status in FINISHED_STATUSES)


class NewConversation(BaseModel):
    """A conversation to add: everything but its turns (status defaults to pending)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    """Conversation id; None draws a fresh one (importers may keep a corpus's own ids)."""
    run_id: str | None = None
    """The run that produces it (None for imported or trainer conversations)."""
    source: str = Field(default="simulated", pattern=SOURCE_PATTERN)
    """``simulated`` or ``reference:<corpus>`` (the corpus must be registered first)."""
    persona_hash: str | None = None
    """Content hash of the persona (must be stored with ``upsert_persona`` first)."""
    persona_id: str | None = None
    """Persona id, for display and filtering."""
    scenario: str | None = None
    """Scenario id."""
    profile: str | None = None
    """Profile id."""
    levels: dict[str, str] = Field(default_factory=dict)
    """Axis id → level id (filterable per axis)."""
    patient_model: str | None = None
    """Patient backend spec, e.g. ``ollama/llama3.2:3b``."""
    clinician: str | None = None
    """Clinician spec: a model, ``scripted/<script>`` or ``human:<name>``."""
    seed: int | None = None
    """Sampling seed given to the patient model."""
    sample: int | None = None
    """Sample number within the run for this persona (0, 1, ...)."""
    status: ConversationStatus = "pending"
    """Initial status; importers of finished reference conversations pass ``done``."""
    patient_prompt: str | None = None
    """Rendered patient system prompt."""
    clinician_prompt: str | None = None
    """Rendered clinician system prompt."""
    patient_template_hash: str | None = None
    """Hash of the patient prompt template's source."""
    clinician_template_hash: str | None = None
    """Hash of the clinician prompt template's source."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Anything else worth keeping (JSON-serialisable): import provenance, run options..."""
    created_at: datetime | None = None
    """Creation time; None means now (importers may keep the original time)."""


class ScoreFilter(BaseModel):
    """Conversations whose mean submitted score on one conversation item lies in [low, high]."""

    model_config = ConfigDict(frozen=True)

    rubric: str
    """Rubric id."""
    item: str
    """Item id (a rating item about the whole conversation)."""
    judge: bool = False
    """True: the LLM judges' scores (``judge:<model>``); False: the human annotators'."""
    low: float | None = None
    """Lowest mean score kept (None: no lower bound)."""
    high: float | None = None
    """Highest mean score kept (None: no upper bound)."""


class ConversationFilter(BaseModel):
    """Which conversations to list. Fields combine with AND; ``None`` or empty means any."""

    model_config = ConfigDict(extra="forbid")

    levels: dict[str, list[str]] = Field(default_factory=dict)
    """Axis id → allowed levels (OR within an axis, AND across axes)."""
    scenario: list[str] | None = None
    """Allowed scenario ids."""
    profile: list[str] | None = None
    """Allowed profile ids."""
    patient_model: list[str] | None = None
    """Allowed patient model specs."""
    clinician: list[str] | None = None
    """Allowed clinician specs."""
    run_id: list[str] | None = None
    """Allowed run ids."""
    status: list[ConversationStatus] | None = None
    """Allowed conversation statuses."""
    source: list[str] | None = None
    """Allowed sources (``simulated``, ``reference:<corpus>``)."""
    min_turns: int | None = Field(default=None, ge=0)
    """At least this many turns."""
    max_turns: int | None = Field(default=None, ge=0)
    """At most this many turns."""
    text: str | None = None
    """Full-text query: only conversations with a turn that matches it."""
    score: ScoreFilter | None = None
    """Only conversations whose mean score on a rubric item lies in a range."""


class ConversationSummary(BaseModel):
    """One row of the conversation browser."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Conversation id."""
    run_id: str | None
    """Run that produced it (None for imported conversations)."""
    source: str
    """``simulated`` or ``reference:<corpus>``."""
    persona_id: str | None
    """Persona id."""
    scenario: str | None
    """Scenario id."""
    profile: str | None
    """Profile id."""
    levels: dict[str, str]
    """Axis id → level id."""
    patient_model: str | None
    """Patient backend spec."""
    clinician: str | None
    """Clinician spec."""
    seed: int | None
    """Sampling seed."""
    sample: int | None
    """Sample number within the run."""
    status: ConversationStatus
    """Conversation status."""
    n_turns: int
    """Turns stored."""
    created_at: datetime
    """Creation time (UTC)."""
    first_patient_snippet: str | None = None
    """The first ~120 characters of the first patient turn (None before the patient spoke)."""


class ConversationPage(BaseModel):
    """A page of conversations and the size of the whole filtered set."""

    model_config = ConfigDict(frozen=True)

    items: list[ConversationSummary]
    """This page, newest first."""
    total: int
    """How many conversations match the filter in all."""
    limit: int
    """Page size asked for."""
    offset: int
    """Rows skipped before this page."""


class TurnHit(BaseModel):
    """A turn that matches a full-text query."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    """Conversation holding the turn."""
    idx: int
    """Turn index within the conversation."""
    role: Role
    """Who spoke."""
    snippet: str
    """Text around the hits, hits marked «like this», elisions as …  (plain text, not HTML)."""
    rank: float
    """BM25 score from SQLite FTS5: lower (more negative) is more relevant."""


class Annotation(BaseModel):
    """One annotator's value for one rubric item on a conversation or one of its turns."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    """Row id; None for a new annotation (``put_annotation`` returns the id)."""
    conversation_id: str
    """Annotated conversation."""
    turn_idx: int | None = Field(default=None, ge=0)
    """Annotated turn, or None when the item is about the whole conversation."""
    rubric: str
    """Rubric id."""
    item: str
    """Item id within the rubric."""
    value: Any = None
    """The value (JSON-serialisable: a rating, a label, a list of labels, free text)."""
    annotator: str
    """Who annotated: a person's name, or ``judge:<model>`` for an LLM judge."""
    status: AnnotationStatus = "draft"
    """Draft until submitted."""
    created_at: datetime | None = None
    """When first stored (set by the store)."""
    updated_at: datetime | None = None
    """When last changed (set by the store)."""


class CorpusRecord(BaseModel):
    """A registered reference corpus of real conversations."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Corpus name; its conversations have source ``reference:<name>``."""
    description: str
    """What the corpus is."""
    licence: str
    """Licence and attribution."""
    source_path: str
    """Where it was imported from."""
    imported_at: datetime
    """When it was registered (UTC)."""
    n_conversations: int = 0
    """Conversations stored from it."""


class StoreStats(BaseModel):
    """Size of the store."""

    model_config = ConfigDict(frozen=True)

    path: Path
    """The SQLite file."""
    schema_version: int
    """Schema version of the file."""
    file_bytes: int
    """Bytes on disk: the database file plus its write-ahead log."""
    personas: int
    """Stored personas."""
    runs: int
    """Runs."""
    conversations: int
    """Conversations (simulated and reference)."""
    turns: int
    """Turns."""
    annotations: int
    """Annotation values."""
    embeddings: int
    """Cached embedding vectors."""
    corpora: int
    """Registered reference corpora."""
