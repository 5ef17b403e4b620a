"""Agreement coefficients against published worked examples and hand computations."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from workbench.analysis.agreement import (
    ReliabilityData,
    _coincidences,
    _prepare,
    cohen_kappa,
    disagreement_by_unit,
    estimate_agreement,
    gwet_ac,
    judge_vs_human,
    krippendorff_alpha,
)
from workbench.analysis.bootstrap import Resampling

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: four observers,
# twelve units, values 1-5, missing ratings; unit 12 has a single value and is not pairable.
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# The same paper, example A: two coders, ten units, binary values.
KRIPPENDORFF_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
FEW = Resampling(n_resamples=200)


def raters_from_table(table: list[list[int]], categories: list) -> tuple[list, list]:
    """Two raters' ratings from a contingency table (rows: rater A, columns: rater B)."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [categories[i]] * count
            b += [categories[j]] * count
    return a, b


def test_coincidence_matrix_of_krippendorff_example_c():
    """The paper's coincidence matrix (times 3), with n_c = 9, 13, 10, 5, 3 and n = 40."""
    _, counts, _ = _prepare(KRIPPENDORFF_C, "nominal", None)
    expected = np.array(
        [[21, 4, 1, 1, 0], [4, 30, 4, 1, 0], [1, 4, 24, 1, 0], [1, 1, 1, 12, 0], [0, 0, 0, 0, 9]]
    )
    assert np.allclose(_coincidences(counts) * 3, expected)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_example_c(level, published):
    """Nominal by hand: alpha = 1 - (n - 1)(n - sum o_cc) / (n² - sum n_c²)
    = 1 - 39 · (40 - 32) / (1600 - 384) = 1 - 312 / 1216 = 0.7434."""
    assert krippendorff_alpha(KRIPPENDORFF_C, level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_example_a_two_coders_binary():
    """Pairs: five (0,0), one (1,1), four mismatches, so o_00 = 10, o_11 = 2, o_01 = o_10 = 4;
    n_0 = 14, n_1 = 6, n = 20. alpha = 1 - 19 · 8 / (2 · 14 · 6) = 1 - 152/168 = 0.0952."""
    assert krippendorff_alpha(KRIPPENDORFF_A) == pytest.approx(0.095, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_A) == pytest.approx(1 - 152 / 168)


def test_long_table_and_polars_frame_give_the_same_alpha():
    rows = [
        (f"u{u}", f"r{r}", value)
        for r, row in enumerate(KRIPPENDORFF_C)
        for u, value in enumerate(row)
        if value is not None
    ]
    from_rows = ReliabilityData.from_long(rows)
    frame = pl.DataFrame(rows, schema=["unit", "rater", "value"], orient="row")
    for data in (from_rows, ReliabilityData.from_long(frame)):
        assert krippendorff_alpha(data, "interval") == pytest.approx(0.849, abs=5e-4)
    with pytest.raises(ValueError, match="rated unit 'u0' twice"):
        ReliabilityData.from_long([*rows, ("u0", "r0", 2)])


def test_nan_counts_as_missing_and_labels_work_for_nominal_data():
    labels = [["calm", "angry", math.nan], ["calm", "angry", "sad"]]
    assert krippendorff_alpha(labels) == 1.0


def test_perfect_agreement_is_one_everywhere():
    data = [[1, 2, 3, 4, 2], [1, 2, 3, 4, 2], [1, 2, N, 4, 2]]
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(data, level) == 1.0
    assert gwet_ac(data) == 1.0
    assert gwet_ac(data, "quadratic") == 1.0
    assert cohen_kappa(data[0], data[1]) == 1.0
    assert cohen_kappa(data[0], data[1], "linear") == 1.0


def test_undefined_cases_return_nan():
    """No variation (every rating 3): chance disagreement is 0, so alpha is 0/0; both raters on one
    category: kappa's chance agreement is 1; one category only: AC1 has q - 1 = 0."""
    constant = [[3, 3, 3], [3, 3, 3]]
    assert math.isnan(krippendorff_alpha(constant))
    assert math.isnan(cohen_kappa(*constant))
    assert math.isnan(gwet_ac(constant))
    assert math.isnan(krippendorff_alpha([[1, N, 3], [N, 2, N]]))  # no unit rated twice


def test_cohen_kappa_textbook_two_by_two():
    """Table yes/yes 20, yes/no 5, no/yes 10, no/no 15 (n = 50): p_o = 35/50 = 0.7; rater A says
    yes 25/50, rater B 30/50, so p_e = 0.5 · 0.6 + 0.5 · 0.4 = 0.5 and kappa = 0.2/0.5 = 0.4."""
    a, b = raters_from_table([[20, 5], [10, 15]], ["yes", "no"])
    assert cohen_kappa(a, b) == pytest.approx(0.4)


THREE_BY_THREE = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]  # Gwet's "cont3x3abstractors" (irrCAC)


def test_weighted_kappa_on_a_three_category_table():
    """n = 100; rows (A) 0.13, 0.27, 0.60; columns (B) 0.13, 0.24, 0.63.
    Unweighted: p_o = 0.89, p_e = 0.0169 + 0.0648 + 0.378 = 0.4597 → 0.4303/0.5403 = 0.79641.
    Neighbouring cells: observed 0.07 + 0.04 = 0.11; expected 0.0312 + 0.0351 + 0.1701 + 0.144
    = 0.3804; two apart get weight 0 in both schemes.
    Linear (1/2): p_o = 0.89 + 0.055 = 0.945, p_e = 0.4597 + 0.1902 = 0.6499 → 0.84290.
    Quadratic (3/4): p_o = 0.9725, p_e = 0.4597 + 0.2853 = 0.745 → 0.2275/0.255 = 0.89216."""
    a, b = raters_from_table(THREE_BY_THREE, [1, 2, 3])
    assert cohen_kappa(a, b) == pytest.approx(0.4303 / 0.5403)
    assert cohen_kappa(a, b, "linear") == pytest.approx(0.2951 / 0.3501)
    assert cohen_kappa(a, b, "quadratic") == pytest.approx(0.2275 / 0.255)
    from sklearn.metrics import cohen_kappa_score

    for weights in ("linear", "quadratic"):
        assert cohen_kappa(a, b, weights) == pytest.approx(cohen_kappa_score(a, b, weights=weights))


def test_kappa_leaves_out_units_with_a_missing_rating():
    a, b = raters_from_table([[20, 5], [10, 15]], ["yes", "no"])
    assert cohen_kappa([*a, N, "yes"], [*b, "no", math.nan]) == pytest.approx(0.4)


def test_gwet_ac1_and_ac2_on_the_three_category_table():
    """pi = (0.13, 0.255, 0.615); sum pi(1 - pi) = 0.53985.
    AC1: p_e = 0.53985 / 2 = 0.269925 → (0.89 - 0.269925) / 0.730075 = 0.84933 (irrCAC's
    published value for this table). AC2 linear: weights sum to 5, p_e = 5/6 · 0.53985 =
    0.449875 → (0.945 - 0.449875)/0.550125 = 0.90002. Quadratic: weights sum to 6, p_e = 0.53985
    → (0.9725 - 0.53985)/0.46015 = 0.94024."""
    a, b = raters_from_table(THREE_BY_THREE, [1, 2, 3])
    assert gwet_ac([a, b]) == pytest.approx(0.84933, abs=5e-6)
    assert gwet_ac([a, b], "linear") == pytest.approx(0.495125 / 0.550125)
    assert gwet_ac([a, b], "quadratic") == pytest.approx(0.43265 / 0.46015)


def test_kappa_paradox_low_kappa_high_ac1():
    """118 both "no", 5 and 2 mismatches, 0 both "yes" (n = 125): p_o = 0.944.
    Kappa: p_e = (123 · 120 + 2 · 5) / 125² = 0.94528 → (0.944 - 0.94528)/0.05472 = -0.0234.
    AC1: pi = (0.972, 0.028), p_e = 2 · 0.972 · 0.028 = 0.054432 → 0.889568/0.945568 = 0.94078."""
    a, b = raters_from_table([[118, 5], [2, 0]], ["no", "yes"])
    assert cohen_kappa(a, b) == pytest.approx((0.944 - 14770 / 15625) / (1 - 14770 / 15625))
    assert cohen_kappa(a, b) < 0
    assert gwet_ac([a, b]) == pytest.approx(0.889568 / 0.945568)


def test_gwet_ac1_three_raters_with_missing_ratings():
    """Units (a,a,a), (a,a,b), (b,b,-), (a,-,-). Units rated twice or more: p_a = (1 + 2/6 + 1)/3
    = 7/9. Prevalence over all four units: pi_a = (1 + 2/3 + 0 + 1)/4 = 2/3, pi_b = 1/3;
    p_e = 2 · (2/3)(1/3) = 4/9. AC1 = (7/9 - 4/9) / (5/9) = 0.6."""
    data = [["a", "a", "b", "a"], ["a", "a", "b", N], ["a", "b", N, N]]
    assert gwet_ac(data) == pytest.approx(0.6)


def test_categories_fix_the_scale():
    """Unused scale points count for AC1's q and for kappa's weights: with 3 unused, 4 is two
    steps from 2, not one."""
    a, b = [1, 2, 4, 4, 1], [2, 1, 4, 2, 1]
    assert gwet_ac([a, b], categories=[1, 2, 3, 4]) != gwet_ac([a, b])
    assert cohen_kappa(a, b, "linear", categories=[1, 2, 3, 4]) != cohen_kappa(a, b, "linear")
    with pytest.raises(ValueError, match="not among the categories"):
        gwet_ac([a, b], categories=[1])


def test_estimates_carry_value_interval_and_definition():
    for coefficient, options in [
        ("krippendorff_alpha", {"level": "interval"}),
        ("gwet_ac1", {}),
        ("gwet_ac2", {"weights": "quadratic"}),
    ]:
        result = estimate_agreement(KRIPPENDORFF_C, coefficient, resampling=FEW, **options)
        assert result.n == 12 and result.definition
        assert result.interval.low <= result.value <= result.interval.high
    a, b = raters_from_table(THREE_BY_THREE, [1, 2, 3])
    kappa = estimate_agreement([a, b], "cohen_kappa", weights="linear", resampling=FEW)
    assert kappa.value == pytest.approx(cohen_kappa(a, b, "linear"))
    assert kappa.interval.low < kappa.value < kappa.interval.high
    assert kappa.interval.method == "percentile bootstrap, 200 resamples of units"
    with pytest.raises(ValueError, match="two raters"):
        estimate_agreement(KRIPPENDORFF_C, "cohen_kappa")


def test_disagreement_by_unit_ranks_the_split_unit_first():
    """Units (a,a), (a,b), (b,b): n_a = n_b = 3, chance disagreement per pair = 2·3·3/(6·5) = 0.6;
    the split unit's pair always disagrees: 1/0.6 = 1.667; the others 0."""
    ranked = disagreement_by_unit(
        ReliabilityData.from_matrix([["a", "a", "b"], ["a", "b", "b"]], units=["c1", "c2", "c3"])
    )
    assert ranked[0].unit == "c2"
    assert ranked[0].disagreement == pytest.approx(1 / 0.6)
    assert ranked[0].ratings == {"0": "a", "1": "b"}
    assert [d.disagreement for d in ranked[1:]] == [0.0, 0.0]


def test_disagreement_interval_ranks_by_spread():
    ranked = disagreement_by_unit(KRIPPENDORFF_C, "interval")
    assert ranked[0].unit == 5  # unit 6 of the paper: ratings 1, 2, 3, 4
    assert all(d.unit != 11 for d in ranked)  # one rating: not pairable


def test_judge_vs_human_by_hand():
    """Judge 1,2,3,4 vs human 1,3,2,4: d² = 0,1,1,0 → rho = 1 - 6·2/(4·15) = 0.8; five of six
    pairs concordant → tau = (5 - 1)/6 = 0.667."""
    judge = ReliabilityData.from_matrix([[1, 2, 3, 4]], units="wxyz")
    human = ReliabilityData.from_matrix([[1, 3, 2, 4]], units="wxyz")
    rho, tau = judge_vs_human(judge, human, resampling=FEW)
    assert rho.value == pytest.approx(0.8) and tau.value == pytest.approx(4 / 6)
    assert rho.n == 4


def test_judge_vs_human_z_scores_each_rater():
    """Human A (1-4 scale) 1,2,3,4; human B (0-100) 100,0,0,0. Raw means 50.5, 1, 1.5, 2 rank w
    last-but-none; z-scores (A: ±1.342, ±0.447; B: 1.732, -0.577×3) average to 0.195, -0.512,
    -0.065, 0.382, which rank x < y < w < z, exactly the judge's order."""
    judge = ReliabilityData.from_matrix([[3, 1, 2, 4]], units="wxyz")
    humans = ReliabilityData.from_matrix([[1, 2, 3, 4], [100, 0, 0, 0]], units="wxyz")
    rho, tau = judge_vs_human(judge, humans, resampling=FEW)
    assert rho.value == pytest.approx(1.0) and tau.value == pytest.approx(1.0)
