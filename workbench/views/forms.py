"""Form descriptions and builders for writing a new profile in the app (no streamlit here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from workbench.domain.profile import CBTProfile, EDProfile
from workbench.library import LibraryError
from workbench.library.issues import Issue, issues_from_validation_error

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
    required: bool = True
    """Whether the profile needs a value (marked ``*`` on the form)."""


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
        # age and pain default to "unknown" for twins only: a hand-written profile states them.
        required = info.is_required() or name in ("age", "pain")
        fields.append(FormField(name, name.replace("_", " ").capitalize(), field_kind,
                                info.description, required))
    return fields


def build_profile(kind: str, data: dict[str, Any]) -> EDProfile | CBTProfile:
    """Validate form data into a profile.

    Raises:
        LibraryError: one issue per invalid field, naming the field.
    """
    model = EDProfile if kind == "ed" else CBTProfile
    where = Path(f"profiles/{kind}/{data.get('id') or '<new>'}.yaml")
    # Every empty required field is named, not only the first one the model trips over. A twin
    # of a real conversation may leave facts unknown: the model's own rules apply to it.
    blank = [] if data.get("twin") else [
        f for f in profile_form_fields(kind)
        if f.required and (data.get(f.name) is None or str(data.get(f.name)).strip() == "")]
    issues = [Issue(where, f.name, _what_to_type(f)) for f in blank]
    try:
        profile = model.model_validate({**data, "kind": kind})
    except ValidationError as exc:
        named = {f.name for f in blank}
        issues += [i for i in issues_from_validation_error(exc, where, model)
                   if i.field.split(".")[0] not in named and not _about_blank_numbers(i, named)]
        raise LibraryError(issues) from None
    if issues:
        raise LibraryError(issues)
    return profile


def _what_to_type(field: FormField) -> str:
    """What an empty required field needs, in words."""
    if field.name == "id":
        return "required: type an id of lower-case letters, digits and _, e.g. chest_pain_01"
    if field.kind == "int":
        return "required: type a number"
    return "required: fill it in ('none' is a valid answer)"


def _about_blank_numbers(issue: Issue, blank: set[str]) -> bool:
    """The model's own "age and pain must be given" error, already said field by field."""
    return not issue.field and "must be given" in issue.message and bool({"age", "pain"} & blank)
