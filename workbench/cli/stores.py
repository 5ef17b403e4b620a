"""Opening the store for a command: only a command that writes may create one, and it says so."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from workbench.store import Store


def store_path(given: Path | None) -> Path:
    """``--store`` if given, else the store_path setting ($WORKBENCH_STORE)."""
    from workbench.settings import load_settings

    return given or load_settings().store_path


def open_store(given: Path | None, *, create: bool = False) -> Store:
    """The command's store.

    A command that only reads (or changes what is there) passes ``create=False``: a missing or
    empty file is then an error naming the path, not a silent new store. A command that adds
    data passes ``create=True`` and announces the new store on stderr before creating it. A
    store that is not writable here opens read-only (reading works).

    Raises:
        StoreMissing: no store at the path and ``create`` is False.
        StoreError: the file cannot be opened as a store.
    """
    from workbench.store import Store, store_exists

    path = store_path(given)
    if create and not store_exists(path):
        typer.echo(f"Creating a new store at {path}.", err=True)
    return Store(path, create=create)
