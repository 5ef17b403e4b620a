"""Diversity of a set of patient texts: distinct-n, self-BLEU, Vendi score, MTLD.

Also the project's one tokenizer (:func:`tokenize`: lower-cased words and punctuation) and the
function words the style two-sample test keeps (:data:`FUNCTION_WORDS`).

Set-based metrics depend on how many texts there are (distinct-n falls and self-BLEU rises as a
corpus grows), so compare corpora at one size (``reports.diversity_report`` samples every group
to the same number of turns); self-BLEU is always computed on a fixed-size seeded sample. Intervals use half-samples (see
:mod:`workbench.analysis.bootstrap`): a with-replacement bootstrap would repeat texts verbatim and
make every replicate look less diverse than the sample.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Estimate, Resampling, estimate

_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
BLEU_EPSILON = 0.1
"""Matches credited to an n-gram order with none (Chen & Cherry 2014, smoothing method 1)."""
MTLD_THRESHOLD = 0.72
"""Type-token ratio at which an MTLD factor is complete (McCarthy & Jarvis 2010)."""

DEFINITIONS: dict[str, str] = {
    "distinct_1": "Distinct-1: unique words / all words over the corpus (higher = more varied).",
    "distinct_2": "Distinct-2: unique word pairs / all word pairs over the corpus (higher = more "
    "varied).",
    "self_bleu_3": "Self-BLEU-3: mean BLEU (up to 3-grams) of each sampled text against all the "
    "others (lower = more varied; 1 = every text repeated).",
    "vendi": "Vendi score: the effective number of distinct texts, exp of the entropy of the "
    "eigenvalues of the cosine-similarity matrix / n (1 = all alike, n = all unrelated).",
    "mtld": "MTLD: mean length of word runs that keep a type-token ratio above 0.72, read forward "
    "and backward (higher = richer vocabulary).",
}


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with inner apostrophes, e.g. ``don't``) and punctuation marks."""
    return _TOKEN.findall(text.lower())


def is_word(token: str) -> bool:
    """True for a word token, False for a punctuation mark (tokens from :func:`tokenize`)."""
    return token[0].isalnum() or token[0] == "_"


def words(text: str) -> list[str]:
    """The word tokens of ``text`` (punctuation dropped)."""
    return [t for t in tokenize(text) if is_word(t)]


_FUNCTION_WORDS = """
    a an the this that these those some any no every each all both either neither much many more
    most few little less several such other another what which who whom whose where when why how
    i me my mine myself we us our ours ourselves you your yours yourself he him his himself she her
    hers herself it its itself they them their theirs themselves one
    am is are was were be been being do does did doing done have has had having will would shall
    should can could may might must ought
    i'm i've i'd i'll you're you've it's that's there's don't doesn't didn't isn't wasn't aren't
    weren't haven't hasn't hadn't can't couldn't won't wouldn't shouldn't let's
    and or but nor so yet if then than because as while although though unless until since
    whether
    of in on at by for with about against between into through during before after above below to
    from up down out off over under again further around near across along without within upon
    not very too just only also even still already quite rather really maybe perhaps here there
    now ever never always sometimes often again yes yeah no okay ok well oh um uh erm hmm like
    sort kind actually basically
"""
FUNCTION_WORDS: frozenset[str] = frozenset(_FUNCTION_WORDS.split())
"""English function words kept by the style two-sample test (pronouns, determiners, auxiliaries,
prepositions, conjunctions, common adverbs and the fillers of spoken answers); listed in
docs/METRICS.md too."""


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams / total n-grams over the corpus; n-grams never cross text boundaries.

    Returns:
        The ratio, or NaN when the texts hold no n-gram at all.
    """
    grams = [g for text in texts for g in _ngrams(tokenize(text), n)]
    return len(set(grams)) / len(grams) if grams else math.nan


def _ngram_counts(tokens: Sequence[str], max_order: int) -> list[Counter]:
    """Counts of the text's n-grams, one Counter per order 1..max_order."""
    return [Counter(_ngrams(tokens, k)) for k in range(1, max_order + 1)]


def _self_bleu_counts(counts: Sequence[list[Counter]], lengths: Sequence[int]) -> float:
    """Mean BLEU of each text against all the others, from per-text n-gram counts by order."""
    kept = [(counted, n) for counted, n in zip(counts, lengths) if n]
    if len(kept) < 2:
        return math.nan
    # Per order and n-gram: the two largest counts across texts and the text holding the largest,
    # so "max over every other text" costs one lookup per n-gram instead of a pass over texts.
    top: list[dict[tuple[str, ...], list[int]]] = [{} for _ in kept[0][0]]
    for t, (counted, _) in enumerate(kept):
        for k, counter in enumerate(counted):
            for gram, c in counter.items():
                best = top[k].setdefault(gram, [0, -1, 0])
                if c > best[0]:
                    best[:] = [c, t, best[0]]
                elif c > best[2]:
                    best[2] = c
    all_lengths = np.array([n for _, n in kept])
    scores = []
    for t, (counted, c) in enumerate(kept):
        log_precisions = []
        for k in range(min(len(counted), c)):  # orders longer than the text are left out
            matches = sum(
                min(n, best[2] if best[1] == t else best[0])
                for gram, n in counted[k].items()
                for best in [top[k][gram]]
            )
            log_precisions.append(math.log((matches or BLEU_EPSILON) / (c - k)))
        others = np.delete(all_lengths, t)
        # Closest reference length, the shorter on a tie (Papineni et al. 2002).
        r = int(others[np.lexsort((others, np.abs(others - c)))[0]])
        brevity = 1.0 if c > r else math.exp(1 - r / c)
        scores.append(brevity * math.exp(sum(log_precisions) / len(log_precisions)))
    return float(np.mean(scores))


def self_bleu(
    texts: Sequence[str], *, max_order: int = 3, sample_size: int = 500, seed: int = 0
) -> float:
    """Mean BLEU of each text against all the other texts as references.

    BLEU is uniform-weight up to ``max_order`` with clipped counts and the brevity penalty of the
    closest reference length. An order with no matching n-gram counts ``BLEU_EPSILON`` matches
    (Chen & Cherry 2014, method 1, as in NLTK's ``method1``); orders longer than a text are left
    out of its geometric mean (sacreBLEU's "effective order"). Empty texts are skipped.

    Args:
        texts: The corpus.
        max_order: Longest n-gram (3 for self-BLEU-3).
        sample_size: Texts drawn (seeded, without replacement) when the corpus is larger; the
            score grows with the number of references, so keep this fixed when comparing.
        seed: Seed of the sample.

    Returns:
        Self-BLEU in [0, 1], or NaN with fewer than two non-empty texts.
    """
    order = np.random.default_rng(seed).permutation(len(texts))
    sample = [tokenize(texts[i]) for i in order[:sample_size]]
    return _self_bleu_counts(
        [_ngram_counts(t, max_order) for t in sample], [len(t) for t in sample]
    )


def vendi_score(embeddings: np.ndarray) -> float:
    """Vendi score (Friedman & Dieng 2023) with the cosine-similarity kernel.

    ``exp(-sum(l * log l))`` over the eigenvalues ``l`` of ``K / n``, ``K`` the cosine
    similarities. The non-zero eigenvalues of ``X Xᵀ / n`` equal those of ``Xᵀ X / n``, so the
    smaller of the two matrices is decomposed.

    Raises:
        ValueError: when a row is all zeros (its cosine similarity is undefined).
    """
    x = np.asarray(embeddings, dtype=float)
    if x.ndim != 2 or len(x) == 0:
        return math.nan
    norms = np.linalg.norm(x, axis=1)
    if np.any(norms == 0):
        raise ValueError("an embedding is all zeros: its cosine similarity is undefined")
    x = x / norms[:, None]
    gram = x @ x.T if len(x) <= x.shape[1] else x.T @ x
    eigenvalues = np.linalg.eigvalsh(gram / len(x))
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-np.sum(eigenvalues * np.log(eigenvalues))))


def _mtld_pass(tokens: Sequence[str], threshold: float) -> float:
    factors, seen, count = 0.0, set(), 0
    for token in tokens:
        count += 1
        seen.add(token)
        if len(seen) / count <= threshold:
            factors, seen, count = factors + 1, set(), 0
    if count:
        factors += (1 - len(seen) / count) / (1 - threshold)
    return len(tokens) / factors if factors else math.nan


def mtld_of_tokens(tokens: Sequence[str], threshold: float = MTLD_THRESHOLD) -> float:
    """MTLD of one token stream: mean of the forward and backward passes.

    A factor ends when the running type-token ratio falls to ``threshold`` or below; the leftover
    run counts as the fraction ``(1 - TTR) / (1 - threshold)`` of a factor. MTLD is the number of
    tokens per factor. NaN when no word ever repeats (no factor at all) or there are no tokens.
    """
    if not tokens:
        return math.nan
    forward, backward = _mtld_pass(tokens, threshold), _mtld_pass(tokens[::-1], threshold)
    return (forward + backward) / 2


def mtld(texts: Sequence[str], threshold: float = MTLD_THRESHOLD) -> float:
    """MTLD (McCarthy & Jarvis 2010) of the texts' words read one after another.

    Short turns are too short for MTLD one by one, so a corpus is measured as one stream. Pass
    ``[text]`` for a single text. Punctuation is not counted.
    """
    return mtld_of_tokens([w for text in texts for w in words(text)], threshold)


class DiversityReport(BaseModel):
    """Diversity of one set of texts; metrics not computed are None."""

    model_config = ConfigDict(frozen=True)

    n_texts: int
    """Texts measured."""
    distinct_1: Estimate
    """Unique words / words."""
    distinct_2: Estimate
    """Unique word pairs / word pairs."""
    self_bleu_3: Estimate | None = None
    """Self-BLEU up to 3-grams on a fixed-size sample."""
    mtld: Estimate | None = None
    """MTLD of the texts as one stream."""
    vendi: Estimate | None = None
    """Vendi score on the embeddings (None when no embeddings were given)."""


def _distinct_statistic(token_lists: list[list[str]], n: int) -> Callable[[np.ndarray], float]:
    """Distinct-n of any selection of the texts, from n-gram ids counted once."""
    vocabulary: dict[tuple[str, ...], int] = {}
    ids = [
        np.array([vocabulary.setdefault(g, len(vocabulary)) for g in _ngrams(t, n)], dtype=int)
        for t in token_lists
    ]

    def statistic(idx: np.ndarray) -> float:
        chosen = np.concatenate([ids[i] for i in idx]) if len(idx) else np.empty(0, int)
        return len(np.unique(chosen)) / len(chosen) if len(chosen) else math.nan

    return statistic


def measure_diversity(
    texts: Sequence[str],
    embeddings: np.ndarray | None = None,
    *,
    metrics: Sequence[str] = ("distinct_1", "distinct_2", "self_bleu_3", "mtld", "vendi"),
    bleu_sample: int = 500,
    resampling: Resampling | None = None,
) -> DiversityReport:
    """Diversity metrics of ``texts`` with half-sample intervals.

    Args:
        texts: Patient turns (or any texts) of one run, persona, level or model.
        embeddings: One row per text, for the Vendi score (skipped when None).
        metrics: Which metrics to compute (distinct-1/2 are always computed).
        bleu_sample: Fixed sample size for self-BLEU.
        resampling: Half-samples, coverage and seed (default 100 half-samples, 0.95, seed 0).
    """
    resampling = resampling or Resampling(n_resamples=100)
    token_lists = [tokenize(t) for t in texts]
    word_lists = [[t for t in tokens if is_word(t)] for tokens in token_lists]
    # The BLEU sample follows one seeded random order of the texts (as in self_bleu), so a
    # half-sample's BLEU sample is drawn the same way as the whole's.
    position = np.argsort(np.random.default_rng(resampling.seed).permutation(len(texts)))

    bleu_counts: dict[int, list[Counter]] = {}  # counted once, reused by every half-sample

    def self_bleu_of(idx: np.ndarray) -> float:
        chosen = idx[np.argsort(position[idx])][:bleu_sample]
        for i in chosen:
            if i not in bleu_counts:
                bleu_counts[i] = _ngram_counts(token_lists[i], 3)
        counts = [bleu_counts[i] for i in chosen]
        return _self_bleu_counts(counts, [len(token_lists[i]) for i in chosen])

    def mtld_of(idx: np.ndarray) -> float:
        return mtld_of_tokens([w for i in idx for w in word_lists[i]])

    statistics = {
        "distinct_1": _distinct_statistic(token_lists, 1),
        "distinct_2": _distinct_statistic(token_lists, 2),
        "self_bleu_3": self_bleu_of,
        "mtld": mtld_of,
    }
    if embeddings is not None:
        x = np.asarray(embeddings, dtype=float)
        if len(x) != len(texts):
            raise ValueError(f"{len(x)} embeddings for {len(texts)} texts")
        statistics["vendi"] = lambda idx: vendi_score(x[idx])
    wanted = {"distinct_1", "distinct_2", *metrics}
    bounds = {"mtld": (0.0, math.inf), "vendi": (1.0, float(len(texts)))}
    found = {
        name: estimate(
            name,
            statistic,
            len(texts),
            definition=DEFINITIONS[name],
            resampling=resampling,
            method="half-sample",
            unit_label="texts",
            bounds=bounds.get(name, (0.0, 1.0)),
        )
        for name, statistic in statistics.items()
        if name in wanted
    }
    return DiversityReport(n_texts=len(texts), **found)


def first_turn_diversity(
    first_turns: Sequence[str],
    embeddings: np.ndarray | None = None,
    *,
    resampling: Resampling | None = None,
) -> DiversityReport:
    """Distinct-1/2 and Vendi over the first patient turn of each conversation.

    How patients open is where simulators collapse most (every patient opens alike).
    """
    metrics = ("distinct_1", "distinct_2", "vendi")
    return measure_diversity(first_turns, embeddings, metrics=metrics, resampling=resampling)
