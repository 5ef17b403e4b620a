"""Importing the published simulators' persona formats into the library, with a report.

Three shapes, each read from a JSON file holding one record or a list of records:

- ``patientsim``: PatientSim's patient profile (the fields its ``PatientAgent`` takes: ``age``,
  ``gender``, ``chiefcomplaint``, ``present_illness_positive`` ... and the persona's
  ``personality``, ``lang_proficiency_level``, ``recall_level``, ``confusion_level``);
- ``patient-psi``: a PATIENT-Ψ cognitive model (``history``, ``helpless_belief`` /
  ``unlovable_belief`` / ``worthless_belief``, ``intermediate_belief``, ``coping_strategies``,
  ``situation``, ``auto_thought``, ``emotion``, ``behavior``, ``type``);
- ``mindeval``: a MindEval-style attribute profile (demographics, presenting concern, history,
  communication style, free attributes).

Each record becomes a profile and a persona (validated and rendered before anything is written).
The report lists, per record, which source field went where, which had no home, and which
required fields had no source and were filled with a stated placeholder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from workbench.library import Library

Format = Literal["patientsim", "patient-psi", "mindeval"]
FORMATS: tuple[str, ...] = ("patientsim", "patient-psi", "mindeval")
MAX_RECORDS = 1000


class ImportError_(ValueError):
    """A file cannot be imported: names the file, record and field, and what to do."""


class RecordReport(BaseModel):
    """What happened to one source record."""

    model_config = ConfigDict(frozen=True)

    index: int
    profile_id: str
    persona_id: str
    mapped: dict[str, str] = Field(default_factory=dict)
    """Source field → where it went (``profile.x``, ``levels.y``), with a note when changed."""
    no_home: dict[str, str] = Field(default_factory=dict)
    """Source field → why it was left out."""
    filled: dict[str, str] = Field(default_factory=dict)
    """Required library field → the placeholder written, because the source has no such field."""
    paths: list[str] = Field(default_factory=list)


class ImportReport(BaseModel):
    """The whole import."""

    model_config = ConfigDict(frozen=True)

    format: str
    source: str
    records: list[RecordReport]


class Draft(BaseModel):
    """A converted record before it is written."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    profile: dict[str, Any]
    scenario: str
    levels: dict[str, str]
    report: RecordReport


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a file (one object, or a list of them).

    Raises:
        ImportError_: not JSON, not objects, or too many.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportError_(f"{path}: cannot read it as JSON ({exc}); give a JSON file with one "
                           "record or a list of records") from None
    records = data if isinstance(data, list) else [data]
    if not records or not all(isinstance(r, dict) for r in records):
        raise ImportError_(f"{path}: expected a JSON object or a list of objects")
    if len(records) > MAX_RECORDS:
        raise ImportError_(f"{path}: {len(records)} records; import at most {MAX_RECORDS} at once")
    return records


def import_personas(library: Library, path: Path, fmt: str, *, prefix: str = "imp",
                    overwrite: bool = False, dry_run: bool = False) -> ImportReport:
    """Convert every record of ``path`` and write its profile and persona to the library.

    Every record is converted and validated first; nothing is written when one fails.

    Raises:
        ImportError_: unknown format, unreadable file or a record that cannot be converted.
        LibraryError: a converted profile or persona does not validate (nothing written).
    """
    from workbench.domain.profile import CBTProfile, EDProfile
    from workbench.library.imports import mindeval, patient_psi, patientsim
    from workbench.library.reader import LibraryError

    converters = {"patientsim": patientsim.convert, "patient-psi": patient_psi.convert,
                  "mindeval": mindeval.convert}
    if fmt not in converters:
        raise ImportError_(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    drafts = [converters[fmt](record, i, prefix) for i, record in enumerate(read_records(path))]
    checked = []
    for draft in drafts:
        model = EDProfile if draft.profile["kind"] == "ed" else CBTProfile
        try:
            profile = model.model_validate(draft.profile)
        except ValueError as exc:
            raise ImportError_(f"{path}: record {draft.report.index}: {exc}") from None
        checked.append((draft, profile))
    reports = []
    written: list[Path] = []
    try:
        for draft, profile in checked:
            paths: list[str] = []
            if not dry_run:
                written.append(library.save_profile(profile, overwrite=overwrite))
                persona = library.compose_persona(draft.scenario, profile.id, draft.levels,
                                                  id=draft.report.persona_id)
                written.append(library.save_persona(persona, overwrite=overwrite))
                paths = [str(p) for p in written[-2:]]
            reports.append(draft.report.model_copy(update={"paths": paths}))
    except LibraryError:
        if not overwrite:  # all or nothing: take back what this import wrote
            for p in written:
                p.unlink(missing_ok=True)
            library.refresh()
        raise
    return ImportReport(format=fmt, source=str(path), records=reports)


def text(value: Any) -> str:
    """A source value as text (lists joined with commas)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value).strip()


def record_id(prefix: str, index: int, record: dict[str, Any], *keys: str) -> str:
    """A library id for a record: ``<prefix>_<source id or index>`` in ``a-z0-9_``."""
    raw = next((str(record[k]) for k in keys if record.get(k) not in (None, "")), str(index + 1))
    clean = "".join(c if c.isalnum() else "_" for c in f"{prefix}_{raw}".lower()).strip("_")
    return clean[:60] or f"{prefix}_{index + 1}"
