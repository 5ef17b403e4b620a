"""Twins in a real browser: a corpus the test writes is imported, a twin made on Compose from the
test server's extraction reply, edited, saved, run against the replayed clinician from the Runs
page, and read on the Twins page.

The app, the Ollama-API test server (answering extraction prompts with a fixture) and the run are
separate processes; the persona library is a temp copy, since saving a twin writes to it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Shots,
    _stop,
    _wait_healthy,
    free_port,
    go_to,
    pick,
    settle,
)
from tests.twins.conftest import CONVERSATIONS, FIXTURES, MODEL, write_corpus
from workbench.settings import PROJECT_ROOT
from workbench.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at "
                       "/usr/bin/chromium (apt-get install chromium)"),
]
TWIN = "twin_clinic_c1-plain-C-high-normal"


@pytest.fixture
def twins_app(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app on a temp store (holding the imported corpus) and library, with the extraction
    server; yields (app URL, temp folder)."""
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(FIXTURES))
    server = subprocess.Popen([sys.executable, "-m", "tests.support.twin_extraction",
                               str(fixtures)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    assert server.stdout is not None
    ollama = server.stdout.readline().strip()
    shutil.copytree(PROJECT_ROOT / "personas", tmp_path / "personas")
    (tmp_path / "settings.json").write_text(json.dumps({"default_patient_model": MODEL}))
    env = {**os.environ, "WORKBENCH_STORE": str(tmp_path / "store.db"),
           "WORKBENCH_SETTINGS": str(tmp_path / "settings.json"),
           "WORKBENCH_PERSONAS": str(tmp_path / "personas"), "OLLAMA_HOST": ollama,
           "PYTHONUNBUFFERED": "1"}
    env.pop("WORKBENCH_ALLOW_REMOTE", None)
    # Import: the corpus file the test writes, through the command line.
    imported = subprocess.run(
        [sys.executable, "-m", "workbench", "import", "reference",
         str(write_corpus(tmp_path / "clinic.jsonl", CONVERSATIONS[:1])), "--name", "clinic"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    app = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "workbench/app.py", "--server.headless",
         "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, app, timeout_s=60)
        yield url, tmp_path
    finally:
        _stop(app)
        _stop(server)
        log.close()
        shutil.copyfile(tmp_path / "streamlit.log", ARTIFACTS / "twins-streamlit.log")


@pytest.fixture
def tab(twins_app: tuple[str, Path]) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 3000})
        page.set_default_timeout(30_000)
        page.goto(twins_app[0])
        try:
            yield page
        except BaseException:
            raise
        finally:
            page.screenshot(path=str(ARTIFACTS / "twins-last.png"), full_page=True)
            browser.close()


def test_import_make_twin_edit_run_and_read(tab: Any, twins_app: tuple[str, Path]) -> None:
    shot = Shots()
    tmp_path = twins_app[1]
    tab.get_by_role("heading", name="Personas", exact=True).wait_for()
    settle(tab)

    # Compose: a twin of the imported conversation, extracted by the test server, then edited.
    tab.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Compose").click()
    tab.get_by_role("heading", name="Compose a persona").wait_for()
    settle(tab)
    tab.get_by_text("Twin of a real conversation", exact=True).click()
    settle(tab)
    tab.get_by_role("button", name="Extract facts").click()
    gender = tab.get_by_role("textbox", name="Gender", exact=True)
    gender.wait_for()
    complaint = tab.get_by_role("textbox", name="Chief complaint", exact=True)
    assert complaint.input_value() == "cough for a week with fever"
    assert gender.input_value() == ""  # not stated in the conversation: left empty
    shot(tab, "twin-extracted")
    gender.fill("female")
    tab.get_by_role("button", name="Save twin").click()
    tab.get_by_text("Saved 2 files").wait_for()
    shot(tab, "twin-saved")
    saved = (tmp_path / "personas" / "profiles" / "ed" / "twin_clinic_c1.yaml").read_text()
    assert "gender: female" in saved and "conversation: c1" in saved

    # Runs: the twin against the replayed clinician.
    go_to(tab, "Runs")
    pick(tab, "Scenario", "ed_consult")
    pick_personas(tab)
    pick(tab, "Patient model", MODEL)
    clinician = tab.get_by_role("combobox", name="Clinician", exact=True)
    clinician.click()
    clinician.fill("replay/clinic")
    clinician.press("Enter")
    settle(tab)
    tab.get_by_role("button", name="Launch").click()
    tab.get_by_text("Run finished — done").wait_for(timeout=120_000)
    shot(tab, "twin-run-done")
    with Store(tmp_path / "store.db") as store:
        (run,) = store.list_runs()
        (conv,) = store.conversations_of_run(run.id, with_turns=True)
    assert run.clinician == "replay/clinic" and conv.persona_id == TWIN
    assert [t.text for t in conv.turns if t.role == "clinician"][0] == (
        "Hello, what brings you in today?")

    # Twins: the run side by side with the real conversation.
    go_to(tab, "Twins")
    tab.get_by_text("Run summary").wait_for(timeout=120_000)
    settle(tab, timeout_ms=120_000)
    assert tab.get_by_text("Shuffled-pairs baseline of this pair").is_visible()
    assert tab.get_by_text("First mentions: present_illness_positive, chief_complaint").is_visible()
    assert tab.get_by_text("Clinician: Hello, what brings you in today?").first.is_visible()
    assert tab.get_by_text("I've had a cough for about a week.").first.is_visible()
    assert tab.get_by_role("link", name="Compare the two").is_visible()
    shot(tab, "twins-page")


def pick_personas(tab: Any) -> None:
    """Choose the twin in the Personas multiselect (its label counts the matches)."""
    import re

    pick(tab, re.compile(r"^Personas \(\d+ match"), TWIN)
