"""Exporting transcripts with their annotations: JSONL (chat format), CSV and Parquet.

Conversations come out oldest first (creation time, then id), so exporting the same rows twice
gives the same bytes; annotations come conversation-level first, then by turn, rubric, item and
annotator. The whole export reads one snapshot of the store (one read transaction), so a run or
an import writing meanwhile can neither list a conversation twice nor half-show one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from workbench.domain.transcript import Transcript
from workbench.io.errors import ExportPathError
from workbench.io.records import (
    CHAT_ROLE,
    ExportedAnnotation,
    ExportedConversation,
    ExportedCorpus,
    ExportedMessage,
    ExportedPersona,
    ExportedPrompts,
    dump_record,
)
from workbench.io.tables import neutralise_formulas, records_to_frame
from workbench.store import (
    Annotation,
    ConversationFilter,
    ConversationSummary,
    PersonaRecord,
    RunRecord,
    Store,
)

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")
_PAGE = 1000


def export_records(
    store: Store, runs: Sequence[str] = (), sources: Sequence[str] = ()
) -> Iterator[ExportedConversation]:
    """Every selected conversation of the store as an exchange record.

    Args:
        store: the store.
        runs: only these runs (empty: every conversation).
        sources: only these sources, e.g. ``simulated`` or ``reference:primock57`` (empty: all).

    Raises:
        UnknownRun: a run id is not in the store.
    """
    with store.snapshot():
        yield from _records(store, runs, sources)


def _records(
    store: Store, runs: Sequence[str], sources: Sequence[str]
) -> Iterator[ExportedConversation]:
    for run_id in runs:
        store.get_run(run_id)  # names a mistyped run instead of exporting nothing
    filters = ConversationFilter(run_id=list(runs) or None, source=list(sources) or None)
    summaries = _all_summaries(store, filters)
    corpora = {c.name: c for c in store.list_corpora()}
    personas: dict[str, PersonaRecord | None] = {}
    run_records: dict[str, RunRecord] = {}
    for summary in sorted(summaries, key=lambda s: (s.created_at, s.id)):
        transcript = store.get_transcript(summary.id)
        persona_hash = transcript.persona_hash
        if persona_hash and persona_hash not in personas:
            personas[persona_hash] = store.get_persona(persona_hash)
        if transcript.run_id and transcript.run_id not in run_records:
            run_records[transcript.run_id] = store.get_run(transcript.run_id)
        corpus = None
        if transcript.source.startswith("reference:"):
            record = corpora.get(transcript.source.partition(":")[2])
            if record is not None:
                corpus = ExportedCorpus.model_validate(record.model_dump(exclude={"n_conversations"}))
        yield ExportedConversation(
            id=transcript.id,
            source=transcript.source,
            status=transcript.status,
            failure_reason=transcript.failure_reason,
            created_at=summary.created_at,
            run=run_records.get(transcript.run_id or ""),
            corpus=corpus,
            persona=ExportedPersona(
                id=transcript.persona_id,
                hash=persona_hash,
                scenario=transcript.scenario,
                profile=transcript.profile,
                levels=transcript.levels,
                stored=personas.get(persona_hash or ""),
            ),
            patient_model=transcript.patient_model,
            clinician=transcript.clinician,
            seed=transcript.seed,
            sample=summary.sample,
            prompts=ExportedPrompts(
                clinician=transcript.clinician_prompt,
                patient_template_hash=transcript.patient_template_hash,
                clinician_template_hash=transcript.clinician_template_hash,
            ),
            metadata=transcript.metadata,
            messages=_messages(transcript),
            annotations=_annotations(store.annotations(conversation_id=transcript.id)),
        )


def write_export(records: Iterable[ExportedConversation], path: Path, fmt: Format, *,
                 neutralise: bool = True) -> int:
    """Write records to ``path`` in ``fmt``; return how many conversations were written.

    The file is written beside ``path`` and moved into place at the end, so a failed export
    never leaves half a file. JSONL streams; CSV and Parquet are built as one table first.

    Args:
        records: The conversations.
        path: Where to write.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        neutralise: For CSV, prefix ``'`` to text a spreadsheet would run as a formula
            (``tables.neutralise_formulas``; the CSV import takes it off again).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    path = Path(path)
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise ExportPathError(f"cannot export to {path}: the folder {folder} does not exist. "
                              f"Create it first (mkdir -p {folder}) or choose another --out.")
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.open("w").close()  # a read-only folder is named now, before any reading
    except OSError as exc:
        raise ExportPathError(f"cannot write {path}: {exc.strerror or exc} (is the folder "
                              f"{folder} read-only?). Choose another --out.") from None
    try:
        count = _write(records, partial, fmt, neutralise)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _write(records: Iterable[ExportedConversation], path: Path, fmt: Format,
           neutralise: bool) -> int:
    if fmt == "jsonl":
        count = 0
        with path.open("w", encoding="utf-8", newline="\n") as out:
            for record in records:
                out.write(json.dumps(dump_record(record), ensure_ascii=False) + "\n")
                count += 1
        return count
    listed = list(records)
    frame = records_to_frame(listed)
    if fmt == "csv":
        (neutralise_formulas(frame) if neutralise else frame).write_csv(path)
    else:
        frame.write_parquet(path)
    return len(listed)


def export_transcripts(
    store: Store,
    path: Path,
    fmt: Format,
    runs: Sequence[str] = (),
    sources: Sequence[str] = (),
    *,
    neutralise: bool = True,
) -> int:
    """Export the selected conversations of ``store`` to ``path``; return how many.

    ``neutralise``: see ``write_export`` (CSV only).

    Raises:
        UnknownRun: a run id is not in the store (nothing is written then).
        ExportPathError: the folder of ``path`` is missing or not writable.
    """
    for run_id in runs:
        store.get_run(run_id)
    return write_export(export_records(store, runs, sources), path, fmt, neutralise=neutralise)


def _all_summaries(store: Store, filters: ConversationFilter) -> list[ConversationSummary]:
    summaries: list[ConversationSummary] = []
    while True:
        page = store.list_conversations(filters, limit=_PAGE, offset=len(summaries))
        summaries += page.items
        if len(page.items) < _PAGE:
            return summaries


def _messages(transcript: Transcript) -> list[ExportedMessage]:
    messages = []
    if transcript.patient_prompt is not None:
        messages.append(
            ExportedMessage(role="system", content=transcript.patient_prompt, speaker="system")
        )
    for turn in transcript.turns:
        messages.append(
            ExportedMessage(
                role=CHAT_ROLE[turn.role],
                content=turn.text,
                speaker=turn.role,
                turn=turn.index,
                state=turn.state,
                latency_s=turn.latency_s,
                prompt_tokens=turn.prompt_tokens,
                completion_tokens=turn.completion_tokens,
                created_at=turn.created_at,
            )
        )
    return messages


def _annotations(annotations: list[Annotation]) -> list[ExportedAnnotation]:
    ordered = sorted(
        annotations,
        key=lambda a: (a.turn_idx is not None, a.turn_idx or 0, a.rubric, a.item, a.annotator),
    )
    return [
        ExportedAnnotation(
            turn=a.turn_idx,
            rubric=a.rubric,
            item=a.item,
            value=a.value,
            annotator=a.annotator,
            status=a.status,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in ordered
    ]
