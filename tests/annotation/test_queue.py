"""The annotation queue: seeded random order, balance across levels, progress."""

from __future__ import annotations

from datetime import UTC, datetime

from workbench.annotation.queue import NO_LEVEL, order_queue, progress
from workbench.store import Annotation, ConversationSummary


def summary(cid: str, **levels: str) -> ConversationSummary:
    return ConversationSummary(id=cid, run_id=None, source="simulated", persona_id=None,
                               scenario=None, profile=None, levels=levels, patient_model=None,
                               clinician=None, seed=None, sample=None, status="done", n_turns=2,
                               created_at=datetime(2026, 1, 1, tzinfo=UTC))


CONVS = [summary(f"c{i}", recall=["high", "low", "normal"][i % 3]) for i in range(9)]


def test_random_order_depends_on_the_seed_only() -> None:
    first = order_queue(CONVS, "random", seed=3)
    assert sorted(first) == sorted(c.id for c in CONVS)
    assert order_queue(list(reversed(CONVS)), "random", seed=3) == first
    assert order_queue(CONVS, "random", seed=4) != first


def test_balanced_order_takes_levels_in_turn() -> None:
    queue = order_queue([*CONVS, summary("x")], "balanced", seed=1, axis="recall")
    level = {c.id: c.levels.get("recall", NO_LEVEL) for c in [*CONVS, summary("x")]}
    assert sorted(level[cid] for cid in queue[:4]) == sorted([NO_LEVEL, "high", "low", "normal"])
    assert sorted(level[cid] for cid in queue[4:7]) == ["high", "low", "normal"]
    assert order_queue(CONVS, "balanced", seed=1, axis=None) == order_queue(CONVS, seed=1)


def test_progress_counts_submitted_conversations_of_the_queue() -> None:
    def note(cid: str, status: str, who: str = "ana") -> Annotation:
        return Annotation(conversation_id=cid, rubric="r", item="i", annotator=who, status=status)

    rows = [note("c1", "submitted"), note("c2", "draft"), note("c3", "submitted", "ben"),
            note("elsewhere", "submitted")]
    assert progress(["c1", "c2", "c3"], rows, "ana") == (1, 3)
    assert progress(["c1", "c2", "c3"], rows, "ben") == (1, 3)
