"""The expert's day in a real browser: import a reference corpus → realism with its plots behind
a visible progress bar → annotate three conversations with a span label → adjudicate a
disagreement between two annotators → open the experiment matrix and drill into a cell.

The store is filled the way a user fills it: `workbench demo` against the Ollama-API test server
(every reply carries an HTML payload, which must stay text) and `workbench import reference` of a
corpus file the test writes. Screenshots go to test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, Shots, go_to, pick, settle
from tests.twins.conftest import CONVERSATIONS, write_corpus
from workbench.analysis.matrix import build_matrix
from workbench.settings import PROJECT_ROOT
from workbench.store import Store
from workbench.views.matrix import cell_options

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at "
                       "/usr/bin/chromium (apt-get install chromium)"),
]
PAYLOAD = "onerror=alert(1)"
"""In every model reply (the injected payload)."""


def workbench(tmp_path: Path, ollama: str, *args: str, personas: Path | None = None) -> None:
    env = {**os.environ, "WORKBENCH_STORE": str(tmp_path / "store.db"),
           "WORKBENCH_SETTINGS": str(tmp_path / "settings.json"), "OLLAMA_HOST": ollama}
    if personas is not None:
        env["WORKBENCH_PERSONAS"] = str(personas)
    done = subprocess.run([sys.executable, "-m", "workbench", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def reference_corpus(path: Path) -> Path:
    """Four real-style conversations (the reference needs four for its halves)."""
    more = [{"id": f"{c['id']}b", "utterances": [
        {**u, "text": u["text"].replace(".", ", I think.")} for u in c["utterances"]]}
        for c in CONVERSATIONS]
    return write_corpus(path, [*CONVERSATIONS, *more])


def open_page(tab: Any, title: str) -> None:
    """``go_to``, first unfolding the navigation when a sidebar panel (the Annotate page's
    guidelines) made Streamlit fold it behind "View N more"."""
    more = tab.get_by_text(re.compile(r"^View \d+ more$"))
    if more.count() and more.first.is_visible():
        more.first.click()
    go_to(tab, title)


def annotate_span(tab: Any, label: str) -> str:
    """Tag the first two words of the first patient turn with ``label``, copied from the turn
    beside the box as a user would, submit, and return the phrase."""
    pick(tab, "Rubric", "Span labels")
    box = tab.get_by_role("textbox", name=f"Tagged phrases · {label}").first
    row = box.locator("xpath=ancestor::div[@data-testid='stHorizontalBlock'][1]")
    turn = row.locator('[data-testid="stChatMessage"] [data-testid="stText"]').first.inner_text()
    phrase = " ".join(turn.split()[:2])
    box.fill(phrase)
    tab.get_by_role("button", name="Submit").click()
    tab.get_by_text("Submitted; here is the next conversation.").wait_for()
    settle(tab)
    return phrase


def test_expert_flow(page: Any, shot: Shots, injected_ollama: tuple[str, str],
                     tmp_path: Path) -> None:
    # The library in a deep shared folder, as a research group keeps it: its long file paths
    # are shown whole in the conversation's facts.
    library = tmp_path / "research-group-shared-drive" / "clinical-simulation-studies" \
        / "2026-winter-pilot" / "persona-library-version-3-reviewed" / "personas"
    shutil.copytree(PROJECT_ROOT / "personas", library)
    workbench(tmp_path, injected_ollama[0], "demo", "--yes", personas=library)
    workbench(tmp_path, injected_ollama[0], "import", "reference",
              str(reference_corpus(tmp_path / "clinic.jsonl")), "--name", "clinic")
    page.reload()
    settle(page)

    # Realism against the imported corpus: a progress bar while it computes, then the plots.
    go_to(page, "Metrics")
    page.get_by_role("tab", name="Realism").click()
    page.get_by_role("button", name="Compute realism").click()
    bar = page.locator('[data-testid="stProgress"]')
    bar.first.wait_for(timeout=60_000)
    assert "step" in bar.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "00-realism-progress.png"), full_page=True)  # mid-job
    page.get_by_role("tab", name="Turn lengths").wait_for(timeout=180_000)
    settle(page, timeout_ms=180_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # plotly draws lazily
    shot(page, "realism-chart")
    page.get_by_role("tab", name="Turn lengths").click()
    shot(page, "realism-turn-lengths")

    # Annotate three conversations with a span label, as dr_ana.
    go_to(page, "Annotate")
    name = page.get_by_role("textbox", name=re.compile("^Your name"))
    name.fill("dr_ana")
    name.press("Enter")
    settle(page)
    phrases = [annotate_span(page, "LLM tell") for _ in range(3)]
    shot(page, "annotated-three")
    # A second annotator tags the first conversation differently: a disagreement.
    name.fill("dr_ben")
    name.press("Enter")
    settle(page)
    for _ in range(3):
        page.get_by_role("button", name="Previous").click()
        settle(page)
    annotate_span(page, "Contradicts the profile")
    with Store(tmp_path / "store.db") as store:
        spans = [a for a in store.annotations() if a.rubric == "span_labels"]
    assert sorted({a.annotator for a in spans}) == ["dr_ana", "dr_ben"] and len(spans) == 4
    for a in spans:
        with Store(tmp_path / "store.db") as store:
            turn = store.get_transcript(a.conversation_id).turns[a.turn_idx]
        (span,) = a.value
        assert turn.text[span["start"]:span["end"]] == span["text"] in phrases

    # The digit keys answer the next conversation's ratings without the mouse, item by item;
    # Ctrl+Enter submits (keys are ignored while a text box has the focus, so click the title).
    pick(page, "Rubric", "Persona fidelity")
    settle(page)
    shot(page, "answer-keys")
    page.get_by_role("heading", name="Annotate", exact=True).click()
    for _ in range(12):  # more presses than items: the keys stay on the last item
        page.keyboard.press("2")
        settle(page)
    page.keyboard.press("Control+Enter")
    page.get_by_text("Submitted; here is the next conversation.").wait_for()
    with Store(tmp_path / "store.db") as store:
        rated = [a for a in store.annotations(annotator="dr_ben")
                 if a.rubric == "persona_fidelity"]
    assert rated and {(a.value, a.status) for a in rated} == {(2, "submitted")}, rated

    # Adjudicate: both answers side by side, the resolved answer stored separately.
    open_page(page, "Adjudicate")
    page.get_by_text("dr_ana", exact=True).wait_for()
    assert page.get_by_text("dr_ben", exact=True).is_visible()
    shot(page, "adjudicate")
    page.get_by_role("textbox", name="Tagged phrases · LLM tell").fill(phrases[0])
    page.get_by_role("button", name="Store resolved answer").click()
    page.get_by_text(re.compile("Resolved answer stored as adjudicated:dr_ben")).wait_for()
    with Store(tmp_path / "store.db") as store:
        (resolved,) = store.annotations(annotator="adjudicated:dr_ben")
    assert resolved.value[0]["label"] == "llm_tell"
    shot(page, "adjudicated")

    # The experiment matrix: a click on a cell lists its conversations; one opens in Transcripts.
    open_page(page, "Experiment matrix")
    with Store(tmp_path / "store.db") as store:
        (run,) = store.list_runs()
        runs = {run.id: run}
        transcripts = store.conversations_of_run(run.id, statuses=["done"], with_turns=True)
    matrix = build_matrix(transcripts, runs, "model", "template", "mean_turns")  # the defaults
    pick(page, "Runs", run.name)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    shot(page, "matrix")
    row, col = cell_options(matrix)[-1]
    grid = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    assert grid is not None
    page.mouse.click(grid["x"] + grid["width"] * (matrix.cols.index(col) + 0.5) / len(matrix.cols),
                     grid["y"] + grid["height"] * (matrix.rows.index(row) + 0.5) / len(matrix.rows))
    links = page.locator('[data-testid="stPageLink"] a')
    links.first.wait_for()
    settle(page)
    listed = {text.split()[-1] for text in links.all_inner_texts()}  # after each icon's name
    assert listed == set(matrix.cells[row, col].conversation_ids)
    shot(page, "matrix-cell-clicked")
    page.get_by_role("tab", name="Table").click()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    opened = links.first.inner_text().split()[-1]
    links.first.click()
    page.get_by_role("heading", name=f"Conversation {opened}").wait_for()
    settle(page)
    shot(page, "matrix-cell-opened")
    assert page.get_by_text(PAYLOAD).first.is_visible()  # the payload is text, not markup
    # The conversation's facts: the long file path and the levels whole, nothing cut.
    with Store(tmp_path / "store.db") as store:
        transcript = store.get_transcript(opened)
        persona = store.get_persona(transcript.persona_hash)
    facts = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="persona file").first
    lines = facts.inner_text().splitlines()
    assert f"persona file: {persona.source_path}" in lines
    assert "levels: " + ", ".join(f"{k}={v}" for k, v in transcript.levels.items()) in lines
    assert facts.evaluate("e => e.scrollWidth <= e.clientWidth")  # no line runs past the box
