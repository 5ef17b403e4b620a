"""Agreement report: the right statistic per item type, judges apart, disputed conversations."""

from __future__ import annotations

import math

import pytest

from workbench.analysis.agreement import (
    ReliabilityData,
    cohen_kappa,
    disagreement_by_unit,
    krippendorff_alpha,
)
from workbench.annotation.agreement_report import agreement_report, item_kind
from workbench.library.rubrics import load_rubrics
from workbench.settings import PROJECT_ROOT
from workbench.store import Annotation

RUBRICS = load_rubrics(PROJECT_ROOT / "personas")


def rows(rubric: str, item: str, table: dict[str, list], turn: int | None = None,
         status: str = "submitted") -> list[Annotation]:
    return [Annotation(conversation_id=f"c{u}", turn_idx=turn, rubric=rubric, item=item,
                       value=v, annotator=who, status=status)
            for who, values in table.items() for u, v in enumerate(values) if v is not None]


def test_item_kinds_follow_the_item_type() -> None:
    fidelity, acts = RUBRICS["persona_fidelity"], RUBRICS["clinician_acts"]
    assert item_kind(fidelity, "axis_recall")[1:4] == ("recall", "ordinal", "quadratic")
    assert item_kind(fidelity, "realism").categories == [1, 2, 3, 4]
    assert item_kind(acts, "ed_act").level == "nominal"
    assert item_kind(fidelity, "fidelity_note") is None
    assert item_kind(RUBRICS["llm_tells"], "tells") is None
    assert item_kind(fidelity, "no_such_item") is None


def test_report_equals_direct_values_with_missing_ratings() -> None:
    ratings = {"a": [1, 2, 3, 3, 2, 4, None], "b": [1, 2, 4, 3, None, 4, 1],
               "c": [None, 3, 3, 3, 2, 4, 1], "judge:m": [4, 4, 1, 1, 2, 2, 3]}
    labels = {"a": ["other", "history", "history"], "b": ["other", "history", "known_symptoms"]}
    annotations = [*rows("persona_fidelity", "realism", ratings),
                   *rows("persona_fidelity", "realism", {"d": [1, 1, 1]}, status="draft"),
                   *rows("clinician_acts", "ed_act", labels, turn=0)]
    humans = ReliabilityData.from_matrix([ratings[k] for k in "abc"], units=range(7))
    report = agreement_report(annotations, RUBRICS["persona_fidelity"])
    (realism,) = report.items
    assert realism.annotators == ["a", "b", "c"] and realism.n_units == 7
    assert realism.alpha.value == pytest.approx(
        krippendorff_alpha(humans, "ordinal", categories=[1, 2, 3, 4]))
    assert realism.alpha.interval is not None
    ab = next(p for p in report.pairs if (p.first, p.second) == ("a", "b"))
    assert ab.kappa.value == pytest.approx(cohen_kappa(ratings["a"], ratings["b"], "quadratic",
                                                       categories=[1, 2, 3, 4]))
    assert len(report.pairs) == 3
    direct = disagreement_by_unit(humans, "ordinal", categories=[1, 2, 3, 4])
    assert [d.conversation_id for d in report.disagreements] == [f"c{d.unit}" for d in direct]
    assert [d.disagreement for d in report.disagreements] == [d.disagreement for d in direct]
    assert [j.item for j in report.judges] == ["realism"]
    acts = agreement_report(annotations, RUBRICS["clinician_acts"])
    (ed_act,) = acts.items
    assert ed_act.kind.level == "nominal"
    assert ed_act.alpha.value == pytest.approx(krippendorff_alpha(
        ReliabilityData.from_matrix([labels["a"], labels["b"]]), "nominal",
        categories=item_kind(RUBRICS["clinician_acts"], "ed_act").categories))
    assert acts.disagreements == []  # turn items do not rank conversations
    assert not math.isnan(ed_act.ac1.value)


def z_scored(values: list[float]):
    import numpy as np

    array = np.asarray(values, float)
    return (array - array.mean()) / array.std()


def test_a_judge_is_compared_with_a_single_human() -> None:
    from scipy.stats import spearmanr

    # c5 is judged only: it is not a shared unit (z-scoring over it does not change the ranks).
    ratings = {"a": [1, 2, 4, 3, 4, None], "judge:m": [2, 1, 4, 4, 3, 1]}
    report = agreement_report(rows("persona_fidelity", "realism", ratings),
                              RUBRICS["persona_fidelity"])
    assert report.items == [] and report.pairs == []  # no human agreement with one human
    (judge,) = report.judges
    assert judge.item == "realism" and judge.spearman.n == 5
    human, machine = z_scored(ratings["a"][:5]), z_scored(ratings["judge:m"])[:5]
    assert judge.spearman.value == pytest.approx(spearmanr(machine, human)[0])
    # By hand: ranks a (1, 2, 4.5, 3, 4.5), judge (2, 1, 4.5, 4.5, 3); Pearson of the ranks
    # (with ties): covariance sum 6.25 over 9.5 -> 25/38.
    assert judge.spearman.value == pytest.approx(25 / 38)


def test_too_few_shared_units_give_no_judge_row() -> None:
    ratings = {"a": [1, 2, None, None], "judge:m": [2, 1, 4, 3]}
    report = agreement_report(rows("persona_fidelity", "realism", ratings),
                              RUBRICS["persona_fidelity"])
    assert report.judges == []
