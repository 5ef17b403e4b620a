"""Rows and labels for the app's tables: pure shaping of library data (no streamlit, no SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.domain.persona import Persona
from workbench.domain.profile import CBTProfile, EDProfile


def profile_summary(profile: EDProfile | CBTProfile) -> str:
    """One line that tells profiles apart in a list."""
    if isinstance(profile, EDProfile):
        return f"{profile.age} {profile.gender}, {profile.diagnosis}: {profile.chief_complaint}"
    return f"{profile.age} {profile.gender}, {profile.occupation}: {profile.presenting_problem}"


def persona_rows(
    personas: Iterable[Persona],
    profiles: dict[str, EDProfile | CBTProfile],
    axis_order: list[str],
) -> list[dict[str, Any]]:
    """One row per persona: id, scenario, profile, a column per axis, and the profile summary."""
    rows = []
    for persona in sorted(personas, key=lambda p: p.id):
        profile = profiles.get(persona.profile)
        row: dict[str, Any] = {
            "persona": persona.id,
            "scenario": persona.scenario,
            "profile": persona.profile,
        }
        row.update({axis: persona.levels.get(axis, "") for axis in axis_order})
        row["summary"] = profile_summary(profile) if profile else ""
        rows.append(row)
    return rows


def axis_order_of(scenarios: Iterable[Any]) -> list[str]:
    """Axis ids in the order scenarios list them, without repeats."""
    order: list[str] = []
    for scenario in scenarios:
        order.extend(a for a in scenario.axes if a not in order)
    return order
