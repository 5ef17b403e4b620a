"""Recoverability: at chance on shuffled labels, high on data separable by construction, and
collapsed levels flagged (synthetic embeddings and texts; no model)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.recoverability import (
    collapsed_pairs,
    describe,
    pair_confusion,
    recover_levels,
    recoverability,
)

LEVELS = ("low", "moderate", "high")


def blobs(n_per: int = 60, dim: int = 24, spread: float = 0.3, seed: int = 0):
    """Three well-separated Gaussian blobs, one per level."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(LEVELS), dim)) * 3
    x = np.vstack([c + spread * rng.normal(size=(n_per, dim)) for c in centres])
    y = [lev for lev in LEVELS for _ in range(n_per)]
    return x, y


def level_texts(y: list[str], seed: int = 0) -> list[str]:
    """Texts that name their level's words among shared filler."""
    rng = np.random.default_rng(seed)
    words = {
        "low": "calm steady fine",
        "moderate": "uneasy worried tense",
        "high": "panic terrified shaking",
    }
    filler = ["doctor", "pain", "today", "week", "home", "work", "sleep"]
    return [
        " ".join([*rng.choice(filler, 6), *words[lev].split()[: 1 + i % 3]])
        for i, lev in enumerate(y)
    ]


def test_separable_embeddings_are_recovered() -> None:
    x, y = blobs()
    r = recover_levels(x, y, axis="anxiety")
    assert r.accuracy is not None and r.accuracy >= 0.95
    assert r.chance == pytest.approx(1 / 3)
    assert r.above_chance is True
    assert r.collapsed == []
    assert r.levels == sorted(LEVELS)
    assert sum(map(sum, r.confusion)) == r.n == 180
    assert r.interval is not None and r.interval.low <= r.accuracy <= r.interval.high


def test_shuffled_labels_on_unstructured_data_are_at_chance() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 8))
    y = list(rng.permutation([lev for lev in LEVELS for _ in range(100)]))
    r = recover_levels(x, y, axis="anxiety")
    assert r.above_chance is False
    # Cross-validation on null data scatters around chance, a little below more often than not.
    assert abs(r.accuracy - r.chance) < 0.1


def test_shuffled_labels_on_clustered_data_are_at_chance_by_the_permutation_test() -> None:
    # Shuffled levels over clustered units: each blob's chance excess of one level is
    # learnable, so accuracy can beat the majority rate; the permutation null scores the same.
    x, y = blobs(n_per=40)
    shuffled = list(np.random.default_rng(1).permutation(y))
    plain = recover_levels(x, shuffled, axis="anxiety")
    r = recover_levels(x, shuffled, axis="anxiety", permutations=19)
    assert r.accuracy == plain.accuracy
    assert r.above_chance is False
    assert r.p_value > 0.05


def test_separable_data_beats_every_permutation() -> None:
    x, y = blobs(n_per=10)
    r = recover_levels(x, y, permutations=19)
    assert r.p_value == pytest.approx(1 / 20)
    assert r.above_chance is True
    assert r.null_accuracy < 0.6


def test_separable_texts_are_recovered_by_tfidf_and_shuffled_ones_are_not() -> None:
    _, y = blobs()
    texts = level_texts(y)
    good = recover_levels(texts, y, features="tfidf")
    assert good.accuracy >= 0.95 and good.above_chance
    # A test at the 5% level calls 1 shuffle in 20 "above chance"; the seeds are fixed.
    shuffled = list(np.random.default_rng(3).permutation(y))
    bad = recover_levels(texts, shuffled, features="tfidf", permutations=19)
    assert bad.above_chance is False


def test_two_levels_with_one_distribution_are_flagged_as_collapsed() -> None:
    x, y = blobs()
    merged = ["moderate" if lev == "high" else lev for lev in y]  # same points...
    y2 = [
        ("high" if i % 2 else "moderate") if lev == "moderate" else lev
        for i, lev in enumerate(merged)
    ]  # ...split at random between two labels
    r = recover_levels(x, y2)
    pairs = {(p.a, p.b) for p in r.collapsed}
    assert pairs == {("high", "moderate")}
    assert r.collapsed[0].confusion > 0.4


def test_pair_confusion_definition() -> None:
    c = np.array([[8, 2, 0], [3, 7, 0], [0, 0, 10]])
    assert pair_confusion(c, 0, 1) == pytest.approx(5 / 20)
    assert pair_confusion(c, 0, 2) == 0.0
    assert collapsed_pairs(np.array([[5, 5], [5, 5]]), ["a", "b"])[0].confusion == 0.5
    assert pair_confusion(np.zeros((2, 2)), 0, 1) is None


def test_axes_that_cannot_be_tested_say_why() -> None:
    x, _ = blobs(n_per=4)
    one_level = recover_levels(x, ["only"] * len(x))
    assert one_level.accuracy is None and "Fewer than 2 levels" in one_level.note
    labels = ["a"] * 6 + ["b"] * 5 + ["c"]
    partly = recover_levels(x, labels)
    assert partly.n == 11 and "c" not in partly.levels and "left out" in partly.note
    assert partly.folds == 5


def test_units_without_a_level_are_left_out() -> None:
    x, y = blobs(n_per=10)
    y = [None if i % 5 == 0 else lev for i, lev in enumerate(y)]
    assert recover_levels(x, y).n == 24


def test_recoverability_runs_every_axis_on_both_feature_sets() -> None:
    x, y = blobs(n_per=20)
    texts = level_texts(y)
    results = recoverability({"anxiety": y, "other": ["a", "b"] * 30}, embeddings=x, texts=texts)
    assert [(r.axis, r.features) for r in results] == [
        ("anxiety", "embeddings"),
        ("anxiety", "tfidf"),
        ("other", "embeddings"),
        ("other", "tfidf"),
    ]
    with pytest.raises(ValueError, match="give embeddings"):
        recoverability({"a": y})
    with pytest.raises(ValueError, match="levels but"):
        recoverability({"a": y[:5]}, embeddings=x)


def persona_copies(personas_per_level: int = 5, copies: int = 4, seed: int = 0):
    """Each persona's samples are byte-identical texts of random words (nothing of the level in
    them): a classifier that sees a persona's copy in training 'recovers' its level."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(300)]
    texts, levels, personas = [], [], []
    for level in ("low", "high"):
        for p in range(personas_per_level):
            text = " ".join(rng.choice(vocabulary, 12))
            texts += [text] * copies
            levels += [level] * copies
            personas += [f"{level}-{p}"] * copies
    return texts, levels, personas


def test_duplicates_across_folds_inflate_recoverability_and_grouping_removes_it() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    texts, levels, personas = persona_copies()
    naive = cross_val_predict(make_pipeline(TfidfVectorizer(), LogisticRegression()), texts,
                              levels, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert np.mean(naive == np.array(levels)) > 0.9  # copies in train and test: inflated
    no_personas = recover_levels(texts, levels, features="tfidf")
    assert no_personas.exact_duplicates == 40 and no_personas.grouped_by == "unit"
    assert no_personas.n_groups == 10 and no_personas.accuracy < 0.75  # copies kept together
    grouped = recover_levels(texts, levels, features="tfidf", personas=personas, permutations=19)
    assert grouped.grouped_by == "persona" and grouped.n_groups == 10
    assert grouped.accuracy < 0.75 and not grouped.above_chance
    assert grouped.p_value is not None and grouped.p_value > 0.05
    assert grouped.interval.small_n is False and grouped.interval.n_units == 10
    assert "DUPLICATES: 40 exact, 0 near" in describe(grouped)
    assert "n=40 in 10 persona groups" in describe(grouped)


def test_near_duplicates_are_counted() -> None:
    texts = ["I feel sad today.", "i feel SAD today", "something else entirely here",
             "and one more different line", "I feel sad today."]
    result = recover_levels(texts, ["a", "a", "b", "b", "a"], features="tfidf")
    assert (result.exact_duplicates, result.near_duplicates) == (2, 1)


def test_a_profile_carrying_several_levels_groups_the_folds() -> None:
    texts, levels, personas = persona_copies(copies=1, personas_per_level=6)
    profiles = [f"profile-{i % 6}" for i in range(12)]  # each profile: one low, one high persona
    result = recover_levels(texts, levels, features="tfidf", personas=personas, profiles=profiles)
    assert result.grouped_by == "profile" and result.n_groups == 6
    assert result.interval.small_n  # 6 groups < 10: the caution


def test_level_confounded_with_persona_is_not_tested() -> None:
    texts, levels, personas = persona_copies(personas_per_level=1)
    result = recover_levels(texts, levels, features="tfidf", personas=personas)
    assert result.accuracy is None and "confounded" in result.note
