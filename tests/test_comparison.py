"""Comparing conversations: partner suggestions, the prompt diff, side-by-side figures."""

from __future__ import annotations

from datetime import UTC, datetime

from workbench.views.comparison import (
    prompt_diff,
    same_persona_filter,
    suggest_partners,
    summary_rows,
    template_rows,
)
from workbench.domain.transcript import Transcript, Turn
from workbench.store import ConversationSummary

A = Transcript(
    id="c-a", run_id="r-1", persona_id="p", scenario="ed", profile="x",
    levels={"personality": "verbose", "recall": "low"}, patient_model="ollama/m1",
    clinician="scripted/intake", patient_prompt="You are Ann.\nBe brief.\nNever diagnose.",
    patient_template_hash="aaaa", clinician_prompt=None,
    turns=[Turn(index=0, role="clinician", text="Hi?"),
           Turn(index=1, role="patient", text="one two three", latency_s=1.0,
                completion_tokens=5, state={"over_cap": True}),
           Turn(index=2, role="clinician", text="And?"),
           Turn(index=3, role="patient", text="four", latency_s=2.0, completion_tokens=3)],
)


def summary(cid: str, **changes: object) -> ConversationSummary:
    fields = {"id": cid, "run_id": "r-1", "source": "simulated", "persona_id": "p",
              "scenario": "ed", "profile": "x", "levels": A.levels, "patient_model": "ollama/m1",
              "clinician": "scripted/intake", "seed": None, "sample": 0, "status": "done",
              "n_turns": 4, "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    return ConversationSummary(**{**fields, **changes})


def test_same_persona_means_scenario_profile_and_every_level() -> None:
    f = same_persona_filter(A)
    assert f.scenario == ["ed"] and f.profile == ["x"]
    assert f.levels == {"personality": ["verbose"], "recall": ["low"]}


def test_partners_ranked_by_what_differs() -> None:
    candidates = [
        summary("c-a"),  # itself: never suggested
        summary("c-sample", sample=1),
        summary("c-run", run_id="r-2"),
        summary("c-model", patient_model="ollama/m2"),
        summary("c-clin", clinician="ollama/doc"),
    ]
    suggestions = suggest_partners(A, candidates)
    assert [s.id for s in suggestions] == ["c-model", "c-clin", "c-run", "c-sample"]
    assert suggestions[0].label == "other model: ollama/m2 · 4 turns · c-model"
    assert suggestions[3].label.startswith("same run, sample 1")
    assert len(suggest_partners(A, candidates, limit=2)) == 2


def test_prompt_diff_is_a_unified_diff_with_template_hashes() -> None:
    b = A.model_copy(update={"id": "c-b", "patient_template_hash": "bbbb",
                             "patient_prompt": "You are Ann.\nBe very brief.\nNever diagnose."})
    assert prompt_diff(A, b).splitlines() == [
        "--- A c-a patient prompt (template aaaa)",
        "+++ B c-b patient prompt (template bbbb)",
        "@@ -1,3 +1,3 @@",
        " You are Ann.",
        "-Be brief.",
        "+Be very brief.",
        " Never diagnose.",
    ]
    assert prompt_diff(A, A) == ""
    rows = template_rows(A, b)
    assert rows[0] == {"prompt": "patient", "template A": "aaaa", "template B": "bbbb",
                       "rendered prompts": "differ"}
    assert rows[1]["rendered prompts"] == "identical"


def test_prompt_diff_of_a_missing_prompt() -> None:
    b = A.model_copy(update={"id": "c-b", "clinician_prompt": "Ask one question at a time.",
                             "clinician_template_hash": "cccc"})
    lines = prompt_diff(A, b).splitlines()
    assert lines[:2] == ["--- A c-a clinician prompt (template none)",
                         "+++ B c-b clinician prompt (template cccc)"]
    assert lines[-1] == "+Ask one question at a time."


def test_summary_figures() -> None:
    figures = {row["measure"]: row["A"] for row in summary_rows(A, A)}
    assert figures["turns"] == "4"
    assert figures["patient words per turn (mean)"] == "2.0"  # (3 + 1) / 2
    assert figures["patient turns over the sentence cap"] == "1"
    assert figures["patient latency s (mean)"] == "1.5"
    assert figures["patient tokens generated"] == "8"
    assert figures["levels"] == "personality=verbose, recall=low"
