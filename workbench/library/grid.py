"""Factorial persona designs: every combination of axis levels for a set of profiles.

Designs name which axes are held fixed and which extra combinations are added; the levels
themselves always come from the axis files, so a new personality level grows the grid with no
code change. Nothing here reads or writes files.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from workbench.domain.axes import Axis
from workbench.domain.persona import Persona
from workbench.domain.scenario import Scenario
from workbench.library.issues import LibraryError, LibraryLookupError


@dataclass(frozen=True)
class Design:
    """A named factorial design over a scenario's axes."""

    name: str
    description: str
    pinned: Mapping[str, str] = field(default_factory=dict)
    """Axes held at one level in the factorial part (all other axes take every level)."""
    extras: tuple[Mapping[str, str], ...] = ()
    """Single combinations added after the factorial part (every axis set)."""


DESIGNS: dict[str, Design] = {
    "patientsim": Design(
        name="patientsim",
        description="PatientSim's study design: every personality × language × recall level "
        "with confusion normal, plus one highly confused plain / B / high-recall patient "
        "(6 × 3 × 2 + 1 = 37 per profile with the shipped axes).",
        pinned={"confusion": "normal"},
        extras=({"personality": "plain", "language": "B", "recall": "high", "confusion": "high"},),
    ),
}
"""Designs known to ``workbench personas grid --design``."""


def default_persona_id(profile: str, scenario: Scenario, levels: Mapping[str, str]) -> str:
    """``<profile>-<level>-<level>...`` with the levels in the scenario's axis order."""
    return "-".join([profile, *(levels[axis_id] for axis_id in scenario.axes)])


def check_level_filter(
    levels: Mapping[str, Sequence[str]], scenario: Scenario, axes: Mapping[str, Axis]
) -> None:
    """Reject a filter naming an axis the scenario does not use or a level the axis lacks.

    Raises:
        LibraryLookupError: naming the valid axes or levels.
    """
    for axis_id, wanted in levels.items():
        if axis_id not in scenario.axes:
            raise LibraryLookupError(
                f"unknown axis {axis_id!r} for scenario {scenario.id!r}; "
                f"its axes: {', '.join(scenario.axes)}"
            )
        for level_id in wanted:
            if level_id not in axes[axis_id].level_ids:
                raise LibraryLookupError(
                    f"unknown level {level_id!r} for axis {axis_id!r}; "
                    f"valid: {', '.join(axes[axis_id].level_ids)}"
                )


def level_combinations(
    scenario: Scenario,
    axes: Mapping[str, Axis],
    design: Design | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, str]]:
    """Every combination of levels a design (or a plain product) yields, in a stable order.

    Without a design: the product of the chosen levels, every level of unspecified axes. With a
    design: its combinations, narrowed to those matching ``levels``.

    Raises:
        LibraryLookupError: for an unknown axis or level in ``levels``.
        LibraryError: when the design does not fit the scenario's axes.
    """
    levels = dict(levels or {})
    check_level_filter(levels, scenario, axes)
    if design is None:
        choices = [levels.get(a) or list(axes[a].level_ids) for a in scenario.axes]
        return _product(scenario.axes, choices)
    _check_design(design, scenario, axes)
    choices = [
        [design.pinned[a]] if a in design.pinned else list(axes[a].level_ids) for a in scenario.axes
    ]
    combos = _product(scenario.axes, choices)
    combos += [{a: extra[a] for a in scenario.axes} for extra in design.extras]
    unique = list({tuple(c.items()): c for c in combos}.values())
    return [c for c in unique if all(c[a] in wanted for a, wanted in levels.items() if wanted)]


def _product(axes: Sequence[str], choices: Sequence[Sequence[str]]) -> list[dict[str, str]]:
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*choices)]


def _check_design(design: Design, scenario: Scenario, axes: Mapping[str, Axis]) -> None:
    for combo in (design.pinned, *design.extras):
        for axis_id, level_id in combo.items():
            if axis_id not in scenario.axes:
                raise LibraryError(
                    f"design {design.name!r} sets axis {axis_id!r}, which "
                    f"scenario {scenario.id!r} does not use "
                    f"(its axes: {', '.join(scenario.axes)})"
                )
            if level_id not in axes[axis_id].level_ids:
                raise LibraryError(
                    f"design {design.name!r} sets {axis_id}={level_id}, but axis "
                    f"{axis_id!r} has levels: {', '.join(axes[axis_id].level_ids)}"
                )
    for extra in design.extras:
        missing = [a for a in scenario.axes if a not in extra]
        if missing:
            raise LibraryError(
                f"design {design.name!r} has an extra combination without a "
                f"level for: {', '.join(missing)}"
            )


def build_grid(
    scenario: Scenario,
    axes: Mapping[str, Axis],
    profiles: Sequence[str],
    design: Design | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> list[Persona]:
    """Personas for every profile × level combination, with default ids and a note."""
    combos = level_combinations(scenario, axes, design, levels)
    how = f"design {design.name}" if design else "level product"
    return [
        Persona(
            id=default_persona_id(profile, scenario, combo),
            scenario=scenario.id,
            profile=profile,
            levels=combo,
            notes=f"Generated by `workbench personas grid` ({how}).",
        )
        for profile in profiles
        for combo in combos
    ]
