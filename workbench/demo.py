"""The demo run: a newcomer's first transcripts, from a real model on their own machine.

Six varied personas (both scenarios, spread over the axis levels, one of them highly confused) ×
one sample, with the smallest chat model the configured Ollama offers playing both the patient and
the clinician. When no Ollama host can serve a conversation, the embedded model (``local/smollm2``,
a tiny SmolLM2-135M run in this process) plays both sides instead, with a plain note that it is
meant to try the workbench, not to study patients. Every word comes from a model: when neither is
available, there is no demo, only the how-to.

The choices are pure functions of the library and the model listing, so they are tested without a
server; ``workbench demo`` and the Runs page's "Run the demo" button both use ``demo_config``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from workbench.backends import local
from workbench.backends.local import ALIASES, EMBEDDED_NAME, TINY_MODEL_NOTE
from workbench.domain.persona import Persona
from workbench.views.hosts_status import (
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
    "DEMO_CONCURRENCY", "DEMO_MAX_TURNS", "DEMO_NAME", "DEMO_PERSONAS", "MUST_INCLUDE",
    "DemoPlan", "DemoUnavailable", "ModelChoice",
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
    note: str | None = None
    """What to tell the user about the model before they read its transcripts (the embedded
    model's: tiny, for trying the workbench only)."""


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
    model: str | None = None, allow_remote: bool = False, max_turns: int = DEMO_MAX_TURNS,
    embedded_missing: Callable[[], str | None] | None = None,
) -> DemoPlan:
    """The demo run for this library and these probed hosts.

    Args:
        personas: The library's personas (``Library.personas()``).
        statuses: The configured hosts, probed (``hosts_status.probe_hosts``).
        model: Use this model (``ollama/<name>``, ``<name>`` or ``local/<model>``) instead of
            the smallest.
        allow_remote: The settings' remote-host opt-in (copied into the run).
        max_turns: Turns per conversation.
        embedded_missing: Says why the embedded model cannot run here, None when it can
            (default: ``backends.local.embedded_missing``).

    Raises:
        DemoUnavailable: No Ollama host offers a chat model (or ``model``) and the embedded model
            is not installed either.
    """
    ids = choose_demo_personas(personas)
    if model and model.strip().startswith("local/"):
        return _local_demo(ids, model, "chosen with --model", allow_remote, max_turns)
    banner = ollama_banner(statuses)
    if banner is not None and not model:
        missing = (embedded_missing or local.embedded_missing)()
        if missing is None:
            return _local_demo(ids, f"local/{EMBEDDED_NAME}", "the embedded model: no Ollama "
                               "host answers with a chat model", allow_remote, max_turns)
        raise DemoUnavailable(f"{banner}\n\nThe embedded model cannot run either: {missing}")
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
    config = RunConfig(personas=ids, patient_model=choice.model.spec,
                       clinician=choice.model.spec, samples=1, max_turns=max_turns,
                       concurrency=DEMO_CONCURRENCY, hosts=hosts, allow_remote=allow_remote)
    return DemoPlan(config, DEMO_NAME, f"{choice.model.name}: {choice.reason}")


def _local_demo(ids: list[str], spec: str, reason: str, allow_remote: bool,
                max_turns: int) -> DemoPlan:
    """Both sides on a model run in this process (no host involved)."""
    # One call in flight: the runtime answers one call at a time anyway, and the engine then
    # admits two conversations, whose four sides each keep a warm context (backends.local).
    config = RunConfig(personas=ids, patient_model=spec, clinician=spec, samples=1,
                       max_turns=max_turns, concurrency=1, allow_remote=allow_remote)
    spec = spec.strip()
    note = TINY_MODEL_NOTE if spec.removeprefix("local/").lower() in ALIASES else None
    return DemoPlan(config, DEMO_NAME, f"{spec}: {reason}", note)
