"""Importing exported transcripts (JSONL, CSV or Parquet) back into a store, exactly.

Conversations keep their ids, times, statuses, turns, annotations, persona, run and corpus, so
export → import → export gives the same bytes. The import is all or nothing: the file is read and
checked whole before anything is written, then written in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from workbench.domain.transcript import Turn
from workbench.io.errors import ImportFileError
from workbench.io.formats import format_of
from workbench.io.records import CHAT_ROLE, FORMAT, ExportedConversation
from workbench.io.tables import SCHEMA, restore_formulas, rows_to_records
from workbench.library.issues import Issue, issues_from_validation_error
from workbench.store import Annotation, CorpusRecord, NewConversation, Store
from workbench.store.imports import ImportBatch, ImportedConversation, import_batch


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    conversations: int
    """Conversations added."""
    turns: int
    """Turns added."""
    annotations: int = 0
    """Annotation values added."""
    corpus: str | None = None
    """The reference corpus created, if any."""


def import_transcripts(store: Store, path: Path, fmt: str | None = None) -> ImportSummary:
    """Import an export of :func:`~workbench.io.export.export_transcripts` into ``store``.

    Raises:
        ValueError: the format cannot be told from the suffix.
        ImportFileError: the file is malformed (naming each line or row and field).
        StoreError: the rows do not fit the store (e.g. a conversation id exists already).
        In every case nothing is written.
    """
    records = read_records(Path(path), fmt)
    batch = batch_from_records(records)
    import_batch(store, batch)
    return ImportSummary(
        conversations=len(batch.conversations),
        turns=sum(len(c.turns) for c in batch.conversations),
        annotations=sum(len(c.annotations) for c in batch.conversations),
    )


def read_records(path: Path, fmt: str | None = None) -> list[ExportedConversation]:
    """The records of an exported file, checked.

    Raises:
        ValueError: the format cannot be told from the suffix.
        ImportFileError: listing every problem.
    """
    chosen = format_of(path, fmt, ("jsonl", "csv", "parquet"))
    if not path.is_file():
        raise ImportFileError([Issue(path, "", "no such file")])
    if chosen == "jsonl":
        located = _jsonl_data(path)
        where = "line"
    else:
        located = _table_data(path, chosen)
        where = "row"
    records: list[ExportedConversation] = []
    issues: list[Issue] = []
    for position, data in located:
        issues += _record_issues(path, where, position, data, records)
    if issues:
        raise ImportFileError(issues)
    return records


def batch_from_records(records: list[ExportedConversation]) -> ImportBatch:
    """The store rows of checked records."""
    personas = {r.persona.stored.hash: r.persona.stored for r in records if r.persona.stored}
    runs = {r.run.id: r.run for r in records if r.run}
    corpora = {
        r.corpus.name: CorpusRecord(**r.corpus.model_dump()) for r in records if r.corpus
    }
    return ImportBatch(
        corpora=list(corpora.values()),
        personas=list(personas.values()),
        runs=list(runs.values()),
        conversations=[_imported(r) for r in records],
    )


def _imported(r: ExportedConversation) -> ImportedConversation:
    conversation = NewConversation(
        id=r.id,
        run_id=r.run.id if r.run else None,
        source=r.source,
        persona_hash=r.persona.hash,
        persona_id=r.persona.id,
        scenario=r.persona.scenario,
        profile=r.persona.profile,
        levels=r.persona.levels,
        patient_model=r.patient_model,
        clinician=r.clinician,
        seed=r.seed,
        sample=r.sample,
        status=r.status,
        patient_prompt=r.patient_prompt,
        clinician_prompt=r.prompts.clinician,
        patient_template_hash=r.prompts.patient_template_hash,
        clinician_template_hash=r.prompts.clinician_template_hash,
        metadata=r.metadata,
        created_at=r.created_at,
    )
    turns = [
        Turn(
            index=m.turn if m.turn is not None else 0,
            role="patient" if m.speaker == "patient" else "clinician",
            text=m.content,
            state=m.state,
            latency_s=m.latency_s,
            prompt_tokens=m.prompt_tokens,
            completion_tokens=m.completion_tokens,
            created_at=m.created_at,
        )
        for m in r.turn_messages
    ]
    annotations = [
        Annotation(
            conversation_id=r.id,
            turn_idx=a.turn,
            rubric=a.rubric,
            item=a.item,
            value=a.value,
            annotator=a.annotator,
            status=a.status,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in r.annotations
    ]
    return ImportedConversation(
        conversation=conversation, failure_reason=r.failure_reason, turns=turns,
        annotations=annotations,
    )


def read_jsonl_lines(
    path: Path, issues: list[Issue], *, encoding: str = "utf-8"
) -> Iterator[tuple[int, Any]]:
    """Each non-blank line of a JSONL file, parsed, with its line number (from 1).

    A line that is not JSON is skipped and added to ``issues``, so that the caller can report
    every problem of the file at once.
    """
    with path.open(encoding=encoding) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                issues.append(Issue(path, "", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                    number))
                continue
            yield number, data


def _jsonl_data(path: Path) -> list[tuple[int, Any]]:
    issues: list[Issue] = []
    located = list(read_jsonl_lines(path, issues))
    if issues:
        raise ImportFileError(issues)
    return located


def _table_data(path: Path, fmt: str) -> list[tuple[int, Any]]:
    try:
        if fmt == "csv":
            columns = pl.read_csv(path, n_rows=0).columns
        else:
            columns = list(pl.read_parquet_schema(path))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ImportFileError([Issue(path, "", f"cannot read the {fmt} file: {exc}")]) from None
    missing = [c for c in SCHEMA if c not in columns]
    if missing:
        message = (f"missing column(s) {', '.join(missing)}; a transcript export has the "
                   f"columns {', '.join(SCHEMA)}")
        raise ImportFileError([Issue(path, "", message, 1 if fmt == "csv" else None)])
    try:
        if fmt == "csv":  # the export quoted formula-leading text; take the quote off
            frame = restore_formulas(pl.read_csv(path, schema_overrides=SCHEMA))
        else:
            frame = pl.read_parquet(path).cast(SCHEMA)  # type: ignore[arg-type]
    except pl.exceptions.PolarsError as exc:
        message = f"a column does not hold its type: {str(exc).splitlines()[0]}"
        raise ImportFileError([Issue(path, "", message)]) from None
    try:
        grouped = rows_to_records(frame.select(list(SCHEMA)).to_dicts())
    except ValueError as exc:
        raise ImportFileError([Issue(path, "", str(exc))]) from None
    return [(index + 1, data) for index, data in grouped]


def _record_issues(
    path: Path, where: str, position: int, data: Any, records: list[ExportedConversation]
) -> list[Issue]:
    """Check one record; append it to ``records`` when it holds."""
    line = position if where == "line" else None
    prefix = "" if where == "line" else f"row {position}: "
    if not isinstance(data, dict):
        return [Issue(path, prefix.rstrip(": "), "expected a JSON object (one conversation)", line)]
    if data.get("format") != FORMAT:
        hint = ("; this looks like real conversations: use `workbench import reference`"
                if "utterances" in data else "")
        message = f"not a workbench transcript export (format {data.get('format')!r}){hint}"
        return [Issue(path, f"{prefix}format", message, line)]
    try:
        record = ExportedConversation.model_validate(data)
    except ValidationError as exc:
        return [
            Issue(path, f"{prefix}{issue.field}", issue.message, line)
            for issue in issues_from_validation_error(exc, path, ExportedConversation)
        ]
    issues = []
    for index, msg in enumerate(record.messages):
        if msg.speaker == "system":
            if index != 0:
                issues.append(Issue(path, f"{prefix}messages.{index}.speaker",
                                    "a system message may only come first", line))
            continue
        expected = CHAT_ROLE[msg.speaker]
        if msg.role != expected:
            issues.append(Issue(path, f"{prefix}messages.{index}.role",
                                f"a {msg.speaker} message has role {expected!r} (from the "
                                f"patient's point of view), got {msg.role!r}", line))
        if msg.turn is None:
            issues.append(Issue(path, f"{prefix}messages.{index}.turn",
                                "a turn message needs its turn index", line))
    if not issues:
        records.append(record)
    return issues
