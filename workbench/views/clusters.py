"""What the Clusters page shows in words: the note on missing embeddings, the selection on the
map, the map's gate, the warnings of collapsed levels (pure; no streamlit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.views.transcript_view import inert_markdown


def must_ask(most: int, small: int, key: Any, state: Mapping[str, Any]) -> bool:
    """Whether the map waits for a click: a large map (more than ``small`` units) until its
    button is pressed (``clusters_chosen`` is its key), and any map whose job was stopped
    (``clusters_stopped`` is its key); ``state``: the session state."""
    return ((most > small or state.get("clusters_stopped") == key)
            and state.get("clusters_chosen") != key)


def missing_embeddings(cached: float, n_texts: int, model: str, run_id: str, unit: str) -> str:
    """The warning of texts without an embedding, with the command that embeds them (escaped)."""
    return inert_markdown(f"{1 - cached:.0%} of the {n_texts} texts have no {model} embedding "
                          f"yet. From a terminal: workbench embed --run {run_id} --unit {unit}")


def selected_conversations(event: Mapping[str, Any] | None) -> list[str]:
    """Conversation ids of the points a lasso or box selected, each once, in selection order."""
    points = (event or {}).get("selection", {}).get("points", [])
    return list(dict.fromkeys(p["customdata"][0] for p in points if p.get("customdata")))


def link_label(row: Mapping[str, Any]) -> str:
    """A selected conversation's link: its id and levels (escaped)."""
    return inert_markdown(f"{row['conversation_id']} · {row['levels'] or 'no levels'}")


def collapse_warning(axis: str, features: str, a: str, b: str, confusion: float) -> str:
    """Two levels of an axis that the classifier confuses (escaped: ids come from the library)."""
    return (f"**{inert_markdown(axis)}** ({features}): levels {inert_markdown(a)} and "
            f"{inert_markdown(b)} collapse into each other (pair confusion {confusion:.0%}).")


def separation_caption(definitions: Mapping[str, str]) -> str:
    """The definitions under the separation table (``clusters.DEFINITIONS``)."""
    return f"**Silhouette**: {definitions['silhouette']}  \n**NMI**: {definitions['nmi']}"
