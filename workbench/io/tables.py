"""Exchange records as a table: one row per turn, for CSV and Parquet (polars).

Every row repeats the conversation's identifying columns (id, source, status, persona, levels,
models, seed...) so the table filters and groups without joins. Columns that are large or belong
to the whole conversation (``patient_prompt``, ``clinician_prompt``, ``metadata``,
``conversation_annotations``, ``persona``, ``run``, ``corpus``) are filled on the conversation's
first row only and empty on the others. A conversation without turns has one row with empty turn
columns. Nested values (levels, state, annotations, metadata, persona, run, corpus) are JSON text,
so CSV and Parquet hold exactly the same table.

A CSV export is opened in spreadsheets, where a cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is a formula: a model reply or an imported name could then compute, link
or fetch. CSV exports therefore prefix such text cells with ``'`` (``neutralise_formulas``; OWASP's
advice), and the CSV import takes the quote off again (``restore_formulas``), so a CSV round trip
gives back the same rows and the same bytes. The rule also quotes cells that already start with
quotes before such a character, so it is reversible for every text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import polars as pl

from workbench.io.records import FORMAT, ExportedConversation, dump_record

SCHEMA: dict[str, Any] = {
    "conversation_id": pl.String,
    "source": pl.String,
    "status": pl.String,
    "failure_reason": pl.String,
    "conversation_created_at": pl.String,
    "run_id": pl.String,
    "persona_id": pl.String,
    "persona_hash": pl.String,
    "scenario": pl.String,
    "profile": pl.String,
    "levels": pl.String,
    "patient_model": pl.String,
    "clinician": pl.String,
    "seed": pl.Int64,
    "sample": pl.Int64,
    "patient_template_hash": pl.String,
    "clinician_template_hash": pl.String,
    "turn": pl.Int64,
    "speaker": pl.String,
    "role": pl.String,
    "text": pl.String,
    "state": pl.String,
    "latency_s": pl.Float64,
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "turn_created_at": pl.String,
    "annotations": pl.String,
    "patient_prompt": pl.String,
    "clinician_prompt": pl.String,
    "metadata": pl.String,
    "conversation_annotations": pl.String,
    "persona": pl.String,
    "run": pl.String,
    "corpus": pl.String,
}
"""Columns of the CSV and Parquet exports, in order, with their types."""

FIRST_ROW_ONLY = (
    "patient_prompt",
    "clinician_prompt",
    "metadata",
    "conversation_annotations",
    "persona",
    "run",
    "corpus",
)
"""Columns filled on a conversation's first row only."""


_FORMULA = r"^'*[=+\-@\t\r]"
"""Text a spreadsheet would read as a formula once its leading quotes (added by us) are gone."""


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to every text cell a spreadsheet would take for a formula."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA)).then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String)


def restore_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Undo ``neutralise_formulas``: drop the one quote it put before formula-leading text."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA.replace("'*", "'+")))
        .then(pl.col(name).str.slice(1)).otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def records_to_frame(records: Iterable[ExportedConversation]) -> pl.DataFrame:
    """The records as one table, one row per turn."""
    rows: list[dict[str, Any]] = []
    for record in records:
        rows += record_rows(dump_record(record))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)


def record_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one record (as dumped by :func:`dump_record`)."""
    persona = data["persona"]
    prompts = data["prompts"]
    common = {
        "conversation_id": data["id"],
        "source": data["source"],
        "status": data["status"],
        "failure_reason": data["failure_reason"],
        "conversation_created_at": data["created_at"],
        "run_id": (data["run"] or {}).get("id"),
        "persona_id": persona["id"],
        "persona_hash": persona["hash"],
        "scenario": persona["scenario"],
        "profile": persona["profile"],
        "levels": _json(persona["levels"]),
        "patient_model": data["patient_model"],
        "clinician": data["clinician"],
        "seed": data["seed"],
        "sample": data["sample"],
        "patient_template_hash": prompts["patient_template_hash"],
        "clinician_template_hash": prompts["clinician_template_hash"],
    }
    system = [m for m in data["messages"] if m["speaker"] == "system"]
    first = {
        "patient_prompt": system[0]["content"] if system else None,
        "clinician_prompt": prompts["clinician"],
        "metadata": _json(data["metadata"]),
        "conversation_annotations": _json(
            [_without_turn(a) for a in data["annotations"] if a["turn"] is None] or None
        ),
        "persona": _json(persona["stored"]),
        "run": _json(data["run"]),
        "corpus": _json(data["corpus"]),
    }
    by_turn: dict[int, list[dict[str, Any]]] = {}
    for annotation in data["annotations"]:
        if annotation["turn"] is not None:
            by_turn.setdefault(annotation["turn"], []).append(_without_turn(annotation))
    turns = [m for m in data["messages"] if m["speaker"] != "system"]
    rows = []
    for position, message in enumerate(turns or [None]):
        row = dict(common)
        row.update(_turn_columns(message, by_turn))
        row.update(first if position == 0 else dict.fromkeys(FIRST_ROW_ONLY))
        rows.append(row)
    return rows


def _turn_columns(
    message: dict[str, Any] | None, by_turn: dict[int, list[dict[str, Any]]]
) -> dict[str, Any]:
    if message is None:
        return dict.fromkeys(
            ("turn", "speaker", "role", "text", "state", "latency_s", "prompt_tokens",
             "completion_tokens", "turn_created_at", "annotations")
        )
    return {
        "turn": message["turn"],
        "speaker": message["speaker"],
        "role": message["role"],
        "text": message["content"],
        "state": _json(message["state"]),
        "latency_s": message["latency_s"],
        "prompt_tokens": message["prompt_tokens"],
        "completion_tokens": message["completion_tokens"],
        "turn_created_at": message["created_at"],
        "annotations": _json(by_turn.get(message["turn"])),
    }


def _without_turn(annotation: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in annotation.items() if k != "turn"}


def rows_to_records(rows: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Group table rows back into record data, by conversation in order of first appearance.

    Returns:
        (index of the conversation's first row, record data) pairs; the data still needs
        validating as an :class:`ExportedConversation`.

    Raises:
        ValueError: a JSON column does not hold JSON (names the row index and column).
    """
    grouped: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, row in enumerate(rows):
        grouped.setdefault(str(row["conversation_id"]), []).append((index, row))
    records = []
    for members in grouped.values():
        first_index = members[0][0]
        records.append((first_index, _record(first_index, members)))
    return records


def _record(first_index: int, members: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    first = members[0][1]

    def loads(index: int, row: dict[str, Any], column: str) -> Any:
        try:
            return _loads(row[column])
        except json.JSONDecodeError as exc:
            raise ValueError(f"row {index}: column {column}: not valid JSON ({exc.msg})") from None

    messages: list[dict[str, Any]] = []
    if first["patient_prompt"] is not None:
        messages.append({"role": "system", "content": first["patient_prompt"],
                         "speaker": "system"})
    annotations = [
        {"turn": None, **a}
        for a in loads(first_index, first, "conversation_annotations") or []
    ]
    for index, row in members:
        if row["turn"] is None:
            continue  # the row of a conversation without turns
        messages.append(
            {
                "role": row["role"],
                "content": row["text"] if row["text"] is not None else "",
                "speaker": row["speaker"],
                "turn": row["turn"],
                "state": loads(index, row, "state") or {},
                "latency_s": row["latency_s"],
                "prompt_tokens": row["prompt_tokens"],
                "completion_tokens": row["completion_tokens"],
                "created_at": row["turn_created_at"],
            }
        )
        annotations += [{"turn": row["turn"], **a} for a in loads(index, row, "annotations") or []]
    return {
        "format": FORMAT,
        "id": first["conversation_id"],
        "source": first["source"],
        "status": first["status"],
        "failure_reason": first["failure_reason"],
        "created_at": first["conversation_created_at"],
        "run": loads(first_index, first, "run"),
        "corpus": loads(first_index, first, "corpus"),
        "persona": {
            "id": first["persona_id"],
            "hash": first["persona_hash"],
            "scenario": first["scenario"],
            "profile": first["profile"],
            "levels": loads(first_index, first, "levels") or {},
            "stored": loads(first_index, first, "persona"),
        },
        "patient_model": first["patient_model"],
        "clinician": first["clinician"],
        "seed": first["seed"],
        "sample": first["sample"],
        "prompts": {
            "clinician": first["clinician_prompt"],
            "patient_template_hash": first["patient_template_hash"],
            "clinician_template_hash": first["clinician_template_hash"],
        },
        "metadata": loads(first_index, first, "metadata") or {},
        "messages": messages,
        "annotations": annotations,
    }
