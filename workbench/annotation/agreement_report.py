"""Agreement between human annotators on one rubric: per item and per persona axis, per pair of
annotators, the conversations they disagree on most, and LLM judges against the humans.

Only submitted values count. Resolved answers (annotator ``adjudicated:<name>``, see
:mod:`workbench.annotation.adjudication`) and skip/flag marks never count: they are not
independent ratings. Annotators named ``judge:<model>`` are LLM judges: they are left out
of human agreement and compared with the humans separately: human agreement needs two humans on
an item, judge-vs-human only one human and one judge sharing at least ``JUDGE_MIN_SHARED_UNITS``
units (a judge against a single annotator is the common case). The unit of a conversation item is
the conversation; of a turn item, the turn (``<conversation id>#<turn index>``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.agreement import (
    Level,
    ReliabilityData,
    Weights,
    disagreement_by_unit,
    estimate_agreement,
    judge_vs_human,
)
from workbench.annotation.adjudication import JUDGE_PREFIX, is_adjudicated
from workbench.analysis.bootstrap import Estimate, Resampling, format_interval
from workbench.domain.rubric import LabelItem, RatingItem, Rubric
from workbench.store.records import Annotation

JUDGE_MIN_SHARED_UNITS = 3
"""Fewest units scored by a judge and by a human before judge-vs-human is reported (on two
points every rank correlation is ±1)."""


class ItemKind(NamedTuple):
    """How an item's values are compared."""

    label: str
    """Item label."""
    axis: str | None
    """The persona axis of a generated per-axis item, else None."""
    level: Level
    """Krippendorff's alpha level: ordinal for ratings, nominal for labels."""
    weights: Weights
    """Cohen's kappa weights: quadratic for ratings, none for labels."""
    categories: list[Any]
    """Every value the item can take, in scale order."""


def item_kind(rubric: Rubric, item_id: str) -> ItemKind | None:
    """How to compare an item's values; None for free text, multi-labels and unknown items."""
    prefix = rubric.axis_items.id_prefix if rubric.axis_items else None
    if prefix and item_id.startswith(prefix):
        axis = item_id.removeprefix(prefix)
        points = list(range(rubric.axis_items.scale[0], rubric.axis_items.scale[1] + 1))
        return ItemKind(axis.replace("_", " ").capitalize(), axis, "ordinal", "quadratic", points)
    try:
        item = rubric.item(item_id)
    except KeyError:
        return None
    if isinstance(item, RatingItem):
        return ItemKind(item.label, None, "ordinal", "quadratic", list(item.points))
    if isinstance(item, LabelItem):
        return ItemKind(item.label, None, "nominal", "identity", list(item.choice_ids))
    return None


def is_judge(annotator: str) -> bool:
    """Whether the annotator is an LLM judge."""
    return annotator.startswith(JUDGE_PREFIX)


def unit_of(a: Annotation) -> str:
    """The unit an annotation rates: its conversation, or ``<conversation>#<turn>``."""
    return a.conversation_id if a.turn_idx is None else f"{a.conversation_id}#{a.turn_idx}"


class ItemAgreement(BaseModel):
    """Agreement of the human annotators on one item."""

    model_config = ConfigDict(frozen=True)

    item: str
    """Item id."""
    kind: ItemKind
    """How values were compared."""
    n_units: int
    """Units rated by at least two annotators."""
    annotators: list[str]
    """Human annotators with a value for the item."""
    alpha: Estimate
    """Krippendorff's alpha at the item's level."""
    ac1: Estimate
    """Gwet's AC1."""


class PairKappa(BaseModel):
    """Weighted Cohen's kappa of two annotators on one item."""

    model_config = ConfigDict(frozen=True)

    item: str
    first: str
    second: str
    kappa: Estimate


class ConversationDisagreement(BaseModel):
    """A conversation and how much the annotators disagree on it (mean over items)."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    disagreement: float
    """Mean over conversation items of the disagreement relative to chance (0: all agree)."""
    items: list[str]
    """Items it was rated on by two or more annotators."""


class JudgeAgreement(BaseModel):
    """LLM judges against the humans on one rating item."""

    model_config = ConfigDict(frozen=True)

    item: str
    spearman: Estimate
    kendall: Estimate


class AgreementReport(BaseModel):
    """Everything the Agreement page shows for one rubric."""

    model_config = ConfigDict(frozen=True)

    items: list[ItemAgreement]
    pairs: list[PairKappa]
    disagreements: list[ConversationDisagreement]
    judges: list[JudgeAgreement]


def _data(rows: Sequence[Annotation]) -> ReliabilityData:
    return ReliabilityData.from_long((unit_of(a), a.annotator, a.value) for a in rows)


def _human_agreement(
    item_id: str, kind: ItemKind, human: Sequence[Annotation], resampling: Resampling | None
) -> tuple[ItemAgreement, list[PairKappa]]:
    """Agreement of two or more human annotators on one item, overall and per pair."""
    data = _data(human)
    annotators = sorted({a.annotator for a in human})
    options = {"categories": kind.categories, "resampling": resampling}
    n_units = int((np.not_equal(data.values, None).sum(axis=0) >= 2).sum())
    agreement = ItemAgreement(
        item=item_id, kind=kind, n_units=n_units, annotators=annotators,
        alpha=estimate_agreement(data, "krippendorff_alpha", level=kind.level, **options),
        ac1=estimate_agreement(data, "gwet_ac1", **options),
    )
    pairs = []
    for first, second in itertools.combinations(annotators, 2):
        pair = _data([a for a in human if a.annotator in (first, second)])
        if pair.values.shape[0] == 2:
            kappa = estimate_agreement(pair, "cohen_kappa", weights=kind.weights, **options)
            pairs.append(PairKappa(item=item_id, first=first, second=second, kappa=kappa))
    return agreement, pairs


def agreement_report(
    annotations: Sequence[Annotation],
    rubric: Rubric,
    *,
    resampling: Resampling | None = None,
    top: int = 10,
) -> AgreementReport:
    """Agreement figures of the submitted values of ``rubric`` (see the module docstring).

    Args:
        annotations: stored annotations (any rubric, any status: the rest is left out).
        rubric: the rubric whose items are compared.
        resampling: bootstrap replicates, coverage and seed of every interval.
        top: how many of the most disputed conversations to list.
    """
    by_item: dict[str, list[Annotation]] = {}
    for a in annotations:
        if a.rubric == rubric.id and a.status == "submitted" and not is_adjudicated(a.annotator):
            by_item.setdefault(a.item, []).append(a)
    items, pairs, judges = [], [], []
    per_conversation: dict[str, list[tuple[str, float]]] = {}
    for item_id, rows in by_item.items():
        kind = item_kind(rubric, item_id)
        human = [a for a in rows if not is_judge(a.annotator)]
        if kind is None or not human:
            continue
        data = _data(human)
        if len({a.annotator for a in human}) >= 2:
            agreement, item_pairs = _human_agreement(item_id, kind, human, resampling)
            items.append(agreement)
            pairs += item_pairs
            if all(a.turn_idx is None for a in human):
                for unit in disagreement_by_unit(data, kind.level, categories=kind.categories):
                    per_conversation.setdefault(str(unit.unit), []).append(
                        (item_id, unit.disagreement))
        judged = [a for a in rows if is_judge(a.annotator)]
        shared = {unit_of(a) for a in judged} & {unit_of(a) for a in human}
        if kind.level == "ordinal" and len(shared) >= JUDGE_MIN_SHARED_UNITS:
            rho, tau = judge_vs_human(_data(judged), data, resampling=resampling)
            judges.append(JudgeAgreement(item=item_id, spearman=rho, kendall=tau))
    disputed = sorted(
        (ConversationDisagreement(conversation_id=cid, items=[i for i, _ in scores],
                                  disagreement=sum(s for _, s in scores) / len(scores))
         for cid, scores in per_conversation.items()),
        key=lambda d: (-d.disagreement, d.conversation_id),
    )
    return AgreementReport(items=items, pairs=pairs, disagreements=disputed[:top], judges=judges)


def _interval_text(e: Estimate) -> str:
    """Value and interval, with a small-n caution under 10 units."""
    if math.isnan(e.value):
        return "undefined"
    return format_interval(e.value, e.interval, n=e.n, bound_digits=2)


def item_rows(report: AgreementReport, *, axes: bool) -> list[dict[str, Any]]:
    """Table rows of the per-axis items (``axes``) or of the other items."""
    return [
        {"axis" if axes else "item": r.kind.label, "level": r.kind.level, "units": r.n_units,
         "annotators": len(r.annotators), "alpha": r.alpha.value,
         "alpha (95% CI)": _interval_text(r.alpha), "AC1 (95% CI)": _interval_text(r.ac1)}
        for r in report.items
        if (r.kind.axis is not None) == axes
    ]


def pair_rows(report: AgreementReport) -> list[dict[str, Any]]:
    """Table rows of the pairwise kappas."""
    return [{"item": p.item, "annotator 1": p.first, "annotator 2": p.second, "units": p.kappa.n,
             "kappa (95% CI)": _interval_text(p.kappa)} for p in report.pairs]


def judge_rows(report: AgreementReport) -> list[dict[str, Any]]:
    """Table rows of judges against humans."""
    return [{"item": j.item, "units": j.spearman.n, "Spearman (95% CI)": _interval_text(j.spearman),
             "Kendall (95% CI)": _interval_text(j.kendall)} for j in report.judges]
