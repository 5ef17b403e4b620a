"""The classifier two-sample test as docs/METRICS.md specifies it: normalisation, sampling,
hand-checked AUCs on made-up corpora, yardsticks at the same cap."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.bootstrap import Resampling
from workbench.analysis.c2st import (
    MASK,
    auc,
    classifier_two_sample_test,
    content_text,
    equal_samples,
    style_tokens,
    two_sample_auc,
)
from workbench.analysis.realism import PatientTurns

POINT = Resampling(n_resamples=2)  # where a test looks at values only


def turns(name: str, conversations: list[list[str]]) -> PatientTurns:
    return PatientTurns.from_conversations(
        [(f"{name}{i}", texts) for i, texts in enumerate(conversations)], name)


def test_auc_is_the_mann_whitney_statistic():
    """Positives 0.9, 0.4; negatives 0.5, 0.1: of four pairs, 0.4 < 0.5 is the one lost: 3/4.
    A tie counts one half."""
    assert auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.5, 0.1])) == 0.75
    assert auc(np.array([1, 0]), np.array([0.3, 0.3])) == 0.5


def test_content_normalisation_drops_punctuation_case_and_transcription_marks():
    assert content_text("Um -- I [inaudible] DON'T know, {{NAME}}!… <laughs> It's—fine.") == (
        "um i don t know it s fine")
    assert content_text("word.") == content_text("Word") == "word"


def test_style_tokens_keep_function_words_fillers_and_punctuation():
    assert style_tokens("Um, I don’t know... the PAIN is [inaudible] awful!") == [
        "um", ",", "i", "don't", MASK, ".", ".", ".", "the", MASK, "is", MASK, "!"]


def test_equal_samples_are_capped_and_seeded():
    a = PatientTurns(tuple(f"a{i}" for i in range(50)))
    b = PatientTurns(tuple(f"b{i}" for i in range(30)))
    sa, sb = equal_samples(a, b, cap=20, seed=0)
    assert len(sa) == len(sb) == 20
    rng = np.random.default_rng(0)  # the spec: a's indices first, then b's, one generator
    first, second = (np.sort(rng.choice(n, 20, replace=False)) for n in (50, 30))
    assert sa.texts == tuple(f"a{i}" for i in first)
    assert sb.texts == tuple(f"b{i}" for i in second)
    assert len(equal_samples(a, b, cap=2000, seed=0)[0]) == 30  # the smaller side


def test_identical_sides_score_exactly_one_half():
    """Every text on both sides alike: every score ties, each fold's AUC is 1/2."""
    same = [["my knee hurts", "since monday, yes."] for _ in range(10)]
    result = two_sample_auc(turns("a", same), turns("b", same), resampling=POINT)
    assert result.value == 0.5 and result.fold_aucs == [0.5] * 5
    assert result.n_simulated == result.n_reference == 20


def test_half_telling_turns_score_three_quarters_by_hand():
    """Side a: each conversation has one turn with its own words ("apple zz") and one common
    turn; side b: only common turns. In every test fold a's apple turns outscore all of b's turns
    (count 1) and a's common turns tie with b's (count 1/2): AUC = (1 + 1/2) / 2 = 3/4."""
    a = turns("a", [["apple zz", "the same words"] for _ in range(10)])
    b = turns("b", [["the same words", "the same words"] for _ in range(10)])
    result = two_sample_auc(a, b, resampling=POINT)
    assert result.fold_aucs == pytest.approx([0.75] * 5)
    assert result.simulated_ngrams[0].ngram in {"apple", "zz", "apple zz"}


def test_punctuation_alone_does_not_separate_content_but_separates_style():
    """The same words, one side typed with punctuation and capitals, the other transcribed
    without: the content figure sees identical documents (1/2); the style figure sees the
    punctuation (1)."""
    words = [["my knee hurts since monday", "yes it is worse at night"] for _ in range(10)]
    typed = [["My knee hurts, since Monday!", "Yes. It is worse at night..."] for _ in range(10)]
    content = two_sample_auc(turns("t", typed), turns("w", words), resampling=POINT)
    style = two_sample_auc(turns("t", typed), turns("w", words), kind="style", resampling=POINT)
    assert content.value == 0.5 and content.metric == "c2st_auc"
    assert style.value == 1.0 and style.metric == "c2st_style_auc"
    assert {g.ngram for g in style.simulated_ngrams[:3]} & {",", ".", "!", ". . ."}


def test_style_masks_content_words():
    heads = turns("h", [["my head hurts", "the head is sore"] for _ in range(10)])
    knees = turns("k", [["my knee hurts", "the knee is sore"] for _ in range(10)])
    assert two_sample_auc(heads, knees, resampling=POINT).value == 1.0
    assert two_sample_auc(heads, knees, kind="style", resampling=POINT).value == 0.5


def test_yardsticks_use_the_figure_cap_and_show_their_n():
    rng = np.random.default_rng(3)
    vocabulary = "pain knee back week night sleep tired worse better doctor".split()

    def talk(n_conv: int, k: int, extra: str) -> list[list[str]]:
        return [[" ".join(rng.choice(vocabulary, 5)) + extra for _ in range(k)]
                for _ in range(n_conv)]

    simulated = turns("s", talk(10, 3, " certainly"))  # 30 turns
    reference = turns("r", talk(40, 4, ""))  # 160 turns: halves of 80
    second = turns("x", talk(20, 4, ""))
    result = classifier_two_sample_test(simulated, reference, second_reference=second,
                                        resampling=POINT)
    assert result.n_simulated == result.n_reference == 30
    assert [(y.n_a, y.n_b) for y in result.yardsticks] == [(30, 30), (30, 30)]
    assert [y.label for y in result.yardsticks] == ["r halves (by conversation)", "r vs x"]
    assert result.value > 0.8 and all(abs(y.value - 0.5) < 0.3 for y in result.yardsticks)
    assert result.low is not None and result.low <= result.value <= result.high


def test_needs_two_conversations_per_side():
    tiny = PatientTurns(("only one",), ("c1",))
    with pytest.raises(ValueError, match="at least 2"):
        two_sample_auc(tiny, tiny, resampling=POINT)
