"""The notebooks run top to bottom on a small temp store (nbclient, kernel python3).

The store is built here through the public APIs (a simulated run through the Store, two small
reference corpora imported from CSV files made in the test, fake vectors cached so the embedding
metrics read the store cache and no model loads); the kernel finds it through $WORKBENCH_STORE.
Committed notebooks carry no outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.metrics.conftest import build_store

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_quickstart.ipynb", "02_realism_diversity.ipynb"]


@pytest.fixture(scope="module")
def notebook_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("notebooks")).path


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_on_a_small_store(
    name: str, notebook_store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WORKBENCH_STORE", str(notebook_store))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "no_settings.json"))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "\n".join(str(o.get("data", {}).get("text/plain", o.get("text", ""))) for o in outputs)
    if name.startswith("01"):
        assert "assistant-style" in shown and "patient_turns" in shown and "│ done" in shown
    else:
        assert "c2st_auc" in shown and "reference halves" in shown and "mood=low" in shown


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_have_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
