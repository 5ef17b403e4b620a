"""Rows and labels for the app's tables: pure shaping of library and store records (no streamlit,
no SQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from workbench.domain.persona import Persona
from workbench.domain.profile import CBTProfile, EDProfile

if TYPE_CHECKING:  # the store package loads sqlite-utils: pages without a store skip it
    from workbench.store.records import ConversationSummary


def profile_summary(profile: EDProfile | CBTProfile) -> str:
    """One line that tells profiles apart in a list."""
    if isinstance(profile, EDProfile) and profile.twin is not None:
        return f"twin of {profile.twin.conversation_id}: {profile.chief_complaint or '?'}"
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


ALL_SCENARIOS = "(all)"
"""The scenario choice that means every scenario (Personas and Runs pages)."""


def axis_order_of(scenarios: Iterable[Any]) -> list[str]:
    """Axis ids in the order scenarios list them, without repeats."""
    order: list[str] = []
    for scenario in scenarios:
        order.extend(a for a in scenario.axes if a not in order)
    return order


def axis_ids_of_facets(facets: dict[str, list[str]]) -> list[str]:
    """Axis ids present in ``Store.facets()`` (its ``axis:<id>`` keys), in order."""
    return [key.removeprefix("axis:") for key in facets if key.startswith("axis:")]


def conversation_rows(
    summaries: Iterable[ConversationSummary], axis_order: list[str]
) -> list[dict[str, Any]]:
    """One row per ``ConversationSummary``: id, status, turns, patient model, persona, scenario, a
    column per axis, clinician, run, creation time and the first patient words (plain text:
    dataframes never render it)."""
    rows = []
    for s in summaries:
        # What is read first comes first: a wide table scrolls its right part off-screen.
        row: dict[str, Any] = {"conversation": s.id, "status": s.status, "turns": s.n_turns,
                               "patient model": s.patient_model or "",
                               "persona": s.persona_id or "", "scenario": s.scenario or ""}
        row.update({axis: s.levels.get(axis, "") for axis in axis_order})
        row.update({
            "clinician": s.clinician or "",
            "run": s.run_id or "",
            "created": s.created_at.strftime("%Y-%m-%d %H:%M"),
            "source": s.source,
            "first patient words": s.first_patient_snippet or "",
        })
        rows.append(row)
    return rows


def scenario_choice(
    scenarios: Mapping[str, Any], choice: str
) -> tuple[str | None, list[str]]:
    """A scenario picker's value → (scenario id or None for all, the axes it offers, in order)."""
    if choice == ALL_SCENARIOS:
        return None, axis_order_of(scenarios.values())
    return choice, axis_order_of([scenarios[choice]])


def run_label(size: Any) -> str:
    """A run in a run picker: id, name and conversations (``size``: a ``corpus.run_sizes`` row)."""
    return f"{size.id} · {size.name} · {size.conversations:,} conversations"
