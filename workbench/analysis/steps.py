"""Progress of the reports' long steps, told to a page's progress bar or a CLI bar.

A report calls ``on_progress(steps_done, steps, what)`` before each step; ``steps_done`` may be
fractional inside a step (``2.4``: the third step has encoded 40 % of its texts) and ``what``
names the step in words with its counts. A job made of parts (embedding, then the map, then
titles) gives each part :func:`within`: the part counts its own steps, the bar moves across the
part's share of the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workbench.analysis.realism import PatientTurns
from workbench.analysis.samples import vectors
from workbench.store import Store

StepProgress = Callable[[float, int, str], None]
"""``on_progress(steps_done, steps, what)``."""


def within(on_progress: StepProgress | None, first: int, span: int,
           steps: int) -> StepProgress | None:
    """The progress of one part of a job of ``steps`` steps, the part taking steps ``first`` to
    ``first + span``: the part's own ``(done, total, what)`` moves the job's bar across that span
    (None when the job tells nobody)."""
    if on_progress is None:
        return None
    return lambda done, total, what: on_progress(first + span * done / max(total, 1), steps, what)


def counted(on_progress: StepProgress | None, step: int, steps: int, what: str,
            noun: str = "") -> Callable[[int, int], None] | None:
    """A count callback ``(done, total)`` inside step ``step`` of a job: the bar moves across the
    step and says ``what: done of total noun`` (None when the job tells nobody)."""
    if on_progress is None:
        return None
    return lambda done, total: on_progress(step + done / max(total, 1), steps,
                                           f"{what}: {done:,} of {total:,}"
                                           + (f" {noun}" if noun else ""))


def embed_step(store: Store, texts: Sequence[str], model: str | None, step: int, steps: int,
               on_progress: StepProgress | None) -> None:
    """Encode (and cache) every text not yet in the store, telling the counts: the slow part of
    a first report against a new corpus (later ``vectors`` calls read the cache). Without
    ``on_progress`` nothing is done here: the report's own ``vectors`` calls encode."""
    if on_progress is None:
        return
    on_progress(step, steps, f"embedding {len(set(texts)):,} texts (cached ones are reused)")
    vectors(store, texts, model, on_progress=counted(on_progress, step, steps,
                                                     "embedding new texts"))


def words_per_turn(turns: PatientTurns) -> list[int]:
    """Words per patient turn (the tokenizer of the turn-length metrics)."""
    from workbench.analysis.diversity import words

    return [len(words(t)) for t in turns.texts]
