"""Classifier two-sample test (C2ST) of patient turns: the realism figure, as ``docs/METRICS.md``
specifies it ("Realism: classifier two-sample test").

Two figures, one procedure:

- **content** (``c2st_auc``, the default): both sides normalised alike (transcription marks
  removed, lower-case, every character that is not a letter, digit or underscore a space), then
  scikit-learn's ``TfidfVectorizer`` with its defaults (words of 2+ characters) on 1–2-grams.
  Punctuation and transcription conventions cannot separate the corpora.
- **style** (``c2st_style_auc``): punctuation, fillers and function words kept, every other word
  masked to ``<w>``; TF-IDF on 1–3-grams of those tokens. How patients talk, not what about.

Each side is sampled to the same number of turns (at most ``cap``, seed 0), folds are
``StratifiedGroupKFold`` by conversation, the classifier is a default ``LogisticRegression``, and
the figure is the mean of the folds' ROC-AUCs. The interval refits the whole procedure on
bootstrap resamples of conversations. Yardsticks: two halves of the reference split by
conversation, and the reference against a second real corpus, each at the figure's cap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import RealismResult, Resampling, Yardstick, resample_interval
from workbench.analysis.diversity import FUNCTION_WORDS
from workbench.analysis.realism import PatientTurns, halves_label, split_halves

Kind = Literal["content", "style"]
KINDS: tuple[Kind, ...] = ("content", "style")
DEFAULT_CAP = 2000
"""Patient turns sampled per side (at most)."""
DEFAULT_FOLDS = 5
DEFAULT_RESAMPLES = 20
"""Bootstrap refits of the interval (each reruns the whole cross-validation)."""
MASK = "<w>"
"""What a content word becomes in the style figure."""
TRANSCRIPTION_MARKS = re.compile(r"\{\{[^{}]*\}\}?|\[[^\[\]]*\]|<[^<>]*>")
"""Annotations a transcriber or anonymiser adds to a turn: ``{{NAME}}`` placeholders,
``[inaudible]``, ``<laughs>``. Removed from both sides before either figure."""
_STYLE_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
METRICS = {"content": "c2st_auc", "style": "c2st_style_auc"}
DEFINITIONS: dict[str, str] = {
    "c2st_auc": "Content two-sample test: mean 5-fold ROC-AUC (folds by conversation) of a "
    "TF-IDF 1–2-gram logistic regression telling the two sides' patient turns apart, "
    "punctuation and transcription marks removed, equal samples of at most 2,000 turns a side "
    "(0.5 = indistinguishable, 1 = always told apart).",
    "c2st_style_auc": "Style two-sample test: the same with content words masked to <w> and "
    "punctuation, fillers and function words kept, on 1–3-grams (how patients talk, not what "
    "about).",
}


def strip_marks(text: str) -> str:
    """``text`` without transcription marks (see :data:`TRANSCRIPTION_MARKS`)."""
    return TRANSCRIPTION_MARKS.sub(" ", text)


def content_text(text: str) -> str:
    """The content figure's normalised text: marks removed, lower-case, non-word characters
    (punctuation, dashes, apostrophes) turned into spaces, spaces collapsed."""
    return " ".join(re.sub(r"\W", " ", strip_marks(text).lower()).split())


def style_tokens(text: str) -> list[str]:
    """The style figure's tokens: marks removed, lower-case, curly apostrophes straight; words
    (with inner apostrophes) and single punctuation marks; a word not in
    :data:`~workbench.analysis.diversity.FUNCTION_WORDS` becomes :data:`MASK`."""
    tokens = _STYLE_TOKEN.findall(strip_marks(text).lower().replace("’", "'"))
    return [MASK if (t[0].isalnum() or t[0] == "_") and t not in FUNCTION_WORDS else t
            for t in tokens]


def documents(texts: Sequence[str], kind: Kind) -> list[str]:
    """The texts as the vectorizer of ``kind`` reads them."""
    if kind == "content":
        return [content_text(t) for t in texts]
    return [" ".join(style_tokens(t)) for t in texts]


def vectorizer(kind: Kind) -> Any:
    """A fresh TF-IDF vectorizer for ``kind`` (scikit-learn defaults otherwise)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if kind == "content":
        return TfidfVectorizer(ngram_range=(1, 2))
    return TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                           ngram_range=(1, 3))


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC as the Mann–Whitney statistic (ties count one half); NaN with one class only."""
    from scipy.stats import rankdata

    n_pos, n_neg = int(labels.sum()), int((labels == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def cross_validated_auc(
    docs: Sequence[str], labels: np.ndarray, groups: np.ndarray, kind: Kind, folds: int, seed: int
) -> tuple[float, list[float]]:
    """Mean and per-fold ROC-AUC over ``StratifiedGroupKFold(folds, shuffle=True, seed)``; the
    vectorizer and classifier are fitted on each training part only.

    Fold AUCs are averaged, not pooled: scores of models fitted on different folds are not on one
    scale (Forman & Scholz 2010). Returns NaN when fewer than two folds are possible.
    """
    from sklearn.model_selection import StratifiedGroupKFold
    from threadpoolctl import threadpool_limits

    splits = min(folds, *(len(np.unique(groups[labels == side])) for side in (0, 1)))
    if splits < 2:
        return math.nan, []
    fold_aucs = []
    splitter = StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=seed)
    # Small sparse fits: BLAS threads only contend with each other (3x slower on a busy machine).
    with threadpool_limits(limits=1, user_api="blas"):
        for train, test in splitter.split(np.zeros(len(labels)), labels, groups):
            vec = vectorizer(kind)
            x_train = vec.fit_transform([docs[i] for i in train])
            model = _classifier().fit(x_train, labels[train])
            scores = model.decision_function(vec.transform([docs[i] for i in test]))
            fold_aucs.append(auc(labels[test], scores))
    return float(np.nanmean(fold_aucs)), fold_aucs


def equal_samples(
    a: PatientTurns, b: PatientTurns, cap: int, seed: int
) -> tuple[PatientTurns, PatientTurns]:
    """``n = min(len(a), len(b), cap)`` turns of each side, drawn without replacement by one
    ``numpy.random.default_rng(seed)`` (first ``a``'s indices, then ``b``'s), in corpus order."""
    rng = np.random.default_rng(seed)
    n = min(len(a), len(b), cap)
    return tuple(side.subset(np.sort(rng.choice(len(side), n, replace=False)))  # type: ignore
                 for side in (a, b))


class NgramWeight(BaseModel):
    """An n-gram and how strongly it gives its side away."""

    model_config = ConfigDict(frozen=True)

    ngram: str
    """Space-separated tokens (``<w>`` is a masked content word)."""
    weight: float
    """Logistic-regression coefficient toward its side (larger = more telling)."""


class C2STResult(RealismResult):
    """Classifier two-sample test, with the n-grams that give each side away."""

    kind: Kind
    """``content`` (normalised words) or ``style`` (content words masked)."""
    cap: int
    """Most turns sampled per side."""
    folds: int
    """Cross-validation folds used."""
    fold_aucs: list[float]
    """ROC-AUC of each fold."""
    simulated_ngrams: list[NgramWeight]
    """N-grams most typical of the measured (first) side."""
    reference_ngrams: list[NgramWeight]
    """N-grams most typical of the reference side."""


def _telling(docs: list[str], labels: np.ndarray, kind: Kind, top_k: int):
    """The top ``top_k`` n-grams of each side, from one fit on all the sampled turns."""
    from threadpoolctl import threadpool_limits

    vec = vectorizer(kind)
    with threadpool_limits(limits=1, user_api="blas"):
        coef = _classifier().fit(vec.fit_transform(docs), labels).coef_[0]
    names, order = vec.get_feature_names_out(), np.argsort(coef)
    return ([NgramWeight(ngram=names[i], weight=coef[i]) for i in order[::-1][:top_k]],
            [NgramWeight(ngram=names[i], weight=-coef[i]) for i in order[:top_k]])


def two_sample_auc(
    a: PatientTurns,
    b: PatientTurns,
    *,
    kind: Kind = "content",
    cap: int = DEFAULT_CAP,
    folds: int = DEFAULT_FOLDS,
    top_k: int = 20,
    resampling: Resampling | None = None,
) -> C2STResult:
    """The C2ST of ``a`` (label 1) against ``b`` (label 0), without yardsticks.

    Raises:
        ValueError: a side has fewer than 2 conversations (or turns, without ids) in its sample.
    """
    rs = resampling or Resampling(n_resamples=DEFAULT_RESAMPLES)
    sa, sb = equal_samples(a, b, cap, rs.seed)
    n = len(sa)
    docs = documents([*sa.texts, *sb.texts], kind)
    labels = np.r_[np.ones(n, dtype=int), np.zeros(n, dtype=int)]
    groups = np.array([  # a turn without a conversation id is its own group
        f"{tag}:{i if side.conversations is None else side.conversations[i]}"
        for tag, side in (("a", sa), ("b", sb)) for i in range(n)])
    if min(len(np.unique(groups[labels == side])) for side in (0, 1)) < 2:
        raise ValueError("a two-sample test needs at least 2 conversations (or turns) per side")
    value, fold_aucs = cross_validated_auc(docs, labels, groups, kind, folds, rs.seed)
    # Each replicate refits the whole cross-validation on conversations drawn with replacement:
    # resampling only the out-of-fold scores would ignore the classifier's training variability.
    interval = resample_interval(
        lambda idx: cross_validated_auc([docs[i] for i in idx], labels[idx], groups[idx], kind,
                                        folds, rs.seed)[0],
        len(labels), groups=groups, strata=labels, method="normal-bootstrap", resampling=rs,
        estimate=value, bounds=(0.0, 1.0),
        unit_label="turns" if sa.conversations is sb.conversations is None else "conversations",
    )
    telling = _telling(docs, labels, kind, top_k) if top_k else ([], [])
    metric = METRICS[kind]
    return C2STResult(
        metric=metric, definition=DEFINITIONS[metric], value=value, interval=interval,
        n_simulated=n, n_reference=n, yardsticks=[], kind=kind, cap=cap,
        folds=len(fold_aucs), fold_aucs=fold_aucs,
        simulated_ngrams=telling[0], reference_ngrams=telling[1],
    )


def classifier_two_sample_test(
    simulated: PatientTurns,
    reference: PatientTurns,
    *,
    second_reference: PatientTurns | None = None,
    kind: Kind = "content",
    cap: int = DEFAULT_CAP,
    folds: int = DEFAULT_FOLDS,
    top_k: int = 20,
    resampling: Resampling | None = None,
) -> C2STResult:
    """Can a classifier tell the measured patient turns from real ones? (Lopez-Paz & Oquab 2017)

    The figure of :func:`two_sample_auc` beside its yardsticks: two halves of ``reference``
    split by conversation, and ``reference`` against ``second_reference``, each under the same
    cap (at most the figure's own n per side; a half may hold fewer turns, and its n is shown).

    Args:
        simulated: The measured side (a run or any corpus), label 1.
        reference: Real patient turns, label 0.
        second_reference: Another real corpus, for a real-against-real yardstick.
        kind: ``content`` or ``style``.
        cap: Most turns sampled per side.
        folds: Cross-validation folds (fewer when a side has fewer conversations).
        top_k: Telling n-grams reported per side.
        resampling: Bootstrap refits (default 20), coverage, and the seed of everything.
    """
    rs = resampling or Resampling(n_resamples=DEFAULT_RESAMPLES)
    result = two_sample_auc(simulated, reference, kind=kind, cap=cap, folds=folds, top_k=top_k,
                            resampling=rs)
    by_conversation = reference.conversations is not None
    pairs = [(halves_label(reference.name, by_conversation), *split_halves(reference, rs.seed))]
    if second_reference is not None:
        label = f"{reference.name or 'reference'} vs {second_reference.name or 'second corpus'}"
        pairs.append((label, reference, second_reference))
    yardsticks = []
    for label, a, b in pairs:
        r = two_sample_auc(a, b, kind=kind, cap=result.n_simulated, folds=folds, top_k=0,
                           resampling=rs)
        yardsticks.append(Yardstick(label=label, value=r.value, interval=r.interval,
                                    n_a=r.n_simulated, n_b=r.n_reference))
    return result.model_copy(update={"yardsticks": yardsticks})
