"""What the Twins page and ``workbench twins compare`` show: rows, labels, links and figures.

Model and corpus text only ever reaches plotly through :func:`~workbench.analysis.figures.
hover_text` (escaped); the page shows it with ``st.text`` / ``st.code``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go

from workbench.analysis.bootstrap import Estimate
from workbench.analysis.figures import hover_text
from workbench.analysis.matched import ExchangeMatch, MatchedReport, PairReport
from workbench.domain.profile import EDProfile
from workbench.backends import BackendError
from workbench.domain.prompts import PromptError
from workbench.views.forms import FormField, build_profile, profile_form_fields
from workbench.store.records import RunRecord
from workbench.twins import ExtractionError, TwinDraft
from workbench.twins.extraction import FACT_FIELDS


def is_twin_run(run: RunRecord) -> bool:
    """Whether a run replays real clinicians (a twin run)."""
    return run.clinician.startswith("replay/")


def figure(value: float | None, digits: int = 2) -> str:
    """A number for a table or a line ("–" when undefined)."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.{digits}f}"


def with_interval(est: Estimate, digits: int = 2) -> str:
    """``0.62 [0.55, 0.70] (n=40)``."""
    ci = f" [{figure(est.low, digits)}, {figure(est.high, digits)}]" if est.interval else ""
    return f"{figure(est.value, digits)}{ci} (n={est.n})"


def summary_rows(report: MatchedReport) -> list[dict[str, str]]:
    """The run-level figures, one row each, with their definitions."""
    d = report.definitions
    rows = [
        ("Matched similarity", with_interval(report.similarity), d["matched_similarity"]),
        ("Shuffled-pairs baseline", figure(report.baseline), d["shuffled_baseline"]),
        ("Length ratio (sim/real)", with_interval(report.length_ratio), d["length_ratio"]),
        ("Facts the real patient mentioned", f"{report.facts_real} of {report.facts_total}",
         d["facts_real"]),
        ("Facts the simulated patient mentioned",
         f"{report.facts_simulated} of {report.facts_total}", d["facts_simulated"]),
        ("Disclosure lag (exchanges)", figure(report.disclosure_lag), d["disclosure_lag"]),
    ]
    if report.c2st is not None:
        c = report.c2st
        halves = "; ".join(f"{y.label}: {figure(y.value)}" for y in c.yardsticks)
        rows.append(("Matched C2ST AUC", f"{figure(c.value)} (n={c.n_simulated} a side; "
                     f"yardstick {halves})", c.definition))
    else:
        rows.append(("Matched C2ST AUC", "–", report.c2st_note))
    for tell in report.tells:
        rows.append((f"Tell: {tell.tell}", f"simulated {tell.simulated.value:.1%} · real "
                     f"{tell.reference.value:.1%}", tell.description))
    return [{"figure": a, "value": b, "definition": c} for a, b, c in rows]


def summary_lines(report: MatchedReport) -> list[str]:
    """The report as plain lines for the terminal."""
    lines = [f"Matched comparison of {report.name}: {len(report.pairs)} twin pairs, "
             f"{report.n_exchanges} exchanges"]
    lines += [f"  {r['figure']}: {r['value']}" for r in summary_rows(report)]
    lines.append("Per twin pair (similarity · baseline · length ratio · facts real/sim):")
    lines += [f"  {r['twin']}: {r['similarity']} · {r['baseline']} · {r['length ratio']} · "
              f"{r['facts real']}/{r['facts simulated']}" for r in pair_rows(report)]
    return lines


def pair_rows(report: MatchedReport) -> list[dict[str, Any]]:
    """One row per twin pair."""
    return [{
        "twin": p.simulated_id, "real": p.real_id, "persona": p.persona_id or "",
        "exchanges": len(p.exchanges), "similarity": figure(p.similarity.value),
        "baseline": figure(p.baseline), "length ratio": figure(p.length_ratio.value),
        "facts real": p.facts_real, "facts simulated": p.facts_simulated,
        "disclosure lag": figure(p.disclosure_lag),
    } for p in report.pairs]


def first_disclosures(pair: PairReport) -> dict[int, dict[str, list[str]]]:
    """Exchange → the facts each side discloses there for the first time."""
    found: dict[int, dict[str, list[str]]] = {}
    for fact in pair.facts:
        for side, turn in (("real", fact.real_turn), ("simulated", fact.simulated_turn)):
            if turn is not None:
                found.setdefault(turn, {"real": [], "simulated": []})[side].append(fact.field)
    return found


def exchange_label(match: ExchangeMatch) -> str:
    """The heading of one aligned exchange (figures only, no untrusted text)."""
    return (f"Exchange {match.index + 1} · similarity {figure(match.similarity)} · "
            f"length ratio {figure(match.length_ratio)}")


def similarity_band(value: float | None, baseline: float) -> str:
    """How an exchange's similarity compares with the shuffled baseline, for highlighting."""
    if value is None or math.isnan(baseline):
        return "gray"
    return "green" if value >= baseline + 0.2 else "orange" if value >= baseline else "red"


def links(pair: PairReport) -> dict[str, str]:
    """Relative links from the Twins page into Transcripts and Compare."""
    return {"simulated": f"transcripts?conversation={quote(pair.simulated_id)}",
            "real": f"transcripts?conversation={quote(pair.real_id)}",
            "compare": f"compare?a={quote(pair.simulated_id)}&b={quote(pair.real_id)}"}


def similarity_figure(pair: PairReport) -> go.Figure:
    """Similarity per exchange against the shuffled-pairs baseline."""
    xs = [m.index + 1 for m in pair.exchanges]
    fig = go.Figure(go.Scatter(
        x=xs, y=[m.similarity for m in pair.exchanges], mode="lines+markers", name="matched",
        hovertext=[hover_text(m.clinician) for m in pair.exchanges], hoverinfo="x+y+text"))
    if not math.isnan(pair.baseline):
        fig.add_hline(y=pair.baseline, line_dash="dash", annotation_text="shuffled baseline")
    fig.update_layout(xaxis_title="exchange (clinician turn)", yaxis_title="cosine similarity",
                      yaxis_range=[-0.2, 1.05], height=320, margin={"t": 30})
    return fig


def disclosure_figure(pair: PairReport) -> go.Figure:
    """Exchange of each fact's first mention, real against simulated."""
    fig = go.Figure()
    for side, symbol in (("real", "circle"), ("simulated", "x")):
        facts = [f for f in pair.facts if getattr(f, f"{side}_turn") is not None]
        fig.add_trace(go.Scatter(
            x=[getattr(f, f"{side}_turn") + 1 for f in facts], y=[f.field for f in facts],
            mode="markers", name=side, marker={"symbol": symbol, "size": 11}))
    fig.update_layout(xaxis_title="exchange of first mention", height=320, margin={"t": 30})
    return fig


def run_figure(report: MatchedReport) -> go.Figure:
    """Each twin pair's matched similarity beside its shuffled baseline."""
    names = [p.persona_id or p.simulated_id for p in report.pairs]
    fig = go.Figure([
        go.Bar(x=names, y=[p.similarity.value for p in report.pairs], name="matched"),
        go.Bar(x=names, y=[p.baseline for p in report.pairs], name="shuffled baseline")])
    fig.update_layout(barmode="group", yaxis_title="cosine similarity", height=340,
                      margin={"t": 30})
    return fig


def pair_choices(report: MatchedReport) -> Sequence[str]:
    """The twin conversations to choose from, in report order."""
    return [p.simulated_id for p in report.pairs]


def conversation_label(transcript: Any) -> str:
    """A real conversation in a chooser: its original id and how many turns it has."""
    original = transcript.metadata.get("original_id") or transcript.id
    return f"{original} · {len(transcript.turns)} turns"


TWIN_ERRORS = (ExtractionError, BackendError, PromptError)
"""What making a twin on a page can raise that a user can act on."""


def twin_form(profile: EDProfile) -> list[tuple[FormField, Any]]:
    """The review form of a twin: each fact's form field and its starting value."""
    return [(f, getattr(profile, f.name)) for f in profile_form_fields("ed")
            if f.name in FACT_FIELDS]


def edited_twin(draft: TwinDraft, data: dict[str, Any]) -> EDProfile:
    """The reviewed twin: the form's facts, the draft's id and source (blank text → empty).

    Raises:
        LibraryError: a fact does not validate (naming the field).
    """
    facts = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    twin = draft.profile.twin.model_dump() if draft.profile.twin else None
    return build_profile("ed", {**facts, "id": draft.profile.id, "twin": twin})  # type: ignore[return-value]
