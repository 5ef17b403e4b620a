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
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import (
    RealismResult,
    Resampling,
    Yardstick,
    half_indices,
    resample_interval,
)
from workbench.analysis.diversity import mask_content, tokenize

DEFINITIONS: dict[str, str] = {
    "c2st_auc": "Classifier two-sample test: cross-validated ROC-AUC of a TF-IDF 1–2-gram "
    "logistic regression telling simulated from real turns (0.5 = indistinguishable, 1 = always).",
    "c2st_style_auc": "Style-only two-sample test: the same AUC with content words masked to their "
    "length, keeping function words and punctuation (how patients talk, not what about).",
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


class NgramWeight(BaseModel):
    """An n-gram and how strongly it gives its side away."""

    model_config = ConfigDict(frozen=True)

    ngram: str
    """Space-separated tokens; ``<w5>`` is a masked five-letter content word."""
    weight: float
    """Logistic-regression coefficient toward its side (larger = more telling)."""


class C2STResult(RealismResult):
    """Classifier two-sample test, with the n-grams that give each side away."""

    style_only: bool
    """True when content words were masked."""
    fold_aucs: list[float]
    """ROC-AUC of each cross-validation fold."""
    simulated_ngrams: list[NgramWeight]
    """N-grams most typical of the simulated side."""
    reference_ngrams: list[NgramWeight]
    """N-grams most typical of the reference side."""


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC as the Mann–Whitney statistic (ties count one half)."""
    from scipy.stats import rankdata

    n_pos, n_neg = int(labels.sum()), int((labels == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _features(docs: list[str]) -> tuple[Any, Any]:
    """TF-IDF 1–2-gram matrix of space-joined token documents, and its vectorizer."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        tokenizer=str.split,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2 if len(docs) >= 100 else 1,
        sublinear_tf=True,
    )
    return vectorizer.fit_transform(docs), vectorizer


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    # Balanced: group folds are not exactly balanced; a shifted intercept shifts a fold's scores.
    return LogisticRegression(class_weight="balanced", solver="liblinear", dual=True, max_iter=1000)


def _folds(labels: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each item: each side's groups, whole, dealt largest first to its emptiest fold (a
    stratified group k-fold in one pass, where scikit-learn's dominates a refitting bootstrap)."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=int)
    for side in (0, 1):
        ids, inverse, sizes = np.unique(
            groups[labels == side], return_inverse=True, return_counts=True
        )
        order = rng.permutation(len(ids))
        load, assigned = [0] * folds, np.empty(len(ids), dtype=int)
        for g in order[np.argsort(-sizes[order], kind="stable")]:
            assigned[g] = min(range(folds), key=load.__getitem__)
            load[assigned[g]] += sizes[g]
        fold[labels == side] = assigned[inverse]
    return fold


def _cross_validated(
    x: Any, labels: np.ndarray, groups: np.ndarray, folds: int, seed: int
) -> tuple[float, list[float]]:
    """Mean and per-fold out-of-fold ROC-AUC; a group never spans train and test.

    Fold AUCs are averaged, not pooled: scores of models fitted on different folds are not on
    one scale, and pooling them biases the AUC (Forman & Scholz 2010)."""
    splits = min(folds, *(len(np.unique(groups[labels == side])) for side in (0, 1)))
    if splits < 2:
        return math.nan, []
    fold = _folds(labels, groups, splits, seed)
    fold_aucs = []
    for f in range(splits):
        train, test = fold != f, fold == f
        scores = _classifier().fit(x[train], labels[train]).decision_function(x[test])
        fold_aucs.append(_auc(labels[test], scores))
    return float(np.nanmean(fold_aucs)), fold_aucs


def _c2st(
    a: PatientTurns,
    b: PatientTurns,
    style_only: bool,
    folds: int,
    top_k: int,
    rs: Resampling,
    size: int | None = None,
) -> C2STResult:
    """AUC of telling ``a`` (label 1) from ``b``, both subsampled to the smaller size (or ``size``)."""
    rng = np.random.default_rng(rs.seed)
    size = min(len(a), len(b), size or len(a))
    chosen = [np.sort(rng.choice(len(side), size, replace=False)) for side in (a, b)]
    texts = [side.texts[i] for side, idx in zip((a, b), chosen) for i in idx]
    labels = np.r_[np.ones(size, dtype=int), np.zeros(size, dtype=int)]
    groups = np.array(  # a turn without a conversation id is its own group
        [
            f"{tag}:{i if side.conversations is None else side.conversations[i]}"
            for tag, side, idx in zip("ab", (a, b), chosen)
            for i in idx
        ]
    )
    if min(len(np.unique(groups[labels == side])) for side in (0, 1)) < 2:
        raise ValueError("a two-sample test needs at least 2 conversations (or turns) per side")
    # One vocabulary and IDF for all folds (unsupervised): every resample refits fast.
    x, vectorizer = _features(
        [" ".join(mask_content(t) if style_only else tokenize(t)) for t in texts]
    )
    value, fold_aucs = _cross_validated(x, labels, groups, folds, rs.seed)
    # Each resample refits the whole cross-validation: resampling only the out-of-fold scores
    # ignores training variability and misses 0.5 too often between halves of one real corpus.
    interval = resample_interval(
        lambda idx: _cross_validated(x[idx], labels[idx], groups[idx], folds, rs.seed)[0],
        len(labels),
        groups=groups,
        strata=labels,
        method="normal-bootstrap",
        resampling=rs,
        estimate=value,
        unit_label="turns" if a.conversations is b.conversations is None else "conversations",
        bounds=(0.0, 1.0),
    )
    telling: tuple[list[NgramWeight], list[NgramWeight]] = ([], [])
    if top_k:  # one fit on all the data, read off its coefficients
        names, coef = vectorizer.get_feature_names_out(), _classifier().fit(x, labels).coef_[0]
        order = np.argsort(coef)
        telling = (
            [NgramWeight(ngram=names[i], weight=coef[i]) for i in order[::-1][:top_k]],
            [NgramWeight(ngram=names[i], weight=-coef[i]) for i in order[:top_k]],
        )
    metric = "c2st_style_auc" if style_only else "c2st_auc"
    return C2STResult(
        metric=metric,
        definition=DEFINITIONS[metric],
        value=value,
        interval=interval,
        n_simulated=size,
        n_reference=size,
        yardsticks=[],
        style_only=style_only,
        fold_aucs=fold_aucs,
        simulated_ngrams=telling[0],
        reference_ngrams=telling[1],
    )


def split_halves(turns: PatientTurns, seed: int = 0) -> tuple[PatientTurns, PatientTurns]:
    """Two random halves of a corpus, by conversation when ids are known (else by turn)."""
    first, second = half_indices(len(turns), turns.conversations, seed)
    return turns.subset(first), turns.subset(second)


def halves_label(name: str, by_conversation: bool) -> str:
    """Label of the reference-halves yardstick."""
    return f"{name or 'reference'} halves (by {'conversation' if by_conversation else 'turn'})"


def classifier_two_sample_test(
    simulated: PatientTurns,
    reference: PatientTurns,
    *,
    second_reference: PatientTurns | None = None,
    style_only: bool = False,
    folds: int = 5,
    top_k: int = 20,
    resampling: Resampling | None = None,
) -> C2STResult:
    """Can a classifier tell simulated from real patient turns? (C2ST; Lopez-Paz & Oquab 2017).

    TF-IDF word and punctuation 1–2-grams, L2 logistic regression, ROC-AUC averaged over stratified
    k folds; the larger side is subsampled to the smaller (seeded). Folds never split a
    conversation (else the classifier learns each conversation's topic); the bootstrap resamples
    whole conversations and refits. Telling n-grams: one fit on all data. Yardsticks use the
    value's number of turns per side.

    Args:
        simulated: Simulated patient turns (the positive class).
        reference: Real patient turns.
        second_reference: Another real corpus, for a real-vs-real yardstick.
        style_only: Mask content words (see :func:`workbench.analysis.diversity.mask_content`).
        folds: Cross-validation folds (fewer when a side has fewer conversations).
        top_k: Telling n-grams reported per side.
        resampling: Bootstrap replicates (default 30: each refits the cross-validation; the
            interval is value ± z·sd), coverage, and the seed of everything.
    """
    rs = resampling or Resampling(n_resamples=30)
    result = _c2st(simulated, reference, style_only, folds, top_k, rs)
    by_conversation = reference.conversations is not None
    pairs = [(halves_label(reference.name, by_conversation), *split_halves(reference, rs.seed))]
    if second_reference is not None:
        label = f"{reference.name or 'reference'} vs {second_reference.name or 'second corpus'}"
        pairs.append((label, reference, second_reference))
    # Same size per side as the value: a classifier trained on more turns separates more.
    size = result.n_simulated
    real = [(label, _c2st(a, b, style_only, folds, 0, rs, size)) for label, a, b in pairs]
    yardsticks = [
        Yardstick(label=k, value=r.value, interval=r.interval, n_a=r.n_simulated, n_b=r.n_reference)
        for k, r in real
    ]
    return result.model_copy(update={"yardsticks": yardsticks})


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
