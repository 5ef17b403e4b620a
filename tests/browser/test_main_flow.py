"""The main flow in a real browser: filter personas, launch a run, read and search a transcript.

The app, the Ollama-API test server and the run process are real, separate processes; the run is
the detached `python -m workbench run` the Runs page starts. Every model reply carries an HTML and
Markdown payload, which must show as text: no element made from it, no script run, no request to
the image's URL.

Selectors are the labels a user sees ("Confusion", "Launch", "Search", the persona id) and the
data-testids Streamlit emits (stSidebarNavLink, stChatMessage, stExpander, stStatusWidget).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, LeakListener, Shots, go_to, pick, settle
from workbench.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at "
                       "/usr/bin/chromium (apt-get install chromium)"),
]

CONFUSED = "ed_uti_02-plain-B-high-high"
MODERATE = "ed_pneumonia_01-plain-C-low-moderate"
IMG = "<img src=x onerror=alert(1)>"
# Every check on the page waits (polls) until it holds, up to this long: a busy machine renders
# late, and an instant check would fail on a page that is merely slow.
expect.set_options(timeout=60_000)


def test_filter_launch_read_and_search(page: Any, shot: Shots, leak: LeakListener,
                                       injected_ollama: tuple[str, str], tmp_path: Path) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    # Personas: filter the library by one axis level.
    page.get_by_role("heading", name="Personas", exact=True).wait_for()
    settle(page)
    pick(page, "Confusion", "high")
    expect(page.get_by_text("personas match")).to_have_text(re.compile(r"\b1 personas match"))
    expect(page.get_by_role("heading", name=CONFUSED)).to_be_visible()
    shot(page, "personas-filtered-confusion-high")

    # Runs: an empty store offers the demo; set up a small run with a scripted clinician instead.
    go_to(page, "Runs")
    expect(page.get_by_role("button", name="Run the demo")).to_be_visible()
    pick(page, "Scenario", "ed_consult")
    pick(page, "Confusion", "high", "moderate")
    pick(page, re.compile(r"^Personas \(3 match"), CONFUSED, MODERATE)
    pick(page, "Patient model", "ollama/qwen2.5:0.5b")
    pick(page, "Clinician", "scripted/ed_intake")
    for role, label, value in (("spinbutton", "Max turns", "4"),
                               ("textbox", "Name", "browser run")):
        page.get_by_role(role, name=label, exact=True).fill(value)
        page.get_by_role(role, name=label, exact=True).press("Enter")
        settle(page)
    expect(page.get_by_text("2 personas × 1 samples = 2 conversations")).to_be_visible()
    shot(page, "runs-configured")
    page.get_by_role("button", name="Launch").click()
    page.get_by_text("started in the background").wait_for()
    shot(page, "runs-launched")

    # The detached process does the work; the page follows it from the store.
    page.get_by_text("Run finished — done").wait_for(timeout=120_000)
    expect(page.get_by_text("browser run").first).to_be_visible()
    shot(page, "runs-done")
    with Store(tmp_path / "store.db") as store:
        (run,) = store.list_runs()
        conversations = {c.persona_id or "": c for c in
                         store.conversations_of_run(run.id, with_turns=True)}
    assert run.status == "done" and run.name == "browser run"
    assert sorted(conversations) == sorted([CONFUSED, MODERATE])
    confused = conversations[CONFUSED]
    assert all(c.status == "done" and len(c.turns) == 4 for c in conversations.values())

    # Transcripts: open the confused patient's conversation.
    go_to(page, "Transcripts")
    shot(page, "transcripts")
    pick(page, "Open a conversation (or select a row above)", confused.id)
    bubbles = page.locator('[data-testid="stChatMessage"]')
    bubbles.first.wait_for()
    shot(page, "transcript-open")
    expect(bubbles).to_have_count(4)
    opened = page.get_by_role("combobox", name="Open a conversation (or select a row above)")
    expect(opened).to_have_value(re.compile(re.escape(CONFUSED)))

    # Search a word the patient said; the hit is listed.
    patient_text = next(t.text for t in confused.turns if t.role == "patient")
    word = max(re.findall(r"\b[a-z]{5,}\b", patient_text.replace(injected_ollama[1], "")),
               key=len)
    search = page.get_by_role("textbox", name="Search", exact=True)
    search.fill(word)
    search.press("Enter")
    settle(page)
    hits = page.locator('[data-testid="stExpander"]').filter(has_text="best-matching turns")
    # textContent runs the expander's icon name into the count ("…arrow_down1 best-…").
    expect(hits).to_contain_text(re.compile(r"(?<!\d)[1-9]\d* best-matching turns"))
    expect(hits).to_contain_text(word)
    expect(hits).to_contain_text(confused.id)
    shot(page, "transcript-search")

    # The payload in every reply is text: visible literally, never markup, never fetched.
    expect(bubbles.filter(has_text=IMG).first).to_be_visible()
    expect(bubbles.filter(has_text="<script>window.__xss=1</script>").first).to_be_visible()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator(f'img[src*=":{leak.port}"]').count() == 0
    assert page.locator("script", has_text="__xss").count() == 0
    assert dialogs == []
    assert leak.connections == 0 and leak.requests == []
