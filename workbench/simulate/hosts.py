"""Which hosts a run can use: the preflight that checks the servers before anything runs.

Several Ollama hosts are checked one by one: a run goes ahead on the hosts that answer with the
models, and only fails when none does (a resume is not held hostage by one dead host).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from workbench.backends import (
    BackendError,
    NonLoopbackRefused,
    ScriptLoader,
    check_backend,
    normalize_host,
    parse_spec,
)
from workbench.backends.hosts import ollama_hosts_from_env

if TYPE_CHECKING:
    from workbench.simulate.plan import RunConfig


class Preflight(NamedTuple):
    """What the preflight found: the hosts to use and those that did not answer."""

    hosts: list[str]
    """The Ollama hosts that answered with the models (empty: not an Ollama run)."""
    dropped: list[tuple[str, str]]
    """Hosts left out, each with the problem found."""


async def preflight(
    config: RunConfig,
    *,
    hosts: Sequence[str] | None = None,
    allow_remote: bool = False,
    script_loader: ScriptLoader | None = None,
) -> Preflight:
    """Check that both sides' servers are reachable and have their models (or the script loads).

    Several Ollama hosts are checked one by one: the run goes ahead on those that answer, and
    fails only when none does.

    Raises:
        BackendError: The first problem, with what to do (``ollama serve``, ``ollama pull``...);
            for several hosts, the first host's problem when no host passes.
    """
    # This invocation's opt-in only: a stored or imported run's config never carries one.
    remote = allow_remote
    specs = list(dict.fromkeys((config.patient_model, config.clinician)))
    per_host = [spec for spec in specs if parse_spec(spec).kind == "ollama"]
    for spec in specs:
        if spec not in per_host:
            await check_backend(spec, allow_remote=remote, script_loader=script_loader)
    if not per_host:
        return Preflight([], [])
    targets = list(dict.fromkeys(normalize_host(h) for h in (hosts or config.hosts)))
    targets = targets or ollama_hosts_from_env()
    alive: list[str] = []
    dropped: list[tuple[str, str]] = []
    first: BackendError | None = None
    for host in targets:
        try:
            for spec in per_host:
                await check_backend(spec, hosts=[host], allow_remote=remote)
        except NonLoopbackRefused:
            raise  # a setting to change, not a host that is down
        except BackendError as exc:
            first = first or exc
            dropped.append((host, exc.message))
        else:
            alive.append(host)
    if not alive:
        assert first is not None
        raise first
    return Preflight(alive, dropped)
