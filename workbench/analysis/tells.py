"""Surface realism of patient turns: "LLM tells", turn lengths and conversation lengths.

An LLM playing a patient leaks its assistant habits: markdown, lists, em dashes, stock assistant
phrases, questions turned back on the clinician, long answers (MindEval's realism cues; the User-LM
finding that "helpful" style leaks). Each tell is one named predicate in :data:`TELLS`; a rate is
the share of patient turns showing it, always shown beside each real reference corpus's own rate.

Tells are defined so that transcription and typing conventions of real corpora do not count: an
ASCII double hyphen (``--``, AnnoMI's and MTS-Dialog's false starts) is not an em dash, and a
greeting returned ("fine, how are you?") is not a question turned back. A tell that still fires
in at least :data:`REAL_RATE_CAUTION` of a real corpus's turns is marked as such beside its rate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import (
    Estimate,
    Interval,
    RealismResult,
    Resampling,
    Yardstick,
    half_indices,
    resample_interval,
    wilson_interval,
)
from workbench.analysis.diversity import words
from workbench.analysis.realism import PatientTurns, distance_with_yardsticks

REAL_RATE_CAUTION = 0.01
"""A tell found in at least this share of a real corpus's patient turns is not a clean tell there."""
LONG_TURN_WORDS = 60
"""A patient turn longer than this many words is "overly long" (real patient turns average 10–15
words; the 99th percentile of the shared reference corpora is about 50)."""

ASSISTANT_PHRASES: tuple[str, ...] = (
    "i understand",
    "as an ai",
    "as a language model",
    "i'd be happy to",
    "i would be happy to",
    "happy to help",
    "great question",
    "it's important to",
    "it is important to",
    "i hope this helps",
    "feel free to",
    "let me know if",
    "thank you for asking",
    "i appreciate your",
    "rest assured",
    "here are",
    "here's a",
    "in summary",
    "to summarize",
    "i'm here to",
)
"""Stock phrases of assistant-style text, matched case-insensitively on word boundaries."""
ASSISTANT_INTERJECTIONS: tuple[str, ...] = ("certainly", "absolutely", "sure thing")
"""Counted only when they open a sentence and are followed by punctuation ("Certainly! ..."),
since "it certainly hurts" is ordinary speech."""

TURNED_BACK_PATTERNS: tuple[str, ...] = (
    r"\b(?:what|how) about you\b",
    r"\band you\s*\?",
    r"\bdo you have any (?:advice|tips|suggestions|recommendations)\b",
    r"\bwhat (?:do|would) you (?:think|suggest|recommend)\b",
    r"\bwhat would you do\b",
    r"\bhow (?:is|was) your day\b",
)
"""Questions a patient turns back on the clinician, as a chatty assistant would."""

_MARKDOWN = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__"  # bold
    r"|(?<![\w*])\*(?!\s)[^*\n]+(?<!\s)\*(?![\w*])|(?<!\w)_(?!\s)[^_\n]+(?<!\s)_(?!\w)"  # italics
    r"|^\s{0,3}#{1,6}\s|`",  # headers, code
    re.MULTILINE,
)
_LIST = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_EM_DASH = re.compile(r"—|\s–\s")  # not "--": a typed or transcribed false start
_PHRASE = re.compile(
    r"\b(?:" + "|".join(map(re.escape, ASSISTANT_PHRASES)) + r")\b"
    r"|(?:^|[.!?]\s+)(?:" + "|".join(ASSISTANT_INTERJECTIONS) + r")[!,.]"
)
_TURNED_BACK = re.compile("|".join(TURNED_BACK_PATTERNS))

DEFINITIONS: dict[str, str] = {
    "tell_rate": "Share of patient turns showing the tell (interval by conversation when known).",
    "turn_length_wasserstein": "Wasserstein-1 distance between words-per-turn distributions, in "
    "words (0 = same distribution).",
    "turn_length_ks": "Kolmogorov–Smirnov statistic between words-per-turn distributions: the "
    "largest gap between the two cumulative distributions (0–1).",
    "conversation_length_gap": "Median turns per simulated conversation minus median turns per "
    "real conversation.",
}


@dataclass(frozen=True)
class Tell:
    """One LLM tell: a name, what it means, and the predicate that spots it in a turn."""

    name: str
    description: str
    present: Callable[[str], bool]


def _normalised(text: str) -> str:
    return text.lower().replace("’", "'")


TELLS: tuple[Tell, ...] = (
    Tell(
        "markdown", "Markdown: bold, italics, headers or code", lambda t: bool(_MARKDOWN.search(t))
    ),
    Tell("list", "A bulleted or numbered list line", lambda t: bool(_LIST.search(t))),
    Tell(
        "em_dash",
        "An em dash (or a spaced en dash; an ASCII double hyphen does not count)",
        lambda t: bool(_EM_DASH.search(t)),
    ),
    Tell(
        "assistant_phrase",
        'A stock assistant phrase ("I understand", "Certainly", "feel free to"...)',
        lambda t: bool(_PHRASE.search(_normalised(t))),
    ),
    Tell(
        "turned_back_question",
        'A question turned back on the clinician ("what about you?", "any advice?")',
        lambda t: bool(_TURNED_BACK.search(_normalised(t))),
    ),
    Tell(
        "long_turn",
        f"A turn longer than {LONG_TURN_WORDS} words",
        lambda t: len(words(t)) > LONG_TURN_WORDS,
    ),
)
"""Every tell, in display order. Add a tell here and it is measured everywhere."""


class TellComparison(BaseModel):
    """One tell's rate in simulated and in reference patient turns."""

    model_config = ConfigDict(frozen=True)

    tell: str
    """Tell name (see ``TELLS``)."""
    description: str
    """What the tell is."""
    simulated: Estimate
    """Share of simulated patient turns with the tell."""
    reference: Estimate
    """Share of reference patient turns with the tell."""
    second_reference: Estimate | None = None
    """Share of the second real corpus's patient turns with the tell."""
    fires_on_real: str = ""
    """Empty, or which real corpus shows the tell in at least :data:`REAL_RATE_CAUTION` of its
    turns (the tell is then no clean sign of a model there)."""


def tell_rates(turns: PatientTurns, resampling: Resampling | None = None) -> list[Estimate]:
    """Share of turns showing each tell, with an interval.

    Turns of one conversation are not independent (a model that writes markdown does it in every
    turn), so with conversation ids the interval is a bootstrap over conversations; without
    them, or when the tell is in no turn or in every turn (where a bootstrap collapses to a
    point), it is a Wilson interval, over conversations when known (conservative).
    """
    rs = resampling or Resampling()
    flags = np.array([[tell.present(t) for tell in TELLS] for t in turns.texts], dtype=float)
    flags = flags.reshape(len(turns), len(TELLS))
    if turns.conversations is not None:
        _, group = np.unique(np.asarray(turns.conversations), return_inverse=True)
        per_group = np.zeros((group.max() + 1 if len(group) else 0, len(TELLS)))
        np.add.at(per_group, group, flags)
        sizes = np.bincount(group).astype(float)
    rates = []
    for k, tell in enumerate(TELLS):
        hits, n = int(flags[:, k].sum()), len(turns)
        interval = None
        if turns.conversations is not None and 0 < hits < n:
            hits_k = per_group[:, k]
            interval = resample_interval(
                lambda idx, h=hits_k: h[idx].sum() / sizes[idx].sum(),
                len(sizes),
                resampling=rs,
                unit_label="conversations",
            )
        if interval is None:
            units = n if turns.conversations is None else len(sizes)
            interval = wilson_interval(round(hits / n * units) if n else 0, units, rs.confidence)
        rates.append(
            Estimate(
                name=tell.name,
                value=hits / n if n else float("nan"),
                interval=interval,
                n=n,
                definition=f"{tell.description}: {DEFINITIONS['tell_rate']}",
            )
        )
    return rates


def compare_tells(
    simulated: PatientTurns,
    reference: PatientTurns,
    resampling: Resampling | None = None,
    second_reference: PatientTurns | None = None,
) -> list[TellComparison]:
    """Each tell's rate in simulated turns beside its rate in each real corpus."""
    real = [reference, *([second_reference] if second_reference is not None else [])]
    real_rates = [tell_rates(turns, resampling) for turns in real]
    rows = []
    for k, (tell, sim) in enumerate(zip(TELLS, tell_rates(simulated, resampling))):
        rates = [r[k] for r in real_rates]
        often = [f"{turns.name or 'reference'} {rate.value:.1%}"
                 for turns, rate in zip(real, rates) if rate.value >= REAL_RATE_CAUTION]
        rows.append(TellComparison(
            tell=tell.name, description=tell.description, simulated=sim, reference=rates[0],
            second_reference=rates[1] if len(rates) > 1 else None,
            fires_on_real=("fires on real text: " + ", ".join(often)) if often else ""))
    return rows


def _wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(a, b)) if len(a) and len(b) else float("nan")


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import ks_2samp

    return float(ks_2samp(a, b).statistic) if len(a) and len(b) else float("nan")


def turn_length_realism(
    simulated: PatientTurns,
    reference: PatientTurns,
    *,
    second_reference: PatientTurns | None = None,
    resampling: Resampling | None = None,
) -> list[RealismResult]:
    """Wasserstein-1 and KS distances between words-per-turn distributions, with yardsticks.

    Uses the equal-size design of :func:`workbench.analysis.realism.distance_with_yardsticks`.
    Default resampling: 200 bootstrap replicates.
    """
    samples = [
        (turns.name, np.array([len(words(t)) for t in turns.texts], float), turns.conversations)
        for turns in (simulated, reference, second_reference)
        if turns is not None
    ]
    rs = resampling or Resampling(n_resamples=200)
    return [
        distance_with_yardsticks(metric, DEFINITIONS[metric], fn, samples, rs)
        for metric, fn in (("turn_length_wasserstein", _wasserstein), ("turn_length_ks", _ks))
    ]


def _median_gap(x: np.ndarray, y: np.ndarray, rs: Resampling) -> tuple[float, Interval | None]:
    both, side = np.r_[x, y], np.r_[np.zeros(len(x), int), np.ones(len(y), int)]

    def statistic(idx: np.ndarray) -> float:
        left, right = both[idx[side[idx] == 0]], both[idx[side[idx] == 1]]
        return float(np.median(left) - np.median(right)) if len(left) and len(right) else np.nan

    interval = resample_interval(
        statistic, len(both), strata=side, resampling=rs, unit_label="conversations"
    )
    return statistic(np.arange(len(both))), interval


def conversation_length_gap(
    simulated: Sequence[int],
    reference: Sequence[int],
    *,
    second_reference: Sequence[int] | None = None,
    resampling: Resampling | None = None,
) -> RealismResult:
    """Median turns per simulated conversation minus the reference median, bootstrap interval.

    Args:
        simulated: Turns per simulated conversation (count what the page shows, e.g. all turns).
        reference: Turns per real conversation, counted the same way.
        second_reference: Turns per conversation of another real corpus, for a yardstick.
        resampling: Bootstrap replicates (conversations, within each side), coverage, seed.
    """
    rs = resampling or Resampling()
    sim, ref = np.asarray(simulated, float), np.asarray(reference, float)
    value, interval = _median_gap(sim, ref, rs)
    first, second = half_indices(len(ref), None, rs.seed)
    compared = [("reference halves", ref[first], ref[second])]
    if second_reference is not None:
        compared.append(
            ("second real corpus vs reference", np.asarray(second_reference, float), ref)
        )
    yardsticks = [
        Yardstick(label=label, value=v, interval=i, n_a=len(a), n_b=len(b))
        for label, a, b in compared
        for v, i in [_median_gap(a, b, rs)]
    ]
    return RealismResult(
        metric="conversation_length_gap",
        definition=DEFINITIONS["conversation_length_gap"],
        value=value,
        interval=interval,
        n_simulated=len(sim),
        n_reference=len(ref),
        yardsticks=yardsticks,
    )
