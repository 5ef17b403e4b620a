"""Agreement between raters: Krippendorff's alpha, Gwet's AC1/AC2, Cohen's kappa, judge vs human.

Alpha and AC1/AC2 work on per-unit category counts, so a bootstrap over units only reweights them.
After Krippendorff (2011), Gwet (2008; 2014, as in irrCAC) and Cohen (1960; 1968).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Estimate, Resampling, estimate

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["identity", "linear", "quadratic"]
Coefficient = Literal["krippendorff_alpha", "gwet_ac1", "gwet_ac2", "cohen_kappa"]
Categories = Sequence[Any] | None

DEFINITIONS: dict[str, str] = {
    "krippendorff_alpha": "Krippendorff's alpha: 1 − observed / chance disagreement between ratings "
    "of the same unit (1 perfect, 0 chance level, < 0 systematic disagreement).",
    "gwet_ac1": "Gwet's AC1: (observed − chance agreement) / (1 − chance), chance from category "
    "spread, so it stays stable when one category dominates.",
    "gwet_ac2": "Gwet's AC2: AC1 with partial credit for near misses on an ordered scale.",
    "cohen_kappa": "Cohen's kappa: (observed − chance agreement) / (1 − chance) for two raters; "
    "weighted forms credit near misses.",
    "disagreement": "Mean disagreement between a unit's ratings relative to chance (0 = all agree, "
    "1 = as much as random pairs).",
    "judge_spearman": "Spearman correlation of judge and human scores per unit, each rater z-scored.",
    "judge_kendall": "Kendall's tau-b of judge and human scores per unit, each rater z-scored.",
}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


@dataclass(frozen=True, eq=False)
class ReliabilityData:
    """Ratings as a raters × units table; ``None`` marks a missing rating."""

    values: np.ndarray
    """Object array of shape (raters, units)."""
    raters: tuple[Hashable, ...]
    """Rater ids, one per row."""
    units: tuple[Hashable, ...]
    """Unit ids (conversations, turns), one per column."""

    @classmethod
    def from_matrix(
        cls,
        matrix: Sequence[Sequence[Any]] | np.ndarray,
        raters: Sequence[Hashable] | None = None,
        units: Sequence[Hashable] | None = None,
    ) -> ReliabilityData:
        """Build from a raters × units matrix where ``None`` or NaN is a missing rating."""
        rows = [list(row) for row in matrix]
        if len({len(row) for row in rows}) > 1:
            raise ValueError("every rater row needs one entry per unit (use None when missing)")
        raters = list(raters) if raters is not None else list(range(len(rows)))
        units = list(units) if units is not None else list(range(len(rows[0]) if rows else 0))
        return cls.from_long((u, r, v) for r, row in zip(raters, rows) for u, v in zip(units, row))

    @classmethod
    def from_long(cls, rows: Iterable[tuple[Hashable, Hashable, Any]] | Any) -> ReliabilityData:
        """Build from ``(unit, rater, value)`` rows, or a polars frame with those columns.

        Raises ValueError when a rater rated the same unit twice (keep one rating first).
        """
        if hasattr(rows, "iter_rows"):
            rows = rows.select(["unit", "rater", "value"]).iter_rows()
        table: dict[tuple[Hashable, Hashable], Any] = {}
        for unit, rater, value in rows:
            if (unit, rater) in table:
                raise ValueError(f"rater {rater!r} rated unit {unit!r} twice")
            table[(unit, rater)] = value
        units = {u: i for i, u in enumerate(dict.fromkeys(u for u, _ in table))}
        raters = {r: i for i, r in enumerate(dict.fromkeys(r for _, r in table))}
        values = np.full((len(raters), len(units)), None, dtype=object)
        for (unit, rater), value in table.items():
            values[raters[rater], units[unit]] = None if _is_missing(value) else value
        return cls(values, tuple(raters), tuple(units))


Ratings = ReliabilityData | Sequence[Sequence[Any]] | np.ndarray  # matrix: raters × units


def _as_data(data: Ratings) -> ReliabilityData:
    return data if isinstance(data, ReliabilityData) else ReliabilityData.from_matrix(data)


def _categories(data: ReliabilityData, categories: Categories, ordered: bool) -> list[Any]:
    observed = {v for v in data.values.ravel() if v is not None}
    if categories is not None:
        if unknown := observed - set(categories):
            raise ValueError(f"ratings {sorted(map(str, unknown))} are not among the categories")
        return list(categories)
    try:
        return sorted(observed)
    except TypeError:
        if ordered:
            raise ValueError("ordered ratings need values that sort, or pass categories") from None
        return sorted(observed, key=str)


def _unit_counts(data: ReliabilityData, categories: list[Any]) -> np.ndarray:
    """Units × categories: how many raters put each unit in each category."""
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((data.values.shape[1], len(categories)))
    for (_, u), v in np.ndenumerate(data.values):
        if v is not None:
            counts[u, index[v]] += 1
    return counts


def _prepare(
    data: Ratings, level: Level, categories: Categories
) -> tuple[ReliabilityData, np.ndarray, np.ndarray]:
    """Data, unit × category counts, and each category's number (its rank unless metric)."""
    data = _as_data(data)
    cats = _categories(data, categories, ordered=level != "nominal")
    metric = level in ("interval", "ratio")
    numbers = np.asarray(cats, dtype=float) if metric else np.arange(len(cats), dtype=float)
    return data, _unit_counts(data, cats), numbers


def _delta(level: Level, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference between every pair of categories."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "ordinal":  # (sum of n_g for g from c to k - (n_c + n_k) / 2) squared
        cum = np.cumsum(n_c)
        return (cum[None, :] - cum[:, None] + (n_c[:, None] - n_c[None, :]) / 2) ** 2
    diff = values[:, None] - values[None, :]
    if level == "interval":
        return diff**2
    total = values[:, None] + values[None, :]
    return np.where(total == 0, 0.0, diff / np.where(total == 0, 1, total)) ** 2


def _coincidences(counts: np.ndarray, unit_weights: np.ndarray | None = None) -> np.ndarray:
    """Coincidence matrix: each pairable unit adds its ordered pairs of values / (m_u - 1)."""
    m = counts.sum(axis=1)
    w = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)
    weighted = counts * (w if unit_weights is None else w * unit_weights)[:, None]
    return weighted.T @ counts - np.diag(weighted.sum(axis=0))


def _alpha_from_counts(
    counts: np.ndarray, values: np.ndarray, level: Level, unit_weights: np.ndarray | None = None
) -> float:
    coincidences = _coincidences(counts, unit_weights)
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    delta = _delta(level, values, n_c)
    expected = (np.outer(n_c, n_c) * delta).sum() / (n - 1) if n > 1 else 0.0
    return float(1.0 - (coincidences * delta).sum() / expected) if expected > 0 else math.nan


def krippendorff_alpha(
    data: Ratings, level: Level = "nominal", *, categories: Categories = None
) -> float:
    """Krippendorff's alpha from the coincidence matrix, with missing ratings.

    Units with fewer than two ratings are not pairable and are left out. Ordinal alpha ranks the
    values (in ``categories`` order when given); interval and ratio alpha need numbers.

    Returns:
        Alpha, or NaN when undefined: fewer than two pairable values, or no variation at all
        (every rating the same value, so the chance-expected disagreement is 0).
    """
    _, counts, numbers = _prepare(data, level, categories)
    return _alpha_from_counts(counts, numbers, level)


def _agreement_weights(q: int, weights: Weights) -> np.ndarray:
    """Agreement weights on category ranks: 1 on the diagonal, less for distant categories."""
    if weights == "identity" or q < 2:
        return np.eye(q)
    distance = np.abs(np.arange(q)[:, None] - np.arange(q)[None, :]) / (q - 1)
    return 1.0 - (distance if weights == "linear" else distance**2)


def _gwet_from_counts(
    counts: np.ndarray, weight_matrix: np.ndarray, unit_weights: np.ndarray | None = None
) -> float:
    q, r = counts.shape[1], counts.sum(axis=1)
    uw = np.ones(len(r)) if unit_weights is None else unit_weights
    rated, pairable = (r >= 1) & (uw > 0), (r >= 2) & (uw > 0)
    if q < 2 or not pairable.any():
        return math.nan
    credited = counts[pairable] @ weight_matrix.T  # r*_ik = sum over l of w_kl r_il
    per_unit = (counts[pairable] * (credited - 1)).sum(axis=1)
    p_a = np.average(per_unit / (r[pairable] * (r[pairable] - 1)), weights=uw[pairable])
    pi = np.average(counts[rated] / r[rated, None], axis=0, weights=uw[rated])
    p_e = weight_matrix.sum() * (pi * (1 - pi)).sum() / (q * (q - 1))
    return float((p_a - p_e) / (1 - p_e)) if p_e < 1 else math.nan


def gwet_ac(
    data: Ratings, weights: Weights = "identity", *, categories: Categories = None
) -> float:
    """Gwet's AC1 (``weights="identity"``) or AC2 (``linear``/``quadratic``), any number of raters.

    Observed agreement averages over units rated at least twice, category prevalence over units
    rated at least once (Gwet 2014, as in irrCAC). The number of categories ``q`` is the length
    of ``categories`` (default: the values observed); weights use category ranks.

    Returns:
        The coefficient, or NaN with fewer than two categories or no unit rated twice.
    """
    _, counts, _ = _prepare(data, "nominal" if weights == "identity" else "ordinal", categories)
    return _gwet_from_counts(counts, _agreement_weights(counts.shape[1], weights))


def _pair_codes(
    a: Sequence[Any], b: Sequence[Any], categories: Categories, ordered: bool
) -> tuple[np.ndarray, int]:
    """Category codes of the (a, b) pairs where neither rating is missing, and q."""
    if len(a) != len(b):
        raise ValueError(f"the two raters have {len(a)} and {len(b)} ratings")
    pairs = [(x, y) for x, y in zip(a, b) if not (_is_missing(x) or _is_missing(y))]
    both = ReliabilityData.from_matrix([[v for pair in pairs for v in pair]])
    cats = _categories(both, categories, ordered)
    index = {c: i for i, c in enumerate(cats)}
    return np.array([[index[x], index[y]] for x, y in pairs], dtype=int).reshape(-1, 2), len(cats)


def _pair_kappa(codes: np.ndarray, q: int, weights: Weights) -> float:
    """Kappa from (a, b) category codes: (p_o - p_e) / (1 - p_e), both weighted."""
    p = np.zeros((q, q))
    np.add.at(p, (codes[:, 0], codes[:, 1]), 1.0 / max(len(codes), 1))
    w = _agreement_weights(q, weights)
    p_o, p_e = (w * p).sum(), (w * np.outer(p.sum(axis=1), p.sum(axis=0))).sum()
    return float((p_o - p_e) / (1 - p_e)) if len(codes) and p_e < 1 else math.nan


def cohen_kappa(
    a: Sequence[Any],
    b: Sequence[Any],
    weights: Weights = "identity",
    *,
    categories: Categories = None,
) -> float:
    """Cohen's kappa for two raters; ``linear``/``quadratic`` give weighted kappa (Cohen 1968).

    Units where either rating is missing are left out. Weights use category ranks, as in
    scikit-learn; pass ``categories`` to fix the scale when some points were never used.

    Returns:
        Kappa, or NaN when chance agreement is 1 (both raters used one single category).
    """
    return _pair_kappa(*_pair_codes(a, b, categories, weights != "identity"), weights)


def estimate_agreement(
    data: Ratings,
    coefficient: Coefficient = "krippendorff_alpha",
    *,
    level: Level = "nominal",
    weights: Weights = "identity",
    categories: Categories = None,
    resampling: Resampling | None = None,
) -> Estimate:
    """A coefficient with a percentile bootstrap interval over units.

    ``data`` needs exactly two raters for ``cohen_kappa``; ``level`` is for Krippendorff's alpha;
    ``weights`` (``identity``, ``linear``, ``quadratic``) for ``gwet_ac2`` and weighted kappa;
    ``categories`` as for the coefficient functions; ``resampling``: replicates, coverage, seed.
    """
    if coefficient == "cohen_kappa":
        values = _as_data(data).values
        if values.shape[0] != 2:
            raise ValueError(f"Cohen's kappa needs two raters, not {values.shape[0]}")
        codes, q = _pair_codes(values[0], values[1], categories, weights != "identity")

        def statistic(idx: np.ndarray) -> float:
            return _pair_kappa(codes[idx], q, weights)

        return _estimate(coefficient, statistic, len(codes), resampling)
    if coefficient == "krippendorff_alpha":
        _, counts, numbers = _prepare(data, level, categories)
        coefficient_of = partial(_alpha_from_counts, counts, numbers, level)
    else:
        if (coefficient == "gwet_ac1") != (weights == "identity"):
            raise ValueError("gwet_ac1 is unweighted; ask for gwet_ac2 with linear/quadratic")
        _, counts, _ = _prepare(data, "nominal" if weights == "identity" else "ordinal", categories)
        w = _agreement_weights(counts.shape[1], weights)
        coefficient_of = partial(_gwet_from_counts, counts, w)

    def reweighted(idx: np.ndarray) -> float:
        # A resample of units is the same units, each weighted by how often it was drawn.
        return coefficient_of(np.bincount(idx, minlength=len(counts)).astype(float))

    return _estimate(coefficient, reweighted, len(counts), resampling)


def _estimate(name: str, statistic: Callable, n: int, resampling: Resampling | None) -> Estimate:
    options = {"resampling": resampling, "unit_label": "units"}
    return estimate(name, statistic, n, definition=DEFINITIONS[name], **options)


class UnitDisagreement(BaseModel):
    """How much the ratings of one unit disagree."""

    model_config = ConfigDict(frozen=True)

    unit: Any
    """Unit id (e.g. conversation id)."""
    disagreement: float
    """Mean pairwise disagreement / chance-expected disagreement (0 = all ratings agree)."""
    n_ratings: int
    """Ratings the unit received."""
    ratings: dict[str, Any]
    """Rater id (as text) → rating."""


def disagreement_by_unit(
    data: Ratings, level: Level = "nominal", *, categories: Categories = None
) -> list[UnitDisagreement]:
    """Units ranked by how much their ratings disagree, most first: the mean of Krippendorff's
    difference over a unit's pairs of ratings divided by the chance-expected disagreement of all
    the data (comparable across levels). Units with fewer than two ratings are left out."""
    data, counts, numbers = _prepare(data, level, categories)
    m = counts.sum(axis=1)
    n_c = _coincidences(counts).sum(axis=1)
    n = n_c.sum()
    delta = _delta(level, numbers, n_c)
    expected = (np.outer(n_c, n_c) * delta).sum() / (n * (n - 1)) if n > 1 else 0.0
    pair_sums = np.einsum("uc,ck,uk->u", counts, delta, counts)
    ranked = [
        UnitDisagreement(
            unit=data.units[u],
            disagreement=float(pair_sums[u] / (m[u] * (m[u] - 1)) / expected) if expected else 0.0,
            n_ratings=int(m[u]),
            ratings={str(r): v for r, v in zip(data.raters, data.values[:, u]) if v is not None},
        )
        for u in np.flatnonzero(m >= 2)
    ]
    return sorted(ranked, key=lambda d: -d.disagreement)


def _zscored_unit_means(data: ReliabilityData) -> dict[Hashable, float]:
    """Per unit, the mean over raters of each rater's z-scored rating."""
    values = np.full(data.values.shape, np.nan)
    present = np.not_equal(data.values, None)
    values[present] = data.values[present].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.nanstd(values, axis=1, keepdims=True)
        # A rater who gave every unit the same score ranks nothing: left out (NaN).
        z = np.where(sd > 0, (values - np.nanmean(values, axis=1, keepdims=True)) / sd, np.nan)
    counts, sums = (~np.isnan(z)).sum(axis=0), np.nansum(z, axis=0)
    return {unit: sums[u] / counts[u] for u, unit in enumerate(data.units) if counts[u] > 0}


def judge_vs_human(
    judge_scores: ReliabilityData,
    human_scores: ReliabilityData,
    *,
    resampling: Resampling | None = None,
) -> tuple[Estimate, Estimate]:
    """Spearman and Kendall correlation between judge and human scores, one point per unit.

    Each rater's scores (each judge, each human) are z-scored over the units that rater scored,
    then averaged per unit on each side, so raters with different scale habits weigh alike (as in
    SimulatorArena). Intervals resample units.

    Args:
        judge_scores: Judge ratings (one or more judge raters).
        human_scores: Human ratings; units are matched to the judge's by id.
        resampling: Bootstrap replicates, coverage and seed.

    Returns:
        Spearman's rho and Kendall's tau-b, each with its interval; ``n`` is the number of units
        scored by the judge and by at least one human.
    """
    from scipy.stats import kendalltau, spearmanr

    judge, human = _zscored_unit_means(judge_scores), _zscored_unit_means(human_scores)
    common = [u for u in judge if u in human]
    x, y = np.array([judge[u] for u in common]), np.array([human[u] for u in common])

    def correlation(fn: Callable) -> Callable[[np.ndarray], float]:
        def statistic(idx: np.ndarray) -> float:
            varied = len(idx) > 1 and np.ptp(x[idx]) > 0 and np.ptp(y[idx]) > 0
            return float(fn(x[idx], y[idx])[0]) if varied else math.nan

        return statistic

    spearman = _estimate("judge_spearman", correlation(spearmanr), len(common), resampling)
    return spearman, _estimate("judge_kendall", correlation(kendalltau), len(common), resampling)
