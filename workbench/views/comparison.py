"""Comparing two conversations: partners worth comparing, side-by-side figures, the prompt diff.

The prompts a conversation was produced with are stored with it (rendered, with the hashes of the
templates they came from), so two prompt versions are compared by diffing what the models were
actually sent.
"""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Iterable
from typing import Any, NamedTuple

from workbench.domain.sessions import session_of
from workbench.domain.transcript import Transcript
from workbench.store.records import ConversationFilter, ConversationSummary


def same_persona_filter(t: Transcript) -> ConversationFilter:
    """Conversations of the same persona content: scenario, profile and every axis level.

    The persona hash is deliberately not used: the same persona under another prompt version
    (another hash) is what a prompt comparison is after.
    """
    return ConversationFilter(
        scenario=[t.scenario] if t.scenario else None,
        profile=[t.profile] if t.profile else None,
        levels={axis: [level] for axis, level in t.levels.items()},
    )


class Suggestion(NamedTuple):
    """A conversation worth comparing with the one chosen, and why."""

    id: str
    label: str
    """e.g. ``other model: ollama/qwen2.5:7b · run r-... · c-...``."""


def suggest_partners(
    a: Transcript, candidates: Iterable[ConversationSummary], limit: int = 20
) -> list[Suggestion]:
    """Same-persona conversations ranked by what differs from ``a``: model, then clinician, then
    run, then only the sample (candidates come from ``same_persona_filter``). When ``a`` is
    session N of a multi-session series, session N−1 of the same persona comes first."""
    ranked = []
    session = session_of(a)
    if session is not None and session.previous:
        ranked.append((-1, Suggestion(session.previous, f"previous session ({session.number - 1} "
                                      f"of {session.of}) · {session.previous}")))
    for c in candidates:
        if c.id == a.id or (session is not None and c.id == session.previous):
            continue
        if c.patient_model != a.patient_model:
            why, rank = f"other model: {c.patient_model}", 0
        elif c.clinician != a.clinician:
            why, rank = f"other clinician: {c.clinician}", 1
        elif c.run_id != a.run_id:
            why, rank = f"other run: {c.run_id or c.source}", 2
        else:
            why, rank = f"same run, sample {c.sample}", 3
        ranked.append((rank, Suggestion(c.id, f"{why} · {c.n_turns} turns · {c.id}")))
    ranked.sort(key=lambda item: item[0])  # stable: newest first within a rank
    return [s for _, s in ranked[:limit]]


def prompt_diff(a: Transcript, b: Transcript, context: int = 3) -> str:
    """Unified diff of the two conversations' rendered system prompts, patient then clinician.

    Each file header names the conversation and the template hash; an empty string means both
    prompts are identical on both sides.
    """
    out: list[str] = []
    for side in ("patient", "clinician"):
        old, new = getattr(a, f"{side}_prompt") or "", getattr(b, f"{side}_prompt") or ""
        if old == new:
            continue
        old_hash = getattr(a, f"{side}_template_hash") or "none"
        new_hash = getattr(b, f"{side}_template_hash") or "none"
        out.extend(difflib.unified_diff(
            old.splitlines(), new.splitlines(),
            fromfile=f"A {a.id} {side} prompt (template {old_hash})",
            tofile=f"B {b.id} {side} prompt (template {new_hash})",
            lineterm="", n=context,
        ))
    return "\n".join(out)


def template_rows(a: Transcript, b: Transcript) -> list[dict[str, str]]:
    """Per side: both template hashes and whether the prompts sent were the same."""
    rows = []
    for side in ("patient", "clinician"):
        old, new = getattr(a, f"{side}_prompt"), getattr(b, f"{side}_prompt")
        rows.append({
            "prompt": side,
            "template A": getattr(a, f"{side}_template_hash") or "",
            "template B": getattr(b, f"{side}_template_hash") or "",
            "rendered prompts": "identical" if old == new else "differ",
        })
    return rows


def summary_rows(a: Transcript, b: Transcript) -> list[dict[str, Any]]:
    """The two conversations' provenance and simple figures, one row per measure."""
    fa, fb = _figures(a), _figures(b)
    return [{"measure": k, "A": str(fa[k]), "B": str(fb[k])} for k in fa]


def _figures(t: Transcript) -> dict[str, Any]:
    patient = [turn for turn in t.turns if turn.role == "patient"]
    words = [len(turn.text.split()) for turn in patient]
    latencies = [turn.latency_s for turn in patient if turn.latency_s is not None]
    tokens = [turn.completion_tokens for turn in patient if turn.completion_tokens is not None]
    return {
        "persona": t.persona_id or "",
        "levels": ", ".join(f"{k}={v}" for k, v in t.levels.items()),
        "patient model": t.patient_model or "",
        "clinician": t.clinician or "",
        "run": t.run_id or t.source,
        "status": t.status,
        "turns": len(t.turns),
        "patient words per turn (mean)": round(statistics.fmean(words), 1) if words else "",
        "patient turns over the sentence cap": sum(bool(x.state.get("over_cap")) for x in patient),
        "patient latency s (mean)": round(statistics.fmean(latencies), 2) if latencies else "",
        "patient tokens generated": sum(tokens) if tokens else "",
    }
