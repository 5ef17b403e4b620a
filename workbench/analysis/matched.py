"""Matched realism: each twin's simulated conversation against its real one, exchange by exchange.

A twin run replays a real conversation's clinician turns, so exchange *k* of the twin and of the
real conversation answer the same clinician turn. Per twin pair and per run: turn-aligned
semantic similarity with a shuffled-pairs baseline, length ratio per exchange, facts disclosed
(:mod:`.disclosure`), and per run the C2ST of the matched replies with its halves yardstick and
the LLM tells of each side. Every figure is defined in docs/METRICS.md, "Matched realism
(twins)".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Estimate, Resampling, estimate
from workbench.analysis.c2st import C2STResult, classifier_two_sample_test
from workbench.analysis.disclosure import FactDisclosure, disclosures, fact_terms, mentions
from workbench.analysis.diversity import words
from workbench.analysis.realism import PatientTurns
from workbench.analysis.tells import TellComparison, compare_tells
from workbench.domain.exchanges import exchanges
from workbench.domain.profile import EDProfile
from workbench.domain.transcript import Transcript

if TYPE_CHECKING:
    from workbench.store import Store

Embed = Callable[[list[str]], np.ndarray]
"""Texts → unit-length vectors, row for row."""
C2ST_RESAMPLES = 20
DEFINITIONS: dict[str, str] = {
    "matched_similarity": "Mean cosine similarity of the simulated and the real patient reply "
    "to the same clinician turn (all-MiniLM-L6-v2 embeddings; 1 = same meaning).",
    "shuffled_baseline": "Mean cosine similarity of a simulated reply and a real reply to a "
    "different clinician turn of the same conversation (all mismatched pairs).",
    "length_ratio": "Geometric mean over exchanges where both replied of (simulated words + 1) "
    "/ (real words + 1) (1 = as long as the real patient).",
    "facts_real": "Profile facts the real patient's replies mention.",
    "facts_simulated": "Profile facts the simulated patient's replies mention.",
    "disclosure_lag": "Mean exchange of first mention, simulated minus real, over facts both "
    "mention (negative = the simulated patient tells earlier).",
}


@dataclass(frozen=True)
class TwinPair:
    """A twin's simulated conversation, its real conversation and the twin's profile."""

    simulated: Transcript
    real: Transcript
    profile: EDProfile


class ExchangeMatch(BaseModel):
    """One exchange of a twin pair: the clinician turn and both patients' replies."""

    model_config = ConfigDict(frozen=True)

    index: int
    clinician: str
    real: str
    simulated: str
    similarity: float | None
    """Cosine of the two replies (None when one is empty)."""
    length_ratio: float | None
    """(simulated words + 1) / (real words + 1) (None when one is empty)."""
    real_facts: list[str]
    """Facts the real reply mentions."""
    simulated_facts: list[str]
    """Facts the simulated reply mentions."""


class PairReport(BaseModel):
    """The matched comparison of one twin pair."""

    model_config = ConfigDict(frozen=True)

    simulated_id: str
    real_id: str
    persona_id: str | None
    levels: dict[str, str]
    exchanges: list[ExchangeMatch]
    similarity: Estimate
    baseline: float
    length_ratio: Estimate
    facts: list[FactDisclosure]
    facts_real: int
    facts_simulated: int
    disclosure_lag: float | None
    """Mean simulated-minus-real exchange of first mention (facts both mention)."""


class MatchedReport(BaseModel):
    """The matched comparison of a set of twin pairs (a run)."""

    model_config = ConfigDict(frozen=True)

    name: str
    pairs: list[PairReport]
    n_exchanges: int
    similarity: Estimate
    baseline: float
    length_ratio: Estimate
    facts_real: int
    facts_simulated: int
    facts_total: int
    disclosure_lag: float | None
    c2st: C2STResult | None
    c2st_note: str = ""
    """Why there is no C2ST (fewer than 2 twin pairs...)."""
    tells: list[TellComparison]
    definitions: dict[str, str] = DEFINITIONS


def _aligned(pair: TwinPair) -> list[tuple[str, str, str]]:
    real, sim = exchanges(pair.real.turns), exchanges(pair.simulated.turns)
    return [(r.clinician, r.patient, s.patient) for r, s in zip(real, sim)]


def shuffled_baseline(sim: np.ndarray, real: np.ndarray) -> tuple[float, int]:
    """Sum of cosines over all pairs (i, j), i ≠ j, and how many there are: the mean of the
    matched similarity over every shuffle of one conversation's replies, in O(n·d)."""
    n = len(sim)
    if n < 2:
        return 0.0, 0
    total = float(sim.sum(axis=0) @ real.sum(axis=0) - np.einsum("ij,ij->", sim, real))
    return total, n * (n - 1)


def _lag(facts: Sequence[FactDisclosure]) -> float | None:
    both = [f.simulated_turn - f.real_turn for f in facts
            if f.simulated_turn is not None and f.real_turn is not None]
    return float(np.mean(both)) if both else None


def compare_pairs(pairs: Sequence[TwinPair], embed: Embed, *, name: str = "",
                  resampling: Resampling | None = None, c2st: bool = True) -> MatchedReport:
    """The matched comparison of twin pairs (see the module docstring).

    Raises:
        ValueError: no pair has an exchange with both replies.
    """
    rs = resampling or Resampling()
    aligned = [_aligned(p) for p in pairs]
    texts = sorted({t for rows in aligned for _, real, sim in rows for t in (real, sim) if t})
    vectors = embed(texts) if texts else np.zeros((0, 1))
    row = {t: i for i, t in enumerate(texts)}
    reports, sims, ratios, groups = [], [], [], []
    base_sum, base_n = 0.0, 0
    for k, (pair, rows) in enumerate(zip(pairs, aligned)):
        terms = fact_terms(pair.profile)
        matches, both = [], [i for i, (_, r, s) in enumerate(rows) if r and s]
        for i, (clinician, real, sim) in enumerate(rows):
            cos = float(vectors[row[real]] @ vectors[row[sim]]) if real and sim else None
            ratio = (len(words(sim)) + 1) / (len(words(real)) + 1) if real and sim else None
            matches.append(ExchangeMatch(
                index=i, clinician=clinician, real=real, simulated=sim, similarity=cos,
                length_ratio=ratio, real_facts=mentions(real, terms),
                simulated_facts=mentions(sim, terms)))
        pair_sims = np.array([matches[i].similarity for i in both], dtype=float)
        pair_logs = np.log([matches[i].length_ratio for i in both]) if both else np.zeros(0)
        s_vec = vectors[[row[rows[i][2]] for i in both]] if both else np.zeros((0, 1))
        r_vec = vectors[[row[rows[i][1]] for i in both]] if both else np.zeros((0, 1))
        total, count = shuffled_baseline(s_vec, r_vec)
        base_sum, base_n = base_sum + total, base_n + count
        facts = disclosures(pair.profile, [r for _, r, _ in rows], [s for _, _, s in rows])
        reports.append(PairReport(
            simulated_id=pair.simulated.id, real_id=pair.real.id,
            persona_id=pair.simulated.persona_id, levels=pair.simulated.levels,
            exchanges=matches,
            similarity=_mean_estimate("matched_similarity", pair_sims, None, rs, "exchanges"),
            baseline=total / count if count else math.nan,
            length_ratio=_mean_estimate("length_ratio", pair_logs, None, rs, "exchanges",
                                        exp=True),
            facts=facts, facts_real=sum(f.real_turn is not None for f in facts),
            facts_simulated=sum(f.simulated_turn is not None for f in facts),
            disclosure_lag=_lag(facts)))
        sims += list(pair_sims)
        ratios += list(pair_logs)
        groups.append((k, len(pair_sims), len(pair_logs)))
    if not sims:
        raise ValueError("no twin pair has an exchange where both patients replied")
    sim_groups = np.repeat([g for g, n, _ in groups], [n for _, n, _ in groups])
    len_groups = np.repeat([g for g, _, n in groups], [n for _, _, n in groups])
    all_facts = [f for r in reports for f in r.facts]
    c2st_result, note = _matched_c2st(aligned, pairs, rs) if c2st else (None, "not computed")
    return MatchedReport(
        name=name, pairs=reports, n_exchanges=len(sims),
        similarity=_mean_estimate("matched_similarity", np.array(sims), sim_groups, rs,
                                  "conversations"),
        baseline=base_sum / base_n if base_n else math.nan,
        length_ratio=_mean_estimate("length_ratio", np.array(ratios), len_groups, rs,
                                    "conversations", exp=True),
        facts_real=sum(f.real_turn is not None for f in all_facts),
        facts_simulated=sum(f.simulated_turn is not None for f in all_facts),
        facts_total=len(all_facts), disclosure_lag=_lag(all_facts),
        c2st=c2st_result, c2st_note=note,
        tells=compare_tells(*_sides(aligned, pairs), rs),
    )


def _mean_estimate(name: str, values: np.ndarray, groups: np.ndarray | None, rs: Resampling,
                   unit: str, exp: bool = False) -> Estimate:
    """Mean of ``values`` (exp of the mean for log ratios) with a bootstrap interval."""
    def stat(idx: np.ndarray) -> float:
        mean = float(values[idx].mean()) if len(idx) else math.nan
        return math.exp(mean) if exp else mean

    if len(values) == 0:
        return Estimate(name=name, value=math.nan, interval=None, n=0,
                        definition=DEFINITIONS[name])
    return estimate(name, stat, len(values), definition=DEFINITIONS[name], resampling=rs,
                    groups=groups, unit_label=unit)


def _sides(aligned: Sequence[list[tuple[str, str, str]]],
           pairs: Sequence[TwinPair]) -> tuple[PatientTurns, PatientTurns]:
    """The matched replies of both sides (exchanges where both replied), by conversation."""
    sim = [(p.simulated.id, [s for _, r, s in rows if r and s]) for p, rows in zip(pairs, aligned)]
    real = [(p.real.id, [r for _, r, s in rows if r and s]) for p, rows in zip(pairs, aligned)]
    return (PatientTurns.from_conversations(sim, "simulated twins"),
            PatientTurns.from_conversations(real, "real conversations"))


def _matched_c2st(aligned: Sequence[list[tuple[str, str, str]]], pairs: Sequence[TwinPair],
                  rs: Resampling) -> tuple[C2STResult | None, str]:
    sim, real = _sides(aligned, pairs)
    if len({*(real.conversations or ())}) < 4:
        return None, ("the C2ST and its halves yardstick need at least 4 twin pairs (2 real "
                      "conversations per half)")
    resampling = rs.model_copy(update={"n_resamples": min(rs.n_resamples, C2ST_RESAMPLES)})
    try:
        return classifier_two_sample_test(sim, real, resampling=resampling), ""
    except ValueError as exc:
        return None, str(exc)


def twin_pairs(store: Store, run_id: str) -> tuple[list[TwinPair], list[str]]:
    """The run's twin conversations with their real conversations and profiles, and notes on
    the conversations left out (not replays, unfinished, real conversation missing).

    Raises:
        UnknownRun: no such run.
    """
    from workbench.backends.replay import replay_source
    from workbench.store.errors import UnknownConversation

    pairs, notes = [], []
    for conv in store.conversations_of_run(run_id, with_turns=True):
        source = replay_source(conv.clinician_prompt or "")
        record = store.get_persona(conv.persona_hash) if conv.persona_hash else None
        profile = record.resolved().profile if record else None
        if source is None or not isinstance(profile, EDProfile):
            notes.append(f"{conv.id}: not a twin conversation (its clinician is {conv.clinician})")
            continue
        if not conv.turns:
            notes.append(f"{conv.id}: no turns yet ({conv.status})")
            continue
        try:
            real = store.get_transcript(f"{source['corpus']}:{source['conversation']}")
        except UnknownConversation as exc:
            notes.append(f"{conv.id}: {exc}")
            continue
        pairs.append(TwinPair(simulated=conv, real=real, profile=profile))
    return pairs, notes


def compare_run(store: Store, run_id: str, model: str | None = None, *,
                resampling: Resampling | None = None) -> tuple[MatchedReport, list[str]]:
    """The matched comparison of a twin run, embedding with ``model`` (cached in the store).

    Raises:
        UnknownRun: no such run.
        ValueError: the run has no twin conversation with a reply to compare.
        ModelUnavailable: texts need encoding and the embedding model cannot be loaded.
    """
    from workbench.analysis.embeddings import embed_texts

    pairs, notes = twin_pairs(store, run_id)
    if not pairs:
        raise ValueError(f"run {run_id!r} has no twin conversation to compare"
                         + (f" ({notes[0]})" if notes else "")
                         + "; twin runs use the clinician replay/<corpus> "
                         "(`workbench twins run`)")
    report = compare_pairs(pairs, lambda texts: embed_texts(store, texts, model).vectors,
                           name=run_id, resampling=resampling)
    return report, notes
