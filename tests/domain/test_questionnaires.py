"""PHQ-9, GAD-7 and Mini-IPIP scoring: totals, bands at every boundary, flags, reverse keying."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workbench.domain.questionnaires import (
    GAD7,
    MINI_IPIP_ITEMS,
    PHQ9,
    MiniIPIP,
    gad7_band,
    phq9_band,
)


def answers_summing_to(total: int, n_items: int, top: int = 3) -> list[int]:
    """Answers (each 0..top) that add up to ``total``, filled from the first item."""
    items = []
    for _ in range(n_items):
        items.append(min(top, total))
        total -= items[-1]
    assert total == 0
    return items


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_every_boundary(total: int, band: str) -> None:
    assert phq9_band(total) == band
    # item 9 stays 0 so the total is reached without the safety item where possible
    phq = PHQ9(items=tuple(answers_summing_to(total, 9)))
    assert phq.total == total
    assert phq.band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_every_boundary(total: int, band: str) -> None:
    assert gad7_band(total) == band
    gad = GAD7(items=tuple(answers_summing_to(total, 7)))
    assert gad.total == total
    assert gad.band == band


def test_phq9_total_is_the_sum() -> None:
    assert PHQ9(items=(1, 2, 3, 0, 1, 2, 3, 0, 1)).total == 13


@pytest.mark.parametrize(
    ("items", "flag"),
    [
        ((0,) * 9, False),
        ((3, 3, 3, 3, 3, 3, 3, 3, 0), False),  # severe, but no thoughts of self-harm
        ((0, 0, 0, 0, 0, 0, 0, 0, 1), True),  # any non-zero item 9 needs a clinician
        ((0, 0, 0, 0, 0, 0, 0, 0, 3), True),
    ],
)
def test_phq9_item_9_is_the_safety_flag(items: tuple[int, ...], flag: bool) -> None:
    assert PHQ9(items=items).safety_flag is flag


def test_phq9_item_out_of_range_names_the_item() -> None:
    with pytest.raises(ValidationError, match="item 4 is 4; PHQ-9 items are 0–3"):
        PHQ9(items=(1, 2, 2, 4, 0, 2, 1, 0, 0))


@pytest.mark.parametrize("length", [6, 8])
def test_gad7_needs_seven_items(length: int) -> None:
    with pytest.raises(ValidationError):
        GAD7(items=(1,) * length)


def test_gad7_item_out_of_range() -> None:
    with pytest.raises(ValidationError, match="item 7 is -1; GAD-7 items are 0–3"):
        GAD7(items=(0, 0, 0, 0, 0, 0, -1))


def test_mini_ipip_has_four_items_per_factor_and_eleven_reversed() -> None:
    factors = [factor for _, factor, _ in MINI_IPIP_ITEMS]
    assert {f: factors.count(f) for f in factors} == {
        "extraversion": 4,
        "agreeableness": 4,
        "conscientiousness": 4,
        "neuroticism": 4,
        "intellect": 4,
    }
    assert sum(reverse for _, _, reverse in MINI_IPIP_ITEMS) == 11


def test_mini_ipip_reverse_keying_by_hand() -> None:
    answers = (5, 1, 3, 2, 4, 1, 5, 3, 4, 2, 4, 2, 3, 1, 2, 2, 4, 3, 5, 1)
    # Worked by hand (R = reverse-keyed, scored 6 - answer):
    # extraversion      items 1, 6R, 11, 16R: 5 + (6-1) + 4 + (6-2) = 18 → high
    # agreeableness     items 2, 7R, 12, 17R: 1 + (6-5) + 2 + (6-4) = 6  → low
    # conscientiousness items 3, 8R, 13, 18R: 3 + (6-3) + 3 + (6-3) = 12 → medium
    # neuroticism       items 4, 9R, 14, 19R: 2 + (6-4) + 1 + (6-5) = 6  → low
    # intellect         items 5, 10R, 15R, 20R: 4 + (6-2) + (6-2) + (6-1) = 17 → high
    ipip = MiniIPIP(items=answers)
    assert ipip.factor_scores() == {
        "extraversion": 18,
        "agreeableness": 6,
        "conscientiousness": 12,
        "neuroticism": 6,
        "intellect": 17,
    }
    assert ipip.levels() == {
        "extraversion": "high",
        "agreeableness": "low",
        "conscientiousness": "medium",
        "neuroticism": "low",
        "intellect": "high",
    }


@pytest.mark.parametrize(
    ("forward", "reversed_", "score", "level"),
    [
        ((1, 1), (5, 5), 4, "low"),
        ((2, 2), (4, 3), 9, "low"),
        ((2, 2), (3, 3), 10, "medium"),
        ((4, 4), (3, 3), 14, "medium"),
        ((4, 4), (2, 3), 15, "high"),
        ((5, 5), (1, 1), 20, "high"),
    ],
)
def test_mini_ipip_level_cuts(
    forward: tuple[int, int], reversed_: tuple[int, int], score: int, level: str
) -> None:
    answers = [3] * 20
    # extraversion: items 1 and 11 forward, 6 and 16 reverse-keyed
    answers[0], answers[10] = forward
    answers[5], answers[15] = reversed_
    ipip = MiniIPIP(items=tuple(answers))
    assert ipip.factor_scores()["extraversion"] == score
    assert ipip.levels()["extraversion"] == level
    assert ipip.levels()["agreeableness"] == "medium"  # all 3s score 12


def test_mini_ipip_zero_is_out_of_range() -> None:
    with pytest.raises(ValidationError, match="item 5 is 0; Mini-IPIP items are 1–5"):
        MiniIPIP(items=(3, 3, 3, 3, 0) + (3,) * 15)


def test_mini_ipip_needs_twenty_items() -> None:
    with pytest.raises(ValidationError):
        MiniIPIP(items=(3,) * 19)
