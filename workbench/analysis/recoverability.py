"""Recoverability: can the intended axis level be read back from what the patient said?

For each axis, a logistic regression predicts the level of every unit from its features, by
stratified k-fold cross-validation (each unit is predicted by a model that never saw it). Two
feature sets are compared: the unit's embedding vector, and TF-IDF of its words and word pairs
(fitted inside each fold, so no vocabulary leaks from the held-out units).

Accuracy is set against chance, the majority-level rate (what always guessing the commonest level
scores), with a Wilson 95 % interval. When units cluster for reasons other than the axis (several
conversations of one persona, one profile across levels), even labels shuffled at random are
predicted somewhat above the majority rate: the classifier learns each cluster's chance excess of
one label. The permutation test (Ojala & Garriga 2010) accounts for that: the same
cross-validation is repeated on shuffled labels, and the p-value is the share of shuffles that
score at least the real accuracy. With ``permutations > 0`` "above chance" means p <= 0.05;
without, it means the interval's lower bound is above the majority rate. Levels that collapse into each other are flagged: for a
pair of levels a, b, the pair confusion is the share of the units of a or b predicted as a or b
that were predicted as the other one, ``(C[a,b] + C[b,a]) / (C[a,a] + C[a,b] + C[b,a] + C[b,b])``
(0 = told apart, 0.5 = a coin flip between the two); above the threshold (0.4) the pair collapses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Interval, wilson_interval
from workbench.analysis.duplicates import duplicate_groups

if TYPE_CHECKING:
    from workbench.analysis.steps import StepProgress

Features = Literal["embeddings", "tfidf"]
COLLAPSE_THRESHOLD = 0.4
"""Pair confusion above which two levels are flagged as collapsed."""
FEATURE_NAMES = {"embeddings": "embeddings", "tfidf": "TF-IDF"}
"""How each feature set is written in words."""
DEFAULT_FOLDS = 5
DEFAULT_PERMUTATIONS = 19
"""Label shuffles of the permutation test by default: the fewest that can reach p <= 0.05."""
DEFINITIONS = {
    "recoverability": "Cross-validated accuracy of a logistic regression predicting an axis's "
    "intended level from the transcript, folds grouped by persona (by profile when a profile "
    "carries several levels; duplicates kept together), against chance (the majority-level "
    "rate), with n, a Wilson 95% interval and a permutation p-value (the same cross-validation "
    "on levels shuffled between groups).",
    "pair_confusion": "Of the units of levels a or b predicted as a or b, the share predicted as "
    "the other one; above 0.4 the two levels collapse into each other.",
}


class CollapsedPair(BaseModel):
    """Two levels of an axis that the classifier confuses with each other."""

    model_config = ConfigDict(frozen=True)

    a: str
    """One level."""
    b: str
    """The other level."""
    confusion: float
    """Pair confusion (see the module docs): 0.5 is a coin flip between the two."""


class AxisRecoverability(BaseModel):
    """How well one axis's intended level is recovered from one feature set."""

    model_config = ConfigDict(frozen=True)

    axis: str
    """Axis id."""
    features: Features
    """``embeddings`` or ``tfidf``."""
    n: int
    """Units with a level on this axis (those of levels with too few units are left out)."""
    levels: list[str]
    """Levels, in the order of the confusion matrix's rows and columns."""
    accuracy: float | None
    """Cross-validated accuracy (None when the axis could not be tested; see ``note``)."""
    interval: Interval | None
    """Wilson interval of the accuracy."""
    chance: float | None
    """Majority-level rate: the accuracy of always guessing the commonest level."""
    above_chance: bool | None
    """Permutation p <= 0.05 when permutations were run, else the interval's lower bound above
    ``chance``."""
    null_accuracy: float | None = None
    """Mean accuracy over label permutations (None without permutations)."""
    p_value: float | None = None
    """Permutation p-value, ``(1 + shuffles scoring >= accuracy) / (1 + shuffles)``."""
    permutations: int = 0
    """Label permutations run."""
    confusion: list[list[int]]
    """Counts: row = intended level, column = predicted level."""
    collapsed: list[CollapsedPair]
    """Level pairs whose pair confusion is above the threshold."""
    folds: int
    """Cross-validation folds used."""
    note: str = ""
    """Why an axis was not tested, or which levels were left out."""
    grouped_by: str = "unit"
    """What the folds keep together: ``profile`` (when one profile carries several levels of
    the axis), ``persona``, or ``unit`` (no persona known); duplicates always stay together."""
    n_groups: int = 0
    """Groups the folds are made of (the independent units of the interval)."""
    exact_duplicates: int = 0
    """Units whose text is byte-identical to another unit's."""
    near_duplicates: int = 0
    """Further units nearly identical to another (see :mod:`~workbench.analysis.duplicates`)."""


def pair_confusion(confusion: np.ndarray, i: int, j: int) -> float | None:
    """Share of the units of levels i, j predicted as i or j that were predicted as the other."""
    inside = confusion[i, i] + confusion[i, j] + confusion[j, i] + confusion[j, j]
    if inside == 0:
        return None
    return float((confusion[i, j] + confusion[j, i]) / inside)


def collapsed_pairs(
    confusion: np.ndarray, levels: Sequence[str], threshold: float = COLLAPSE_THRESHOLD
) -> list[CollapsedPair]:
    """Level pairs whose pair confusion exceeds ``threshold``, most confused first."""
    pairs = []
    for i in range(len(levels)):
        for j in range(i + 1, len(levels)):
            rate = pair_confusion(confusion, i, j)
            if rate is not None and rate > threshold:
                pairs.append(CollapsedPair(a=levels[i], b=levels[j], confusion=rate))
    return sorted(pairs, key=lambda p: -p.confusion)


def _classifier(features: Features, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = LogisticRegression(max_iter=2000, random_state=seed)
    if features == "embeddings":
        return model
    from sklearn.feature_extraction.text import TfidfVectorizer

    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True), model)


def _predict(features: Features, seed: int, data, y: np.ndarray, splitter,
             groups: np.ndarray) -> np.ndarray:
    """Out-of-fold predictions of a fresh classifier; a group never spans train and test."""
    from sklearn.model_selection import cross_val_predict
    from threadpoolctl import threadpool_limits

    # The fits are small (hundreds of units): BLAS threads only contend with each other, and on
    # a busy machine make cross-validation several times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        return cross_val_predict(_classifier(features, seed), data, y, cv=splitter, groups=groups)


def fold_groups(
    y: np.ndarray, personas: Sequence[str | None] | None, profiles: Sequence[str | None] | None,
    duplicates: np.ndarray,
) -> tuple[np.ndarray, str]:
    """Group of each unit for the folds, and what it is: the profile when some profile carries
    several levels (else a classifier could recognise the profile), else the persona, else the
    unit; units that duplicate each other join one group."""
    n = len(y)
    by, keys = "unit", [str(i) for i in range(n)]
    if profiles is not None and any(
            len({lev for lev, p in zip(y, profiles) if p == prof}) > 1
            for prof in set(profiles) if prof is not None):
        by, keys = "profile", [f"profile:{p}" if p is not None else f"unit:{i}"
                               for i, p in enumerate(profiles)]
    elif personas is not None and any(p is not None for p in personas):
        by, keys = "persona", [f"persona:{p}" if p is not None else f"unit:{i}"
                               for i, p in enumerate(personas)]
    # Merge groups linked by a duplicate (union-find over keys).
    parent: dict[str, str] = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    first_of: dict[int, str] = {}
    for key, cluster in zip(keys, duplicates):
        if cluster >= 0:
            if cluster in first_of:
                parent[root(key)] = root(first_of[cluster])
            else:
                first_of[cluster] = key
    _, codes = np.unique([root(k) for k in keys], return_inverse=True)
    return codes, by


def recover_levels(
    x: np.ndarray | Sequence[str],
    levels: Sequence[str | None],
    *,
    axis: str = "axis",
    features: Features = "embeddings",
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    threshold: float = COLLAPSE_THRESHOLD,
    permutations: int = 0,
    personas: Sequence[str | None] | None = None,
    profiles: Sequence[str | None] | None = None,
    texts: Sequence[str] | None = None,
    on_fit: Callable[[int, int], None] | None = None,
) -> AxisRecoverability:
    """Cross-validated recoverability of one axis, folds grouped by persona (or profile).

    Args:
        x: an ``(n, dim)`` array of embeddings, or ``n`` texts when ``features="tfidf"``.
        levels: intended level per unit (None: no level on this axis; left out).
        axis: axis id, for the result.
        features: which feature set ``x`` is.
        folds: at most this many folds (fewer when the rarest kept level has fewer units).
        seed: seed of the fold split and the classifier.
        threshold: pair confusion above which two levels are flagged.
        permutations: label shuffles for the permutation test (0: none; 19 is the fewest that
            can reach p <= 0.05, 99 gives a finer p).
        personas: persona of each unit (folds keep a persona's units together).
        profiles: profile of each unit (folds keep a profile together when it carries several
            levels of the axis).
        texts: text of each unit, to find duplicates (default ``x`` when it is texts).
        on_fit: called as ``on_fit(done, total)`` after each cross-validation (the real levels'
            first, then each shuffle's; ``total`` is ``1 + permutations``).
    """
    from sklearn.model_selection import StratifiedGroupKFold

    given = {i: lev for i, lev in enumerate(levels) if lev is not None}
    counts = Counter(given.values())
    dropped = sorted(lev for lev, c in counts.items() if c < 2)
    keep = [i for i, lev in given.items() if counts[lev] >= 2]
    y = np.array([given[i] for i in keep], dtype=object)
    names = sorted(set(y))
    note = f"left out levels with fewer than 2 units: {', '.join(dropped)}. " if dropped else ""

    def untested(reason: str) -> AxisRecoverability:
        return AxisRecoverability(
            axis=axis, features=features, n=len(y), levels=names, accuracy=None, interval=None,
            chance=None, above_chance=None, confusion=[], collapsed=[], folds=0,
            note=note + reason)

    if len(names) < 2:
        return untested("Fewer than 2 levels with at least 2 units: nothing to tell apart.")
    source = texts if texts is not None else (None if isinstance(x, np.ndarray) else x)
    dup = duplicate_groups([source[i] for i in keep]) if source is not None else None
    clusters = dup.clusters if dup is not None else np.full(len(keep), -1)
    groups, grouped_by = fold_groups(
        y, None if personas is None else [personas[i] for i in keep],
        None if profiles is None else [profiles[i] for i in keep], clusters)
    counts = {"exact_duplicates": dup.exact if dup else 0, "near_duplicates": dup.near if dup else 0,
              "grouped_by": grouped_by, "n_groups": len(np.unique(groups))}
    per_level = min(len(np.unique(groups[y == lev])) for lev in names)
    n_folds = min(folds, per_level)
    if n_folds < 2:
        return untested(f"A level has its units in fewer than 2 {grouped_by} groups: level "
                        f"and {grouped_by} are confounded, so folds grouped by {grouped_by} "
                        "cannot test it.").model_copy(update=counts)
    data: np.ndarray | list[str]
    if isinstance(x, np.ndarray):
        data = np.asarray(x)[keep]
    else:
        data = [x[i] for i in keep]
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    fits = 1 + permutations
    predicted = _predict(features, seed, data, y, splitter, groups)
    if on_fit is not None:
        on_fit(1, fits)
    index = {lev: k for k, lev in enumerate(names)}
    confusion = np.zeros((len(names), len(names)), dtype=int)
    for truth, guess in zip(y, predicted, strict=True):
        confusion[index[truth], index[guess]] += 1
    correct = int(np.trace(confusion))
    chance = max(Counter(y).values()) / len(y)
    accuracy = correct / len(y)
    interval = wilson_interval(correct, len(y))
    if interval is not None:  # units of one group are not independent: n is the groups
        interval = interval.model_copy(update={"n_units": counts["n_groups"]})
    above = None if interval is None else interval.low > chance
    null_accuracy = p_value = None
    if permutations > 0:
        rng = np.random.default_rng(seed)
        scores = []
        for done in range(2, fits + 1):
            shuffled = _shuffle(y, groups, rng)
            scores.append(np.mean(_predict(features, seed, data, shuffled, splitter, groups)
                                  == shuffled))
            if on_fit is not None:
                on_fit(done, fits)
        null = np.array(scores)
        null_accuracy = float(null.mean())
        p_value = float((1 + np.sum(null >= accuracy - 1e-12)) / (1 + permutations))
        above = p_value <= 0.05
    return AxisRecoverability(
        axis=axis,
        features=features,
        n=len(y),
        levels=names,
        accuracy=accuracy,
        interval=interval,
        chance=chance,
        above_chance=above,
        null_accuracy=null_accuracy,
        p_value=p_value,
        permutations=permutations,
        confusion=confusion.tolist(),
        collapsed=collapsed_pairs(confusion, names, threshold),
        folds=n_folds,
        note=note.strip(),
        **counts,
    )


def _shuffle(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Levels shuffled between whole groups when each group has one level (the null keeps the
    grouping), else between units."""
    ids = np.unique(groups)
    level_of = {g: set(y[groups == g]) for g in ids}
    if all(len(levels) == 1 for levels in level_of.values()):
        shuffled = dict(zip(ids, rng.permutation([next(iter(level_of[g])) for g in ids])))
        return np.array([shuffled[g] for g in groups], dtype=object)
    return rng.permutation(y)


def recoverability(
    levels_by_axis: Mapping[str, Sequence[str | None]],
    *,
    embeddings: np.ndarray | None = None,
    texts: Sequence[str] | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    threshold: float = COLLAPSE_THRESHOLD,
    permutations: int = 0,
    personas: Sequence[str | None] | None = None,
    profiles: Sequence[str | None] | None = None,
    on_progress: StepProgress | None = None,
) -> list[AxisRecoverability]:
    """Recoverability of every axis, from embeddings and/or TF-IDF of texts (whichever given),
    folds grouped by persona or profile (see :func:`recover_levels`).

    Results come axis by axis, embeddings before TF-IDF. ``on_progress`` is told one step per
    axis and feature set (:func:`steps`), each moving by its cross-validations.
    """
    from workbench.analysis.steps import counted

    if embeddings is None and texts is None:
        raise ValueError("give embeddings, texts or both")
    results: list[AxisRecoverability] = []
    total = steps(levels_by_axis, (embeddings is not None) + (texts is not None))
    for axis, levels in sorted(levels_by_axis.items()):
        for features, x in (("embeddings", embeddings), ("tfidf", texts)):
            if x is None:
                continue
            if len(x) != len(levels):
                raise ValueError(f"axis {axis!r}: {len(levels)} levels but {len(x)} {features}")
            what = f"recovering {axis} from {FEATURE_NAMES[features]}"
            if on_progress is not None:
                on_progress(len(results), total, f"{what}: {1 + permutations} cross-validations")
            on_fit = counted(on_progress, len(results), total, what, "cross-validations")
            results.append(recover_levels(
                x, levels, axis=axis, features=features,  # type: ignore[arg-type]
                folds=folds, seed=seed, threshold=threshold, permutations=permutations,
                personas=personas, profiles=profiles, texts=texts, on_fit=on_fit))
    return results


def steps(levels_by_axis: Mapping[str, Sequence[str | None]], feature_sets: int) -> int:
    """Steps :func:`recoverability` tells: one per axis and feature set."""
    return len(levels_by_axis) * feature_sets


def describe(result: AxisRecoverability) -> str:
    """One line: accuracy, interval, chance, n, folds' grouping, permutation p, duplicates and the
    verdict (or why untested)."""
    head = f"{result.axis} ({result.features}, n={result.n} in {result.n_groups} " \
        f"{result.grouped_by} groups)"
    dups = ""
    if result.exact_duplicates or result.near_duplicates:
        dups = (f"; DUPLICATES: {result.exact_duplicates} exact, {result.near_duplicates} near "
                "(kept in one fold)")
    if result.accuracy is None or result.interval is None or result.chance is None:
        return f"{head}: not tested: {result.note}{dups}"
    permuted = (
        ", no permutation test"
        if result.p_value is None
        else f", shuffled levels {result.null_accuracy:.2f}, p={result.p_value:.3f}"
    )
    small = f" ⚠ {result.n_groups} groups<10" if result.interval.small_n else ""
    verdict = "above chance" if result.above_chance else "NOT above chance"
    return (
        f"{head}: accuracy {result.accuracy:.2f} [{result.interval.low:.2f}, "
        f"{result.interval.high:.2f}]{small} vs chance {result.chance:.2f}{permuted}: "
        f"{verdict}{dups}"
    )
