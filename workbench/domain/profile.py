"""Patient profiles: the facts of a synthetic patient, written by the team (never real records)."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.domain.ccd import CognitiveModel
from workbench.domain.questionnaires import Questionnaires

ED_DIAGNOSES: tuple[str, ...] = (
    "pneumonia",
    "urinary tract infection",
    "myocardial infarction",
    "intestinal obstruction",
    "cerebral infarction",
)


class TwinSource(BaseModel):
    """Where a twin's facts come from: one real conversation of an imported reference corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    corpus: str
    """The reference corpus (its conversations have source ``reference:<corpus>``)."""
    conversation: str
    """The conversation's original id in that corpus (store id ``<corpus>:<conversation>``)."""
    extraction_model: str | None = None
    """The backend spec that extracted the facts; None for a twin written by hand."""

    @property
    def conversation_id(self) -> str:
        """The real conversation's id in the store."""
        return f"{self.corpus}:{self.conversation}"


class EDProfile(BaseModel):
    """An emergency-department patient: the 24 fields of PatientSim's profiles (plus id/name).

    A hand-written profile fills every field. A **twin** (``twin`` set) holds only what a real
    patient disclosed: a fact the conversation did not give stays empty (text ``""``, number
    ``None``) rather than being invented.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: Literal["ed"] = "ed"
    """Discriminator: emergency-department profile."""
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Profile id, referenced by personas."""
    name: str
    """A fictional name the patient uses."""
    age: int | None = Field(default=None, ge=0, le=120)
    """Age in years (None only in a twin whose patient did not say)."""
    gender: str
    race: str
    tobacco: str
    alcohol: str
    illicit_drugs: str
    exercise: str
    marital_status: str
    children: str
    living_situation: str
    occupation: str
    insurance: str
    allergies: str
    family_history: str
    medical_devices: str
    medical_history: str
    present_illness_positive: str
    """Symptoms and findings the patient has (revealed only when asked)."""
    present_illness_negative: str
    """Symptoms the patient does not have (pertinent negatives)."""
    chief_complaint: str
    pain: int | None = Field(default=None, ge=0, le=10)
    """Pain on a 0–10 scale (None only in a twin whose patient did not say)."""
    medications: str
    arrival_transport: str
    disposition: str
    """Where the patient goes after the visit (never told to the patient)."""
    diagnosis: str
    """The diagnosis (one of ED_DIAGNOSES in the shipped library; never stated by the patient)."""
    twin: TwinSource | None = None
    """Set when the profile is the twin of a real conversation (see ``TwinSource``)."""

    @model_validator(mode="after")
    def _numbers_given(self) -> EDProfile:
        # Only a twin may leave a number unknown; a hand-written profile states every fact.
        missing = [n for n in ("age", "pain") if getattr(self, n) is None]
        if missing and self.twin is None:
            raise ValueError(f"{' and '.join(missing)} must be given (only a twin of a real "
                             "conversation may leave a fact empty)")
        return self


class CBTProfile(BaseModel):
    """A CBT client: life history, a cognitive model and questionnaire answers."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: Literal["cbt"] = "cbt"
    """Discriminator: CBT client profile."""
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Profile id, referenced by personas."""
    name: str
    """A fictional first name."""
    age: int = Field(ge=0, le=120)
    gender: str
    occupation: str
    presenting_problem: str
    """Why the client came, in one or two sentences."""
    life_history: str
    """Relevant history that shaped the core beliefs."""
    cognitive_model: CognitiveModel
    """The ground-truth diagram the trainee tries to uncover."""
    questionnaires: Questionnaires = Questionnaires()
    """Intake questionnaire answers consistent with the story."""


def blank_fields(profile: EDProfile | CBTProfile) -> list[str]:
    """Text fields left blank, which only a twin may have (a blank fact makes a model invent
    one, so a hand-written profile needs every field)."""
    if getattr(profile, "twin", None) is not None:
        return []
    return [name for name, value in profile if isinstance(value, str) and not value.strip()]


Profile = Annotated[Union[EDProfile, CBTProfile], Field(discriminator="kind")]
"""Either profile kind, chosen by ``kind``."""
