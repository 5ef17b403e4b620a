"""Form descriptions and builders for writing a new profile in the app (no streamlit here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from workbench.domain.profile import CBTProfile, EDProfile
from workbench.library import LibraryError
from workbench.library.issues import issues_from_validation_error

LONG_TEXT_FIELDS = frozenset(
    {
        "present_illness_positive",
        "present_illness_negative",
        "medical_history",
        "family_history",
        "medications",
        "life_history",
        "presenting_problem",
        "intermediate_beliefs",
        "coping_strategies",
    }
)


class FormField(NamedTuple):
    """One input of the new-profile form."""

    name: str
    label: str
    kind: str
    """``int``, ``text`` or ``long_text``."""
    help: str | None


def profile_form_fields(kind: str) -> list[FormField]:
    """The plain fields of a profile kind, in declaration order, with their documentation.

    The CBT cognitive model and questionnaires are structured and drawn separately.
    """
    model = EDProfile if kind == "ed" else CBTProfile
    fields = []
    for name, info in model.model_fields.items():
        if name in {"kind", "cognitive_model", "questionnaires", "twin"}:
            continue
        if info.annotation in (int, int | None):
            field_kind = "int"
        else:
            field_kind = "long_text" if name in LONG_TEXT_FIELDS else "text"
        fields.append(FormField(name, name.replace("_", " ").capitalize(), field_kind, info.description))
    return fields


def build_profile(kind: str, data: dict[str, Any]) -> EDProfile | CBTProfile:
    """Validate form data into a profile.

    Raises:
        LibraryError: one issue per invalid field, naming the field.
    """
    model = EDProfile if kind == "ed" else CBTProfile
    try:
        return model.model_validate({**data, "kind": kind})
    except ValidationError as exc:
        where = Path(f"profiles/{kind}/{data.get('id') or '<new>'}.yaml")
        raise LibraryError(issues_from_validation_error(exc, where, model)) from None
