"""Diversity and realism reports of runs and corpora, read from the store: what the Metrics page,
the ``workbench metrics`` commands and the notebooks show, and the rows they show it in.

Gathers patient turns (see :mod:`~workbench.analysis.samples`: runs and corpora mixed freely),
calls the metric functions of :mod:`~workbench.analysis.diversity`, :mod:`~.c2st`,
:mod:`~.realism` and :mod:`~.tells`, and returns typed reports. Every figure carries the n it
rests on. Embedding metrics (Vendi, Fréchet) run only when the vectors can be had (all cached in
the store, or the embedding model loads); otherwise they are skipped with the reason.
scikit-learn, scipy and sentence-transformers are imported only by the functions that compute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from workbench.analysis.bootstrap import Estimate, RealismResult, Resampling, format_interval
from workbench.analysis.diversity import DiversityReport
from workbench.analysis.realism import PatientTurns
from workbench.analysis.samples import (
    GROUPINGS,
    LEVEL_PREFIX,
    Conversations,
    TooFewTurns,
    UnknownReference,
    corpus_conversations,
    embedding_unavailable,
    named_conversations,
    run_conversations,
    sample_conversations,
    vectors,
)
from workbench.analysis.steps import StepProgress, embed_step, words_per_turn
from workbench.analysis.tells import TellComparison
from workbench.store import Store

__all__ = [
    "GROUPINGS", "LEVEL_PREFIX", "Conversations", "TooFewTurns", "UnknownReference",
    "corpus_conversations", "run_conversations", "diversity_report", "realism_report",
]

MIN_DIVERSITY_TURNS = 2
"""Patient turns a group needs for diversity (distinct-n needs one; BLEU and intervals two)."""
DIVERSITY_CAP = 2000
"""Most turns (and first turns) per group that diversity is measured on, by default."""
MIN_REALISM_TURNS = 10
"""Patient turns each side of a realism comparison needs."""
MIN_REFERENCE_CONVERSATIONS = 4
"""Reference conversations needed: each random half needs two for a group-aware test."""
YARDSTICK_COLUMNS = ("reference halves", "between real corpora")
"""Table columns of the yardsticks, in the order every realism result lists them."""
class GroupDiversity(BaseModel):
    """Diversity of one group's patient turns, measured on an equal-size sample."""

    model_config = ConfigDict(frozen=True)

    group: str
    """Group label: a run id or corpus name, persona id, model spec or ``axis=level``."""
    real: bool = False
    """True for the real corpus shown beside the measured groups."""
    n_conversations: int
    """Conversations in the group."""
    n_turns: int
    """Patient turns in the group (the sample measured is ``turns.n_texts`` of them)."""
    turns: DiversityReport
    """Over a seeded sample of the report's ``size`` patient turns."""
    first_turns: DiversityReport | None
    """Over a sample of ``first_turn_size`` first patient turns (None with too few)."""


class DiversityResults(BaseModel):
    """Diversity of runs and corpora per group, every group at one sample size."""

    model_config = ConfigDict(frozen=True)

    runs: list[str]
    """Run ids measured."""
    corpora: list[str] = Field(default_factory=list)
    """Corpora measured (as the simulated side)."""
    by: str
    """Grouping: ``run`` (each run or corpus), ``persona``, ``model`` or ``level:<axis>``."""
    reference: str | None = None
    """Real corpus measured beside the groups, at the same size."""
    size: int
    """Patient turns sampled from every group (size-sensitive figures compared at equal n)."""
    first_turn_size: int = 0
    """First turns sampled from every group (0: first-turn diversity not computed)."""
    groups: list[GroupDiversity]
    """One entry per group with enough turns, in first-seen order; the real corpus last."""
    too_small: dict[str, int] = Field(default_factory=dict)
    """Groups left out → their patient turns (fewer than ``size``)."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Metric id → why it was not computed."""
    definitions: dict[str, str]
    """Metric id → one-line definition."""


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    """``size`` of ``n`` indices drawn without replacement by ``default_rng(seed)``, in order."""
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def diversity_report(
    store: Store,
    run_ids: str | Sequence[str] = (),
    *,
    corpora: Sequence[str] = (),
    by: str = "run",
    reference: str | None = None,
    size: int | None = None,
    embed: bool = True,
    model: str | None = None,
    resampling: Resampling | None = None,
    on_progress: StepProgress | None = None,
) -> DiversityResults:
    """Distinct-1/2, self-BLEU-3, MTLD, Vendi and first-turn diversity at one sample size.

    Distinct-n, self-BLEU and Vendi fall or rise with the number of texts, so every group (and
    the real corpus beside them) is measured on a seeded sample of the same number of patient
    turns: ``size``, by default the smallest group's turns capped at :data:`DIVERSITY_CAP`.

    Args:
        store: the store (also the embedding cache).
        run_ids: runs to measure (one id or several).
        corpora: corpora to measure (mixed freely with runs).
        by: ``run`` (each run or corpus), ``persona``, ``model`` or ``level:<axis>``.
        reference: a real corpus (or run) measured at the same size, shown beside the groups.
        size: turns per group (groups with fewer are left out, named in ``too_small``).
        embed: compute the Vendi score when embeddings can be had.
        model: embedding model (default all-MiniLM-L6-v2).
        resampling: half-samples for the intervals (default 100) and the seed of the samples.
        on_progress: told each step (embedding new texts with counts, then each group).

    Raises:
        UnknownRun, UnknownReference: a name is not in the store.
        ValueError: an unknown grouping or axis; nothing to measure.
        TooFewTurns: no group has enough patient turns.
    """
    from workbench.analysis import diversity

    runs = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    sample = sample_conversations(store, runs, corpora)
    groups = sample.grouped(by)
    real = named_conversations(store, reference) if reference else None
    every = [*groups.values(), *([real] if real else [])]
    turns = {id(g): g.patient_turns() for g in every}
    firsts = {id(g): g.first_turns() for g in every}
    floor = max(size or 0, MIN_DIVERSITY_TURNS)
    enough = {id(g) for g in every if len(turns[id(g)]) >= floor}
    if not any(id(g) in enough for g in groups.values()):
        most = max(len(turns[id(g)]) for g in groups.values())
        raise TooFewTurns(f"{sample.name} has {most} patient turns"
                          f"{' per group at most' if len(groups) > 1 else ''}; diversity needs at "
                          f"least {floor} in a group")
    kept = [g for g in every if id(g) in enough]
    size = size or min(DIVERSITY_CAP, *(len(turns[id(g)]) for g in kept))
    first_counts = [len(firsts[id(g)]) for g in kept if len(firsts[id(g)]) >= 2]
    first_size = min(DIVERSITY_CAP, *first_counts) if first_counts else 0
    rs = resampling or Resampling(n_resamples=100)
    skipped: dict[str, str] = {}
    texts = [t for g in kept for t in turns[id(g)].texts]
    reason = "not asked for" if not embed else embedding_unavailable(store, texts, model)
    if reason:
        skipped["vendi"] = f"Vendi score skipped: {reason}"
    steps = len(kept) + (0 if reason else 1)
    if not reason:
        embed_step(store, texts, model, 0, steps, on_progress)
    results = []
    for g in kept:
        if on_progress is not None:
            on_progress(steps - len(kept) + len(results), steps, f"measuring group {g.name} "
                        f"({len(results) + 1} of {len(kept)})")
        chosen = [turns[id(g)].texts[i] for i in _sample(len(turns[id(g)]), size, rs.seed)]
        first = None
        if first_size and len(firsts[id(g)]) >= first_size:
            chosen_firsts = [firsts[id(g)][i]
                             for i in _sample(len(firsts[id(g)]), first_size, rs.seed)]
            first = diversity.first_turn_diversity(
                chosen_firsts, None if reason else vectors(store, chosen_firsts, model),
                resampling=rs)
        results.append(GroupDiversity(
            group=g.name, real=g is real, n_conversations=len(g.transcripts),
            n_turns=len(turns[id(g)]), first_turns=first,
            turns=diversity.measure_diversity(
                chosen, None if reason else vectors(store, chosen, model), resampling=rs),
        ))
    too_small = {g.name: len(turns[id(g)]) for g in every if id(g) not in enough}
    return DiversityResults(runs=runs, corpora=list(corpora), by=by, reference=reference,
                            size=size, first_turn_size=first_size, groups=results,
                            too_small=too_small, skipped=skipped,
                            definitions=diversity.DEFINITIONS)


class RealismResults(BaseModel):
    """Realism of one side's patient turns against a reference corpus, beside yardsticks."""

    model_config = ConfigDict(frozen=True)

    runs: list[str]
    """Run ids measured."""
    corpora: list[str] = Field(default_factory=list)
    """Corpora measured (as the simulated side)."""
    reference: str
    """Reference corpus (or run)."""
    second_reference: str | None
    """Second real corpus (real-against-real yardstick), if any."""
    cap: int
    """Most patient turns per side of the two-sample tests."""
    n_simulated_turns: int
    """Patient turns of the measured side (before any sampling)."""
    n_reference_turns: int
    """Patient turns of the reference (before any sampling)."""
    results: list[SerializeAsAny[RealismResult]]
    """Content and style two-sample tests, Fréchet distance, turn-length distances and the
    conversation-length gap, each with its n per side."""
    tells: list[TellComparison]
    """Each LLM tell's rate in simulated turns and in each real corpus."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Metric id → why it was not computed."""
    turn_words: dict[str, list[int]] = Field(default_factory=dict, exclude=True)
    """Side → words per patient turn, for the distribution plot (left out of ``--json``)."""


def _check_size(turns: PatientTurns, conversations: int, what: str, need_conversations: int) -> None:
    if len(turns) < MIN_REALISM_TURNS or conversations < need_conversations:
        raise TooFewTurns(
            f"{what} has {len(turns)} patient turns in {conversations} conversations; realism "
            f"needs at least {MIN_REALISM_TURNS} turns in {need_conversations} conversations")


def realism_report(
    store: Store,
    run_ids: str | Sequence[str],
    reference: str,
    *,
    corpora: Sequence[str] = (),
    second_reference: str | None = None,
    cap: int | None = None,
    embed: bool = True,
    model: str | None = None,
    resampling: Resampling | None = None,
    on_progress: StepProgress | None = None,
) -> RealismResults:
    """Realism metrics of runs and/or corpora against a reference corpus, with yardsticks.

    Args:
        store: the store (also the embedding cache).
        run_ids: runs of the measured side (one id or several; may be empty with ``corpora``).
        reference: reference corpus name (or a run id).
        corpora: corpora of the measured side (mixed freely with runs).
        second_reference: a second real corpus for the real-against-real yardstick.
        cap: most patient turns per side of the two-sample tests (default 2,000).
        embed: compute the Fréchet distance when embeddings can be had.
        model: embedding model (default all-MiniLM-L6-v2).
        resampling: intervals' replicates and seed (default: each metric's own).
        on_progress: told each step (each test, embedding new texts with counts, ...).

    Raises:
        UnknownRun, UnknownReference: a run or corpus is not in the store.
        TooFewTurns: a side has fewer than :data:`MIN_REALISM_TURNS` patient turns, or too few
            conversations (two for the measured side, :data:`MIN_REFERENCE_CONVERSATIONS` for
            the reference).
    """
    from workbench.analysis import c2st, realism, tells

    runs = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    sim_c = sample_conversations(store, runs, corpora)
    ref_c = named_conversations(store, reference)
    second_c = named_conversations(store, second_reference) if second_reference else None
    sim, ref = sim_c.patient_turns(), ref_c.patient_turns()
    second = second_c.patient_turns() if second_c else None
    _check_size(sim, len(sim_c.transcripts), sim_c.name, 2)
    _check_size(ref, len(ref_c.transcripts), f"corpus {reference}", MIN_REFERENCE_CONVERSATIONS)
    if second_c is not None and second is not None:
        _check_size(second, len(second_c.transcripts), f"corpus {second_reference}", 2)

    def rs(n_resamples: int) -> Resampling:  # each metric's own default unless one is given
        return resampling or Resampling(n_resamples=n_resamples)

    cap = cap or c2st.DEFAULT_CAP
    steps = len(c2st.KINDS) + 4  # the tests, embedding, Fréchet, turn lengths, the rest

    def tell(step: int, what: str) -> None:
        if on_progress is not None:
            on_progress(step, steps, what)

    results: list[RealismResult] = []
    for n, kind in enumerate(c2st.KINDS):
        replicates = rs(c2st.DEFAULT_RESAMPLES).n_resamples
        tell(n, f"classifier two-sample test ({kind}): {replicates} refits")
        results.append(c2st.classifier_two_sample_test(
            sim, ref, second_reference=second, kind=kind, cap=cap,
            resampling=rs(c2st.DEFAULT_RESAMPLES)))
    skipped: dict[str, str] = {}
    texts = [*sim.texts, *ref.texts, *(second.texts if second else ())]
    reason = "not asked for" if not embed else embedding_unavailable(store, texts, model)
    if not reason:
        embed_step(store, texts, model, len(c2st.KINDS), steps, on_progress)
        tell(len(c2st.KINDS) + 1, "Fréchet distance on the embeddings")
    if reason:
        skipped["frechet"] = f"Fréchet distance skipped: {reason}"
    else:
        extra = None
        if second is not None:
            extra = (second.name, vectors(store, second.texts, model), second.conversations)
        results.append(realism.frechet_realism(
            vectors(store, sim.texts, model), vectors(store, ref.texts, model),
            simulated_conversations=sim.conversations, reference_conversations=ref.conversations,
            second_reference=extra, reference_name=reference, resampling=rs(50)))
    tell(steps - 2, "turn lengths")
    results += tells.turn_length_realism(sim, ref, second_reference=second, resampling=rs(200))
    tell(steps - 1, "conversation lengths and LLM tells")
    results.append(tells.conversation_length_gap(
        sim_c.lengths(), ref_c.lengths(),
        second_reference=second_c.lengths() if second_c else None, resampling=rs(1000)))
    return RealismResults(
        runs=runs, corpora=list(corpora), reference=reference, second_reference=second_reference,
        cap=cap, n_simulated_turns=len(sim), n_reference_turns=len(ref), results=results,
        turn_words={"measured": words_per_turn(sim), reference: words_per_turn(ref),
                    **({second_reference: words_per_turn(second)} if second and
                       second_reference else {})},
        tells=tells.compare_tells(sim, ref, rs(1000), second_reference=second), skipped=skipped,
    )


def format_estimate(e: Estimate | RealismResult | None) -> str:
    """``0.523 [0.501, 0.547]`` (value and interval), ``n/a`` when undefined, with a small-n
    caution when the interval rests on fewer than 10 units."""
    if e is None:
        return ""
    return format_interval(e.value, e.interval, n=e.n if isinstance(e, Estimate) else None)


def sample_label(runs: Sequence[str], corpora: Sequence[str]) -> str:
    """What was measured, e.g. ``run r-1 + corpus mibot``."""
    return " + ".join([*(f"run {r}" for r in runs), *(f"corpus {c}" for c in corpora)])


def diversity_rows(results: DiversityResults) -> list[dict[str, object]]:
    """One table row per group (the real corpus last): its sizes and each metric as
    ``value [low, high]``, all at the report's sample size."""
    rows = []
    for g in results.groups:
        row: dict[str, object] = {
            "group": f"{g.group} (real)" if g.real else g.group,
            "conversations": g.n_conversations, "turns": g.n_turns, "sampled": g.turns.n_texts}
        for metric in results.definitions:
            row[metric] = format_estimate(getattr(g.turns, metric))
        row["first turns sampled"] = g.first_turns.n_texts if g.first_turns else 0
        for metric in ("distinct_1", "distinct_2", "vendi"):
            row[f"first_turn_{metric}"] = format_estimate(
                getattr(g.first_turns, metric) if g.first_turns else None)
        rows.append(row)
    return rows


def _sides(a: int, b: int) -> str:
    return f"{a:,} / {b:,}"


def realism_rows(results: RealismResults) -> list[dict[str, object]]:
    """One table row per realism metric: value, interval and n per side, beside each yardstick
    with its own n."""
    rows = []
    for r in results.results:
        row: dict[str, object] = {"metric": r.metric, "measured vs reference": format_estimate(r),
                                  "n per side": _sides(r.n_simulated, r.n_reference)}
        for column, y in zip(YARDSTICK_COLUMNS, r.yardsticks):
            row[column] = format_interval(y.value, y.interval)
            row[f"n ({column})"] = _sides(y.n_a, y.n_b)
        row["definition"] = r.definition
        rows.append(row)
    return rows


def telling_ngrams(results: RealismResults) -> dict[str, list[dict[str, object]]]:
    """For each two-sample test (``c2st_auc``, ``c2st_style_auc``): its telling n-grams, rows of
    ``side``, ``ngram`` and ``weight``, the measured side's first."""
    tables = {}
    for r in results.results:
        measured, real = getattr(r, "simulated_ngrams", None), getattr(r, "reference_ngrams", None)
        if measured is None or real is None:
            continue
        tables[r.metric] = [
            {"side": side, "ngram": g.ngram, "weight": round(g.weight, 3)}
            for side, grams in (("measured", measured), ("reference", real)) for g in grams]
    return tables


def tell_rows(results: RealismResults) -> list[dict[str, object]]:
    """One table row per LLM tell: its rate in the measured turns and in each real corpus, and
    whether it fires on real text."""
    rows = []
    for t in results.tells:
        row: dict[str, object] = {"tell": t.tell, "measured": format_estimate(t.simulated),
                                  results.reference: format_estimate(t.reference)}
        if t.second_reference is not None and results.second_reference:
            row[results.second_reference] = format_estimate(t.second_reference)
        row["on real text"] = t.fires_on_real or "rare"
        row["what"] = t.description
        rows.append(row)
    return rows
