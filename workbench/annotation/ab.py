"""Blind A/B: pairs of conversations of one persona under two configurations, and win rates.

A configuration is what a run changes about the patient: its model, its prompt template (hash) and
its sampling temperature. A choice is stored as an annotation of rubric ``ab`` on the pair's first
conversation (by id), item ``vs:<other id>``, whose value records both sides, their
configurations, the choice (``a``, ``b`` or ``tie``) and the reason, so win rates need nothing else.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Interval, wilson_interval
from workbench.domain.transcript import Transcript
from workbench.store.records import Annotation, RunRecord
from workbench.store.store import Store

AB_RUBRIC = "ab"
"""Rubric id of A/B choices."""
Choice = Literal["a", "b", "tie"]


class Pair(BaseModel):
    """Two conversations of one persona under different configurations, in display order."""

    model_config = ConfigDict(frozen=True)

    persona_id: str
    """The persona both conversations play."""
    a: str
    """Conversation shown first (left, "A")."""
    b: str
    """Conversation shown second (right, "B")."""
    a_config: str
    """Configuration of A (never shown while judging)."""
    b_config: str
    """Configuration of B (never shown while judging)."""

    @property
    def anchor(self) -> tuple[str, str]:
        """(conversation the choice is stored on, the item id): the same whichever side is A."""
        first, second = sorted((self.a, self.b))
        return first, f"vs:{second}"


def configuration(
    patient_model: str | None, patient_template_hash: str | None, run: RunRecord | None
) -> str:
    """A one-line name of what produced the patient side: model, template hash, temperature."""
    temperature = run.temperature if run is not None else None
    template = (patient_template_hash or "?")[:8]
    return (f"{patient_model or '?'} · template {template} · "
            f"temperature {'default' if temperature is None else temperature}")


def find_pairs(store: Store, *, seed: int = 0) -> list[Pair]:
    """Every pair of finished conversations of the same persona under two configurations (one
    conversation per configuration: the first by id), sides and order shuffled with ``seed``."""
    runs = {run.id: run for run in store.list_runs()}
    by_persona: dict[str, dict[str, tuple[str, str]]] = {}
    # One grouped scan in the store: reading every conversation took seconds on 100k of them.
    for c in store.pair_candidates():
        configs = by_persona.setdefault(c.persona_hash, {})
        config = configuration(c.patient_model, c.patient_template_hash, runs.get(c.run_id or ""))
        if config not in configs or c.conversation_id < configs[config][0]:
            configs[config] = (c.conversation_id, c.persona_id or c.persona_hash)
    pairs = []
    for configs in by_persona.values():
        names = sorted(configs)
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                (a, persona), (b, _) = configs[first], configs[second]
                pair = (a, first, b, second)
                if random.Random(f"{seed}:{a}:{b}").random() < 0.5:
                    pair = (b, second, a, first)
                pairs.append(Pair(persona_id=persona, a=pair[0], a_config=pair[1], b=pair[2],
                                  b_config=pair[3]))
    pairs.sort(key=lambda p: p.anchor)
    random.Random(seed).shuffle(pairs)
    return pairs


def choice_annotation(pair: Pair, choice: Choice, reason: str, annotator: str) -> Annotation:
    """The annotation recording an annotator's choice on a pair (submitted at once)."""
    conversation_id, item = pair.anchor
    value = {"a": pair.a, "b": pair.b, "a_config": pair.a_config, "b_config": pair.b_config,
             "choice": choice, "reason": reason.strip()}
    return Annotation(conversation_id=conversation_id, rubric=AB_RUBRIC, item=item, value=value,
                      annotator=annotator, status="submitted")


def judged(annotations: Sequence[Annotation], annotator: str) -> set[tuple[str, str]]:
    """Anchors of the pairs the annotator has already judged."""
    return {(a.conversation_id, a.item) for a in annotations
            if a.rubric == AB_RUBRIC and a.annotator == annotator}


class WinRate(BaseModel):
    """How often one configuration was preferred."""

    model_config = ConfigDict(frozen=True)

    configuration: str
    """Model · template · temperature."""
    wins: int
    """Comparisons it won."""
    losses: int
    """Comparisons it lost."""
    ties: int
    """Comparisons judged a tie (not counted in the rate)."""
    rate: float | None
    """wins / (wins + losses); None before any decided comparison."""
    interval: Interval | None
    """Wilson interval of the rate."""

    def row(self) -> dict[str, Any]:
        """A table row."""
        low, high = (self.interval.low, self.interval.high) if self.interval else (None, None)
        small = self.interval is not None and self.interval.small_n
        return {"configuration": self.configuration, "wins": self.wins, "losses": self.losses,
                "ties": self.ties, "win rate": self.rate, "low": low, "high": high,
                "caution": f"⚠ n={self.wins + self.losses}<10" if small else ""}


def win_rates(annotations: Sequence[Annotation], confidence: float = 0.95) -> list[WinRate]:
    """Win rate of each configuration over every submitted A/B choice, best first."""
    tally: dict[str, list[int]] = {}
    for a in annotations:
        if a.rubric != AB_RUBRIC or a.status != "submitted" or not isinstance(a.value, dict):
            continue
        v = a.value
        for side in ("a", "b"):
            counts = tally.setdefault(str(v[f"{side}_config"]), [0, 0, 0])
            counts[0 if v["choice"] == side else 2 if v["choice"] == "tie" else 1] += 1
    rates = []
    for config, (wins, losses, ties) in tally.items():
        decided = wins + losses
        rates.append(WinRate(configuration=config, wins=wins, losses=losses, ties=ties,
                             rate=wins / decided if decided else None,
                             interval=wilson_interval(wins, decided, confidence)))
    return sorted(rates, key=lambda r: (-(r.rate or 0.0), r.configuration))
