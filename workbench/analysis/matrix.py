"""The experiment matrix: conversations of chosen runs laid out by two dimensions (model,
prompt template, temperature, persona, any axis...), one figure per cell with its n.

Figures (defined in docs/METRICS.md, "Experiment matrix"):

- ``mean_turns``: mean number of turns per finished conversation; n = conversations.
- ``distinct_2``: distinct-2 of the cell's patient turns, every cell sampled to the same number
  of turns (the smallest cell's, capped at :data:`MATRIX_DISTINCT_CAP`); n = that size.
- ``human:<rubric>/<item>`` and ``judge:<rubric>/<item>``: mean submitted rating of a
  conversation item by human annotators (resolved answers and judges left out) or by LLM judges
  (``judge:<model>``); per conversation first (mean over its raters), then over conversations;
  n = rated conversations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.analysis.diversity import distinct_n
from workbench.annotation.adjudication import JUDGE_PREFIX, is_adjudicated, is_mark
from workbench.domain.transcript import Transcript
from workbench.store.records import Annotation, RunRecord

MATRIX_DISTINCT_CAP = 2000
"""Most patient turns a cell's distinct-2 is measured on."""
BASE_DIMENSIONS = {
    "model": "Patient model",
    "template": "Patient prompt template",
    "temperature": "Temperature",
    "clinician": "Clinician",
    "run": "Run",
    "persona": "Persona",
    "scenario": "Scenario",
}
"""Dimension id → name; ``level:<axis>`` adds one dimension per persona axis."""
LEVEL_PREFIX = "level:"
BASE_FIGURES = {"mean_turns": "Mean turns", "distinct_2": "Distinct-2 (equal size)"}
DEFINITIONS = {
    "mean_turns": "Mean number of turns (both sides) per finished conversation of the cell; "
                  "n = conversations.",
    "distinct_2": "Distinct pairs of adjacent tokens ÷ all pairs over the cell's patient turns; "
                  "every cell is sampled (seed 0, without replacement) to the same number of "
                  "turns, the smallest cell's (at most 2,000), because distinct-2 falls as a "
                  "sample grows; n = that size.",
    "score": "Mean submitted rating of the item: first the mean over the raters of each "
             "conversation, then over conversations; humans exclude LLM judges and resolved "
             "answers; n = rated conversations.",
}


@dataclass(frozen=True)
class Cell:
    """One cell: the figure over the conversations whose two dimensions take these values."""

    row: str
    col: str
    value: float | None
    """None when the cell has nothing to measure (e.g. no rated conversation)."""
    n: int
    """What the figure rests on (conversations, turns: see the figure's definition)."""
    conversation_ids: tuple[str, ...]


@dataclass(frozen=True)
class Matrix:
    """Cells by (row value, column value), rows and columns in natural order."""

    figure: str
    rows_by: str
    cols_by: str
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    size: int | None = None
    """For distinct-2: the turns every cell was sampled to."""


def dimensions(transcripts: Sequence[Transcript]) -> dict[str, str]:
    """Every dimension these conversations can be laid out by, id → name."""
    axes = sorted({a for t in transcripts for a in t.levels})
    return {**BASE_DIMENSIONS, **{f"{LEVEL_PREFIX}{a}": f"Level of {a}" for a in axes}}


def value_of(t: Transcript, dimension: str, runs: Mapping[str, RunRecord]) -> str:
    """A conversation's value on a dimension (plain text)."""
    run = runs.get(t.run_id or "")
    if dimension == "temperature":
        temperature = run.temperature if run is not None else None
        return "default" if temperature is None else f"{temperature:g}"
    if dimension.startswith(LEVEL_PREFIX):
        return t.levels.get(dimension.removeprefix(LEVEL_PREFIX), "(unset)")
    getters: dict[str, Callable[[Transcript], str | None]] = {
        "model": lambda t: t.patient_model, "clinician": lambda t: t.clinician,
        "template": lambda t: (t.patient_template_hash or "")[:8] or None,
        "run": lambda t: t.run_id, "persona": lambda t: t.persona_id,
        "scenario": lambda t: t.scenario}
    if dimension not in getters:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of "
                         f"{', '.join(BASE_DIMENSIONS)} or {LEVEL_PREFIX}<axis>")
    return getters[dimension](t) or "(none)"


def score_figures(annotations: Sequence[Annotation]) -> dict[str, str]:
    """``human:<rubric>/<item>`` and ``judge:<rubric>/<item>`` for every conversation item with
    submitted numeric ratings, id → name."""
    found: dict[str, str] = {}
    for a in annotations:
        if (a.status != "submitted" or a.turn_idx is not None or is_mark(a.item)
                or is_adjudicated(a.annotator) or isinstance(a.value, bool)
                or not isinstance(a.value, int | float)):
            continue
        who = "judge" if a.annotator.startswith(JUDGE_PREFIX) else "human"
        found[f"{who}:{a.rubric}/{a.item}"] = f"{who.capitalize()} score · {a.rubric} · {a.item}"
    return dict(sorted(found.items()))


def definition(figure: str) -> str:
    """The one-line definition of a figure."""
    return DEFINITIONS["score" if ":" in figure else figure]


def _natural(value: str) -> tuple[int, float | str]:
    try:
        return 0, float(value)
    except ValueError:
        return 1, value


def build_matrix(
    transcripts: Sequence[Transcript],
    runs: Mapping[str, RunRecord],
    rows_by: str,
    cols_by: str,
    figure: str,
    annotations: Sequence[Annotation] = (),
    *,
    seed: int = 0,
) -> Matrix:
    """The matrix of finished conversations by ``rows_by`` × ``cols_by`` under ``figure``.

    Raises:
        ValueError: an unknown dimension or figure.
    """
    if figure not in BASE_FIGURES and not figure.startswith(("human:", "judge:")):
        raise ValueError(f"unknown figure {figure!r}; expected one of {', '.join(BASE_FIGURES)}, "
                         "human:<rubric>/<item> or judge:<rubric>/<item>")
    groups: dict[tuple[str, str], list[Transcript]] = {}
    for t in transcripts:
        if t.status == "done":
            key = (value_of(t, rows_by, runs), value_of(t, cols_by, runs))
            groups.setdefault(key, []).append(t)
    rows = sorted({r for r, _ in groups}, key=_natural)
    cols = sorted({c for _, c in groups}, key=_natural)
    measure, size = _measure(figure, groups, annotations, seed)
    cells = {key: Cell(*key, *measure(ts), tuple(t.id for t in ts)) for key, ts in groups.items()}
    return Matrix(figure, rows_by, cols_by, rows, cols, cells, size)


def _patient_turns(ts: Sequence[Transcript]) -> list[str]:
    return [x.text for t in ts for x in t.turns if x.role == "patient" and x.text.strip()]


def _measure(figure: str, groups: Mapping[tuple[str, str], list[Transcript]],
             annotations: Sequence[Annotation], seed: int,
             ) -> tuple[Callable[[list[Transcript]], tuple[float | None, int]], int | None]:
    """The function that measures one cell, and (for distinct-2) the common sample size."""
    if figure == "mean_turns":
        return (lambda ts: (float(np.mean([len(t.turns) for t in ts])), len(ts))), None
    if figure == "distinct_2":
        counts = [len(_patient_turns(ts)) for ts in groups.values()]
        size = min([*counts, MATRIX_DISTINCT_CAP]) if counts else 0

        def distinct(ts: list[Transcript]) -> tuple[float | None, int]:
            texts = _patient_turns(ts)
            if size < 1:
                return None, 0
            picked = np.sort(np.random.default_rng(seed).choice(len(texts), size, replace=False))
            return distinct_n([texts[i] for i in picked], 2), size

        return distinct, size
    who, _, rest = figure.partition(":")
    rubric, _, item = rest.partition("/")
    per_conversation: dict[str, list[float]] = {}
    for a in annotations:
        if (a.rubric == rubric and a.item == item and a.status == "submitted"
                and a.turn_idx is None and not is_adjudicated(a.annotator)
                and a.annotator.startswith(JUDGE_PREFIX) == (who == "judge")
                and isinstance(a.value, int | float) and not isinstance(a.value, bool)):
            per_conversation.setdefault(a.conversation_id, []).append(float(a.value))

    def score(ts: list[Transcript]) -> tuple[float | None, int]:
        means = [float(np.mean(per_conversation[t.id])) for t in ts if t.id in per_conversation]
        return (float(np.mean(means)) if means else None), len(means)

    return score, None


def cell_text(cell: Cell | None) -> str:
    """A cell as one short plain line: ``3.25 (n=12)``, or ``–`` when empty."""
    if cell is None or cell.value is None or math.isnan(cell.value):
        return "–" if cell is None else f"– (n={cell.n})"
    return f"{cell.value:.3g} (n={cell.n})"


