"""Importing real conversations as a named reference corpus (JSONL or CSV).

JSONL: one conversation per line, in the shape of ``../shared/reference/*/conversations.jsonl``::

    {"id": "...", "utterances": [{"speaker": "doctor", "text": "..."}, ...], ...metadata}

CSV: one utterance per row with the columns ``conversation``, ``speaker`` and ``text`` (others are
ignored); rows of a conversation are kept in file order.

Speaker labels become the two sides through a map. ``doctor``, ``clinician``, ``counsellor``,
``counselor`` and ``therapist`` are the clinician, ``patient`` and ``client`` the patient; any
other label must be mapped by the user (``guest_family=patient``). Unmapped labels are listed in
one error with their counts and first line: the importer never guesses. Each turn keeps its
original label in its state (``{"speaker": "guest_family"}``). Conversations are stored with
source ``reference:<name>``, status ``done``, id ``<name>:<original id>``, and their other fields
as metadata. The import is all or nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.domain.transcript import Role, Turn
from workbench.io.errors import ImportFileError
from workbench.io.formats import format_of
from workbench.io.transcripts import ImportSummary, read_jsonl_lines
from workbench.library.issues import Issue
from workbench.store import NewConversation, Store
from workbench.store.imports import CorpusSpec, ImportBatch, ImportedConversation, import_batch
from workbench.store.records import CORPUS_NAME_PATTERN

DEFAULT_SPEAKERS: dict[str, Role] = {
    "doctor": "clinician",
    "clinician": "clinician",
    "counsellor": "clinician",
    "counselor": "clinician",
    "therapist": "clinician",
    "patient": "patient",
    "client": "patient",
}
"""Labels understood without a map (exact, lower case)."""
CSV_COLUMNS = ("conversation", "speaker", "text")
"""Columns a reference CSV must have."""
ROLES: tuple[Role, ...] = ("patient", "clinician")


@dataclass
class _Conversation:
    original_id: str
    line: int
    utterances: list[tuple[str, str, int]] = field(default_factory=list)
    """(speaker label, text, line)."""
    extra: dict[str, Any] = field(default_factory=dict)


def parse_speaker_map(specs: Iterable[str]) -> dict[str, Role]:
    """``["guest_family=patient", "doctor_2=clinician"]`` → a label → side map.

    Raises:
        ValueError: a spec is not ``LABEL=patient`` or ``LABEL=clinician``.
    """
    mapping: dict[str, Role] = {}
    for spec in specs:
        label, sep, role = spec.partition("=")
        label, role = label.strip(), role.strip()
        if not sep or not label or role not in ROLES:
            raise ValueError(
                f"bad speaker map {spec!r}: expected LABEL=patient or LABEL=clinician, "
                "e.g. --map guest_family=patient"
            )
        mapping[label] = role  # type: ignore[assignment]
    return mapping


def import_reference(
    store: Store,
    path: Path,
    name: str,
    speaker_map: Mapping[str, Role] | None = None,
    *,
    description: str = "",
    licence: str = "",
    fmt: str | None = None,
) -> ImportSummary:
    """Import real conversations from ``path`` as the reference corpus ``name``.

    Args:
        store: the store.
        path: a JSONL or CSV file.
        name: corpus name (letters, digits, ``_ . -``); it must not hold conversations yet.
        speaker_map: labels beyond the defaults → ``patient`` / ``clinician`` (it may also
            override a default).
        description: what the corpus is.
        licence: licence and attribution.
        fmt: ``jsonl`` or ``csv`` (default: from the suffix).

    Raises:
        ValueError: a bad corpus name or format.
        ImportFileError: the file is malformed or has unmapped speakers (every problem named).
        StoreError: the corpus holds conversations already, or an id is taken.
        In every case nothing is written.
    """
    batch = read_reference(Path(path), name, speaker_map, fmt=fmt,
                           description=description, licence=licence)
    import_batch(store, batch)
    return ImportSummary(
        conversations=len(batch.conversations),
        turns=sum(len(c.turns) for c in batch.conversations),
        corpus=name,
    )


def read_reference(
    path: Path,
    name: str,
    speaker_map: Mapping[str, Role] | None = None,
    *,
    fmt: str | None = None,
    description: str = "",
    licence: str = "",
) -> ImportBatch:
    """Read and check a reference file into the rows of one import (nothing is written).

    Raises:
        ValueError, ImportFileError: as :func:`import_reference`.
    """
    if not re.fullmatch(CORPUS_NAME_PATTERN, name):
        raise ValueError(f"corpus name {name!r} may hold only letters, digits, '_', '.' and '-'")
    chosen = format_of(path, fmt, ("jsonl", "csv"))
    if not path.is_file():
        raise ImportFileError([Issue(path, "", "no such file")])
    conversations = _read_jsonl(path) if chosen == "jsonl" else _read_csv(path)
    speakers = {**DEFAULT_SPEAKERS, **(speaker_map or {})}
    _check_speakers(path, conversations, speakers)
    return ImportBatch(
        corpus=CorpusSpec(name=name, description=description, licence=licence,
                          source_path=str(path)),
        conversations=[_imported(path, name, conv, speakers) for conv in conversations],
    )


def _imported(
    path: Path, name: str, conv: _Conversation, speakers: Mapping[str, Role]
) -> ImportedConversation:
    metadata = {
        "original_id": conv.original_id,
        **conv.extra,
        "import": {"file": path.name, "line": conv.line},
    }
    return ImportedConversation(
        conversation=NewConversation(
            id=f"{name}:{conv.original_id}",
            source=f"reference:{name}",
            status="done",
            metadata=metadata,
        ),
        turns=[
            Turn(index=i, role=speakers[label], text=text, state={"speaker": label})
            for i, (label, text, _) in enumerate(conv.utterances)
        ],
    )


def _read_jsonl(path: Path) -> list[_Conversation]:
    conversations: list[_Conversation] = []
    issues: list[Issue] = []
    for number, data in read_jsonl_lines(path, issues, encoding="utf-8-sig"):
        conv, found = _conversation(path, number, data)
        issues += found
        if conv is not None:
            conversations.append(conv)
    issues += _duplicate_ids(path, conversations)
    if not conversations and not issues:
        issues.append(Issue(path, "", "the file holds no conversations"))
    if issues:
        raise ImportFileError(issues)
    return conversations


def _conversation(path: Path, number: int, data: Any) -> tuple[_Conversation | None, list[Issue]]:
    if not isinstance(data, dict):
        return None, [Issue(path, "", "expected a JSON object (one conversation per line)",
                            number)]
    utterances = data.get("utterances")
    if not isinstance(utterances, list) or not utterances:
        message = ("required field is missing" if utterances is None
                   else "expected a non-empty list of {speaker, text} objects")
        return None, [Issue(path, "utterances", message, number)]
    original = data.get("id", f"line-{number}")
    if not isinstance(original, str | int) or not str(original).strip():
        return None, [Issue(path, "id", f"expected a text or number id, got {original!r}", number)]
    conv = _Conversation(str(original), number,
                         extra={k: v for k, v in data.items() if k not in ("id", "utterances")})
    issues = []
    for index, utterance in enumerate(utterances):
        where = f"utterances.{index}"
        if not isinstance(utterance, dict):
            issues.append(Issue(path, where, "expected an object with speaker and text", number))
            continue
        speaker, text = utterance.get("speaker"), utterance.get("text")
        if not isinstance(speaker, str) or not speaker.strip():
            issues.append(Issue(path, f"{where}.speaker",
                                f"expected a speaker label, got {speaker!r}", number))
        if not isinstance(text, str):
            issues.append(Issue(path, f"{where}.text", f"expected text, got {text!r}", number))
        if not issues:
            conv.utterances.append((str(speaker).strip(), str(text), number))
    return (None, issues) if issues else (conv, [])


def _read_csv(path: Path) -> list[_Conversation]:
    issues: list[Issue] = []
    by_id: dict[str, _Conversation] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [c for c in CSV_COLUMNS if c not in columns]
        if missing:
            found = ", ".join(columns) if columns else "none"
            message = (f"missing column(s) {', '.join(missing)}; found: {found}; a reference CSV "
                       f"needs the columns {', '.join(CSV_COLUMNS)}")
            raise ImportFileError([Issue(path, "", message, 1)])
        line = reader.line_num + 1
        for row in reader:
            if None in row or any(row[c] is None for c in CSV_COLUMNS):
                issues.append(Issue(path, "", f"expected {len(columns)} fields, got "
                                    f"{len([v for v in row.values() if v is not None])}", line))
            else:
                conversation, speaker = row["conversation"].strip(), row["speaker"].strip()
                if not conversation:
                    issues.append(Issue(path, "conversation", "is empty", line))
                if not speaker:
                    issues.append(Issue(path, "speaker", "is empty", line))
                if conversation and speaker:
                    conv = by_id.setdefault(conversation, _Conversation(conversation, line))
                    conv.utterances.append((speaker, row["text"], line))
            line = reader.line_num + 1
    if not by_id and not issues:
        issues.append(Issue(path, "", "the file holds no rows"))
    if issues:
        raise ImportFileError(issues)
    return list(by_id.values())


def _duplicate_ids(path: Path, conversations: list[_Conversation]) -> list[Issue]:
    first: dict[str, int] = {}
    issues = []
    for conv in conversations:
        if conv.original_id in first:
            issues.append(Issue(path, "id", f"id {conv.original_id!r} is also on line "
                                f"{first[conv.original_id]}", conv.line))
        first.setdefault(conv.original_id, conv.line)
    return issues


def _check_speakers(
    path: Path, conversations: list[_Conversation], speakers: Mapping[str, Role]
) -> None:
    """One error listing every unmapped label with its count and first line."""
    unknown: dict[str, list[int]] = {}
    for conv in conversations:
        for label, _, line in conv.utterances:
            if label not in speakers:
                entry = unknown.setdefault(label, [0, line])
                entry[0] += 1
    if not unknown:
        return
    listed = ", ".join(
        f"{label} ({count} utterance{'s' if count != 1 else ''}, first on line {line})"
        for label, (count, line) in sorted(unknown.items())
    )
    message = (
        f"unknown speaker label(s): {listed}; map each to a side with --map LABEL=patient or "
        f"--map LABEL=clinician (known without a map: {', '.join(sorted(speakers))})"
    )
    raise ImportFileError([Issue(path, "speaker", message)])
