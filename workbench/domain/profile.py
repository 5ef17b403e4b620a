"""Patient profiles: the facts of a synthetic patient, written by the team (never real records)."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from workbench.domain.ccd import CognitiveModel
from workbench.domain.questionnaires import Questionnaires

ED_DIAGNOSES: tuple[str, ...] = (
    "pneumonia",
    "urinary tract infection",
    "myocardial infarction",
    "intestinal obstruction",
    "cerebral infarction",
)


class EDProfile(BaseModel):
    """An emergency-department patient: the 24 fields of PatientSim's profiles (plus id/name)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: Literal["ed"] = "ed"
    """Discriminator: emergency-department profile."""
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Profile id, referenced by personas."""
    name: str
    """A fictional name the patient uses."""
    age: int = Field(ge=0, le=120)
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
    pain: int = Field(ge=0, le=10)
    """Pain on a 0–10 scale."""
    medications: str
    arrival_transport: str
    disposition: str
    """Where the patient goes after the visit (never told to the patient)."""
    diagnosis: str
    """The diagnosis (one of ED_DIAGNOSES in the shipped library; never stated by the patient)."""


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


Profile = Annotated[Union[EDProfile, CBTProfile], Field(discriminator="kind")]
"""Either profile kind, chosen by ``kind``."""
