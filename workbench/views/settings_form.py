"""The settings as the Settings page edits them: the file's values, and what the environment
overrides.

``load_settings`` merges defaults, the file and the environment; the page must edit (and save)
the file's values only, or saving would copy an ``OLLAMA_HOST`` set for one session into the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.views.hosts_status import human_size

if TYPE_CHECKING:
    from workbench.store import StoreStats

def store_rows(stats: StoreStats) -> list[dict[str, str]]:
    """The store's size and row counts as a two-column table."""
    counts = ("personas", "runs", "conversations", "turns", "annotations", "embeddings",
              "corpora")
    rows = [{"what": "file size (with write-ahead log)", "value": human_size(stats.file_bytes)},
            {"what": "schema version", "value": str(stats.schema_version)}]
    rows += [{"what": name, "value": f"{getattr(stats, name):,}"} for name in counts]
    return rows
