"""Units of analysis read from the store, with their labels, as one polars frame.

A unit is either a conversation's patient side (its patient turns joined by newlines) or a single
patient turn. Each row carries what a map can be coloured by or a classifier can predict: run,
scenario, persona, patient model, clinician, source, and one ``axis:<id>`` column per persona
axis (the intended level).

polars is imported by the functions that build frames: picking runs by their sizes
(:func:`run_sizes`, a count per run from an index) costs no dataframe library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    import polars as pl

    from workbench.domain.transcript import Transcript
    from workbench.store import Store

Unit = Literal["conversation", "turn"]
UNITS: tuple[Unit, ...] = ("conversation", "turn")
AXIS_PREFIX = "axis:"
"""Prefix of the columns that hold a unit's intended level on one axis."""
LABEL_COLUMNS = (
    "levels",
    "run_id",
    "scenario",
    "persona_id",
    "profile",
    "patient_model",
    "clinician",
    "source",
)
"""Columns (besides the axes) a unit can be grouped or coloured by; ``levels`` is the persona's
whole level set, e.g. ``confusion=high, mood=low``."""
SNIPPET_CHARS = 200
"""Length of the hover snippet."""
SMALL_MAP_UNITS = 2_000
"""Units a map is read, embedded-checked and drawn for without the user asking (seconds)."""


class RunSize(NamedTuple):
    """A run and how much it holds, counted without loading its conversations."""

    id: str
    name: str
    conversations: int
    turns: int
    """All turns (patient and clinician): a bound on its patient-turn units."""

    def units(self, unit: Unit) -> int:
        """An upper bound on the run's units: its conversations, or all its turns for ``turn``
        (only patient turns with text become units)."""
        return self.conversations if unit == "conversation" else self.turns


def run_sizes(store: Store) -> list[RunSize]:
    """Every run, newest first, with its conversation and turn counts (one index scan each)."""
    sizes = []
    for run in store.list_runs():
        progress = store.run_progress(run.id)
        sizes.append(RunSize(run.id, run.name, progress.total_conversations, progress.total_turns))
    return sizes


def default_runs(sizes: Sequence[RunSize], limit: int | None = None) -> list[str]:
    """The runs a map starts from: the newest run when it has at most ``limit`` conversations
    (default :data:`SMALL_MAP_UNITS`), else none: reading and mapping a large run takes seconds
    to minutes, so the user picks it."""
    limit = SMALL_MAP_UNITS if limit is None else limit
    return [sizes[0].id] if sizes and 0 < sizes[0].conversations <= limit else []


def _schema(axes: Iterable[str]) -> dict[str, object]:
    import polars as pl

    return {
        "unit_id": pl.String,
        "conversation_id": pl.String,
        "turn_idx": pl.Int64,
        "text": pl.String,
        "snippet": pl.String,
        **{column: pl.String for column in LABEL_COLUMNS},
        **{axis: pl.String for axis in axes},
    }


def patient_side(transcript: Transcript) -> str:
    """The patient's turns of a conversation joined by newlines ("" before the patient spoke)."""
    return "\n".join(t.text for t in transcript.turns if t.role == "patient")


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a text on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def axis_columns(frame: pl.DataFrame) -> list[str]:
    """The ``axis:<id>`` columns of a units frame, sorted."""
    return sorted(c for c in frame.columns if c.startswith(AXIS_PREFIX))


def load_units(
    store: Store,
    run_ids: str | Sequence[str],
    unit: Unit = "conversation",
    statuses: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Units of the given runs, in run order then conversation order.

    Conversations (or turns) without patient text are left out: there is nothing to embed.

    Args:
        store: the store.
        run_ids: one run id or several.
        unit: ``conversation`` (patient side) or ``turn`` (each patient turn).
        statuses: only conversations in these statuses (None: any status).

    Returns:
        Columns ``unit_id`` (conversation id, or ``<conversation id>#<turn index>``),
        ``conversation_id``, ``turn_idx`` (null for conversations), ``text``, ``snippet``, the
        :data:`LABEL_COLUMNS` and one ``axis:<id>`` column per axis seen (null where a
        conversation lacks the axis).

    Raises:
        UnknownRun: a run id is not in the store.
        ValueError: ``unit`` is not one of :data:`UNITS`.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
    runs = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    rows: list[dict[str, object]] = []
    for run_id in runs:
        for transcript in store.conversations_of_run(run_id, statuses, with_turns=True):
            rows.extend(_units_of(transcript, unit))
    axes = sorted({key for row in rows for key in row if key.startswith(AXIS_PREFIX)})
    import polars as pl

    return pl.DataFrame(rows, schema=_schema(axes))


def _units_of(transcript: Transcript, unit: Unit) -> list[dict[str, object]]:
    labels: dict[str, object] = {
        "conversation_id": transcript.id,
        "levels": ", ".join(f"{a}={lev}" for a, lev in sorted(transcript.levels.items())) or None,
        "run_id": transcript.run_id,
        "scenario": transcript.scenario,
        "persona_id": transcript.persona_id,
        "profile": transcript.profile,
        "patient_model": transcript.patient_model,
        "clinician": transcript.clinician,
        "source": transcript.source,
        **{AXIS_PREFIX + axis: level for axis, level in transcript.levels.items()},
    }
    if unit == "conversation":
        text = patient_side(transcript)
        if not text.strip():
            return []
        return [
            {
                **labels,
                "unit_id": transcript.id,
                "turn_idx": None,
                "text": text,
                "snippet": snippet(text),
            }
        ]
    return [
        {
            **labels,
            "unit_id": f"{transcript.id}#{turn.index}",
            "turn_idx": turn.index,
            "text": turn.text,
            "snippet": snippet(turn.text),
        }
        for turn in transcript.turns
        if turn.role == "patient" and turn.text.strip()
    ]


def fold_labels(frame: pl.DataFrame) -> dict[str, list[str | None]]:
    """Each unit's persona and profile: what recoverability's folds keep together."""
    return {"personas": frame["persona_id"].to_list(), "profiles": frame["profile"].to_list()}


def levels_by_axis(frame: pl.DataFrame) -> dict[str, list[str | None]]:
    """Axis id → each unit's intended level (None where the unit's persona lacks the axis)."""
    return {
        column.removeprefix(AXIS_PREFIX): frame[column].to_list() for column in axis_columns(frame)
    }


def colour_choices(frame: pl.DataFrame) -> list[str]:
    """Columns a map of this frame can be coloured by: ``cluster`` (if present), the axes, then
    the label columns that take more than one value."""
    first = ["cluster"] if "cluster" in frame.columns else []
    return [
        *first,
        *axis_columns(frame),
        *[c for c in LABEL_COLUMNS if c in frame.columns and frame[c].n_unique() > 1],
    ]


def conversations_among(frame: pl.DataFrame, conversation_ids: Sequence[str]) -> pl.DataFrame:
    """One row per conversation of ``conversation_ids`` (first unit of each), in that order."""
    import polars as pl

    order = {cid: n for n, cid in enumerate(dict.fromkeys(conversation_ids))}
    chosen = frame.filter(pl.col("conversation_id").is_in(list(order)))
    chosen = chosen.unique("conversation_id", keep="first", maintain_order=True)
    return chosen.sort(pl.col("conversation_id").replace_strict(order, return_dtype=pl.Int64))
