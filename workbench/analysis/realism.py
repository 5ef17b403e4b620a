"""Realism: how far simulated patient turns are from a reference corpus of real patient turns.

Every figure comes with **yardsticks**, the same metric between two random halves of the reference
(by conversation when ids are known) and between the reference and a second real corpus: any two
corpora collected differently are told apart to some degree. Distances grow as samples shrink, so
:func:`distance_with_yardsticks` measures value and yardsticks at one sample size against one
held-out reference half.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from workbench.analysis.bootstrap import (
    RealismResult,
    Resampling,
    Yardstick,
    half_indices,
    resample_interval,
)

DEFINITIONS: dict[str, str] = {
    "frechet": "Fréchet distance between Gaussians fitted to the turn embeddings (0 = same mean "
    "and covariance).",
}


@dataclass(frozen=True)
class PatientTurns:
    """Patient turns of one corpus, with the conversation each turn belongs to when known."""

    texts: tuple[str, ...]
    conversations: tuple[str, ...] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.conversations is not None and len(self.conversations) != len(self.texts):
            raise ValueError(f"{len(self.conversations)} conversation ids for {len(self)} turns")

    @classmethod
    def from_conversations(
        cls, conversations: Iterable[tuple[str, Sequence[str]]], name: str = ""
    ) -> PatientTurns:
        """Build from ``(conversation id, patient turns)`` pairs."""
        pairs = [(str(c), text) for c, turns in conversations for text in turns]
        return cls(tuple(t for _, t in pairs), tuple(c for c, _ in pairs), name)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Sequence[int] | np.ndarray) -> PatientTurns:
        """The turns at ``idx``."""
        ids = None if self.conversations is None else tuple(self.conversations[i] for i in idx)
        return PatientTurns(tuple(self.texts[i] for i in idx), ids, self.name)


def split_halves(turns: PatientTurns, seed: int = 0) -> tuple[PatientTurns, PatientTurns]:
    """Two random halves of a corpus, by conversation when ids are known (else by turn)."""
    first, second = half_indices(len(turns), turns.conversations, seed)
    return turns.subset(first), turns.subset(second)


def halves_label(name: str, by_conversation: bool) -> str:
    """Label of the reference-halves yardstick."""
    return f"{name or 'reference'} halves (by {'conversation' if by_conversation else 'turn'})"


def _trace_sqrt_product(c1: np.ndarray, c2: np.ndarray) -> float:
    """Tr((c1 c2)^½) for PSD matrices as Tr((c1^½ c2 c1^½)^½) (similar matrices): symmetric
    eigendecompositions stay real and exact where ``scipy.linalg.sqrtm`` of the non-symmetric
    product returns complex noise for near-singular covariances (few turns, many dimensions)."""
    values, vectors = np.linalg.eigh(c1)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    inner = np.linalg.eigvalsh(root @ c2 @ root)
    return float(np.sqrt(np.clip(inner, 0, None)).sum())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two embedding sets (as in FID).

    ``|mu_a - mu_b|² + Tr(C_a + C_b - 2 (C_a C_b)^½)``, covariances with ``n - 1``.

    Returns:
        The distance (≥ 0), or NaN when a side has fewer than two rows.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return math.nan
    mean_gap = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
    ca, cb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    trace = float(np.trace(ca) + np.trace(cb)) - 2 * _trace_sqrt_product(ca, cb)
    return max(0.0, mean_gap + trace)


def distance_with_yardsticks(
    metric: str,
    definition: str,
    distance: Callable[[np.ndarray, np.ndarray], float],
    samples: Sequence[tuple[str, np.ndarray, Sequence[str] | None]],
    resampling: Resampling | None = None,
) -> RealismResult:
    """A two-sample distance and its yardsticks at equal sizes against one reference half.

    Args:
        metric: Metric id.
        definition: Its one-line definition.
        distance: The distance between two arrays of rows (embeddings or lengths).
        samples: ``(label, rows, conversation ids or None)`` for simulated, reference and
            optionally a second real corpus, in that order.
        resampling: Bootstrap replicates (within each side, by conversation), coverage, seed.
    """
    rs = resampling or Resampling()
    rng = np.random.default_rng(rs.seed)
    samples = [(label, np.asarray(rows, dtype=float), groups) for label, rows, groups in samples]
    (_, simulated, sim_groups), (ref_name, reference, ref_groups), *rest = samples
    a_rows, b_rows = half_indices(len(reference), ref_groups, rs.seed)
    held_out = reference[b_rows]
    b_groups = [f"b:{i}" if ref_groups is None else f"b:{ref_groups[i]}" for i in b_rows]
    half_a = reference[a_rows], None if ref_groups is None else [ref_groups[i] for i in a_rows]
    compared = [("simulated", simulated, sim_groups), ("halves", *half_a), *rest]
    m = min(len(rows) for _, rows, _ in compared)
    results = []
    for _, rows, groups in compared:
        chosen = np.sort(rng.choice(len(rows), m, replace=False))
        both = np.concatenate([rows[chosen], held_out])
        side = np.r_[np.zeros(m, dtype=int), np.ones(len(held_out), dtype=int)]
        x_groups = [f"x:{i if groups is None else groups[i]}" for i in chosen]

        def statistic(idx: np.ndarray, both=both, side=side) -> float:
            return distance(both[idx[side[idx] == 0]], both[idx[side[idx] == 1]])

        interval = resample_interval(
            statistic,
            len(both),
            groups=x_groups + b_groups,
            strata=side,
            method="normal-bootstrap",  # replicates with repeats run high: centre on the value
            resampling=rs,
            unit_label="conversations" if ref_groups is not None else "items",
            bounds=(0.0, math.inf),
        )
        results.append((distance(rows[chosen], held_out), interval))
    labels = [halves_label(ref_name, ref_groups is not None)]
    labels += [f"{label} vs {ref_name or 'reference'} half" for label, _, _ in rest]
    yardsticks = [
        Yardstick(label=label, value=value, interval=interval, n_a=m, n_b=len(held_out))
        for label, (value, interval) in zip(labels, results[1:])
    ]
    value, interval = results[0]
    return RealismResult(
        metric=metric,
        definition=definition,
        value=value,
        interval=interval,
        n_simulated=m,
        n_reference=len(held_out),
        yardsticks=yardsticks,
    )


def frechet_realism(
    simulated: np.ndarray,
    reference: np.ndarray,
    *,
    simulated_conversations: Sequence[str] | None = None,
    reference_conversations: Sequence[str] | None = None,
    second_reference: tuple[str, np.ndarray, Sequence[str] | None] | None = None,
    reference_name: str = "reference",
    resampling: Resampling | None = None,
) -> RealismResult:
    """Fréchet distance of simulated to reference turn embeddings, with yardsticks (equal-size
    design of :func:`distance_with_yardsticks`). ``second_reference`` is ``(name, embeddings,
    conversation ids or None)``. Default: 50 bootstrap replicates (two eigh each)."""
    samples = [
        ("simulated", simulated, simulated_conversations),
        (reference_name, reference, reference_conversations),
        *([] if second_reference is None else [second_reference]),
    ]
    rs = resampling or Resampling(n_resamples=50)
    return distance_with_yardsticks(
        "frechet", DEFINITIONS["frechet"], frechet_distance, samples, rs
    )
