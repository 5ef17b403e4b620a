"""Intervals for sample metrics (bootstrap, half-sampling, Wilson) and the results carrying them.

Every metric of the analysis modules is a statistic of a sample (of units, turns, texts or
conversations), so it is shown with an interval. One helper serves them all:
:func:`resample_interval` calls a statistic on index arrays drawn from the sample and reads the
interval off the replicates. Two things matter for our data and are built in:

- ``groups``: items that are not independent (turns of one conversation) are resampled together,
  as whole groups (a cluster bootstrap). Resampling correlated turns one by one gives intervals that
  are too narrow.
- ``strata``: two-sample statistics (simulated vs reference) resample each side separately, so
  every replicate keeps both sides and their sizes.

``method="bootstrap"`` is the percentile bootstrap (Efron & Tibshirani 1993). ``"half-sample"``
draws half of the units *without* replacement (the delete-half jackknife of Shao & Wu 1989, whose
spread matches the full-sample estimator's) and centres the spread on the full-sample value. Use it
for set-based metrics (distinct-n, self-BLEU, Vendi): a with-replacement resample repeats texts
verbatim, which by itself lowers their diversity and biases the replicates.
``"normal-bootstrap"`` takes the standard deviation of with-replacement replicates around the
full-sample value (value ± z·sd): stable with few replicates, for costly statistics whose
replicates run biased (a classifier refitted on a resample sees fewer distinct conversations).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field

ResampleMethod = Literal["bootstrap", "normal-bootstrap", "half-sample"]
Labels = Sequence[Hashable] | np.ndarray
SMALL_N = 10
"""Below this many resampling units (conversations, texts, annotated units) an interval is shown
with a small-n caution: its coverage is then far from nominal."""


class Resampling(BaseModel):
    """How an interval is obtained: replicates, coverage and seed."""

    model_config = ConfigDict(frozen=True)

    n_resamples: int = Field(1000, ge=1)
    """Replicates drawn."""
    confidence: float = Field(0.95, gt=0, lt=1)
    """Nominal coverage of the interval."""
    seed: int = 0
    """Seed of every random draw of the metric (samples, splits, replicates): same seed, same
    figures."""


class Interval(BaseModel):
    """A confidence interval and how it was obtained."""

    model_config = ConfigDict(frozen=True)

    low: float
    """Lower bound."""
    high: float
    """Upper bound."""
    confidence: float = 0.95
    """Nominal coverage, e.g. 0.95."""
    method: str
    """How it was computed, e.g. "percentile bootstrap, 1000 resamples of conversations"."""
    n_resamples: int = 0
    """Replicates drawn (0 for closed-form intervals)."""
    n_undefined: int = 0
    """Replicates where the statistic was undefined (NaN) and which were left out."""
    n_units: int = 0
    """Independent units the interval rests on (the smallest side's, for two samples); 0 when
    not recorded."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def small_n(self) -> bool:
        """True when the interval rests on fewer than :data:`SMALL_N` units (read with care)."""
        return 0 < self.n_units < SMALL_N


class _Bounded(BaseModel):
    """A figure with an optional ``interval``: its bounds as ``low`` and ``high`` in ``--json``."""

    interval: Interval | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def low(self) -> float | None:
        """Lower bound of the interval (None without one)."""
        return None if self.interval is None else self.interval.low

    @computed_field  # type: ignore[prop-decorator]
    @property
    def high(self) -> float | None:
        """Upper bound of the interval (None without one)."""
        return None if self.interval is None else self.interval.high


class Estimate(_Bounded):
    """A metric's value on a sample, with its interval and its one-line definition."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Metric id, e.g. ``distinct_2`` or ``krippendorff_alpha``."""
    value: float
    """The value on the whole sample (NaN when undefined; the definition says when)."""
    interval: Interval | None
    """Interval around the value; None when the sample is too small to resample."""
    n: int
    """Size of the sample the value rests on (units, turns, texts or conversations)."""
    definition: str
    """One-line definition for the UI."""


class Yardstick(_Bounded):
    """The same metric between two real samples: what "as real as real" scores."""

    model_config = ConfigDict(frozen=True)

    label: str
    """What was compared, e.g. "primock57 halves (split by conversation)"."""
    value: float
    """The metric between the two real samples."""
    interval: Interval | None
    """Interval around the value."""
    n_a: int
    """Items on the first side."""
    n_b: int
    """Items on the second side."""


class RealismResult(_Bounded):
    """One realism metric of simulated against reference, beside its yardsticks."""

    model_config = ConfigDict(frozen=True)

    metric: str
    """Metric id (a key of a module's ``DEFINITIONS``)."""
    definition: str
    """One-line definition for the UI."""
    value: float
    """Simulated against reference."""
    interval: Interval | None
    """Interval around the value."""
    n_simulated: int
    """Simulated items used (turns, embeddings or conversations)."""
    n_reference: int
    """Reference items used."""
    yardsticks: list[Yardstick]
    """Real-against-real values: reference halves first, then any second corpus."""


def resample_interval(
    statistic: Callable[[np.ndarray], float],
    n: int,
    *,
    groups: Labels | None = None,
    strata: Labels | None = None,
    method: ResampleMethod = "bootstrap",
    resampling: Resampling | None = None,
    estimate: float | None = None,
    unit_label: str | None = None,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Interval | None:
    """Interval for ``statistic`` by resampling the ``n`` items it is computed on.

    Args:
        statistic: Called with an integer index array into the items (repeats allowed for the
            bootstrap); returns the metric on that selection, NaN when undefined.
        n: Number of items.
        groups: Optional group of each item (e.g. conversation id); whole groups are resampled.
        strata: Optional stratum of each item (e.g. side of a two-sample comparison); each stratum
            is resampled separately with its own size. A group must not span strata.
        method: ``"bootstrap"`` (percentile, with replacement), ``"normal-bootstrap"`` (value
            ± z·sd of with-replacement replicates) or ``"half-sample"`` (half of each stratum's
            units without replacement; percentile spread centred on ``estimate``).
        resampling: Replicates, coverage and seed (defaults: 1000, 0.95, 0).
        estimate: Full-sample value (computed when omitted; used to centre half-samples).
        unit_label: What a resampling unit is, for the method text (default "items", or
            "groups" when ``groups`` is given).
        bounds: The metric's range; a centred interval reaching past it is clipped.

    Returns:
        The interval, or None when a stratum has fewer than two units or too few replicates were
        defined (none; fewer than two for the normal method).
    """
    resampling = resampling or Resampling()
    unit_members = _members(n, groups)
    unit_strata = _unit_strata(n, strata, unit_members)
    by_stratum = [np.flatnonzero(unit_strata == s) for s in np.unique(unit_strata)]
    if n == 0 or any(len(units) < 2 for units in by_stratum):
        return None
    rng = np.random.default_rng(resampling.seed)
    replicates = np.empty(resampling.n_resamples)
    for r in range(resampling.n_resamples):
        chosen = [
            rng.choice(units, size=len(units) // 2, replace=False)
            if method == "half-sample"
            else rng.choice(units, size=len(units), replace=True)
            for units in by_stratum
        ]
        replicates[r] = statistic(_items_of(np.concatenate(chosen), unit_members))
    defined = replicates[~np.isnan(replicates)]
    if defined.size < (2 if method == "normal-bootstrap" else 1):
        return None
    tail = (1.0 - resampling.confidence) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    described = f"percentile bootstrap, {len(replicates)} resamples"
    if method != "bootstrap":
        centre = statistic(np.arange(n)) if estimate is None else estimate
        if method == "half-sample":
            low, high = low + centre - defined.mean(), high + centre - defined.mean()
            described = f"half-sample spread around the value, {len(replicates)} halves"
        else:
            half_width = _z(resampling.confidence) * float(np.std(defined, ddof=1))
            low, high = centre - half_width, centre + half_width
            described = f"value ± z·sd of {len(replicates)} bootstrap resamples"
        low, high = max(low, bounds[0]), min(high, bounds[1])
    what = unit_label or ("groups" if groups is not None else "items")
    sides = " within each side" if strata is not None else ""
    return Interval(
        low=float(low),
        high=float(high),
        confidence=resampling.confidence,
        method=f"{described} of {what}{sides}",
        n_resamples=len(replicates),
        n_undefined=int(len(replicates) - defined.size),
        n_units=min(len(units) for units in by_stratum),
    )


def estimate(
    name: str,
    statistic: Callable[[np.ndarray], float],
    n: int,
    *,
    definition: str,
    resampling: Resampling | None = None,
    **options: object,
) -> Estimate:
    """The statistic on all ``n`` items, with its interval from :func:`resample_interval`.

    ``options`` are passed on to :func:`resample_interval` (``groups``, ``strata``, ``method``,
    ``unit_label``, ``bounds``).
    """
    value = float(statistic(np.arange(n)))
    interval = resample_interval(
        statistic,
        n,
        resampling=resampling,
        estimate=value,
        **options,  # type: ignore[arg-type]
    )
    return Estimate(name=name, value=value, interval=interval, n=n, definition=definition)


def half_indices(n: int, groups: Labels | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of two random halves of ``n`` items, whole groups kept together when given."""
    rng = np.random.default_rng(seed)
    if groups is None:
        order = rng.permutation(n)
        return np.sort(order[::2]), np.sort(order[1::2])
    ids = sorted(set(groups))
    first = {ids[i] for i in rng.permutation(len(ids))[: len(ids) // 2]}
    in_first = np.array([g in first for g in groups], dtype=bool)
    return np.flatnonzero(in_first), np.flatnonzero(~in_first)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    """Wilson score interval for a proportion (sensible at 0 and n, unlike percentiles).

    Args:
        successes: Items with the property.
        n: Items in all.
        confidence: Nominal coverage.

    Returns:
        The interval, or None when ``n`` is 0.
    """
    if n == 0:
        return None
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(
        low=0.0 if successes == 0 else max(0.0, centre - half),
        high=1.0 if successes == n else min(1.0, centre + half),
        confidence=confidence,
        method="Wilson score interval",
        n_units=n,
    )


def format_interval(
    value: float, interval: Interval | None, *, n: int | None = None, bound_digits: int = 3
) -> str:
    """``0.523 [0.501, 0.547]`` (``n/a`` when undefined), with a small-n caution
    (``⚠ n=4<10``) when the interval rests on fewer than :data:`SMALL_N` units (its own count,
    else ``n``)."""
    if value is None or math.isnan(value):
        return "n/a"
    text = f"{value:.3f}"
    if interval is None:
        return text
    text += f" [{interval.low:.{bound_digits}f}, {interval.high:.{bound_digits}f}]"
    units = interval.n_units or n or 0
    if 0 < units < SMALL_N:
        text += f" ⚠ n={units}<{SMALL_N}"
    return text


def _z(confidence: float) -> float:
    """Two-sided standard-normal quantile for the coverage."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def _members(n: int, groups: Labels | None) -> list[np.ndarray] | None:
    """Item indices of each group (None: every item is its own unit)."""
    if groups is None:
        return None
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} entries for {n} items")
    _, codes = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)


def _unit_strata(n: int, strata: Labels | None, members: list[np.ndarray] | None) -> np.ndarray:
    """Stratum code of each resampling unit."""
    n_units = n if members is None else len(members)
    if strata is None:
        return np.zeros(n_units, dtype=int)
    if len(strata) != n:
        raise ValueError(f"strata has {len(strata)} entries for {n} items")
    _, codes = np.unique(np.asarray(strata, dtype=object).astype(str), return_inverse=True)
    if members is None:
        return codes
    if any(np.any(codes[m] != codes[m[0]]) for m in members):
        raise ValueError("a group spans two strata: give each side its own group ids")
    return np.array([codes[m[0]] for m in members], dtype=int)


def _items_of(units: np.ndarray, members: list[np.ndarray] | None) -> np.ndarray:
    """Item indices of the chosen units (repeats kept)."""
    if members is None or units.size == 0:
        return units
    return np.concatenate([members[u] for u in units])
