"""Emotional arcs measured: per-turn affect of every patient turn, each conversation's arc shape,
and per sample how early the affect resolves and how many distinct arc shapes appear.

The scorer is VADER (``vaderSentiment``): a lexicon and rule set for short conversational text
whose lexicon ships inside the wheel, so scoring is offline, deterministic and needs no model
load. Its ``compound`` valence in [-1, 1] is the per-turn affect. It measures valence, not which
of the nine emotions is felt; see docs/METRICS.md ("Arcs") for the definitions and limits.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Estimate, Interval, Resampling, estimate, wilson_interval

if TYPE_CHECKING:
    from workbench.analysis.samples import Conversations
    from workbench.analysis.steps import StepProgress

FLAT = 0.1
"""Change of mean affect between thirds below which a step counts as flat."""
BINS = 10
"""Relative-position bins of the mean arc curve."""
SHORT = "short"
"""Shape of a conversation with fewer than three scored patient turns."""
_STEP = {1: "up", 0: "flat", -1: "down"}


@functools.lru_cache(maxsize=1)
def _analyzer():  # type: ignore[no-untyped-def]
    # Imported here: the lexicon is read from the wheel once, and only when arcs are measured.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def turn_affect(texts: Sequence[str]) -> list[float]:
    """VADER compound valence of each text, in [-1, 1] (negative: distressed)."""
    analyzer = _analyzer()
    return [float(analyzer.polarity_scores(t)["compound"]) for t in texts]


def arc_shape(scores: Sequence[float], flat: float = FLAT) -> str:
    """The shape of an arc: mean affect of the first, middle and last third (``numpy``'s
    ``array_split``), each step coded up / flat / down, e.g. ``up-flat``; ``short`` below three."""
    if len(scores) < 3:
        return SHORT
    means = [float(np.mean(part)) for part in np.array_split(np.asarray(scores, float), 3)]
    steps = []
    for a, b in zip(means, means[1:], strict=False):
        diff = b - a
        steps.append(_STEP[0 if abs(diff) <= flat else (1 if diff > 0 else -1)])
    return "-".join(steps)


def resolution_position(scores: Sequence[float]) -> float | None:
    """How far into the conversation the affect resolves: the share of patient turns before the
    final run of non-negative turns. 0.0 when no turn is negative; None when the last turn is
    negative (unresolved) or there are no turns."""
    if not scores or scores[-1] < 0:
        return None
    k = len(scores)
    while k > 0 and scores[k - 1] >= 0:
        k -= 1
    return k / len(scores)


def arc_curve(scores: Sequence[float], bins: int = BINS) -> list[float | None]:
    """Mean affect per relative-position bin (turn i of n falls in bin ⌊i·bins/n⌋)."""
    sums, counts = [0.0] * bins, [0] * bins
    for i, s in enumerate(scores):
        b = min(bins - 1, i * bins // len(scores))
        sums[b] += s
        counts[b] += 1
    return [s / c if c else None for s, c in zip(sums, counts, strict=True)]


class ConversationArc(BaseModel):
    """One conversation's arc."""

    model_config = ConfigDict(frozen=True)

    conversation: str
    scores: list[float]
    """Affect of each patient turn with text, in order."""
    shape: str
    resolution: float | None
    """See :func:`resolution_position`."""


class ArcReport(BaseModel):
    """Arcs of one sample (a run, an arc template's conversations, a reference corpus)."""

    model_config = ConfigDict(frozen=True)

    name: str
    n_conversations: int
    resolution: Estimate
    """Median resolution position over the conversations that resolve."""
    unresolved: float
    """Share of conversations whose last patient turn is negative."""
    unresolved_interval: Interval | None
    distinct_shapes: int
    """Distinct shapes among conversations with at least three scored patient turns."""
    shape_counts: dict[str, int]
    curve: list[float | None]
    """Mean affect per relative-position bin over all conversations."""
    arcs: list[ConversationArc]


def conversation_arcs(sample: Conversations,
                      on_progress: Callable[[int, int], None] | None = None
                      ) -> list[ConversationArc]:
    """The arc of every conversation of a sample that has a patient turn with text;
    ``on_progress(done, total)`` after each hundredth of the conversations (a page's bar is not
    sent thousands of updates)."""
    arcs = []
    total = len(sample.transcripts)
    every = max(1, total // 100)
    for done, t in enumerate(sample.transcripts, 1):
        texts = [x.text for x in t.turns if x.role == "patient" and x.text.strip()]
        if texts:
            scores = turn_affect(texts)
            arcs.append(ConversationArc(conversation=t.id, scores=scores,
                                        shape=arc_shape(scores),
                                        resolution=resolution_position(scores)))
        if on_progress is not None and (done % every == 0 or done == total):
            on_progress(done, total)
    return arcs


def arc_report(name: str, arcs: Sequence[ConversationArc],
               resampling: Resampling | None = None) -> ArcReport:
    """Per-sample figures from conversation arcs (see docs/METRICS.md, "Arcs")."""
    positions = np.asarray([a.resolution for a in arcs if a.resolution is not None], float)

    def median(idx: np.ndarray) -> float:
        return float(np.median(positions[idx])) if len(idx) else math.nan

    resolution = estimate(
        "arc_resolution", median, len(positions), resampling=resampling,
        unit_label="conversations", bounds=(0.0, 1.0),
        definition="median share of patient turns before the affect stays non-negative "
                   "(conversations that resolve)")
    unresolved = sum(a.resolution is None for a in arcs)
    shapes = Counter(a.shape for a in arcs)
    curves = np.asarray([[math.nan if v is None else v for v in arc_curve(a.scores)]
                         for a in arcs], float) if arcs else np.empty((0, BINS))
    curve: list[float | None] = []
    for column in curves.T:
        kept = column[~np.isnan(column)]
        curve.append(float(kept.mean()) if len(kept) else None)
    return ArcReport(
        name=name, n_conversations=len(arcs), resolution=resolution,
        unresolved=unresolved / len(arcs) if arcs else math.nan,
        unresolved_interval=wilson_interval(unresolved, len(arcs)) if arcs else None,
        distinct_shapes=len(set(shapes) - {SHORT}), shape_counts=dict(shapes.most_common()),
        curve=curve if arcs else [None] * BINS, arcs=list(arcs))


def sample_arcs(sample: Conversations, by: str | None = None,
                resampling: Resampling | None = None,
                on_progress: StepProgress | None = None) -> list[ArcReport]:
    """Arc reports of a sample, whole or grouped (``run``, ``level:arc``...; see
    ``Conversations.grouped``); ``on_progress`` is told one step per group, moving with its
    conversations."""
    from workbench.analysis.steps import counted

    groups = sample.grouped(by) if by else {sample.name: sample}
    return [arc_report(name, conversation_arcs(group, counted(
        on_progress, step, len(groups), f"scoring the affect of {name}", "conversations")),
        resampling) for step, (name, group) in enumerate(groups.items())]
