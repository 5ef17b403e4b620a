"""Rubric types: item scopes and speakers, value checks, and fidelity items generated from axes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workbench.domain.axes import Axis, Level
from workbench.domain.rubric import (
    AxisItems,
    LabelItem,
    MultiLabelItem,
    RatingItem,
    Rubric,
    TextItem,
)


def _axis(axis_id: str, *levels: str) -> Axis:
    return Axis(
        id=axis_id,
        label=axis_id.title(),
        description=f"How {axis_id} varies.",
        levels=tuple(
            Level(id=lv, label=lv.title(), description=f"{lv} level.", prompt="...")
            for lv in levels
        ),
    )


FIDELITY = Rubric(
    id="fidelity",
    label="Fidelity",
    axis_items=AxisItems(
        question="How well is {axis_label} kept?",
        help="Intended: {level_label} ({level_description})",
        scale=(1, 4),
        anchors={1: "not {axis}", 2: "weak", 3: "mostly", 4: "fully"},
    ),
    items=(
        RatingItem(id="realism", label="Realism", scale=(1, 4),
                   anchors={1: "a", 2: "b", 3: "c", 4: "d"}),
    ),
)


def test_a_new_axis_adds_an_item_with_no_code_change() -> None:
    axes = [_axis("personality", "plain", "verbose"), _axis("recall", "low", "high")]
    items = FIDELITY.items_for(axes, {"personality": "verbose", "recall": "low"})
    assert [i.id for i in items] == ["axis_personality", "axis_recall", "realism"]
    first = items[0]
    assert isinstance(first, RatingItem)
    assert first.question == "How well is Personality kept?"
    assert first.help == "Intended: Verbose (verbose level.)"
    assert first.anchors[1] == "not personality"
    more = FIDELITY.items_for([*axes, _axis("pace", "slow", "fast")], {"pace": "fast"})
    assert [i.id for i in more] == ["axis_personality", "axis_recall", "axis_pace", "realism"]


def test_blind_generation_names_no_level() -> None:
    items = FIDELITY.items_for([_axis("personality", "plain")], levels=None)
    assert items[0].help == ""


def test_unknown_level_names_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="valid: plain"):
        FIDELITY.items_for([_axis("personality", "plain")], {"personality": "grumpy"})


def test_turn_items_apply_to_their_speaker_and_scenario() -> None:
    act = LabelItem(
        id="act", label="Act", scope="turn", speaker="clinician", scenarios=("ed_consult",),
        choices=({"id": "history", "label": "History"}, {"id": "other", "label": "Other"}),
    )
    assert act.applies_to("clinician", "ed_consult")
    assert not act.applies_to("patient", "ed_consult")
    assert not act.applies_to("clinician", "cbt_session")
    assert not act.applies_to(None)
    both = TextItem(id="note", label="Note", scope="turn")
    assert both.applies_to("patient") and both.applies_to("clinician")
    rubric = Rubric(id="acts", label="Acts", items=(act, both))
    assert [i.id for i in rubric.items_for(scenario="cbt_session")] == ["note"]


def test_value_checks_name_the_item_and_the_valid_values() -> None:
    rating = FIDELITY.item("realism")
    assert rating.check_value(3) is None
    assert "takes 1–4, got 5" in (rating.check_value(5) or "")
    assert "whole number" in (rating.check_value(True) or "")
    tells = MultiLabelItem(
        id="tells", label="Tells", scope="turn", speaker="patient",
        choices=({"id": "markdown", "label": "Markdown"}, {"id": "list", "label": "List"}),
    )
    assert tells.check_value([]) is None
    assert tells.check_value(["list", "markdown"]) is None
    assert "unknown label(s) 'emoji'" in (tells.check_value(["emoji"]) or "")
    assert "distinct" in (tells.check_value(["list", "list"]) or "")
    assert TextItem(id="t", label="T", max_chars=3).check_value("four") is not None
    assert rating.measurement == "ordinal" and tells.measurement == "nominal"


def test_item_lookup_includes_generated_items() -> None:
    axis = _axis("recall", "low")
    assert FIDELITY.item("axis_recall", [axis]).scale == (1, 4)
    with pytest.raises(KeyError, match="valid: axis_recall, realism"):
        FIDELITY.item("axis_mood", [axis])


def test_anchor_for_every_point() -> None:
    with pytest.raises(ValidationError, match="missing: 2"):
        RatingItem(id="r", label="R", scale=(1, 3), anchors={1: "a", 3: "c"})
    with pytest.raises(ValidationError, match="outside the scale 1–2: 5"):
        RatingItem(id="r", label="R", scale=(1, 2), anchors={1: "a", 2: "b", 5: "e"})
