"""The rubrics shipped under personas/rubrics/ load and say what the design asks of them."""

from __future__ import annotations

import pytest

from workbench.domain.rubric import LabelItem, MultiLabelItem, RatingItem
from workbench.library import Library
from workbench.library.rubrics import load_rubric, load_rubrics, validate_rubrics
from workbench.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT / "personas"


def test_shipped_rubrics_are_valid() -> None:
    assert validate_rubrics([ROOT / "rubrics"]) == []
    assert set(load_rubrics(ROOT)) >= {
        "persona_fidelity", "clinician_quality", "clinician_acts", "llm_tells",
    }


def test_persona_fidelity_rates_every_axis_of_every_scenario_and_realism() -> None:
    library = Library(ROOT)
    rubric = load_rubric("persona_fidelity", ROOT)
    for scenario in library.scenarios().values():
        axes = [library.axes()[a] for a in scenario.axes]
        items = rubric.items_for(axes)
        ratings = [i for i in items if isinstance(i, RatingItem)]
        assert [i.id for i in ratings] == [f"axis_{a}" for a in scenario.axes] + ["realism"]
        assert all(i.scale == (1, 4) for i in ratings)


def test_clinician_quality_has_five_criteria_on_one_to_six() -> None:
    items = load_rubric("clinician_quality", ROOT).items
    assert len(items) == 5
    assert all(isinstance(i, RatingItem) and i.scale == (1, 6) for i in items)


@pytest.mark.parametrize(
    ("scenario", "choices"),
    [
        ("ed_consult",
         {"chief_complaint", "known_symptoms", "accompanying_symptoms", "history", "other"}),
        ("cbt_session", {"question", "reflection", "affirmation", "information", "other"}),
    ],
)
def test_clinician_acts_label_clinician_turns_per_scenario(scenario: str, choices: set[str]) -> None:
    (item,) = load_rubric("clinician_acts", ROOT).items_for(scenario=scenario)
    assert isinstance(item, LabelItem)
    assert item.scope == "turn" and item.speaker == "clinician"
    assert set(item.choice_ids) == choices


def test_llm_tells_flag_patient_turns() -> None:
    item = load_rubric("llm_tells", ROOT).item("tells")
    assert isinstance(item, MultiLabelItem)
    assert item.scope == "turn" and item.speaker == "patient"
    assert set(item.choice_ids) == {
        "markdown", "list", "em_dash", "assistant_phrase", "question_back", "too_long", "other",
    }


def test_every_scenario_default_rubric_loads() -> None:
    rubrics = load_rubrics(ROOT)
    for scenario in Library(ROOT).scenarios().values():
        assert scenario.default_rubric in rubrics, scenario.id
