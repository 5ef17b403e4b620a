"""The demo run: a newcomer's first transcripts, from a real model on their own machine.

Six varied personas (both scenarios, spread over the axis levels, one of them highly confused) ×
one sample, with the smallest chat model the configured Ollama offers playing both the patient and
the clinician. Every word comes from that model: when no model server answers, there is no demo,
only the how-to (``hosts_status.OLLAMA_HOWTO``).

The choices are pure functions of the library and the model listing, so they are tested without a
server; ``workbench demo`` and the Runs page's "Run the demo" button both use ``demo_config``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from workbench.domain.persona import Persona
from workbench.hosts_status import (
    OLLAMA_HOWTO,
    HostStatus,
    ModelInfo,
    human_size,
    ollama_banner,
    parameter_count,
    parameter_count_from_name,
    reachable_models,
)
from workbench.simulate import RunConfig

__all__ = [
    "DEMO_CONCURRENCY", "DEMO_MAX_TURNS", "DEMO_NAME", "DEMO_PERSONAS", "MUST_INCLUDE", "DemoPlan", "DemoUnavailable", "ModelChoice",
    "choose_demo_personas", "choose_smallest_model", "demo_config",
]

DEMO_PERSONAS = 6
"""How many personas the demo runs (one sample each)."""
DEMO_MAX_TURNS = 10
"""Turns per demo conversation: enough to read, short enough for a laptop CPU."""
DEMO_CONCURRENCY = 2
"""Model calls in flight: a small local model serves few at once."""
DEMO_NAME = "demo"
"""The demo run's name."""
MUST_INCLUDE = ("confusion", "high")
"""An axis level the demo always shows (when the library has it): the hardest patient to read."""


class DemoUnavailable(Exception):
    """No demo can run here (no model server, no chat model); the message says what to do."""


class ModelChoice(NamedTuple):
    """The model the demo uses, and why."""

    model: ModelInfo
    reason: str
    """E.g. "the smallest by parameter count (0.5B)"."""


class DemoPlan(NamedTuple):
    """Everything needed to plan the demo run."""

    config: RunConfig
    name: str
    model_reason: str


def choose_demo_personas(
    personas: Mapping[str, Persona], n: int = DEMO_PERSONAS,
    must_include: tuple[str, str] | None = MUST_INCLUDE,
) -> list[str]:
    """``n`` personas that differ as much as possible, alternating scenarios.

    Starts with a persona at the ``must_include`` axis level (the first such id), then adds, in
    turn from each scenario, the persona that brings the most (axis, level) pairs and profiles
    not yet shown (ties: the smallest id). Deterministic for a given library.
    """
    pool = dict(sorted(personas.items()))
    chosen: list[str] = []
    axis, level = must_include or ("", "")
    first = next((pid for pid, p in pool.items() if p.levels.get(axis) == level), None)
    if first is not None:
        chosen.append(first)
    scenarios = sorted({p.scenario for p in pool.values()})
    while len(chosen) < min(n, len(pool)):
        shown_levels = {(a, lv) for pid in chosen for a, lv in pool[pid].levels.items()}
        shown_profiles = {pool[pid].profile for pid in chosen}
        counts = {s: sum(pool[pid].scenario == s for pid in chosen) for s in scenarios}
        left = [pid for pid in pool if pid not in chosen]
        # The scenario shown least so far (ties: alphabetical) gets the next pick if it can.
        for scenario in sorted(scenarios, key=lambda s: (counts[s], s)):
            candidates = [pid for pid in left if pool[pid].scenario == scenario]
            if candidates:
                break
        novelty = {pid: len(set(pool[pid].levels.items()) - shown_levels)
                   + (pool[pid].profile not in shown_profiles) for pid in candidates}
        chosen.append(max(candidates, key=lambda pid: (novelty[pid], _reverse(pid))))
    return chosen


def _reverse(text: str) -> tuple[int, ...]:
    """A key under which ``max`` prefers the alphabetically smallest string."""
    return tuple(-ord(c) for c in text) + (0,)


def choose_smallest_model(models: Sequence[ModelInfo]) -> ModelChoice | None:
    """The smallest chat model: by parameter count (Ollama's details, else the name's tag such as
    ``:1b``), then by size on disk, then by name. None when there is no chat model."""
    chat = [m for m in models if not m.is_embedding]
    if not chat:
        return None

    def key(m: ModelInfo) -> tuple[float, float, str]:
        params = parameter_count(m.parameter_size) or parameter_count_from_name(m.name)
        size = m.size_bytes if m.size_bytes is not None else math.inf
        return (params if params is not None else math.inf, size, m.name)

    best = min(chat, key=key)
    if parameter_count(best.parameter_size) is not None:
        reason = f"the smallest by parameter count ({best.parameter_size})"
    elif parameter_count_from_name(best.name) is not None:
        reason = "the smallest by the size in its name (the server reported no parameter count)"
    elif best.size_bytes is not None:
        reason = f"the smallest on disk ({human_size(best.size_bytes)})"
    else:
        reason = "the first by name: the server reported no sizes"
    if len(chat) == 1:
        reason = "the only chat model installed"
    return ModelChoice(best, reason)


def demo_config(
    personas: Mapping[str, Persona], statuses: Sequence[HostStatus], *,
    model: str | None = None, allow_remote: bool = False,
) -> DemoPlan:
    """The demo run for this library and these probed hosts.

    Args:
        personas: The library's personas (``Library.personas()``).
        statuses: The configured hosts, probed (``hosts_status.probe_hosts``).
        model: Use this model (``ollama/<name>`` or ``<name>``) instead of the smallest.
        allow_remote: The settings' remote-host opt-in (copied into the run).

    Raises:
        DemoUnavailable: No host answers, or none offers a chat model (or ``model``).
    """
    banner = ollama_banner(statuses)
    if banner is not None:
        raise DemoUnavailable(banner)
    if model:
        name = model.removeprefix("ollama/")
        offered = {m.name: m for m in reachable_models(statuses)}
        if name not in offered:
            have = ", ".join(offered) or "none"
            raise DemoUnavailable(f"Model {name!r} is not on the reachable host(s) (they have: "
                                  f"{have}). Pull it with `ollama pull {name}` or pick another.")
        choice = ModelChoice(offered[name], "chosen with --model")
    else:
        found = choose_smallest_model(reachable_models(statuses))
        if found is None:  # ollama_banner already refused this case; kept for type narrowing
            raise DemoUnavailable(OLLAMA_HOWTO)
        choice = found
    hosts = [s.host for s in statuses
             if s.reachable and any(m.name == choice.model.name for m in s.models)]
    ids = choose_demo_personas(personas)
    config = RunConfig(personas=ids, patient_model=choice.model.spec,
                       clinician=choice.model.spec, samples=1, max_turns=DEMO_MAX_TURNS,
                       concurrency=DEMO_CONCURRENCY, hosts=hosts, allow_remote=allow_remote)
    return DemoPlan(config, DEMO_NAME, f"{choice.model.name}: {choice.reason}")
